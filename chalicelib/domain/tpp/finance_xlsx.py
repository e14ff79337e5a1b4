"""The finance workbook beside each finance CSV: the same rows, typed for an Indonesian Excel (pure).

Why a workbook at all: Excel keeps 15 significant digits of a number, so an 18-digit NIP opened from a CSV
loses its last three digits and cannot be told back. Here every identifier (OPD, NIP, NIK, employee id) is a
text cell, rupiah are integer numbers with the format ``#,##0`` (an Indonesian locale shows 1.600.000),
``potongan %`` is a fraction with ``0.00%`` (1,00%) and ``skor`` a number (blank when no score was imported,
as in the CSV). Every text cell goes through ``domain.text.spreadsheet_text``: a text cell is not evaluated by
Excel, but a sheet copied out or saved again as CSV would be.

Sheets: ``Sampul`` (month, revision, the manifest's records digest, the paired CSV's SHA-256, totals, the
rule profiles and when the revision was closed), ``TPP`` (one row per employee, header frozen, filterable)
and ``Kode`` (every code that occurs in the rows, named from the rule profile that priced them).

Deterministic on purpose: the workbook's created/modified properties and every ZIP entry's time are the
revision's close time, never the clock, so rendering the same revision twice gives the same bytes (with
the same openpyxl and zlib; the manifest's SHA-256 is what finance checks either way). openpyxl is imported
inside ``finance_xlsx``: it costs ~0.3 s to import, which no API cold start should pay.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from chalicelib.domain.models import Frozen
from chalicelib.domain.text import spreadsheet_text
from chalicelib.domain.tpp.history import REASON_NAMES, ChangeReason
from chalicelib.domain.tpp.profile import RuleProfile, Tier
from chalicelib.domain.tpp.records import MonthRecord

SHEET_COVER, SHEET_ROWS, SHEET_CODES = 'Sampul', 'TPP', 'Kode'
RUPIAH_FORMAT = '#,##0'
PERCENT_FORMAT = '0.00%'
SCORE_FORMAT = '0.00'
XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
# (header, kind): kind says how the cell is written; 'text' cells are neutralised, the others are numbers.
COLUMNS: tuple[tuple[str, str], ...] = (
    ('OPD', 'text'), ('NIP', 'text'), ('NIK', 'text'), ('ID pegawai', 'text'), ('jenis', 'text'),
    ('nama', 'text'), ('jabatan', 'text'), ('kelas', 'int'), ('pagu', 'rupiah'), ('bagian kinerja', 'rupiah'),
    ('skor', 'score'), ('bagian kehadiran', 'rupiah'), ('potongan %', 'percent'), ('potongan (Rp)', 'rupiah'),
    ('rincian', 'text'), ('TPP bruto', 'rupiah'),
)  # fmt: skip
_FORMATS = {'rupiah': RUPIAH_FORMAT, 'percent': PERCENT_FORMAT, 'score': SCORE_FORMAT}
_WIDTH_MIN, _WIDTH_MAX = 8, 70  # 70: a SHA-256 in hex (64) fits
# Codes the month close itself adds (domain.tpp.month), and the day codes no profile table names.
_FIXED_NAMES = {
    'TK': 'Tidak masuk kerja tanpa keterangan',
    'TK10': 'Tanpa keterangan 10 hari kerja (atau lebih) berturut-turut',
    'TKB': 'Tanpa keterangan sebulan penuh',
    'MNP': 'Manipulasi presensi terbukti',
    'OUT': 'Gangguan mesin/sistem presensi',
}
_CODE_ORDER = ('TL', 'PSW', 'TK', 'APL', 'OUT')


class WorkbookCover(Frozen):
    """What the cover sheet states about the file, all known before it is rendered."""

    month: str
    revision: int
    records_digest: str
    scope: str  # an OPD id, or the whole pemda
    csv_name: str
    csv_sha256: str
    closed_at: datetime


def code_names(records: Iterable[MonthRecord], profiles: Sequence[RuleProfile]) -> dict[str, str]:
    """Every code that occurs in the records (day codes and month rules), named by the profile that priced
    the record, in the finance file's order (TL, PSW, TK, ..., then the rest alphabetically)."""
    by_version = {(p.profile_id, p.version): p for p in profiles}
    names: dict[str, str] = {}
    for record in records:
        profile = by_version.get((record.result.profile_id, record.result.profile_version))
        for code in [*record.result.counts, *record.result.month_rules]:
            if code not in names:
                priced_by = f'{record.result.profile_id} v{record.result.profile_version}'
                names[code] = _code_name(code, profile) or f'Kode {code} (profil {priced_by}; nama tidak tersedia)'
    return dict(sorted(names.items(), key=lambda item: _code_order(item[0])))


