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


def parse_line(line_no: int, line: str) -> ParsedLine:
    raw = line.rstrip('\n')
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        return RejectedLine(line_no, f'not JSON: {exc.msg}', raw[:500])
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
            if source not in SOURCES:
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
