"""Reading monthly performance scores (e-kinerja / SKP exports, or a JSON list) into lines ready for checking.

Pure: bytes or entries in; per line either a NIP (or an employee id) with a score, or the problems a clerk can
act on, each with its line number. Whether a NIP is registered, in the caller's OPD, or already scored with
the same value is decided by ``services/scores.py``.

Choices where the brief leaves room, and why:

- A score is a percentage from 0 to 100 with at most two decimals ("87,5", "87.25", "90 %"). More decimals
  are refused rather than rounded: the score multiplies public money, so the file must say what is paid.
- The header may sit below title lines (e-kinerja prints the report name and the period first): the first
  of the top rows that has both a NIP column and a score column is the header.
- Lines without a NIP and without a score (section titles, blank separators) are skipped; a line whose
  first cell reads like a footer (Jumlah, Total, Rata-rata) is skipped with a warning; any other line
  without a NIP is a problem, so no scored employee is silently left out.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from chalicelib.domain.employee_import import header_key
from chalicelib.domain.errors import FieldIssue, ValidationFailed
from chalicelib.domain.nip import parse_nip
from chalicelib.domain.uploaded_text import XLS_MAGIC, XLSX_MAGIC, decode_upload, file_error

MAX_LINES = 20_000
MAX_SCORE = Decimal(100)
HEADER_SEARCH_ROWS = 20
NIP_KEYS = ('NIP', 'NIP_BARU', 'NIP_PEGAWAI', 'NIP_ASN', 'NIP_18', 'NO_NIP', 'NOMOR_NIP', 'NI_PPPK', 'NIP_NI_PPPK')
# In order of preference when a file has more than one of them (e-kinerja prints "Nilai SKP" beside "Capaian").
SCORE_KEYS = (
    'SKOR_KINERJA', 'NILAI_KINERJA', 'CAPAIAN_KINERJA', 'NILAI_AKHIR', 'NILAI_AKHIR_KINERJA', 'SKOR', 'NILAI',
    'CAPAIAN', 'NILAI_CAPAIAN', 'PERSENTASE_CAPAIAN', 'CAPAIAN_PERSEN', 'NILAI_SKP', 'SKOR_SKP', 'TOTAL_NILAI',
)  # fmt: skip
SCORE_WORDS = ('SKOR', 'NILAI', 'CAPAIAN')  # a header starting with one of these is a score column too
FOOTER_WORDS = ('JUMLAH', 'TOTAL', 'RATA', 'RERATA', 'KETERANGAN', 'MENGETAHUI')
_NUMBER = re.compile(r'[+-]?\d+(?:[.,]\d+)?')


@dataclass(frozen=True)
class ScoreLine:
    """One line of an import: ``where`` names it in problems (``lines[12]`` for a file, ``scores[0]`` for JSON)."""

    where: str
    nip: str | None = None
    employee_id: str | None = None
    score: Decimal | None = None
    issues: tuple[FieldIssue, ...] = ()

    def path(self, field_name: str) -> str:
        return f'{self.where}.{field_name}'

    def with_issue(self, field_name: str, message: str) -> ScoreLine:
        return replace(self, issues=(*self.issues, FieldIssue(self.path(field_name), message)))


@dataclass(frozen=True)
class ScoreFile:
    lines: tuple[ScoreLine, ...]
    columns: dict[str, str]  # 'nip' / 'score' -> the header as written in the file
    warnings: tuple[str, ...] = field(default=())


# --- values ------------------------------------------------------------------------------------------------


def parse_score(raw: object) -> Decimal:
    """A score as written in a file or a JSON body: 87, 87.5, "87,5", "90 %". Raises ValueError to show a clerk."""
    if raw is None:
        raise ValueError('the score is empty')
    if isinstance(raw, bool):
        raise ValueError('the score is not a number')
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    elif isinstance(raw, str):
        text = raw.strip().lstrip("'").rstrip('%').strip().replace('\u00a0', '')
        if not text:
            raise ValueError('the score is empty')
        if not _NUMBER.fullmatch(text):
            raise ValueError(f'the score {raw.strip()!r} is not a number (write it like 87 or 87,5)')
        value = Decimal(text.replace(',', '.'))
    else:
        raise ValueError('the score is not a number')
    if not value.is_finite() or not Decimal(0) <= value <= MAX_SCORE:
        raise ValueError(f'the score {_shown(value)} is outside 0-100')
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and value != value.quantize(Decimal('0.01')):
        raise ValueError(f'the score {_shown(value)} has more than two decimals')
    return canonical_score(value)


def canonical_score(value: Decimal) -> Decimal:
    """One spelling per value (87.50 and 87.5 are the same score), so a re-import compares equal."""
    if value == value.to_integral_value():
        return Decimal(int(value))
    return value.normalize()


def clean_nip(raw: str) -> str:
    """A NIP as e-kinerja and Excel write it: spaces, a leading apostrophe, ="…" quoting, dots between groups."""
    text = raw.strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    return re.sub(r'[\s.\u00a0-]', '', text.lstrip("'`"))


def check_nip(raw: str) -> str:
    """The cleaned NIP, or ValueError saying what is wrong with it."""
    value = clean_nip(raw)
    if re.fullmatch(r'\d+([.,]\d+)?[eE]\+?\d+', value):
        raise ValueError(
            f'the NIP {raw.strip()!r} lost its digits in Excel; format the column as Text and export again'
        )
    parse_nip(value)
    return value


def _shown(value: Decimal) -> str:
    return format(value, 'f').replace('.', ',')


# --- JSON entries ------------------------------------------------------------------------------------------


def entry_lines(entries: Sequence[object]) -> list[ScoreLine]:
    """The JSON body's ``scores`` list: each entry ``{"nip" or "employee_id", "score"}``."""
    lines: list[ScoreLine] = []
    for index, entry in enumerate(entries):
        line = ScoreLine(where=f'scores[{index}]')
        if not isinstance(entry, dict):
            lines.append(line.with_issue('score', 'each entry must be an object with nip or employee_id, and score'))
            continue
        unknown = sorted(set(entry) - {'nip', 'employee_id', 'score'})
        for name in unknown:
            line = line.with_issue(name, 'unknown field')
        nip, employee_id = entry.get('nip'), entry.get('employee_id')
        if (nip is None) == (employee_id is None):
            line = line.with_issue('nip', 'give either nip or employee_id')
        elif nip is not None:
            line = _with_nip(line, nip)
        elif not isinstance(employee_id, str) or not employee_id.strip():
            line = line.with_issue('employee_id', 'must be a non-empty string')
        else:
            line = replace(line, employee_id=employee_id.strip())
        lines.append(_with_score(line, entry.get('score')))
    return lines


