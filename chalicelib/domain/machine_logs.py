"""Bridge uploads: gzip NDJSON records (see docs/bridge.md) parsed into punches, machine events and
rejected lines. Strict and total: every line ends up in exactly one of the three, with a reason."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import repeat
from zoneinfo import ZoneInfo

from chalicelib.domain.attlog_columns import CHUNK_CHARS, AttlogColumns, ColumnRun
from chalicelib.domain.punch_keys import machine_punch_id

MACHINE_TIME_FORMAT = '%Y-%m-%d %H:%M:%S'
SCHEMA_VERSION = 1
SOURCES = frozenset({'push', 'pull', 'usb'})
# OPERLOG operation types that can falsify attendance (reference §4.4): flagged for the personnel office.
FLAGGED_OPERATIONS: dict[int, str] = {
    13: 'data cleared on the machine',
    21: 'machine clock set by hand',
    23: 'attendance records deleted on the machine',
    24: 'admin privileges cleared',
}


@dataclass(frozen=True)
class PunchLine:
    line_no: int
    serial: str
    pin: str
    local_time: datetime
    status: int | None
    verify: int | None
    source: str
    raw: str

    @property
    def punch_id(self) -> str:
        return machine_punch_id(self.serial, self.pin, self.local_time)


@dataclass(frozen=True)
class EventLine:
    line_no: int
    event_id: str
    serial: str
    op_type: int
    local_time: datetime
    raw: str

    @property
    def flag(self) -> str | None:
        return FLAGGED_OPERATIONS.get(self.op_type)


@dataclass(frozen=True)
class RejectedLine:
    line_no: int
    reason: str
    raw: str


ParsedLine = PunchLine | EventLine | RejectedLine


def _int_or_none(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError('must be an integer or null')
    return value


def _machine_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError('time must be a string YYYY-MM-DD hh:mm:ss')
    try:
        return datetime.strptime(value, MACHINE_TIME_FORMAT)
    except ValueError:
        raise ValueError(f'time {value!r} is not a valid YYYY-MM-DD hh:mm:ss') from None


def _text(record: dict[str, object], field: str) -> str:
    value = record.get(field)
    if not isinstance(value, str) or not value or len(value) > 64:
        raise ValueError(f'{field} must be a non-empty string of at most 64 characters')
    return value


# The fast path of parse_line: a punch record whose fields are in the form the bridge writes (a zero-padded
# ASCII time of a valid date, integer or null status and verify) is built here; any other record, and every
# record to reject, goes through the plain parser, so punches and reasons are the same as the plain parser's.
_TWO_DIGITS = {f'{n:02d}': n for n in range(100)}
_HOURS = {k: v for k, v in _TWO_DIGITS.items() if v < 24}
_MINUTES = {k: v for k, v in _TWO_DIGITS.items() if v < 60}


class _Dates(dict[str, 'tuple[int, int, int] | None']):
    """A ``YYYY-MM-DD`` (year 1000 or later: its id has four digits) as (year, month, day), each checked once."""

    def __missing__(self, text: str) -> tuple[int, int, int] | None:
        found: tuple[int, int, int] | None = None
        if len(text) == 10 and text.isascii() and text[4] == '-' and text[7] == '-':
            try:
                parsed = datetime.strptime(text, '%Y-%m-%d')
            except ValueError:
                parsed = None
            if parsed is not None and parsed.year >= 1000 and f'{parsed:%Y-%m-%d}' == text:
                found = (parsed.year, parsed.month, parsed.day)
        if len(self) < 4096:  # an upload spans a few dates; a hostile one cannot grow the table without bound
            self[text] = found
        return found


_DATES = _Dates()


def _fast_punch(line_no: int, record: dict[str, object], raw: str) -> PunchLine | None:
    """The punch of a plain punch record, or None to leave the record to the plain parser."""
    serial, pin, time, source = record.get('serial'), record.get('pin'), record.get('time'), record.get('source')
    if record.get('kind') != 'punch' or type(serial) is not str or type(pin) is not str or type(time) is not str:
        return None
    if not 0 < len(serial) <= 64 or not 0 < len(pin) <= 64 or len(time) != 19 or type(source) is not str:
        return None
    if source not in SOURCES:
        return None
    day = _DATES[time[:10]]
    hour, minute, second = _HOURS.get(time[11:13]), _MINUTES.get(time[14:16]), _MINUTES.get(time[17:])
    if day is None or hour is None or minute is None or second is None:
        return None
    if time[10] != ' ' or time[13] != ':' or time[16] != ':':
        return None
    status, verify = record.get('status'), record.get('verify')
    if (status is not None and type(status) is not int) or (verify is not None and type(verify) is not int):
        return None
    punch_id = record.get('id')
    if punch_id is not None and punch_id != f'M#{serial}#{pin}#{time[:10]}T{time[11:]}':
        return None
    local_time = datetime(day[0], day[1], day[2], hour, minute, second)
    return PunchLine(line_no, serial, pin, local_time, status, verify, str(source), str(record.get('raw', ''))[:500])


def parse_line(line_no: int, line: str) -> ParsedLine:
    """One upload line → a punch, a machine event or a rejected line with its reason (as ``parse_line_plain``)."""
    raw = line.rstrip('\n')
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        return RejectedLine(line_no, f'not JSON: {exc.msg}', raw[:500])
    if type(record) is dict and record.get('v') == SCHEMA_VERSION:
        punch = _fast_punch(line_no, record, raw)
        if punch is not None:
            return punch
    return _parse_record(line_no, record, raw)


def parse_line_plain(line_no: int, line: str) -> ParsedLine:
    """The reference parser, one rule after another (the property tests hold parse_line to it)."""
    raw = line.rstrip('\n')
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        return RejectedLine(line_no, f'not JSON: {exc.msg}', raw[:500])
    return _parse_record(line_no, record, raw)


def _parse_record(line_no: int, record: object, raw: str) -> ParsedLine:
    if not isinstance(record, dict):
        return RejectedLine(line_no, 'not a JSON object', raw[:500])
    if record.get('v') != SCHEMA_VERSION:
        return RejectedLine(line_no, f'unsupported record version {record.get("v")!r}', raw[:500])
    try:
        kind = record.get('kind')
        serial = _text(record, 'serial')
        local_time = _machine_time(record.get('time'))
        if kind == 'punch':
            source = record.get('source')
            if not isinstance(source, str) or source not in SOURCES:  # a list or object must not crash the run
                raise ValueError(f'source must be one of {sorted(SOURCES)}')
            punch = PunchLine(
                line_no, serial, _text(record, 'pin'), local_time, _int_or_none(record.get('status')),
                _int_or_none(record.get('verify')), str(source), str(record.get('raw', ''))[:500],
            )  # fmt: skip
            if record.get('id') not in (None, punch.punch_id):
                raise ValueError(f'id {record.get("id")!r} does not match serial, pin and time')
            return punch
        if kind == 'oplog':
            op_type = _int_or_none(record.get('op_type'))
            if op_type is None:
                raise ValueError('op_type is required')
            return EventLine(
                line_no, _text(record, 'id'), serial, op_type, local_time, str(record.get('raw', ''))[:500]
            )
        raise ValueError(f'unknown record kind {kind!r}')
    except ValueError as exc:
        return RejectedLine(line_no, str(exc), raw[:500])


def implausible_time(
    local_time: datetime, zone: str, received_at: datetime, *, max_ahead: timedelta, earliest: date
) -> str | None:
    """Why a machine time cannot be real (a reset clock, a drifted one), or None when it is plausible."""
    if local_time.date() < earliest:
        return f'impossible date {local_time:%Y-%m-%d} (before {earliest}): the machine clock was probably reset'
    instant = local_time.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    if instant - received_at > max_ahead:
        return f'time {local_time:%Y-%m-%d %H:%M:%S} is later than the upload by more than the allowed clock skew'
    return None


# --- upload bodies, version 2: the machine lines themselves ---------------------------------------
#
# hadir-upload 2                      the first line names the format
# @<TAB>CKJX201960001<TAB>push        a section: the machine lines that follow come from this serial, by this source
# 1452<TAB>2015-07-30 15:16:28<TAB>0<TAB>1<TAB>0<TAB>0<TAB>0      ATTLOG lines as the machine sent them
# {"v":1,"kind":"oplog",...}          any record not sent as a machine line: the version 1 JSON record, as before
#
# A machine line stands for the version 1 record the bridge would have sent for it (id, serial, PIN, time, state,
# verify mode, source, raw line): it is read by the ATTLOG rules (as the bridge reads it) and then by the record
# rules, so it gives the same punch or the same reject. Lines end with LF (CRs before it are dropped); a line that
# holds only whitespace is skipped, as in version 1.

UPLOAD_HEADER = 'hadir-upload 2'
SECTION_MARK = '@'
_ATTLOG_TIME_RE = re.compile(r'^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$')
_ATTLOG_PIN_RE = re.compile(r'^[A-Za-z0-9]{1,24}$')
_ATTLOG_INT_RE = re.compile(r'^-?\d{1,6}$')


def _attlog_pin(text: str) -> str:
    pin = text.strip()
    if not _ATTLOG_PIN_RE.match(pin):
        raise ValueError(f'PIN {text!r} is not 1-24 letters or digits')
    return pin


def _attlog_int(text: str, name: str = 'status') -> int | None:
    value = text.strip()
    if value == '':
        return None
    if not _ATTLOG_INT_RE.match(value):
        raise ValueError(f'{name} {text!r} is not an integer')
    return int(value)


def _attlog_time(text: str) -> str:
    if not _ATTLOG_TIME_RE.match(text):
        raise ValueError(f'time {text!r} is not YYYY-MM-DD hh:mm:ss')
    try:
        datetime.strptime(text, MACHINE_TIME_FORMAT)
    except ValueError as exc:
        raise ValueError(f'time {text!r} is not a calendar date') from exc
    return text


def attlog_fields(line: str) -> tuple[str, str, int | None, int | None]:
    """PIN, time, state and verify mode of an ATTLOG line, by the bridge's rules (hadir_bridge.parsers)."""
    fields = line.split('\t')
    if len(fields) < 2:
        raise ValueError(f'expected at least PIN and time separated by tabs, got {len(fields)} field(s)')
    pin = _attlog_pin(fields[0])
    time = _attlog_time(fields[1].strip())
    status = _attlog_int(fields[2], 'status') if len(fields) > 2 else None
    verify = _attlog_int(fields[3], 'verify') if len(fields) > 3 else None
    return pin, time, status, verify


