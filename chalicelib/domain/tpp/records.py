"""What the day close and month close store, and the finance files made from a closed month (pure).

Records are derived: they can be recomputed from the punch ledger at any time and must come out equal,
so they carry no timestamps of their own. A month revision is a snapshot of every month record of the
month; its digest is the SHA-256 of the records' canonical JSON, so an unchanged re-close is recognised
without comparing field by field.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from chalicelib.domain.models import EmployeeType, Frozen
from chalicelib.domain.text import spreadsheet_text
from chalicelib.domain.tpp.day import DayResult
from chalicelib.domain.tpp.month import MonthResult

MONTH_PATTERN = r'^\d{4}-(0[1-9]|1[0-2])$'
CSV_COLUMNS = (
    'OPD', 'NIP', 'nama', 'jabatan', 'kelas', 'pagu', 'bagian kinerja', 'skor', 'bagian kehadiran', 'potongan %',
    'potongan (Rp)', 'rincian', 'TPP bruto',
)  # fmt: skip
PEMDA_FILE = 'pemda.csv'
MANIFEST_FILE = 'manifest.json'
CSV_SUFFIX, XLSX_SUFFIX = '.csv', '.xlsx'
BOM = '\ufeff'


class DayRecord(Frozen):
    """One employee's owed shift on one local date, as closed."""

    employee_id: str
    opd_id: str
    profile_id: str
    profile_version: int
    day: DayResult

    @property
    def local_date(self) -> date:
        return self.day.local_date


class MonthPart(Frozen):
    """One part of a month cut by a mid-month change (``midmonth.py``): a row of its own in the finance files."""

    opd_id: str
    jabatan: str
    kelas: int
    days: str = Field(description='the day numbers of the month in this part: 1-15')
    measure: str = Field(description='what the part weighs: 15/31 hari kalender')
    reasons: tuple[str, ...]
    result: MonthResult


class MonthRecord(Frozen):
    """One employee's closed month, with the directory facts the finance file shows, as they were at close."""

    month: str = Field(pattern=MONTH_PATTERN)
    employee_id: str
    opd_id: str
    employee_type: EmployeeType
    nip: str | None
    name: str
    jabatan: str
    kelas: int
    result: MonthResult
    # The identifier of staff without a NIP (TKK) in the finance workbook. Left out of the canonical JSON when
    # absent, so the records (and digests) of every month closed before it existed stay byte-identical.
    nik: str | None = None
    # The parts of a month cut by a mid-month change; ``result`` is then their sum. Left out when empty, as nik.
    parts: tuple[MonthPart, ...] = ()

    @model_serializer(mode='wrap')
    def _without_absent_nik(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        body: dict[str, Any] = handler(self)
        if body.get('nik') is None:
            body.pop('nik', None)
        if not body.get('parts'):
            body.pop('parts', None)
        return body


class ExportFile(Frozen):
    name: str
    key: str
    sha256: str
    size: int
    rows: int


class MonthRevision(Frozen):
    """The head of one revision of a month: written before its records (pending) and completed after them."""

    month: str = Field(pattern=MONTH_PATTERN)
    revision: int = Field(ge=1)
    digest: str
    employees: int
    complete: bool = False
    created_at: datetime
    files: tuple[ExportFile, ...] = ()


def month_of(day: date) -> str:
    return f'{day.year:04d}-{day.month:02d}'


def month_bounds(month: str) -> tuple[date, date]:
    year, number = (int(part) for part in month.split('-'))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)


def records_digest(records: Iterable[MonthRecord]) -> str:
    """SHA-256 over the records' canonical JSON, in (OPD, employee) order."""
    digest = hashlib.sha256()
    for record in sorted(records, key=lambda r: (r.opd_id, r.employee_id)):
        digest.update(record.model_dump_json().encode())
        digest.update(b'\n')
    return digest.hexdigest()


def export_prefix(month: str, revision: int) -> str:
    return f'{month}/rev-{revision:03d}/'


def finance_csv(records: Sequence[MonthRecord]) -> bytes:
    """The finance file: UTF-8 with a BOM (Excel), a header row, CRLF lines, rows by OPD then NIP.

    Text cells never begin with a formula character (domain.text.spreadsheet_text); numbers stay numbers.
    Money is integer rupiah without separators; ``skor`` and ``potongan %`` use a decimal point. ``skor`` is
    blank when no score was imported for the month (the performance part is then 0): a 0 would read as an
    employee scored 0 by e-kinerja, while a blank tells finance the score is still owed.
    """
    out = io.StringIO(newline='')
    out.write(BOM)
    writer = csv.writer(out, lineterminator='\r\n')
    writer.writerow(CSV_COLUMNS)
    for r in sorted(records, key=lambda r: (r.opd_id, r.nip or '', r.employee_id)):
        m = r.result
        writer.writerow([
            spreadsheet_text(r.opd_id), spreadsheet_text(r.nip or ''), spreadsheet_text(r.name),
            spreadsheet_text(r.jabatan), r.kelas, m.pagu, m.performance_base, _plain(m.performance_score),
            m.attendance_base, _plain(m.deduction_percent), m.deduction + m.discipline_cut, spreadsheet_text(m.rincian),
            m.tpp_bruto,
        ])  # fmt: skip
    return out.getvalue().encode('utf-8')


def manifest(month: str, revision: int, digest: str, files: Sequence[ExportFile]) -> bytes:
    """The revision's manifest: every file with its SHA-256. No clock in it, so a re-export is byte-identical."""
    body = {
        'month': month,
        'revision': revision,
        'records_digest': digest,
        'columns': list(CSV_COLUMNS),
        'files': [f.model_dump(mode='json') for f in sorted(files, key=lambda f: f.name)],
    }
    return (json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + '\n').encode('utf-8')


def workbook_name(csv_name: str) -> str:
    """The finance workbook written beside a finance CSV: ``DINKES.csv`` -> ``DINKES.xlsx``."""
    return csv_name.removesuffix(CSV_SUFFIX) + XLSX_SUFFIX


def export_file(prefix: str, name: str, body: bytes, rows: int) -> ExportFile:
    return ExportFile(name=name, key=prefix + name, sha256=hashlib.sha256(body).hexdigest(), size=len(body), rows=rows)


def _plain(value: Decimal | None) -> str:
    return '' if value is None else format(value, 'f')