def _with_nip(line: ScoreLine, raw: object) -> ScoreLine:
    if not isinstance(raw, str):
        return line.with_issue('nip', 'the NIP must be written as text (18 digits), not as a number')
    try:
        return replace(line, nip=check_nip(raw))
    except ValueError as exc:
        return line.with_issue('nip', str(exc))


def _with_score(line: ScoreLine, raw: object) -> ScoreLine:
    try:
        return replace(line, score=parse_score(raw))
    except ValueError as exc:
        return line.with_issue('score', str(exc))


def flag_repeated(lines: Sequence[ScoreLine], keys: Sequence[str | None]) -> list[ScoreLine]:
    """Lines with the same key (the employee a NIP or an id resolves to) are all refused, each naming the others."""
    where: dict[str, list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        if key:
            where[key].append(index)
    flagged = list(lines)
    for indexes in (i for i in where.values() if len(i) > 1):
        for index in indexes:
            line = lines[index]
            others = ', '.join(lines[i].where for i in indexes if i != index)
            who = f'NIP {line.nip}' if line.nip else f'employee {line.employee_id}'
            flagged[index] = line.with_issue(
                'nip' if line.nip else 'employee_id', f'{who} is also on {others}; keep one'
            )
    return flagged


# --- CSV files ---------------------------------------------------------------------------------------------


def read_score_file(raw: bytes) -> ScoreFile:
    """Parse an e-kinerja export (CSV, ``;`` or ``,`` or tab separated, UTF-8 with or without a BOM, or
    Windows-1252) into one ScoreLine per employee line, problems included (paths ``lines[<n>].nip|score``,
    n as the line number a spreadsheet shows). Raises ValidationFailed when the file as a whole is unusable:
    not text, no header with a NIP and a score column, no lines, too many lines."""
    warnings: list[str] = []
    if raw.startswith((XLSX_MAGIC, XLS_MAGIC)):
        raise file_error('this is an Excel workbook; save it as "CSV UTF-8" (or CSV) and upload that')
    text = _decode(raw, warnings)
    rows = _rows(text)
    header_at, nip_index, score_index, columns = _find_header(rows, warnings)
    lines: list[ScoreLine] = []
    width = len(rows[header_at][1])
    for number, cells in rows[header_at + 1 :]:
        line = _line(number, cells, nip_index, score_index, width, warnings)
        if line is None:
            continue
        if len(lines) == MAX_LINES:
            raise file_error(f'the file has more than {MAX_LINES} lines of scores; split it', 'lines')
        lines.append(line)
    if not lines:
        raise file_error('the file has a header but no score lines below it', 'lines')
    return ScoreFile(tuple(lines), columns, tuple(warnings))


def _decode(raw: bytes, warnings: list[str]) -> str:
    return decode_upload(raw, warnings)


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every row, with the delimiter under which a header is found."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), '')
    hint = re.fullmatch(r'\s*sep=(.)\s*', first, re.IGNORECASE)
    if hint:  # Excel's own "sep=;" line, which Excel hides: the header is still its row 1
        text = text.split('\n', 1)[1] if '\n' in text else ''
    candidates = [hint[1]] if hint else sorted((';', ',', '\t'), key=lambda d: -text.count(d))
    parsed: list[tuple[int, list[str]]] = []
    for delimiter in candidates:
        reader = csv.reader(io.StringIO(text, newline=''), delimiter=delimiter)
        try:
            parsed = []
            for cells in reader:
                parsed.append((reader.line_num, cells))
        except csv.Error as exc:
            raise file_error(f'the CSV file could not be read: {exc}') from None
        if any(_header_indexes(cells)[0] is not None for _, cells in parsed[:HEADER_SEARCH_ROWS]):
            return parsed
    return parsed


def _header_indexes(cells: Sequence[str]) -> tuple[int | None, int | None, list[str]]:
    """The NIP column, the preferred score column and the other score-like columns of a candidate header."""
    keys = [header_key(c) for c in cells]
    nip = next((i for i, k in enumerate(keys) if k in NIP_KEYS), None)
    ranked = sorted(
        (SCORE_KEYS.index(k) if k in SCORE_KEYS else len(SCORE_KEYS), i)
        for i, k in enumerate(keys)
        if k in SCORE_KEYS or k.startswith(SCORE_WORDS)
    )
    if nip is None or not ranked:
        return None, None, []
    return nip, ranked[0][1], [cells[i].strip() for _, i in ranked[1:]]


def _find_header(rows: list[tuple[int, list[str]]], warnings: list[str]) -> tuple[int, int, int, dict[str, str]]:
    for position, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        nip, score, others = _header_indexes(cells)
        if nip is None or score is None:
            continue
        if others:
            warnings.append(f'the score is read from column "{cells[score].strip()}"; ignored: {", ".join(others)}')
        return position, nip, score, {'nip': cells[nip].strip(), 'score': cells[score].strip()}
    if not any(any(c.strip() for c in cells) for _, cells in rows):
        raise file_error('the file is empty')
    message = (
        f'no header row with a NIP column and a score column in the first {HEADER_SEARCH_ROWS} rows; name them '
        f'e.g. "NIP" and "Nilai", "Skor", "Capaian" or "Nilai Kinerja"'
    )
    raise ValidationFailed(message, fields=(FieldIssue('columns', message),))


def _line(
    number: int, cells: list[str], nip_index: int, score_index: int, width: int, warnings: list[str]
) -> ScoreLine | None:
    def cell(index: int) -> str:
        return cells[index].strip() if index < len(cells) else ''

    if not any(c.strip() for c in cells):
        return None
    nip, score = cell(nip_index), cell(score_index)
    if not nip:
        first = next(c.strip() for c in cells if c.strip())
        if not score:
            return None
        if header_key(first).startswith(FOOTER_WORDS):
            warnings.append(f'line {number} ("{first}") looks like a footer and was skipped')
            return None
    line = ScoreLine(where=f'lines[{number}]')
    line = _with_nip(line, nip) if nip else line.with_issue('nip', 'the NIP is empty')
    line = _with_score(line, score)
    if any(c.strip() for c in cells[width:]):
        hint = 'the line has more cells than the header: with a comma delimiter, write decimals with a point'
        line = line.with_issue('score', hint)
    return line