def parse_machine_line(line_no: int, serial: str, source: str, line: str) -> ParsedLine:
    """One machine line of a version 2 upload: the punch or the reject its version 1 record would give."""
    try:
        pin, time, status, verify = attlog_fields(line)
    except ValueError as exc:
        return RejectedLine(line_no, str(exc), line[:500])
    record = {'v': SCHEMA_VERSION, 'kind': 'punch', 'id': f'M#{serial}#{pin}#{time.replace(" ", "T", 1)}',
              'serial': serial, 'pin': pin, 'time': time, 'status': status, 'verify': verify, 'source': source,
              'raw': line}  # fmt: skip
    return _parse_record(line_no, record, line)


def _section(line_no: int, line: str) -> tuple[str, str] | RejectedLine:
    parts = line.split('\t')
    if len(parts) != 3 or parts[0] != SECTION_MARK:
        return RejectedLine(line_no, 'a section line is "@", the serial and the source, separated by tabs', line[:500])
    return parts[1], parts[2]


NO_SECTION_REASON = 'a machine line before any good section line ("@", serial, source)'


def parse_upload_plain(text: str) -> list[ParsedLine]:
    """The reference reading of an upload, one line after another (the property tests hold parse_upload to it)."""
    if _upload_version(text) != 2:
        return [parse_line_plain(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    parsed: list[ParsedLine] = []
    section: tuple[str, str] | None = None
    for line_no, line in enumerate(text.split('\n')[1:], start=2):
        line = line.rstrip('\r')
        if not line.strip():
            continue
        if line.startswith(SECTION_MARK):
            found = _section(line_no, line)
            section = found if isinstance(found, tuple) else None
            if isinstance(found, RejectedLine):
                parsed.append(found)
        elif line.startswith('{'):
            parsed.append(parse_line_plain(line_no, line))
        elif section is None:
            parsed.append(RejectedLine(line_no, NO_SECTION_REASON, line[:500]))
        else:
            parsed.append(parse_machine_line(line_no, section[0], section[1], line))
    return parsed


def _upload_version(text: str) -> int:
    first = text[: text.find('\n')] if '\n' in text else text
    return 2 if first.rstrip('\r') == UPLOAD_HEADER else 1


@dataclass(frozen=True)
class MachineRun:
    """Consecutive punches of one section, read as columns (see attlog_columns.py)."""

    serial: str
    source: str
    columns: ColumnRun

    def __len__(self) -> int:
        return len(self.columns)

    def lines(self) -> list[PunchLine]:
        run = self.columns
        times = map(datetime.fromisoformat, run.times)
        raws = (raw[:500] for raw in run.raws)
        serial, source = repeat(self.serial), repeat(self.source)
        return list(map(PunchLine, run.line_nos, serial, run.pins, times, run.statuses, run.verifies, source, raws))


@dataclass
class UploadBatch:
    """An upload read whole: runs of machine punches as columns and every other line as parse_line gives it, all
    in line order. ``lines()`` gives exactly what ``parse_line`` on each line (version 1) or ``parse_upload_plain``
    (version 2) gives."""

    version: int
    items: list[MachineRun | ParsedLine]

    def lines(self) -> Iterator[ParsedLine]:
        for item in self.items:
            if isinstance(item, MachineRun):
                yield from item.lines()
            else:
                yield item

    @property
    def punch_count(self) -> int:
        return sum(len(item) if isinstance(item, MachineRun) else isinstance(item, PunchLine) for item in self.items)


def parse_upload(data: str | bytes, *, chunk_chars: int = CHUNK_CHARS) -> UploadBatch:
    """Read an upload body (decompressed; bytes are UTF-8) of either version. Version 1, one JSON record per line,
    gives what ``parse_line`` gives for each line that holds anything; version 2 reads its machine lines as
    columns with no Python step per line (attlog_columns.py) and gives what ``parse_upload_plain`` gives."""
    text = data.decode('utf-8') if isinstance(data, bytes) else data
    if _upload_version(text) != 2:
        lines = text.splitlines()
        return UploadBatch(1, [parse_line(n, line) for n, line in enumerate(lines, start=1) if line.strip()])
    items: list[MachineRun | ParsedLine] = []
    section: tuple[str, str] | None = None
    engines: dict[tuple[str, str] | None, AttlogColumns] = {}
    position, line_no = text.find('\n') + 1 if '\n' in text else len(text), 2
    while position < len(text):
        mark = text[position]
        if mark == SECTION_MARK or mark == '{':
            end = text.find('\n', position)
            end = len(text) if end < 0 else end
            line = text[position:end].rstrip('\r')
            if mark == '{':
                items.append(parse_line(line_no, line))
            else:
                found = _section(line_no, line)
                section = found if isinstance(found, tuple) else None
                if isinstance(found, RejectedLine):
                    items.append(found)
            position, line_no = end + 1, line_no + 1
            continue
        end = min(_line_end_before(text, SECTION_MARK, position), _line_end_before(text, '{', position))
        engine = _machine_engine(engines, section, items, chunk_chars)
        for count, run in engine.read(text, line_no, position, min(end + 1, len(text))):
            if len(run) and section is not None:
                items.append(MachineRun(section[0], section[1], run))
            line_no += count
        position = end + 1
    return UploadBatch(2, items)


def _line_end_before(text: str, mark: str, start: int) -> int:
    """The LF that ends the line before the next line starting with ``mark`` (one-character searches, which run at
    memory speed, where a two-character one would not), or the end of the text."""
    found = text.find(mark, start)
    while found > 0 and text[found - 1] != '\n':
        found = text.find(mark, found + 1)
    return len(text) if found < 0 else found - 1


def _machine_engine(
    engines: dict[tuple[str, str] | None, AttlogColumns],
    section: tuple[str, str] | None,
    items: list[MachineRun | ParsedLine],
    chunk_chars: int,
) -> AttlogColumns:
    """The column reader for a section's machine lines; lines it cannot vouch for are read by parse_machine_line."""
    if section in engines:
        return engines[section]

    def careful_line(line_no: int, line: str) -> None:
        if not line.strip():
            return None
        if section is None:
            items.append(RejectedLine(line_no, NO_SECTION_REASON, line[:500]))
        else:
            items.append(parse_machine_line(line_no, section[0], section[1], line))
        return None

    good_section = section is not None and 0 < len(section[0]) <= 64 and section[1] in SOURCES
    engines[section] = AttlogColumns(
        pin=_attlog_pin if good_section else _never, number=_attlog_int, workcode=str.strip, date=_id_date,
        careful_line=careful_line, chunk_chars=chunk_chars,
    )  # fmt: skip
    return engines[section]


def _never(text: str) -> str:
    raise ValueError('every line of this section is read by the careful rules')


def _id_date(text: str) -> None:
    """A date the careful rules accept and whose punch id is written the same from the text and from the datetime."""
    if _DATES[text] is None:
        raise ValueError(text)
