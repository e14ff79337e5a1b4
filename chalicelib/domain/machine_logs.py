"""Bridge uploads: gzip NDJSON records (see docs/bridge.md) parsed into punches, machine events and
rejected lines. Strict and total: every line ends up in exactly one of the three, with a reason."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

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
