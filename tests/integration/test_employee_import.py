"""POST /v1/employees/import through the Chalice test client, on moto."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from chalicelib.adapters.dynamodb.directory import DynamoDirectoryStore
from chalicelib.domain.employee_import import ImportMode, ImportOptions
from chalicelib.domain.models import Principal, Role
from chalicelib.ports import Record
from chalicelib.services.common import KIND_UNIQUE
from chalicelib.services.employee_import import import_employees
from chalicelib.wiring import get_deps
from tests.support import Harness, Reply

IMPORT = '/v1/employees/import'
CSV = 'text/csv'
XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
SIASN_20 = (Path(__file__).parents[1] / 'events' / 'employees-siasn-20.csv').read_bytes()
# Row 22 of the sheet: birth date 1990-02-30 does not exist.
BAD_ROW = (
    "'199002302015011001;Tono Sugiarto;;PNS Daerah;3201019002900099;DISDIK;Sekretariat;Analis;8;III/a;5.000.000;\r\n"
)
OPDS = (
    {'opd_id': 'DISDIK', 'name': 'Dinas Pendidikan', 'kind': 'dinas', 'zone': 'Asia/Jakarta'},
    {'opd_id': 'DINKES', 'name': 'Dinas Kesehatan', 'kind': 'dinas', 'zone': 'Asia/Jakarta'},
)


@pytest.fixture
def hx_opds(hx: Harness) -> Harness:
    for opd in OPDS:
        assert hx.call('POST', '/v1/opds', hx.super_key, opd).status == 201
    return hx


def upload(hx: Harness, body: bytes, key: str | None = None, *, query: str = '', content_type: str = CSV,
           idempotency_key: str | None = None) -> Reply:  # fmt: skip
    headers = {'Content-Type': content_type}
    if idempotency_key:
        headers['Idempotency-Key'] = idempotency_key
    path = f'{IMPORT}?{query}' if query else IMPORT
    return hx.call('POST', path, key or hx.super_key, raw=body, headers=headers)


def employees(hx: Harness) -> list[dict[str, Any]]:
    reply = hx.call('GET', '/v1/employees?limit=500', hx.super_key)
    assert reply.status == 200, reply.body
    return list(reply.body['items'])


def statuses(report: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in report['rows']:
        counts[row['status']] = counts.get(row['status'], 0) + 1
    return counts


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_csv_import_creates_every_row_and_the_employees_list(hx_opds: Harness) -> None:
    # Given two OPDs and a 20-row SIASN export (BOM, ';' delimiter, apostrophe and spaced NIPs, 'Rp' amounts)
    # When it is imported
    reply = upload(hx_opds, SIASN_20)
    # Then every row is created, and the listing shows them with normalised values
    assert reply.status == 200, reply.body
    report = reply.body
    assert (report['mode'], report['dry_run'], report['total'], report['created'], report['failed']) == (
        'all_or_nothing', False, 20, 20, 0,
    )  # fmt: skip
    assert statuses(report) == {'created': 20}
    assert [row['row'] for row in report['rows']] == list(range(2, 22))
    assert report['warnings'] == ['ignored columns: Gelar Belakang, TANGGAL_LAHIR']
    listed = {e['employee_id']: e for e in employees(hx_opds)}
    assert set(listed) == {row['employee_id'] for row in report['rows']}
    first = listed[report['rows'][0]['employee_id']]
    assert first['nip'] == '197501011999011001'
    assert (first['golongan'], first['tpp_ceiling'], first['employee_type']) == ('III/c', 7_500_000, 'PNS')
    tkk = [e for e in listed.values() if e['employee_type'] == 'TKK']
    assert len(tkk) == 3 and all(e['nip'] is None and len(e['nik']) == 16 for e in tkk)


def test_xlsx_import_reads_text_nips_apostrophes_and_rupiah_text(hx_opds: Harness) -> None:
    # Given a workbook as Excel users fill it: NIP as a Text cell or with an apostrophe, KELAS as 7.0, PAGU as
    # number or text
    workbook = xlsx(
        [
            ['NIP', 'NAMA_LENGKAP', 'JENIS_PEGAWAI', 'OPD', 'JABATAN', 'KELAS_JABATAN', 'GOL_RUANG', 'PAGU_TPP', 'NIK'],
            ['198501012010011001', 'Arif Budiman', 'PNS', 'DISDIK', 'Guru Ahli Muda', 9, 'III b', 7_500_000, None],
            [
                "'198602022021212002",
                'Maya Sari',
                'PPPK',
                'DISDIK',
                'Guru Ahli Pertama',
                7.0,
                'IX',
                'Rp 5.000.000',
                None,
            ],
            [None, 'Toni Wijaya', 'HONORER', 'DISDIK', 'Penjaga Sekolah', 3, None, '2.000.000', '3201011212900001'],
        ]
    )
    # When it is uploaded as XLSX
    reply = upload(hx_opds, workbook, content_type=XLSX)
    # Then the three employees exist, with the values normalised
    assert reply.status == 200, reply.body
    assert reply.body['created'] == 3
    by_name = {e['name']: e for e in employees(hx_opds)}
    assert by_name['Arif Budiman']['nip'] == '198501012010011001'
    assert by_name['Arif Budiman']['golongan'] == 'III/b'
    assert (by_name['Maya Sari']['kelas_jabatan'], by_name['Maya Sari']['tpp_ceiling']) == (7, 5_000_000)
    assert by_name['Toni Wijaya']['employee_type'] == 'TKK'


def test_xlsx_nip_that_excel_rounded_to_a_float_is_refused_with_a_clear_message(hx_opds: Harness) -> None:
    # Given a workbook whose NIP cell holds the float Excel made of it
    workbook = xlsx(
        [
            ['NIP', 'NAMA', 'JENIS_PEGAWAI', 'KODE_OPD', 'JABATAN', 'KELAS_JABATAN', 'PAGU_TPP'],
            [1.98501012010011e17, 'Arif Budiman', 'PNS', 'DISDIK', 'Guru', 9, 7_500_000],
        ]
    )
    # When it is imported
    reply = upload(hx_opds, workbook, content_type=XLSX)
    # Then the row is refused, naming the cause
    assert reply.status == 422
    (error,) = reply.body['error']['details']['rows'][0]['errors']
    assert error['path'] == 'rows[2].nip' and 'lost its last digits' in error['message']


def test_all_or_nothing_refuses_the_whole_file_when_one_row_is_bad(hx_opds: Harness) -> None:
    # Given no employees, and the 20 good rows plus one with an impossible NIP
    before = len(employees(hx_opds))
    # When it is imported in the default mode
    reply = upload(hx_opds, SIASN_20 + BAD_ROW.encode())
    # Then nothing is written, and the 422 carries the per-row report
    assert reply.status == 422
    error = reply.body['error']
    assert error['code'] == 'validation_failed'
    assert error['fields'] == [
        {'path': 'rows[22].nip', 'message': 'NIP digits 1-8 are not a valid birth date: 19900230'}
    ]
    report = error['details']
    assert (report['total'], report['created'], report['failed']) == (21, 0, 1)
    assert statuses(report) == {'valid': 20, 'error': 1}
    assert len(employees(hx_opds)) == before == 0


def test_best_effort_writes_the_good_rows_and_reports_the_bad_one(hx_opds: Harness) -> None:
    # Given the 20 good rows plus a bad one
    # When it is imported best effort
    reply = upload(hx_opds, SIASN_20 + BAD_ROW.encode(), query='mode=best_effort')
    # Then the 20 are created and row 22 is reported
    assert reply.status == 200, reply.body
    assert (reply.body['created'], reply.body['failed']) == (20, 1)
    bad = reply.body['rows'][-1]
    assert (bad['row'], bad['status'], 'nip' in bad) == (22, 'error', False)
    assert bad['errors'][0]['path'] == 'rows[22].nip' and bad['errors'][0]['code'] == 'invalid'
    assert len(employees(hx_opds)) == 20


def test_rows_are_validated_like_the_single_create_api_with_paths_into_the_sheet(hx_opds: Harness) -> None:
    # Given rows the model refuses: KELAS 18, a TKK with a NIP, an unknown OPD, and a bad PAGU on a PNS without NIP
    raw = '\n'.join(
        [
            'NIP;NIK;NAMA;JENIS_PEGAWAI;KODE_OPD;JABATAN;KELAS_JABATAN;PAGU_TPP',
            "'197501011999011001;;Budi Santoso;PNS;DISDIK;Analis;18;7.500.000",
            "'198001012005011002;3201010101800002;Eko Prasetyo;TKK;DISDIK;Kebersihan;3;2.000.000",
            "'198101012006011003;;Siti Aminah;PNS;DISPAR;Analis;8;7.500.000",
            ';3201010101800004;Rudi Hartono;PNS;DISDIK;Analis;8;7,5',
        ]
    ).encode()
    # When it is dry-run best effort
    reply = upload(hx_opds, raw, query='mode=best_effort&dry_run=true')
    # Then each row's issues point at the field in the sheet, in the words of the single-create API
    errors = {row['row']: {(e['path'], e['message']) for e in row['errors']} for row in reply.body['rows']}
    assert errors == {
        2: {('rows[2].kelas_jabatan', 'Input should be less than or equal to 17')},
        3: {('rows[3]', 'TKK staff have no NIP; put their identity number in nik')},
        4: {('rows[4].opd_id', 'no OPD DISPAR')},
        5: {('rows[5].tpp_ceiling', "PAGU_TPP must be whole rupiah without decimals (sen), got '7,5'")},
    }


def test_dry_run_reports_every_row_valid_and_writes_nothing(hx_opds: Harness) -> None:
    # Given the 20-row export
    # When it is imported as a dry run
    reply = upload(hx_opds, SIASN_20, query='dry_run=true')
    # Then every row is valid, none has an id, and nothing is written
    assert reply.status == 200, reply.body
    assert (reply.body['dry_run'], reply.body['created']) == (True, 0)
    assert statuses(reply.body) == {'valid': 20}
    assert not any('employee_id' in row for row in reply.body['rows'])
    assert employees(hx_opds) == []


def test_dry_run_in_all_or_nothing_mode_answers_as_the_real_import_would(hx_opds: Harness) -> None:
    # Given a file with a bad row; When it is dry-run in the default mode; Then it is refused like the real thing
    reply = upload(hx_opds, SIASN_20 + BAD_ROW.encode(), query='dry_run=true')
    assert reply.status == 422
    assert reply.body['error']['details']['dry_run'] is True
    assert employees(hx_opds) == []


def test_opd_admin_imports_the_rows_of_its_own_opd_and_gets_forbidden_for_the_others(hx_opds: Harness) -> None:
    # Given an opd_admin key of DISDIK and an export with 10 DISDIK and 10 DINKES rows
    key = hx_opds.make_key('opd_admin', 'DISDIK')
    # When it imports the file best effort
    reply = upload(hx_opds, SIASN_20, key, query='mode=best_effort')
    # Then its own rows are created and each DINKES row is a 'forbidden' error on opd_id
    assert reply.status == 200, reply.body
    assert (reply.body['created'], reply.body['failed']) == (10, 10)
    refused = [row for row in reply.body['rows'] if row['status'] == 'error']
    assert {(e['path'], e['code']) for row in refused for e in row['errors']} == {
        (f'rows[{row["row"]}].opd_id', 'forbidden') for row in refused
    }
    assert {e['opd_id'] for e in employees(hx_opds)} == {'DISDIK'}


def test_opd_admin_file_with_other_opd_rows_is_refused_whole_in_all_or_nothing_mode(hx_opds: Harness) -> None:
    # Given an opd_admin key of DISDIK; When it imports a file that also holds DINKES rows; Then nothing is written
    key = hx_opds.make_key('opd_admin', 'DISDIK')
    reply = upload(hx_opds, SIASN_20, key)
    assert reply.status == 422
    assert reply.body['error']['details']['failed'] == 10
    assert employees(hx_opds) == []


def test_replay_with_the_same_idempotency_key_returns_the_first_report_and_creates_nothing(hx_opds: Harness) -> None:
    # Given a first import under an Idempotency-Key
    first = upload(hx_opds, SIASN_20, idempotency_key='import-2026-01')
    assert first.status == 200, first.body
    # When the same file is sent again under the same key
    again = upload(hx_opds, SIASN_20, idempotency_key='import-2026-01')
    # Then the answer is the first report, and no employee is added
    assert (again.status, again.body) == (200, first.body)
    assert len(employees(hx_opds)) == 20
    # And a different file under that key is refused
    other = upload(hx_opds, SIASN_20 + BAD_ROW.encode(), idempotency_key='import-2026-01')
    assert (other.status, other.body['error']['code']) == (422, 'idempotency_key_reused')


def test_every_created_employee_has_its_employee_create_audit_entry(hx_opds: Harness) -> None:
    # Given an import of 20 rows
    report = upload(hx_opds, SIASN_20).body
    # When the audit log is read
    entries = hx_opds.call('GET', '/v1/audit?limit=500', hx_opds.super_key).body['items']
    # Then there is one employee.create entry per created employee, like a single create writes
    created = [e for e in entries if e['action'] == 'employee.create']
    assert sorted(e['target'] for e in created) == sorted(f'employee/{row["employee_id"]}' for row in report['rows'])
    by_target = {e['target']: e for e in created}
    first = report['rows'][0]
    entry = by_target[f'employee/{first["employee_id"]}']
    assert (entry['opd_id'], entry['before'], entry['after']['nip']) == ('DISDIK', None, first['nip'])


def test_a_nip_already_registered_is_reported_as_exists(hx_opds: Harness) -> None:
    # Given an employee created through the single-create API with the NIP of row 2
    body = {'nip': '197501011999011001', 'name': 'Budi Santoso', 'employee_type': 'PNS', 'opd_id': 'DISDIK',
            'jabatan': 'Guru Ahli Muda', 'kelas_jabatan': 9, 'tpp_ceiling': 7_500_000}  # fmt: skip
    assert hx_opds.call('POST', '/v1/employees', hx_opds.super_key, body).status == 201
    # When the export is imported best effort
    reply = upload(hx_opds, SIASN_20, query='mode=best_effort')
    # Then row 2 is an 'exists' error and the other 19 are created
    row = reply.body['rows'][0]
    assert (row['row'], row['status']) == (2, 'error')
    assert row['errors'] == [
        {'path': 'rows[2].nip', 'message': 'NIP 197501011999011001 is already registered', 'code': 'exists'}
    ]
    assert reply.body['created'] == 19
    assert len(employees(hx_opds)) == 20


class StaleClaimReads(DynamoDirectoryStore):
    """Reads that miss a NIP registered a moment ago, as when another import wins the race."""

    def get_many(self, kind: str, record_ids: Any) -> dict[str, Record]:
        return {} if kind == KIND_UNIQUE else super().get_many(kind, record_ids)


def test_a_row_that_loses_a_race_at_write_time_is_reported_not_dropped(hx_opds: Harness) -> None:
    # Given the NIP of row 2 registered already, and a store whose check does not see it yet
    body = {'nip': '197501011999011001', 'name': 'Budi Santoso', 'employee_type': 'PNS', 'opd_id': 'DISDIK',
            'jabatan': 'Guru Ahli Muda', 'kelas_jabatan': 9, 'tpp_ceiling': 7_500_000}  # fmt: skip
    assert hx_opds.call('POST', '/v1/employees', hx_opds.super_key, body).status == 201
    deps = replace(get_deps(), store=StaleClaimReads(clock=get_deps().clock))
    principal = Principal(key_id='k-import', role=Role.SUPER)
    # When the export is imported
    report = import_employees(deps, principal, SIASN_20, CSV, ImportOptions(mode=ImportMode.ALL_OR_NOTHING))
    # Then the commit's refusal is reported on row 2 and the others are created
    row = report['rows'][0]
    assert (row['status'], row['errors'][0]['code'], row['errors'][0]['path']) == ('error', 'conflict', 'rows[2]')
    assert 'already registered' in row['errors'][0]['message']
    assert (report['created'], report['failed']) == (19, 1)


class FailsAfterFirstCommit(DynamoDirectoryStore):
    """A store that breaks for a reason the import cannot understand after one successful commit."""

    commits = 0

    def commit(self, writes: Any, audit: Any) -> Any:
        self.commits += 1
        if self.commits > 1:
            raise RuntimeError('the table went away')
        return super().commit(writes, audit)


def test_an_unexpected_write_failure_stops_the_import_and_reports_what_was_done(hx_opds: Harness) -> None:
    # Given a store that fails on the second commit
    deps = replace(get_deps(), store=FailsAfterFirstCommit(clock=get_deps().clock))
    principal = Principal(key_id='k-import', role=Role.SUPER)
    # When the export is imported
    report = import_employees(deps, principal, SIASN_20, CSV, ImportOptions())
    # Then row 2 is created, row 3 failed on our side, the rest are skipped, and a warning says where it stopped
    assert [row['status'] for row in report['rows'][:3]] == ['created', 'error', 'skipped']
    assert report['rows'][1]['errors'][0]['code'] == 'write_failed'
    assert statuses(report) == {'created': 1, 'error': 1, 'skipped': 18}
    assert report['warnings'][-1].startswith('writing failed at row 3: 18 valid rows were not imported')
    assert len(employees(hx_opds)) == 1


def test_the_report_of_a_huge_file_is_cut_to_its_size_limit_but_counts_every_row(hx_opds: Harness) -> None:
    # Given 5,000 rows that all repeat one NIP, so every row carries a long duplicate message
    row = "'197501011999011001;Budi Santoso;PNS;DISDIK;Analis Kepegawaian;8;III/a;7.500.000"
    raw = '\n'.join(['NIP;NAMA;JENIS_PEGAWAI;KODE_OPD;JABATAN;KELAS_JABATAN;GOLONGAN;PAGU_TPP', *[row] * 5000])
    # When it is dry-run best effort
    reply = upload(hx_opds, raw.encode(), query='mode=best_effort&dry_run=true')
    # Then the counts cover all rows, the listing stops early, and a warning says so
    assert reply.status == 200
    report = reply.body
    assert (report['total'], report['failed']) == (5000, 5000)
    assert 0 < len(report['rows']) < 5000
    assert report['warnings'][-1].startswith(f'the report lists rows up to row {report["rows"][-1]["row"]} only')
    assert len(json.dumps(report)) < 400_000


def test_a_huge_valid_dry_run_leaves_the_valid_rows_out_of_the_listing_but_lists_the_errors(
    hx_opds: Harness,
) -> None:
    # Given 5,000 rows, one of them with a bad PAGU_TPP
    lines = ['NIP;NAMA;JENIS_PEGAWAI;KODE_OPD;JABATAN;KELAS_JABATAN;GOLONGAN;PAGU_TPP']
    for i in range(5000):
        nip = f'1980{1 + i % 12:02d}{1 + (i // 12) % 28:02d}2005011{1 + i // 336:03d}'
        lines.append(f"'{nip};Pegawai {i};PNS;DISDIK;Analis;8;III/a;{'7,5' if i == 4321 else '7.500.000'}")
    # When it is dry-run best effort
    reply = upload(hx_opds, '\n'.join(lines).encode(), query='mode=best_effort&dry_run=true')
    # Then only the bad row is listed, and a warning says every other row is valid
    assert reply.status == 200
    assert (reply.body['total'], reply.body['failed']) == (5000, 1)
    assert [(row['row'], row['status']) for row in reply.body['rows']] == [(4323, 'error')]
    assert reply.body['warnings'] == [
        'to keep the report within its size limit, the 4999 rows with status valid are not listed: every row not '
        'listed is valid'
    ]


def test_rows_left_when_time_runs_out_are_reported_as_skipped(hx_opds: Harness) -> None:
    # Given an import whose time budget is already spent
    principal = Principal(key_id='k-import', role=Role.SUPER)
    # When it runs
    report = import_employees(get_deps(), principal, SIASN_20, CSV, ImportOptions(), time_budget_seconds=0)
    # Then no row is written, each is 'skipped', and a warning says how to finish
    assert statuses(report) == {'skipped': 20}
    assert report['created'] == 0
    assert any(w.startswith('time ran out: 20 valid rows were not imported') for w in report['warnings'])
    assert employees(hx_opds) == []


@pytest.mark.parametrize(
    ('body', 'path', 'words'),
    [
        (b'', 'file', 'the file is empty'),
        (b'NIP;NAMA\n197501011999011001;Budi\n', 'columns.JENIS_PEGAWAI', 'column JENIS_PEGAWAI is missing'),
        (b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1' + bytes(100), 'file', 'old Excel 97-2003 (.xls) file'),
    ],
    ids=['empty', 'missing-columns', 'legacy-xls'],
)
def test_a_file_that_is_unusable_as_a_whole_is_refused_with_the_reason(
    hx_opds: Harness, body: bytes, path: str, words: str
) -> None:
    # Given an unusable file; When it is imported even best effort; Then a 422 names the problem
    reply = upload(hx_opds, body, query='mode=best_effort', content_type='application/octet-stream')
    assert reply.status == 422
    issues = {f['path']: f['message'] for f in reply.body['error']['fields']}
    assert words in issues[path]


def test_keys_without_employee_write_may_not_import(hx_opds: Harness) -> None:
    # Given an auditor key; When it imports; Then it is forbidden
    reply = upload(hx_opds, SIASN_20, hx_opds.make_key('auditor'))
    assert (reply.status, reply.body['error']['code']) == (403, 'forbidden')


def test_an_unknown_mode_is_a_validation_error_on_the_query(hx_opds: Harness) -> None:
    # Given mode=everything; When imported; Then 422 on query.mode
    reply = upload(hx_opds, SIASN_20, query='mode=everything&dry_run=maybe')
    assert reply.status == 422
    assert {f['path'] for f in reply.body['error']['fields']} == {'query.mode', 'query.dry_run'}


def test_a_json_body_is_refused_as_unsupported_media_type(hx_opds: Harness) -> None:
    reply = upload(hx_opds, b'{"rows": []}', content_type='application/json')
    assert reply.status == 415


def test_the_openapi_document_describes_the_import_upload(hx: Harness) -> None:
    # Given the OpenAPI document; Then the import takes CSV or XLSX, and says which query parameters it reads
    operation = hx.call('GET', '/v1/openapi.json').body['paths'][IMPORT]['post']
    assert {CSV, XLSX} <= set(operation['requestBody']['content'])
    assert {'mode', 'dry_run', 'Idempotency-Key'} <= {p['name'] for p in operation['parameters']}


def test_names_that_begin_a_spreadsheet_formula_are_refused_at_import_and_in_the_api(hx_opds: Harness) -> None:
    # Given a sheet whose names and jabatan would run as formulas in finance's Excel
    raw = '\n'.join(
        [
            'NIP;NIK;NAMA;JENIS_PEGAWAI;KODE_OPD;JABATAN;KELAS_JABATAN;PAGU_TPP',
            "'197501011999011001;;=cmd|' /C calc'!A0;PNS;DISDIK;Analis;8;7.500.000",
            "'198001012005011002;;Eko Prasetyo;PNS;DISDIK;@SUM(A1);8;7.500.000",
            "'198101012006011003;;Siti\u202eAminah;PNS;DISDIK;Analis;8;7.500.000",
        ]
    ).encode()
    # When it is imported
    reply = upload(hx_opds, raw, query='mode=best_effort')
    # Then every such row is refused with the reason, and nothing is written
    errors = {row['row']: [(e['path'], e['message']) for e in row['errors']] for row in reply.body['rows']}
    assert errors[2] == [('rows[2].name', "must not begin with '=': a spreadsheet would read it as a formula")]
    assert errors[3] == [('rows[3].jabatan', "must not begin with '@': a spreadsheet would read it as a formula")]
    assert errors[4] == [('rows[4].name', 'contains an invisible formatting character (U+202E) at position 5')]
    assert employees(hx_opds) == []
    # And the single-create API says the same
    body = {'employee_type': 'TKK', 'name': '+HYPERLINK("x")', 'opd_id': 'DISDIK',
            'jabatan': 'Staf', 'kelas_jabatan': 3, 'tpp_ceiling': 0}  # fmt: skip
    created = hx_opds.call('POST', '/v1/employees', hx_opds.super_key, body)
    assert created.status == 422
    assert created.body['error']['fields'] == [
        {'path': 'name', 'message': "must not begin with '+': a spreadsheet would read it as a formula"}
    ]
