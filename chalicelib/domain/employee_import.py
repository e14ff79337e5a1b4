"""Reading an employee list exported from SIASN or SIMPEG (CSV or XLSX) into rows ready for validation.

Pure: bytes in; per row either normalised Employee fields or issues a clerk can act on. Whether an OPD
exists or a NIP is already registered is decided by `services/employee_import.py`.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from chalicelib.domain.errors import FieldIssue, ValidationFailed
from chalicelib.domain.models import EmployeeType, Frozen
from chalicelib.domain.nip import parse_nip
from chalicelib.domain.uploaded_text import XLS_MAGIC, XLSX_MAGIC, decode_upload, file_error

MAX_ROWS = 5000
# A zip bomb guard: a full 5,000-row SIASN export unpacks to a few MB.
MAX_XLSX_UNPACKED_BYTES = 40 * 1024 * 1024
XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
_EMPTY_MARKERS = frozenset({'-', '--', '\u2013', '\u2014'})

Cell = str | int | float | bool | date | time | timedelta | None
Row = Sequence[Cell]


class ImportMode(StrEnum):
    ALL_OR_NOTHING = 'all_or_nothing'
    BEST_EFFORT = 'best_effort'


class ImportOptions(Frozen):
    mode: ImportMode = ImportMode.ALL_OR_NOTHING
    dry_run: bool = False


class IssueCode(StrEnum):
    INVALID = 'invalid'  # the value is wrong or missing
    DUPLICATE = 'duplicate'  # the NIP/NIK appears on more than one row of the file
    FORBIDDEN = 'forbidden'  # the key may not import employees of that OPD
    EXISTS = 'exists'  # the NIP/NIK is already registered
    CONFLICT = 'conflict'  # the write was refused at commit time (e.g. the NIP was taken meanwhile)
    WRITE_FAILED = 'write_failed'  # the write failed for a reason on our side


@dataclass(frozen=True)
class RowIssue:
    path: str
    message: str
    code: IssueCode = IssueCode.INVALID


@dataclass(frozen=True)
class ParsedRow:
    row: int  # as the clerk sees it in the sheet: the header is row 1
    fields: dict[str, object]  # Employee fields that parsed; a field with an issue is left out
    issues: tuple[RowIssue, ...] = ()


@dataclass(frozen=True)
class ParsedFile:
    rows: tuple[ParsedRow, ...]
    columns: dict[str, str]  # Employee field -> the header as written in the file
    warnings: tuple[str, ...]


def row_path(row: int, field: str | None = None) -> str:
    return f'rows[{row}].{field}' if field else f'rows[{row}]'


def import_options(mode: str | None, dry_run: str | None) -> ImportOptions:
    """The query parameters of an import, validated; errors name `query.<param>`."""
    given = {name: value for name, value in (('mode', mode), ('dry_run', dry_run)) if value is not None}
    try:
        return ImportOptions.model_validate(given)
    except ValidationError as exc:
        issues = tuple(FieldIssue(f'query.{err["loc"][0]}', err['msg']) for err in exc.errors())
        raise ValidationFailed('invalid query parameters', fields=issues) from None


# --- cell values --------------------------------------------------------------------------------

_SCIENTIFIC = re.compile(r'^\d+([.,]\d+)?[eE][+-]?\d+$')
_RP_PREFIX = re.compile(r'^(RP|IDR)\.?', re.IGNORECASE)
_RUPIAH_ID = re.compile(r'(?P<whole>\d+|\d{1,3}(?:\.\d{3})+)(?:,(?P<frac>\d+))?')
_RUPIAH_DOT_DECIMAL = re.compile(r'(?P<whole>\d+)\.(?P<frac>\d{1,2})')
_ROMAN = ('I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X', 'XI', 'XII', 'XIII', 'XIV', 'XV', 'XVI', 'XVII')
_GOLONGAN = re.compile(r'(?:GOLONGAN|GOL)?\.?(?P<num>[IVX]+|\d{1,2})[/.-]?(?P<letter>[A-E])?')
_TKK_WORDS = frozenset(
    {'TKK', 'NON ASN', 'NONASN', 'HONORER', 'TENAGA HONORER', 'TENAGA KONTRAK', 'TENAGA KERJA KONTRAK', 'PTT', 'THL'}
)


def _is_blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and (not cell.strip() or cell.strip() in _EMPTY_MARKERS))


def _text(cell: Cell, label: str) -> str | None:
    if _is_blank(cell):
        return None
    if isinstance(cell, bool):
        raise ValueError(f'{label} must be text, not TRUE/FALSE')
    if isinstance(cell, str):
        return ' '.join(cell.split())  # also folds the no-break spaces Excel pastes in
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else str(cell)
    raise ValueError(f'{label} must be text, but the cell holds a date or time ({cell}); format the column as Text')


def _lost_digits(label: str, shown: str) -> str:
    return (
        f'{label} was stored as a number in Excel and lost its last digits ({shown}); format the column as Text, '
        f'type the numbers again (or start them with an apostrophe) and export again'
    )


def _identity_digits(cell: Cell, label: str) -> str | None:
    """NIP/NIK as written: Excel turns long digit strings into floats, which keep only 15 digits."""
    if isinstance(cell, float):
        raise ValueError(_lost_digits(label, repr(cell)))
    text = _text(cell, label)
    if text is None:
        return None
    value = text.lstrip("'").replace(' ', '')
    if _SCIENTIFIC.match(value):
        raise ValueError(_lost_digits(label, value))
    return value or None


def _nip(cell: Cell, label: str) -> str | None:
    value = _identity_digits(cell, label)
    if value is None:
        return None
    try:
        parse_nip(value)
    except ValueError as exc:
        hint = (
            ' (it ends in 000: Excel may have rounded it; format the column as Text)' if value.endswith('000') else ''
        )
        raise ValueError(f'{exc}{hint}') from None
    return value


def _nik(cell: Cell, label: str) -> str | None:
    value = _identity_digits(cell, label)
    if value is not None and not (len(value) == 16 and value.isascii() and value.isdigit()):
        raise ValueError(f'{label} must be exactly 16 digits, got {value!r}')
    return value


def _plain_text(cell: Cell, label: str) -> str | None:
    return _text(cell, label)


def _opd_code(cell: Cell, label: str) -> str | None:
    text = _text(cell, label)
    return text.lstrip("'") if text else None


def _employee_type(cell: Cell, label: str) -> str | None:
    text = _text(cell, label)
    if text is None:
        return None
    key = ' '.join(re.sub(r'[^A-Z0-9]+', ' ', text.upper()).split())
    if key in _TKK_WORDS:
        return EmployeeType.TKK.value
    if key in ('PPPK', 'P3K') or key.startswith(('PPPK ', 'P3K ')):
        return EmployeeType.PPPK.value
    if key in ('PNS', 'CPNS') or key.startswith(('PNS ', 'CPNS ')):
        return EmployeeType.PNS.value
    raise ValueError(f'{label} must be PNS, PPPK or TKK (NON ASN and HONORER count as TKK), got {text!r}')


def _whole_number(cell: Cell, label: str) -> int | None:
    if isinstance(cell, bool):
        raise ValueError(f'{label} must be a whole number, not TRUE/FALSE')
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float):
        if cell.is_integer():
            return int(cell)
        raise ValueError(f'{label} must be a whole number, got {cell}')
    text = _text(cell, label)
    if text is None:
        return None
    value = text.lstrip("'").strip()
    if value.isascii() and value.isdigit():
        return int(value)
    raise ValueError(f'{label} must be a whole number, got {text!r}')


def _golongan(cell: Cell, label: str) -> str | None:
    """III/a, III a, III-A, IIIa, 3a and 'Penata Muda (III/a)' are all III/a; PPPK grades are I to XVII."""
    text = _text(cell, label)
    if text is None:
        return None
    inner = re.findall(r'\(([^()]*)\)', text)
    compact = re.sub(r'\s+', '', (inner[-1] if inner else text).lstrip("'")).upper()
    match = _GOLONGAN.fullmatch(compact)
    if match is not None:
        number = match['num']
        if number.isdigit():
            number = _ROMAN[int(number) - 1] if 1 <= int(number) <= len(_ROMAN) else ''
        if number in _ROMAN:
            return f'{number}/{match["letter"].lower()}' if match['letter'] else number
    raise ValueError(f'{label} must look like III/a (PNS) or IX (PPPK), got {text!r}')


def _rupiah(cell: Cell, label: str) -> int | None:
    """Whole rupiah: 7500000, 7.500.000, Rp 7.500.000,- and 7.500.000,00; never sen."""
    if isinstance(cell, bool):
        raise ValueError(f'{label} must be an amount in rupiah, not TRUE/FALSE')
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float):
        if cell.is_integer():
            return int(cell)
        raise ValueError(f'{label} must be whole rupiah without decimals (sen), got {cell}')
    text = _text(cell, label)
    if text is None:
        return None
    compact = re.sub(r'[,.]-+$', '', _RP_PREFIX.sub('', re.sub(r'\s+', '', text.lstrip("'"))))
    match = _RUPIAH_ID.fullmatch(compact) or _RUPIAH_DOT_DECIMAL.fullmatch(compact)
    if match is None:
        raise ValueError(f'{label} must be whole rupiah written like 7500000 or 7.500.000, got {text!r}')
    if match['frac'] and match['frac'].strip('0'):
        raise ValueError(f'{label} must be whole rupiah without decimals (sen), got {text!r}')
    return int(match['whole'].replace('.', ''))


# --- columns --------------------------------------------------------------------------------------

Parser = Callable[[Cell, str], Any]


@dataclass(frozen=True)
class Column:
    field: str  # the Employee field it fills
    label: str  # the name used in the documentation and the template
    aliases: tuple[str, ...]  # header keys (see header_key) that mean this column
    parse: Parser
    required: bool = False  # the column must exist, and every row must fill it


COLUMNS: tuple[Column, ...] = (
    Column('nip', 'NIP', ('NIP', 'NIP_BARU', 'NIP_18', 'NIP_ASN', 'NI_PPPK', 'NIP_NI_PPPK'), _nip),
    Column('nik', 'NIK', ('NIK', 'NIK_KTP', 'NO_KTP', 'NOMOR_KTP'), _nik),
    Column('name', 'NAMA', ('NAMA', 'NAMA_LENGKAP', 'NAMA_PEGAWAI'), _plain_text, required=True),
    Column(
        'employee_type',
        'JENIS_PEGAWAI',
        ('JENIS_PEGAWAI', 'JENIS_PEGAWAI_NAMA', 'STATUS_PEGAWAI', 'STATUS_KEPEGAWAIAN', 'JENIS_ASN'),
        _employee_type,
        required=True,
    ),
    Column(
        'opd_id',
        'KODE_OPD',
        ('KODE_OPD', 'OPD', 'OPD_ID', 'UNOR_ID', 'KODE_UNOR', 'KODE_SKPD'),
        _opd_code,
        required=True,
    ),
    Column(
        'unit', 'UNIT_KERJA', ('UNIT_KERJA', 'NAMA_UNIT_KERJA', 'SUB_UNIT_KERJA', 'UNOR_NAMA', 'NAMA_UNOR'), _plain_text
    ),
    Column('jabatan', 'JABATAN', ('JABATAN', 'NAMA_JABATAN', 'JABATAN_NAMA'), _plain_text, required=True),
    Column('kelas_jabatan', 'KELAS_JABATAN', ('KELAS_JABATAN', 'KELAS', 'KELAS_JAB'), _whole_number, required=True),
    Column(
        'golongan',
        'GOLONGAN',
        ('GOLONGAN', 'GOL_RUANG', 'GOLONGAN_RUANG', 'GOL', 'GOL_NAMA', 'PANGKAT_GOLONGAN'),
        _golongan,
    ),
    Column(
        'tpp_ceiling',
        'PAGU_TPP',
        ('PAGU_TPP', 'PAGU_TPP_RP', 'PAGU', 'TPP', 'NILAI_TPP', 'HONORARIUM'),
        _rupiah,
        required=True,
    ),
)
_BY_ALIAS = {alias: column for column in COLUMNS for alias in column.aliases}
_IDENTITY_FIELDS = ('nip', 'nik')
_LISTED_DUPLICATES = 5


def header_key(header: str) -> str:
    """'Nama Lengkap', 'nama_lengkap' and ' NAMA-LENGKAP ' are all NAMA_LENGKAP."""
    return re.sub(r'[^A-Z0-9]+', '_', header.upper()).strip('_')


# --- reading the file -----------------------------------------------------------------------------


def read_employee_file(raw: bytes, content_type: str) -> ParsedFile:
    """Parse a CSV or XLSX employee list; raise ValidationFailed when the file as a whole is unusable.

    Parameters
    ----------
    raw : bytes
        The file as uploaded. XLSX is recognised by its content, whatever the declared type.
    content_type : str
        The declared Content-Type; only used to explain a damaged XLSX better.

    Returns
    -------
    ParsedFile
        One ParsedRow per non-blank row below the header, with per-row issues (field paths
        `rows[<sheet row>].<field>`), plus warnings such as ignored columns.
    """
    warnings: list[str] = []
    if raw.startswith(XLS_MAGIC):
        raise file_error('this is an old Excel 97-2003 (.xls) file; save it as .xlsx or as CSV and upload that')
    if raw.startswith(XLSX_MAGIC):
        rows = _xlsx_rows(raw, warnings)
    elif content_type == XLSX_CONTENT_TYPE and raw.strip():
        raise file_error('the body is declared as .xlsx but is not an Excel workbook')
    else:
        rows = _csv_rows(raw, warnings)
    return _parse_rows(rows, warnings)


def _decode(raw: bytes, warnings: list[str]) -> str:
    return decode_upload(raw, warnings, '; save it as "CSV UTF-8" to keep every letter')


def _csv_rows(raw: bytes, warnings: list[str]) -> Iterator[tuple[int, Row]]:
    text = _decode(raw, warnings)
    first = next((line for line in text.splitlines() if line.strip()), '')
    excel_hint = re.fullmatch(r'\s*sep=(.)\s*', first, re.IGNORECASE)
    if excel_hint:  # Excel's own "sep=;" line; Excel hides it, so the header is still row 1
        delimiter = excel_hint[1]
        text = text.split('\n', 1)[1] if '\n' in text else ''
    else:
        delimiter = max((',', ';', '\t'), key=first.count)
    try:
        yield from enumerate(csv.reader(io.StringIO(text, newline=''), delimiter=delimiter), start=1)
    except csv.Error as exc:
        raise file_error(f'the CSV file could not be read: {exc}') from None


def _xlsx_rows(raw: bytes, warnings: list[str]) -> Iterator[tuple[int, Row]]:
    try:
        unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(raw)).infolist())
    except Exception:  # BadZipFile mostly, but a damaged header can raise other, unexpected errors too
        raise file_error('the .xlsx file is damaged (it is not a valid zip archive)') from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise file_error(
            f'the .xlsx file unpacks to more than {MAX_XLSX_UNPACKED_BYTES // 2**20} MB; export fewer columns'
        )
    from openpyxl import load_workbook  # imported here: it adds ~0.1 s to every cold start otherwise

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl reports damaged files with many unrelated exception types
        raise file_error('the .xlsx file could not be read; open it in Excel, save it again and retry') from exc
    try:
        sheet = workbook.active
        if len(workbook.sheetnames) > 1:
            warnings.append(f'the workbook has {len(workbook.sheetnames)} sheets; only "{sheet.title}" was read')
        sheet.reset_dimensions()  # the stored dimension is often wrong, which would cut rows off
        yield from enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
    except Exception as exc:
        raise file_error('the .xlsx file could not be read; open it in Excel, save it again and retry') from exc
    finally:
        workbook.close()


def _header_columns(header: Row, warnings: list[str]) -> dict[int, tuple[Column, str]]:
    mapped: dict[int, tuple[Column, str]] = {}
    seen: dict[str, str] = {}
    ignored: list[str] = []
    clashes: list[FieldIssue] = []
    for index, cell in enumerate(header):
        written = ' '.join(str(cell).split()) if cell is not None else ''
        if not written:
            continue
        column = _BY_ALIAS.get(header_key(written))
        if column is None:
            ignored.append(written)
        elif column.field in seen:
            message = f'columns "{seen[column.field]}" and "{written}" both mean {column.label}; keep one'
            clashes.append(FieldIssue(f'columns.{column.label}', message))
        else:
            seen[column.field] = written
            mapped[index] = (column, written)
    missing = [
        FieldIssue(f'columns.{c.label}', f'column {c.label} is missing (also accepted: {", ".join(c.aliases[1:])})')
        for c in COLUMNS
        if c.required and c.field not in seen
    ]
    if not set(_IDENTITY_FIELDS) & set(seen):
        missing.insert(0, FieldIssue('columns.NIP', 'the file needs a NIP column, a NIK column, or both'))
    if missing or clashes:
        raise ValidationFailed('the header row does not have the columns an import needs', fields=(*missing, *clashes))
    if ignored:
        warnings.append(f'ignored columns: {", ".join(ignored)}')
    return mapped


def _parse_row(
    number: int, cells: Row, columns: dict[int, tuple[Column, str]]
) -> tuple[dict[str, object], list[RowIssue]]:
    fields: dict[str, object] = {}
    issues: list[RowIssue] = []
    for index, (column, written) in columns.items():
        cell = cells[index] if index < len(cells) else None
        try:
            value = column.parse(cell, written)
        except ValueError as exc:
            issues.append(RowIssue(row_path(number, column.field), str(exc)))
            continue
        if value is not None:
            fields[column.field] = value
        elif column.required:
            issues.append(RowIssue(row_path(number, column.field), f'{written} is empty'))
    return fields, issues


def _parse_rows(rows: Iterator[tuple[int, Row]], warnings: list[str]) -> ParsedFile:
    header = next(((n, cells) for n, cells in rows if not all(_is_blank(c) for c in cells)), None)
    if header is None:
        raise file_error('the file is empty')
    columns = _header_columns(header[1], warnings)
    parsed: list[tuple[int, dict[str, object], list[RowIssue]]] = []
    for number, cells in rows:
        if all(_is_blank(c) for c in cells):
            continue
        if len(parsed) == MAX_ROWS:
            raise file_error(f'the file has more than {MAX_ROWS} employee rows; split it into smaller files', 'rows')
        parsed.append((number, *_parse_row(number, cells, columns)))
    if not parsed:
        raise file_error('the file has a header but no employee rows below it', 'rows')
    _flag_duplicates(parsed, columns)
    return ParsedFile(
        rows=tuple(ParsedRow(number, fields, tuple(issues)) for number, fields, issues in parsed),
        columns={column.field: written for column, written in columns.values()},
        warnings=tuple(warnings),
    )


def _flag_duplicates(
    parsed: list[tuple[int, dict[str, object], list[RowIssue]]], columns: dict[int, tuple[Column, str]]
) -> None:
    labels = {column.field: written for column, written in columns.values()}
    for field in _IDENTITY_FIELDS:
        rows_by_value: dict[object, list[int]] = defaultdict(list)
        for number, fields, _ in parsed:
            if field in fields:
                rows_by_value[fields[field]].append(number)
        for number, fields, issues in parsed:
            where = [n for n in rows_by_value.get(fields.get(field), []) if n != number]
            if where:
                message = f'{labels[field]} {fields[field]} is also on {_row_list(where)} of this file'
                issues.append(RowIssue(row_path(number, field), message, IssueCode.DUPLICATE))


def _row_list(numbers: list[int]) -> str:
    listed = ', '.join(str(n) for n in numbers[:_LISTED_DUPLICATES])
    more = ', …' if len(numbers) > _LISTED_DUPLICATES else ''
    return f'{"rows" if len(numbers) > 1 else "row"} {listed}{more}'
