from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal

from chalicelib.domain.models import EmployeeType
from chalicelib.domain.tpp.month import MonthFlags
from chalicelib.domain.tpp.pipeline import close_employee_month
from chalicelib.domain.tpp.records import (
    CSV_COLUMNS,
    MonthRecord,
    export_file,
    finance_csv,
    manifest,
    month_bounds,
    records_digest,
)
from tests.unit.tpp.support import CALENDAR, PROFILE, WEEKLY, Payee, at
from tests.unit.tpp.test_pipeline import january_punches


def _record(employee_id: str, opd_id: str, nip: str, punches: list[datetime]) -> MonthRecord:
    _, month = close_employee_month(
        Payee(), WEEKLY, CALENDAR, date(2026, 1, 1), date(2026, 1, 31), punches, {}, {}, Decimal('87.5'),
        MonthFlags(), PROFILE,
    )  # fmt: skip
    return MonthRecord(month='2026-01', employee_id=employee_id, opd_id=opd_id, employee_type=EmployeeType.PNS,
                       nip=nip, name='Siti "Sri" Rahayu, S.E.', jabatan='Analis', kelas=9, result=month)  # fmt: skip


def test_month_bounds_cover_leap_february_and_december() -> None:
    assert month_bounds('2028-02') == (date(2028, 2, 1), date(2028, 2, 29))
    assert month_bounds('2026-12') == (date(2026, 12, 1), date(2026, 12, 31))


def test_finance_csv_is_bom_utf8_crlf_with_a_header_and_rows_by_opd_then_nip() -> None:
    # Given two OPDs' records, one 45 minutes late on 12 January (TL2), given in reverse order
    late = [p for p in january_punches() if p != at(date(2026, 1, 12), '07:20')] + [at(date(2026, 1, 12), '08:15')]
    records = [_record('e2', 'DINKES', '198503012010011002', january_punches()),
               _record('e1', 'BAPPEDA', '198503012010011001', late)]  # fmt: skip
    # When the file is rendered
    body = finance_csv(records)
    # Then it opens in Excel as UTF-8, quotes what needs quoting, and reconciles to the rupiah
    assert body.startswith(b'\xef\xbb\xbf') and b'\r\n' in body
    rows = list(csv.reader(io.StringIO(body.decode('utf-8-sig'), newline='')))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r[0] for r in rows[1:]] == ['BAPPEDA', 'DINKES']
    first = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    # 3.000.000 × 87,5 % = 2.625.000; 2.000.000 − 1 % = 1.980.000
    assert (first['skor'], first['potongan %'], first['potongan (Rp)'], first['rincian'], first['TPP bruto']) == (
        '87.5', '1.00', '20000', 'TL2×1', '4605000',
    )  # fmt: skip
    assert first['nama'] == 'Siti "Sri" Rahayu, S.E.'
    # And the same records in any order give the same bytes and the same digest
    assert finance_csv(records[::-1]) == body
    assert records_digest(records[::-1]) == records_digest(records)


def test_manifest_lists_every_file_with_its_sha256_and_no_clock() -> None:
    files = [export_file('exports/tpp/2026-01/rev-001/', n, n.encode(), 1) for n in ('pemda.csv', 'A.csv')]
    body = manifest('2026-01', 1, 'abc', files)
    parsed = json.loads(body)
    assert [f['name'] for f in parsed['files']] == ['A.csv', 'pemda.csv']
    assert parsed['files'][0]['key'] == 'exports/tpp/2026-01/rev-001/A.csv'
    assert manifest('2026-01', 1, 'abc', files[::-1]) == body


FORMULA_NAMES = ("=cmd|' /C calc'!A0", '+SUM(1,1)', '-2+3', '@SUM(A1)', '\t=1+1', '\r=1+1')
HOSTILE_OPDS = ('=OPD', 'DINKES', '+X', 'BAPPEDA', '@A', '-B')


def test_no_text_cell_of_the_finance_csv_begins_with_a_formula_character() -> None:
    # Given records stored with hostile names, titles and OPD ids (as from before names were checked)
    records = [
        _record(f'e{i}', opd, '19850301201001100' + str(i), january_punches()).model_copy(
            update={'name': payload, 'jabatan': payload, 'opd_id': opd}
        )
        for i, (payload, opd) in enumerate(zip(FORMULA_NAMES, HOSTILE_OPDS, strict=True))
    ]
    # When the finance file is rendered and read back as a spreadsheet reads a CSV
    rows = list(csv.reader(io.StringIO(finance_csv(records).decode('utf-8-sig'), newline='')))
    # Then no cell of any row begins with =, +, -, @, tab or carriage return
    cells = [cell for row in rows[1:] for cell in row]
    assert len(cells) == len(records) * len(CSV_COLUMNS)
    assert [cell for cell in cells if cell[:1] in ('=', '+', '-', '@', '\t', '\r')] == []
    # And the text is kept, behind the apostrophe a spreadsheet shows as text
    names = sorted(dict(zip(CSV_COLUMNS, row, strict=True))['nama'] for row in rows[1:])
    assert names == sorted("'" + payload for payload in FORMULA_NAMES)
    # And the numbers stay numbers
    for row in rows[1:]:
        line = dict(zip(CSV_COLUMNS, row, strict=True))
        assert int(line['pagu']) > 0 and int(line['TPP bruto']) >= 0 and Decimal(line['potongan %']) >= 0