def finance_xlsx(records: Sequence[MonthRecord], cover: WorkbookCover, profiles: Sequence[RuleProfile]) -> bytes:
    """The workbook of `records` (one OPD's or the pemda's), rows in the CSV's order (OPD, NIP, employee)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.writer.excel import ExcelWriter

    rows = sorted(records, key=lambda r: (r.opd_id, r.nip or '', r.employee_id))
    workbook = Workbook()
    bold = Font(bold=True)
    sheet = workbook.active
    sheet.title = SHEET_COVER
    for label, value, number_format in _cover_lines(cover, rows):
        sheet.append([_text(label), value if isinstance(value, int) else _text(value)])
        sheet.cell(sheet.max_row, 2).number_format = number_format
    sheet['A1'].font = bold
    _fit_columns(sheet)

    table = workbook.create_sheet(SHEET_ROWS)
    table.append([_text(header) for header, _ in COLUMNS])
    for cell in table[1]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical='top')
    for record in rows:
        table.append(_row(record))
        for column, (_, kind) in enumerate(COLUMNS, start=1):
            if kind in _FORMATS:
                table.cell(table.max_row, column).number_format = _FORMATS[kind]
    table.freeze_panes = 'A2'
    table.auto_filter.ref = table.dimensions
    _fit_columns(table)

    legend = workbook.create_sheet(SHEET_CODES)
    legend.append([_text('kode'), _text('keterangan')])
    for cell in legend[1]:
        cell.font = bold
    for code, name in code_names(rows, profiles).items():
        legend.append([_text(code), _text(name)])
    legend.freeze_panes = 'A2'
    _fit_columns(legend)

    workbook.active = workbook.index(table)  # opens on the rows; only that tab selected (no [Group] edits)
    for each in workbook.worksheets:
        each.sheet_view.tabSelected = each is table
    fixed = cover.closed_at.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    workbook.properties.creator = 'Hadir'
    workbook.properties.title = _text(f'TPP {cover.month} revisi {cover.revision}: {cover.scope}')
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    out = io.BytesIO()
    # ExcelWriter rather than Workbook.save, which stamps `modified` with the clock.
    with _FixedTimeZip(out, 'w', ZIP_DEFLATED, entry_time=fixed) as archive:
        ExcelWriter(workbook, archive).write_data()
    return out.getvalue()


class _FixedTimeZip(ZipFile):
    """A ZIP whose entries all carry one given time: ZipFile stamps an entry given by name with the clock, and
    one copied from a file (openpyxl's worksheets go through a temporary file) with the file's mtime."""

    def __init__(self, file: io.BytesIO, mode: Any, compression: int, *, entry_time: datetime) -> None:
        super().__init__(file, mode, compression)
        self._entry_time = (max(entry_time.year, 1980), *entry_time.timetuple()[1:6])

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None, compresslevel: Any = None) -> None:
        if isinstance(zinfo_or_arcname, str):
            info = ZipInfo(zinfo_or_arcname, date_time=self._entry_time)
            info.compress_type = ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: Any, arcname: Any = None, compress_type: Any = None, compresslevel: Any = None) -> None:
        with open(filename, 'rb') as source:  # noqa: PTH123 (a path openpyxl hands over; no os import here)
            self.writestr(arcname or str(filename), source.read(), compress_type, compresslevel)


def _row(record: MonthRecord) -> list[Any]:
    m = record.result
    nik = record.nik if record.nip is None else None
    return [
        _text(record.opd_id), _text(record.nip), _text(nik), _text(record.employee_id),
        _text(record.employee_type.value), _text(record.name), _text(record.jabatan), record.kelas, m.pagu,
        m.performance_base, m.performance_score, m.attendance_base, m.deduction_percent / 100,
        m.deduction + m.discipline_cut, _text(m.rincian), m.tpp_bruto,
    ]  # fmt: skip


def _cover_lines(cover: WorkbookCover, rows: Sequence[MonthRecord]) -> list[tuple[str, str | int, str]]:
    profiles = sorted({f'{r.result.profile_id} v{r.result.profile_version}' for r in rows})
    general, rupiah = 'General', RUPIAH_FORMAT
    return [
        (f'TPP bulan {cover.month}, revisi {cover.revision}', '', general),
        ('Cakupan', cover.scope, general),
        ('Bulan', cover.month, general),
        ('Revisi', cover.revision, general),
        ('Digest rekaman (SHA-256; manifest.json: records_digest)', cover.records_digest, general),
        ('File CSV pasangan', cover.csv_name, general),
        ('SHA-256 file CSV pasangan', cover.csv_sha256, general),
        ('Jumlah pegawai', len(rows), rupiah),
        ('Jumlah pagu (Rp)', sum(r.result.pagu for r in rows), rupiah),
        ('Jumlah potongan (Rp)', sum(r.result.deduction + r.result.discipline_cut for r in rows), rupiah),
        ('Jumlah TPP bruto (Rp)', sum(r.result.tpp_bruto for r in rows), rupiah),
        ('Profil aturan', ', '.join(profiles), general),
        ('Revisi ditutup pada (UTC)', cover.closed_at.astimezone(UTC).isoformat(), general),
        ('Dibuat oleh', 'Hadir, tugas export-tpp, dari rekaman bulan revisi ini (tanpa jam pembuatan)', general),
    ]


def _text(value: str | None) -> str | None:
    """A text cell, neutralised; an empty one is no cell at all (as a blank CSV field)."""
    return spreadsheet_text(value) if value else None


def _fit_columns(sheet: Any) -> None:
    from openpyxl.utils import get_column_letter

    for index, column in enumerate(sheet.iter_cols(), start=1):
        longest = max((_shown_length(cell.value) for cell in column), default=0)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(longest + 2, _WIDTH_MIN), _WIDTH_MAX)


def _shown_length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return len(f'{value:,}')
    if isinstance(value, Decimal):
        return 8
    return len(str(value))


def _code_name(code: str, profile: RuleProfile | None) -> str | None:
    if code in _FIXED_NAMES:
        return _FIXED_NAMES[code]
    if code in REASON_NAMES:  # a part of a month cut by a mid-month change (midmonth.py)
        return REASON_NAMES[ChangeReason(code)]
    if profile is not None:
        tables = (
            (profile.late.tiers, 'Terlambat masuk', profile.missing_check_in.code, 'masuk'),
            (profile.early.tiers, 'Pulang sebelum waktunya', profile.missing_check_out.code, 'pulang'),
        )
        for table, what, missing, scan in tables:
            tier = next((t for t in table if t.code == code), None)
            if tier is not None:
                return f'{what} {_minutes(tier)}' + (f', atau tidak memindai {scan}' if code == missing else '')
        if code == profile.missing_check_in.code:
            return 'Tidak memindai masuk'
        if code == profile.missing_check_out.code:
            return 'Tidak memindai pulang'
        if code == profile.apel.code:
            return 'Tidak mengikuti apel'
        status = profile.status(code)
        if status is not None:
            return status.name
        kind = profile.hukdis.kind(code)
        if kind is not None:
            return kind.name
        for rule in profile.statuses:
            month_tier = next((t for t in rule.month_tiers if t.code == code), None)
            if month_tier is not None:
                first, last = month_tier.days_from, month_tier.days_to
                days = f'{first}-{last}' if last else f'{first} atau lebih'
                return f'{rule.name}: {days} hari dalam sebulan'
    return None


def _minutes(tier: Tier) -> str:
    if tier.min_to is None:
        return f'lebih dari {tier.min_from - 1} menit'
    return f'{tier.min_from}-{tier.min_to} menit'


def _code_order(code: str) -> tuple[int, str]:
    rank = next((n for n, prefix in enumerate(_CODE_ORDER) if code.startswith(prefix)), len(_CODE_ORDER))
    return rank, code
