"""Performance scores through the routes on moto: set as JSON, imported from e-kinerja CSV, refused whole with
every problem listed, scoped to the OPD admin's staff, and priced by the month close.

January 2026 with 1 January a national holiday: 21 working days on the 5-day template. Ani (PAGU Rp3.333.333)
arrives 45 minutes late on 12 January (TL2, 1 %); Budi (PAGU Rp4.000.000) is always on time; the nurse works
at the Puskesmas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.domain.models import Punch
from chalicelib.domain.tpp.month import MISSING_SCORE_NOTE
from chalicelib.domain.tpp.records import MonthRecord, finance_csv
from chalicelib.services import allowance
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import audit_length, employee_body, nip, opd_body, phone_punch
from tests.support import Harness, Reply

ZONE = 'Asia/Jakarta'
JANUARY = [date(2026, 1, d) for d in range(1, 32)]
ANI, BUDI, NURSE, STRANGER = nip(1), nip(2), nip(3), nip(9)


@dataclass
class Office:
    hx: Harness
    ani: str
    budi: str
    nurse: str
    admin: str  # DISKOMINFO's admin


def _created(reply: Reply) -> dict[str, Any]:
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _punch(employee_id: str, opd_id: str, day: date, hhmm: str) -> Punch:
    return phone_punch(employee_id, opd_id, day, hhmm, ZONE)


@pytest.fixture
def office(hx: Harness) -> Office:
    # Given a WIB pemda, a dinas and a Puskesmas, and three PNS who punch every working day
    key = hx.super_key
    pemda = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': ZONE, 'province': 'Jawa Tengah'}
    assert hx.call('PUT', '/v1/pemda', key, pemda).status == 200
    _created(hx.call('POST', '/v1/opds', key, opd_body('DISKOMINFO', zone=ZONE)))
    _created(hx.call('POST', '/v1/opds', key, opd_body('PKM-KOTA', kind='puskesmas', zone=ZONE)))
    _created(hx.call('POST', '/v1/holidays', key, {'day': '2026-01-01', 'name': 'Tahun Baru', 'kind': 'national'}))
    ani = _created(hx.call('POST', '/v1/employees', key, employee_body('DISKOMINFO', 1, tpp_ceiling=3_333_333)))
    budi = _created(hx.call('POST', '/v1/employees', key, employee_body('DISKOMINFO', 2)))
    nurse = _created(hx.call('POST', '/v1/employees', key, employee_body('PKM-KOTA', 3, jabatan='Perawat')))
    punches = []
    for day in (d for d in JANUARY if d.weekday() < 6):
        for employee, opd_id in ((ani, 'DISKOMINFO'), (budi, 'DISKOMINFO'), (nurse, 'PKM-KOTA')):
            arrival = '08:15' if (employee is ani and day == date(2026, 1, 12)) else '07:20'
            punches += [_punch(employee['employee_id'], opd_id, day, arrival),
                        _punch(employee['employee_id'], opd_id, day, '16:35')]  # fmt: skip
    DynamoPunchLedger().record(punches)
    admin = hx.make_key('opd_admin', 'DISKOMINFO')
    return Office(hx, ani['employee_id'], budi['employee_id'], nurse['employee_id'], admin)


def _import(office: Office, body: str | bytes, key: str | None = None, query: str = 'month=2026-01') -> Reply:
    raw = body.encode() if isinstance(body, str) else body
    return office.hx.call('POST', f'/v1/imports/scores?{query}', key or office.hx.super_key, raw=raw,
                          headers={'Content-Type': 'text/csv'})  # fmt: skip


def _stored(office: Office, key: str | None = None, query: str = 'month=2026-01') -> dict[str, str]:
    reply = office.hx.call('GET', f'/v1/scores?{query}', key or office.hx.super_key)
    assert reply.status == 200, reply.body
    return {item['nip']: item['score'] for item in reply.body['items']}


def _fields(reply: Reply) -> dict[str, str]:
    return {f['path']: f['message'] for f in reply.body['error']['fields']}


def _close_january() -> dict[str, Any]:
    allowance.close_days(get_deps(), get_books(), JANUARY[0], JANUARY[-1])
    return allowance.close_month(get_deps(), get_books(), '2026-01')


def _month_records(revision: int) -> dict[str, MonthRecord]:
    return {r.nip or '': r for r in get_books().records.month_records('2026-01', revision)}


# ---- setting and importing -------------------------------------------------------------------------------------


def test_json_scores_are_set_audited_listed_and_setting_the_same_values_again_changes_nothing(office: Office) -> None:
    hx = office.hx
    entries: dict[str, list[dict[str, Any]]] = {'scores': [
        {'nip': ANI, 'score': 87.5}, {'employee_id': office.budi, 'score': '92,25'}, {'nip': f"'{NURSE}", 'score': 100},
    ]}  # fmt: skip
    before = audit_length()
    # When the super admin sets three scores of two OPDs
    reply = hx.call('PUT', '/v1/scores/2026-01', hx.super_key, entries)
    # Then all three are created, with one audit entry per OPD, and listed by OPD
    assert reply.status == 200, reply.body
    assert (reply.body['created'], reply.body['changed'], reply.body['unchanged']) == (3, 0, 0)
    assert audit_length() == before + 2
    assert _stored(office) == {ANI: '87.5', BUDI: '92.25', NURSE: '100'}
    assert _stored(office, query='month=2026-01&opd=PKM-KOTA') == {NURSE: '100'}
    # When the same values are set again (87.50 is 87.5)
    entries['scores'][0]['score'] = '87.50'
    again = hx.call('PUT', '/v1/scores/2026-01', hx.super_key, entries)
    # Then nothing is written and nothing audited
    assert (again.body['created'], again.body['changed'], again.body['unchanged']) == (0, 0, 3)
    assert audit_length() == before + 2
    # And a dry run of one change reports it without writing; the real run writes it
    change = {'scores': [{'nip': ANI, 'score': 90}]}
    dry = hx.call('PUT', '/v1/scores/2026-01?dry_run=true', hx.super_key, change)
    assert (dry.body['dry_run'], dry.body['changes']) == (True, [
        {'line': 'scores[0]', 'employee_id': office.ani, 'nip': ANI, 'before': '87.5', 'after': '90'}])  # fmt: skip
    assert _stored(office)[ANI] == '87.5'
    assert hx.call('PUT', '/v1/scores/2026-01', hx.super_key, change).body['changed'] == 1
    assert _stored(office)[ANI] == '90'


def test_an_e_kinerja_csv_export_is_imported_and_re_importing_it_changes_nothing(office: Office) -> None:
    # Given an e-kinerja export: a BOM, title lines, ';', decimal commas, NIPs with spaces and an apostrophe
    export = (
        '\ufeffLAPORAN CAPAIAN KINERJA PEGAWAI BULAN JANUARI 2026;;;\r\n;;;\r\n'
        'No;NIP;Nama;Capaian\r\n'
        f"1;'{ANI};Pegawai 1;87,5\r\n"
        f'2;{BUDI[:8]} {BUDI[8:14]} {BUDI[14]} {BUDI[15:]};Pegawai 2;91\r\n'
    )
    before = audit_length()
    # When the super admin imports it
    reply = _import(office, export)
    # Then both scores are stored, from the "Capaian" column, with one audit entry
    assert reply.status == 200, reply.body
    assert (reply.body['source'], reply.body['created'], reply.body['columns']) == (
        'e-kinerja', 2, {'nip': 'NIP', 'score': 'Capaian'},
    )  # fmt: skip
    assert _stored(office) == {ANI: '87.5', BUDI: '91'}
    assert audit_length() == before + 1
    # When the same file is imported again, Then nothing changes
    again = _import(office, export)
    assert (again.body['created'], again.body['changed'], again.body['unchanged']) == (0, 0, 2)
    assert audit_length() == before + 1
    # And a Windows-1252 file with ',' is read too
    latin = f'NIP,Nama,Nilai\r\n{BUDI},Budi Müller,"93,5"\r\n'.encode('cp1252')
    assert _import(office, latin).body['changed'] == 1
    assert _stored(office)[BUDI] == '93.5'


def test_a_file_with_problems_is_refused_whole_listing_every_problem_by_line(office: Office) -> None:
    # Given a file whose first line is valid, then an unknown NIP, a score over 100, a duplicate NIP and a word
    body = f'NIP;Nilai Kinerja\n{ANI};80\n{STRANGER};80\n{BUDI};100,5\n{NURSE};70\n{NURSE};75\n{nip(4)};baik\n'
    # When it is imported
    reply = _import(office, body)
    # Then it is refused with 422 naming each line, and nothing is stored (not even the valid first line)
    assert (reply.status, reply.body['error']['code']) == (422, 'validation_failed')
    assert reply.body['error']['message'] == '5 of 6 lines have problems; nothing was saved'
    assert _fields(reply) == {
        'lines[3].nip': f'NIP {STRANGER} is not registered in Hadir',
        'lines[4].score': 'the score 100,5 is outside 0-100',
        'lines[5].nip': f'NIP {NURSE} is also on lines[6]; keep one',
        'lines[6].nip': f'NIP {NURSE} is also on lines[5]; keep one',
        'lines[7].nip': f'NIP {nip(4)} is not registered in Hadir',
        'lines[7].score': "the score 'baik' is not a number (write it like 87 or 87,5)",
    }
    assert _stored(office) == {}
    # And the JSON route refuses the same way, by index
    entries = {'scores': [{'nip': ANI, 'score': 80}, {'employee_id': 'emp-none', 'score': 80},
                          {'employee_id': office.ani, 'score': -1}]}  # fmt: skip
    json_reply = office.hx.call('PUT', '/v1/scores/2026-01', office.hx.super_key, entries)
    assert json_reply.status == 422
    assert _fields(json_reply) == {
        'scores[0].nip': f'NIP {ANI} is also on scores[2]; keep one',
        'scores[1].employee_id': 'no employee emp-none',
        'scores[2].employee_id': f'employee {office.ani} is also on scores[0]; keep one',
        'scores[2].score': 'the score -1 is outside 0-100',
    }
    assert _stored(office) == {}


def test_refusals_of_the_request_itself(office: Office) -> None:
    hx, key = office.hx, office.hx.super_key
    replies = {
        'no month': _import(office, f'NIP;Nilai\n{ANI};80\n', query=''),
        'bad month': _import(office, f'NIP;Nilai\n{ANI};80\n', query='month=2026-13'),
        'no header': _import(office, f'NIP;Nama\n{ANI};Ani\n'),
        'empty': _import(office, ''),
        'xlsx': _import(office, b'PK\x03\x04....'),
        'json to the import': hx.call('POST', '/v1/imports/scores?month=2026-01', key, {'scores': []}),
        'bad dry_run': _import(office, f'NIP;Nilai\n{ANI};80\n', query='month=2026-01&dry_run=maybe'),
        'empty list': hx.call('PUT', '/v1/scores/2026-01', key, {'scores': []}),
        'bad path month': hx.call('PUT', '/v1/scores/januari', key, {'scores': [{'nip': ANI, 'score': 80}]}),
        'list without month': hx.call('GET', '/v1/scores', key),
        'auditor writes': hx.call('PUT', '/v1/scores/2026-01', hx.make_key('auditor'), {'scores': []}),
        'finance reads': hx.call('GET', '/v1/scores?month=2026-01', hx.make_key('finance')),
        'no key': hx.call('GET', '/v1/scores?month=2026-01'),
    }
    assert {k: (r.status, r.body['error']['code']) for k, r in replies.items()} == {
        'no month': (422, 'validation_failed'), 'bad month': (422, 'validation_failed'),
        'no header': (422, 'validation_failed'), 'empty': (422, 'validation_failed'),
        'xlsx': (422, 'validation_failed'), 'json to the import': (415, 'unsupported_media_type'),
        'bad dry_run': (422, 'validation_failed'), 'empty list': (422, 'validation_failed'),
        'bad path month': (422, 'validation_failed'), 'list without month': (422, 'validation_failed'),
        'auditor writes': (403, 'forbidden'), 'finance reads': (403, 'forbidden'), 'no key': (401, 'unauthenticated'),
    }  # fmt: skip
    assert _stored(office) == {}


def test_an_opd_admin_sets_only_its_own_staff_and_a_file_naming_others_is_refused_whole(office: Office) -> None:
    hx, admin = office.hx, office.admin
    # When DISKOMINFO's admin imports a file with its two employees and the Puskesmas nurse
    reply = _import(office, f'NIP;Skor\n{ANI};80\n{BUDI};85\n{NURSE};90\n', admin)
    # Then it is refused with 403 naming the nurse's line, and nothing is stored
    assert (reply.status, reply.body['error']['code']) == (403, 'forbidden')
    assert _fields(reply) == {'lines[4].nip': f'NIP {NURSE} is staff of PKM-KOTA, not of DISKOMINFO'}
    assert _stored(office) == {}
    # When it imports its own staff only, Then it succeeds
    assert _import(office, f'NIP;Skor\n{ANI};80\n{BUDI};85\n', admin).status == 200
    assert (
        hx.call('PUT', '/v1/scores/2026-01', admin, {'scores': [{'employee_id': office.nurse, 'score': 90}]}).status
        == 403
    )
    # And it reads its own OPD's scores only; another OPD's are refused
    assert _stored(office, admin) == {ANI: '80', BUDI: '85'}
    assert hx.call('GET', '/v1/scores?month=2026-01&opd=PKM-KOTA', admin).status == 403
    assert _stored(office, hx.make_key('auditor')) == {ANI: '80', BUDI: '85'}


# ---- what the month close makes of them ------------------------------------------------------------------------


def test_the_score_prices_the_performance_part_and_a_missing_score_pays_zero_with_a_note(office: Office) -> None:
    # Given scores for Ani (87,5) and the nurse (100), none for Budi
    hx = office.hx
    entries = {'scores': [{'nip': ANI, 'score': '87,5'}, {'nip': NURSE, 'score': 100}]}
    assert hx.call('PUT', '/v1/scores/2026-01', hx.super_key, entries).status == 200
    # When January is closed
    closed = _close_january()
    # Then the close counts Budi's missing score
    assert (closed['revision'], closed['employees'], closed['scores_missing']) == (1, 3, 1)
    rows = _month_records(1)
    # Ani, by hand in rupiah: K_BASE = 60 % × 3.333.333 = 1.999.999,8; × 87,5 % = 1.749.999,825 → 1.750.000
    # D_BASE = 40 % × 3.333.333 = 1.333.333,2 → 1.333.333; TL2 1 % of D_BASE = 13.333,332 → 13.333
    # TPP = 1.750.000 + (1.333.333 − 13.333) = 3.070.000
    ani = rows[ANI].result
    assert (ani.performance_score, ani.performance_part, ani.attendance_base, ani.deduction) == (
        Decimal('87.5'), 1_750_000, 1_333_333, 13_333,
    )  # fmt: skip
    assert (ani.attendance_part, ani.tpp_bruto, ani.rincian, ani.notes) == (1_320_000, 3_070_000, 'TL2×1', ())
    # Budi: no score, so the performance part is 0 and the month says why; the attendance part is whole
    budi = rows[BUDI].result
    assert (budi.performance_score, budi.performance_part, budi.attendance_part, budi.tpp_bruto) == (
        None, 0, 1_600_000, 1_600_000,
    )  # fmt: skip
    assert budi.notes == (MISSING_SCORE_NOTE,)
    assert MISSING_SCORE_NOTE.startswith('Skor kinerja belum diimpor')
    # And the finance file leaves Budi's skor blank (not 0, which would read as a real score)
    lines = finance_csv(list(rows.values())).decode('utf-8-sig').splitlines()
    skor = {line.split(',')[1]: line.split(',')[7] for line in lines[1:]}
    assert skor == {ANI: '87.5', BUDI: '', NURSE: '100'}


def test_a_score_imported_after_the_close_makes_a_new_revision_beside_the_old_one(office: Office) -> None:
    # Given January closed without Budi's score (revision 1)
    hx = office.hx
    assert hx.call('PUT', '/v1/scores/2026-01', hx.super_key, {'scores': [{'nip': ANI, 'score': 100}]}).status == 200
    assert _close_january()['scores_missing'] == 2
    # When Budi's score arrives from e-kinerja
    reply = _import(office, f'NIP;Nilai\n{BUDI};95\n')
    # Then the answer says the month must be closed again for it to be paid
    assert reply.status == 200 and 'already closed' in reply.body['warnings'][0]
    # When the month is closed again
    again = allowance.close_month(get_deps(), get_books(), '2026-01')
    # Then revision 2 pays Budi 2.400.000 × 95 % + 1.600.000 = 3.880.000; revision 1 still holds his 0
    assert (again['revision'], again['changed'], again['scores_missing']) == (2, True, 1)
    assert _month_records(2)[BUDI].result.tpp_bruto == 3_880_000
    assert _month_records(2)[BUDI].result.notes == ()
    assert _month_records(1)[BUDI].result.tpp_bruto == 1_600_000
    # And closing once more with nothing new keeps revision 2
    assert allowance.close_month(get_deps(), get_books(), '2026-01')['changed'] is False
