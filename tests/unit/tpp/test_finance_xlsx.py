"""The finance workbook read back with openpyxl, as finance's Excel would read it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from chalicelib.domain.models import EmployeeType
from chalicelib.domain.tpp.day import ApprovedStatus
from chalicelib.domain.tpp.finance_xlsx import (
    COLUMNS,
    PERCENT_FORMAT,
    RUPIAH_FORMAT,
    SHEET_CODES,
    SHEET_COVER,
    SHEET_ROWS,
    WorkbookCover,
    code_names,
    finance_xlsx,
)
from chalicelib.domain.tpp.month import MonthFlags
from chalicelib.domain.tpp.pipeline import close_employee_month
from chalicelib.domain.tpp.records import CSV_COLUMNS, MonthRecord, finance_csv, records_digest
from tests.unit.tpp.support import CALENDAR, PROFILE, WEEKLY, Payee, at
from tests.unit.tpp.test_pipeline import january_punches

CLOSED_AT = datetime(2026, 2, 3, 1, 20, 5, tzinfo=UTC)
FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')
HOSTILE = ("=cmd|' /C calc'!A0", '+SUM(1,1)', '-2+3', '@SUM(A1)', '\t=1+1', '\r=1+1')


def _january(employee_id: str, opd_id: str, nip: str | None, punches: list[datetime], **kwargs: Any) -> MonthRecord:
    statuses = kwargs.pop('statuses', {})
    flags = kwargs.pop('flags', MonthFlags())
    _, month = close_employee_month(
        Payee(), WEEKLY, CALENDAR, date(2026, 1, 1), date(2026, 1, 31), punches, statuses, {}, Decimal('87.5'),
        flags, PROFILE,
    )  # fmt: skip
    fields = {'month': '2026-01', 'employee_id': employee_id, 'opd_id': opd_id, 'employee_type': EmployeeType.PNS,
              'nip': nip, 'name': 'Siti Rahayu, S.E.', 'jabatan': 'Analis', 'kelas': 9, 'result': month}  # fmt: skip
    return MonthRecord(**(fields | kwargs))


def _office() -> list[MonthRecord]:
    """Four employees whose months carry TL2, PSW1, TK, a CAP leave and a confirmed manipulation (MNP)."""
    on_time = january_punches()
    late = [p for p in on_time if p != at(date(2026, 1, 12), '07:20')] + [at(date(2026, 1, 12), '08:15')]
    early = [p for p in on_time if p != at(date(2026, 1, 13), '16:35')] + [at(date(2026, 1, 13), '15:40')]
    absent = [p for p in on_time if p.date() != date(2026, 1, 14)]
    leave = {date(2026, 1, 19): ApprovedStatus(code='CAP')}
    return [
        _january('e1', 'DINKES', '198503012010011001', late),
        _january('e2', 'DINKES', '198503012010011002', early, flags=MonthFlags(manipulation_confirmed=True)),
        _january('e3', 'BAPPEDA', '199001012015031003', absent, statuses=leave),
        # a contract employee without a NIP: the NIK identifies them
        _january('e4', 'BAPPEDA', None, on_time, employee_type=EmployeeType.TKK, nik='3330014101900001'),
    ]


def _cover(records: list[MonthRecord], scope: str = 'seluruh pemda') -> WorkbookCover:
    return WorkbookCover(month='2026-01', revision=2, records_digest=records_digest(records), scope=scope,
                         csv_name='pemda.csv', csv_sha256='c' * 64, closed_at=CLOSED_AT)  # fmt: skip


def _read(body: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(body))


def _table(workbook: Any) -> list[dict[str, Any]]:
    rows = list(workbook[SHEET_ROWS].iter_rows())
    headers = [c.value for c in rows[0]]
    return [dict(zip(headers, row, strict=True)) for row in rows[1:]]


def _csv(records: list[MonthRecord]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(finance_csv(records).decode('utf-8-sig'), newline='')))


def test_nips_are_text_and_rupiah_are_numbers_equal_to_the_csv() -> None:
    # Given an office's month and its finance CSV
    records = _office()
    from_csv = _csv(records)
    # When the workbook is rendered and read back
    workbook = _read(finance_xlsx(records, _cover(records), [PROFILE]))
    rows = _table(workbook)
    # Then it has the CSV's rows in the CSV's order
    assert [c.value for c in workbook[SHEET_ROWS][1]] == [header for header, _ in COLUMNS]
    assert len(rows) == len(from_csv) == 4
    for cells, line in zip(rows, from_csv, strict=True):
        # And the NIP is a text cell with every one of its 18 digits, exactly the CSV's
        if line['NIP']:
            assert cells['NIP'].data_type == 's' and cells['NIP'].value == line['NIP'] and len(line['NIP']) == 18
        else:
            assert cells['NIP'].value is None
        for identifier in ('OPD', 'ID pegawai', 'nama', 'jabatan'):
            assert cells[identifier].data_type == 's'
        # And every rupiah column is an integer number with the Indonesian thousands format, equal to the CSV's
        for column in ('pagu', 'bagian kinerja', 'bagian kehadiran', 'potongan (Rp)', 'TPP bruto'):
            cell = cells[column]
            assert cell.data_type == 'n' and isinstance(cell.value, int), column
            assert cell.value == int(line[column]) and cell.number_format == RUPIAH_FORMAT
        # And the percentage and the score are numbers (1,00% is the fraction 0.01 shown as a percentage)
        assert cells['potongan %'].data_type == 'n' and cells['potongan %'].number_format == PERCENT_FORMAT
        assert Decimal(str(cells['potongan %'].value)) * 100 == Decimal(line['potongan %'])
        assert cells['skor'].data_type == 'n' and Decimal(str(cells['skor'].value)) == Decimal(line['skor'])
        assert cells['kelas'].value == int(line['kelas'])
        assert (cells['rincian'].value or '') == line['rincian']
    # And the contract employee without a NIP is identified by NIK and employee id, both text
    [tkk] = [r for r in rows if r['jenis'].value == 'TKK']
    assert (tkk['NIK'].data_type, tkk['NIK'].value, tkk['ID pegawai'].value) == ('s', '3330014101900001', 'e4')
    # And staff with a NIP show no NIK (the NIP is their identifier)
    assert all(r['NIK'].value is None for r in rows if r['NIP'].value)


def test_the_legend_names_every_code_that_occurs() -> None:
    # Given an office whose month has late, early, absent, leave and manipulation codes
    records = _office()
    occurring = {c for r in records for c in [*r.result.counts, *r.result.month_rules]}
    assert occurring >= {'TL2', 'PSW1', 'TK', 'CAP', 'MNP'}
    # When the workbook is read back
    legend = {row[0].value: row[1].value for row in _read(finance_xlsx(records, _cover(records), [PROFILE]))[
        SHEET_CODES].iter_rows(min_row=2)}  # fmt: skip
    # Then every code that occurs is named, by the profile that priced it, and no other code is listed
    assert set(legend) == occurring
    assert legend['TL2'] == 'Terlambat masuk 31-60 menit'
    assert legend['PSW1'] == 'Pulang sebelum waktunya 1-30 menit'
    assert legend['TK'] == 'Tidak masuk kerja tanpa keterangan'
    assert legend['CAP'] == 'Cuti karena alasan penting'
    assert legend['MNP'] == 'Manipulasi presensi terbukti'
    assert not [name for name in legend.values() if not name or name.startswith('Kode ')]


def test_the_legend_names_the_worst_tier_with_its_missing_scan_and_codes_of_an_unknown_profile() -> None:
    records = _office()
    missing = [p for p in january_punches() if p != at(date(2026, 1, 15), '07:20')]
    names = code_names([_january('e5', 'DINKES', '198503012010011005', missing)], [PROFILE])
    assert names == {'TL4': 'Terlambat masuk lebih dari 90 menit, atau tidak memindai masuk'}
    # A record whose profile is not among those given still gets a line that names the code and says why
    assert code_names(records[:1], [])['TL2'] == 'Kode TL2 (profil hadir-default-asn v1; nama tidak tersedia)'


def test_the_cover_states_the_month_revision_digest_and_totals() -> None:
    records = _office()
    cover = _cover(records)
    workbook = _read(finance_xlsx(records, cover, [PROFILE]))
    lines = {row[0].value: row[1] for row in workbook[SHEET_COVER].iter_rows()}
    assert workbook.sheetnames == [SHEET_COVER, SHEET_ROWS, SHEET_CODES]
    assert workbook.active.title == SHEET_ROWS
    assert [sheet.sheet_view.tabSelected for sheet in workbook] == [False, True, False]
    digest = lines['Digest rekaman (SHA-256; manifest.json: records_digest)']
    assert (digest.data_type, digest.value) == ('s', cover.records_digest)
    assert (lines['Bulan'].value, lines['Revisi'].value, lines['Cakupan'].value) == ('2026-01', 2, 'seluruh pemda')
    assert lines['SHA-256 file CSV pasangan'].value == 'c' * 64
    assert lines['Jumlah TPP bruto (Rp)'].value == sum(r.result.tpp_bruto for r in records)
    assert lines['Jumlah TPP bruto (Rp)'].number_format == RUPIAH_FORMAT
    assert lines['Revisi ditutup pada (UTC)'].value == '2026-02-03T01:20:05+00:00'


def test_header_is_frozen_filterable_and_columns_are_wide_enough() -> None:
    records = _office()
    sheet = _read(finance_xlsx(records, _cover(records), [PROFILE]))[SHEET_ROWS]
    assert sheet.freeze_panes == 'A2'
    assert sheet.auto_filter.ref == f'A1:P{len(records) + 1}'
    widths = {letter: d.width for letter, d in sheet.column_dimensions.items()}
    assert widths['B'] >= 20  # an 18-digit NIP shows whole
    assert all(8 <= w <= 70 for w in widths.values())


def test_a_re_export_is_byte_identical_and_carries_no_clock() -> None:
    # Given the same records, in another order
    records = _office()
    body = finance_xlsx(records, _cover(records), [PROFILE])
    # Then the bytes are the same (the manifest's SHA-256 of a re-render matches)
    assert finance_xlsx(records[::-1], _cover(records), [PROFILE]) == body
    # And the workbook's dates are the revision's close, not the time of rendering
    properties = _read(body).properties
    assert properties.created == properties.modified == datetime(2026, 2, 3, 1, 20, 5)
    assert properties.creator == 'Hadir'


@pytest.mark.parametrize('payload', HOSTILE)
def test_no_text_cell_begins_with_a_formula_character_even_for_hostile_names(payload: str) -> None:
    # Given records stored with a hostile name, title, OPD id and employee id (as from before names were checked)
    records = [
        r.model_copy(update={'name': payload, 'jabatan': payload, 'opd_id': payload, 'employee_id': payload + str(i)})
        for i, r in enumerate(_office())
    ]
    # When the workbook is rendered and every cell of every sheet read back
    workbook = _read(finance_xlsx(records, _cover(records, scope=payload), [PROFILE]))
    cells = [c for sheet in workbook for row in sheet.iter_rows() for c in row if c.value is not None]
    # Then no text cell begins with =, +, -, @, tab or carriage return, and no cell is a formula
    assert [c.value for c in cells if c.data_type == 's' and c.value.startswith(FORMULA_STARTS)] == []
    assert [c.coordinate for c in cells if c.data_type == 'f'] == []
    # And the text is kept behind the apostrophe, as in the CSV, while the numbers stay numbers
    # (an XML reader turns a stored carriage return into a line feed: the cell still begins with the apostrophe)
    rows = _table(workbook)
    assert {r['nama'].value for r in rows} == {"'" + payload.replace('\r', '\n')}
    assert [r['nama'].value for r in rows] == [line['nama'].replace('\r', '\n') for line in _csv(records)]
    assert all(isinstance(r['TPP bruto'].value, int) for r in rows)


def test_the_csv_columns_are_all_in_the_workbook() -> None:
    headers = {header for header, _ in COLUMNS}
    assert set(CSV_COLUMNS) <= headers
