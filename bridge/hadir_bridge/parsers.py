"""Machine log formats → records. Pure: no I/O, no clock; every line either parses or says why not.

Formats (see docs/bridge.md and the reference notes on ZKTeco devices):

- PUSH ``ATTLOG`` line: ``PIN\\tYYYY-MM-DD hh:mm:ss\\tStatus\\tVerify\\tWorkcode\\tReserved\\tReserved``
- USB ``*_attlog.dat`` line: ``PIN\\tYYYY-MM-DD hh:mm:ss\\tDeviceID\\tStatus\\tVerified\\tWorkcode`` (PIN padded
  with spaces); the extended form has the serial number on the first line and a checksum on the last.
- PUSH ``OPERLOG`` line: ``OPLOG OpType\\tOpWho\\tOpTime\\tValue1\\tValue2\\tValue3\\tReserved`` (plus ``USER``/``FP``
  lines, which the bridge deliberately does not keep: they carry passwords and biometric templates).
- ``getrequest`` ``INFO``: ``firmware,users,fingerprints,attlogs,ip,fp_alg,face_alg,face_req,faces,flags``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import repeat

from hadir_bridge.attlog_columns import CHUNK_CHARS, AttlogColumns, ColumnRun, Row

TIME_FORMAT = '%Y-%m-%d %H:%M:%S'
_TIME_RE = re.compile(r'^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$')
_PIN_RE = re.compile(r'^[A-Za-z0-9]{1,24}$')
_INT_RE = re.compile(r'^-?\d{1,6}$')
_SERIAL_RE = re.compile(r'^[A-Za-z0-9]{4,32}$')
_CHECKSUM_RE = re.compile(r'^[A-Za-z0-9]{1,64}$')
BLANK_REASON = 'the line holds only whitespace (spaces or tabs): no PIN, no time'


@dataclass(frozen=True, slots=True)
class Punch:
    """One attendance record exactly as a machine gave it (time is wall clock, no offset)."""

    serial: str
    pin: str
    time: str
    status: int | None
    verify: int | None
    workcode: str
    raw: str

    @property
    def record_id(self) -> str:
        return punch_id(self.serial, self.pin, self.time)


@dataclass(frozen=True, slots=True)
class OperEvent:
    """One OPERLOG ``OPLOG`` line: who did what to the machine, and when (machine wall clock)."""

    serial: str
    op_type: int
    op_who: str
    time: str
    values: tuple[str, str, str]
    raw: str

    @property
    def record_id(self) -> str:
        return f'O#{self.serial}#{self.op_type}#{self.op_who}#{_iso(self.time)}#{"#".join(self.values)}'


@dataclass(frozen=True, slots=True)
class Rejected:
    """A line that did not parse, with its 1-based line number and the reason; it is kept, never dropped."""

    line_no: int
    raw: str
    reason: str


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    firmware: str
    users: int | None
    fingerprints: int | None
    attlog_count: int | None
    ip: str | None
    faces: int | None
    raw: str


@dataclass(frozen=True, slots=True)
class UsbFile:
    serial: str | None
    checksum: str | None
    punches: list[Punch]
    rejected: list[Rejected]


class LineError(ValueError):
    pass


def punch_id(serial: str, pin: str, time: str) -> str:
    """The deterministic identity of a machine punch; the same string the cloud ledger keys on."""
    return f'M#{serial}#{pin}#{_iso(time)}'


def _iso(time: str) -> str:
    return time.replace(' ', 'T', 1)


def parse_time(text: str) -> str:
    """Validate a machine time ``YYYY-MM-DD hh:mm:ss`` and return it unchanged."""
    if not _TIME_RE.match(text):
        raise LineError(f'time {text!r} is not YYYY-MM-DD hh:mm:ss')
    try:
        datetime.strptime(text, TIME_FORMAT)
    except ValueError as exc:
        raise LineError(f'time {text!r} is not a calendar date') from exc
    return text


def _pin(text: str) -> str:
    pin = text.strip()
    if not _PIN_RE.match(pin):
        raise LineError(f'PIN {text!r} is not 1-24 letters or digits')
    return pin


def _small_int(text: str, name: str) -> int | None:
    value = text.strip()
    if value == '':
        return None
    if not _INT_RE.match(value):
        raise LineError(f'{name} {text!r} is not an integer')
    return int(value)


def is_serial(text: str) -> bool:
    return bool(_SERIAL_RE.match(text))


def parse_attlog_line(serial: str, line: str) -> Punch:
    """Parse one PUSH ATTLOG line; raises LineError with a reason."""
    fields = line.split('\t')
    if len(fields) < 2:
        raise LineError(f'expected at least PIN and time separated by tabs, got {len(fields)} field(s)')
    pin = _pin(fields[0])
    time = parse_time(fields[1].strip())
    status = _small_int(fields[2], 'status') if len(fields) > 2 else None
    verify = _small_int(fields[3], 'verify') if len(fields) > 3 else None
    workcode = fields[4].strip() if len(fields) > 4 and fields[4].strip() else '0'
    return Punch(serial, pin, time, status, verify, workcode, line)


def parse_usb_line(serial: str, line: str) -> Punch:
    """Parse one ``attlog.dat`` record: PIN, time, DeviceID, Status, Verified, Workcode."""
    fields = line.split('\t')
    if len(fields) < 6:
        raise LineError(
            f'expected 6 tab-separated fields (PIN, time, device, status, verify, workcode), got {len(fields)}'
        )
    pin = _pin(fields[0])
    time = parse_time(fields[1].strip())
    _small_int(fields[2], 'device id')
    status = _small_int(fields[3], 'status')
    verify = _small_int(fields[4], 'verify')
    workcode = fields[5].strip() or '0'
    return Punch(serial, pin, time, status, verify, workcode, line)


def _lines(body: str) -> list[str]:
    return [line.rstrip('\r') for line in body.split('\n')]


def _workcode(text: str) -> str:
    return text.strip() or '0'


def _calendar_date(text: str) -> None:
    datetime.strptime(text, '%Y-%m-%d')


@dataclass
class AttlogBatch:
    """An ATTLOG body as runs of columns (one run per chunk of lines, punches in line order) and its rejects."""

    serial: str
    runs: list[ColumnRun] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    def __len__(self) -> int:
        return sum(map(len, self.runs))

    def punches(self) -> list[Punch]:
        punches: list[Punch] = []
        serial = repeat(self.serial)
        for run in self.runs:
            punches += map(Punch, serial, run.pins, run.times, run.statuses, run.verifies, run.workcodes, run.raws)
        return punches


def parse_attlog_batch(serial: str, body: str, *, chunk_chars: int = CHUNK_CHARS) -> AttlogBatch:
    """Parse a PUSH ATTLOG body into columns (see attlog_columns.py): the same punches and rejects, with the same
    reasons and line numbers, as ``parse_attlog_plain``, and a body of plain lines read with no Python step per
    line."""
    batch = AttlogBatch(serial)

    def careful_line(line_no: int, line: str) -> Row | None:
        if not line:
            return None
        if not line.strip():
            batch.rejected.append(Rejected(line_no, line, BLANK_REASON))
            return None
        try:
            punch = parse_attlog_line(serial, line)
        except LineError as exc:
            batch.rejected.append(Rejected(line_no, line, str(exc)))
            return None
        return punch.pin, punch.time, punch.status, punch.verify, punch.workcode

    engine = AttlogColumns(
        pin=_pin, number=partial(_small_int, name='status'), workcode=_workcode, date=_calendar_date,
        careful_line=careful_line, chunk_chars=chunk_chars,
    )  # fmt: skip
    batch.runs = [run for _, run in engine.read(body)]
    return batch


def parse_attlog(serial: str, body: str) -> tuple[list[Punch], list[Rejected]]:
    """Parse a PUSH ATTLOG body (records joined by LF). Every line that holds anything is a punch or rejected
    with its reason, whitespace-only lines included; only an empty line (two LFs in a row, or the LF that ends
    the body) holds nothing to keep. Same result as ``parse_attlog_plain``; ``parse_attlog_batch`` gives columns."""
    batch = parse_attlog_batch(serial, body)
    return batch.punches(), batch.rejected


def parse_attlog_plain(serial: str, body: str) -> tuple[list[Punch], list[Rejected]]:
    """The reference parser: every line through parse_attlog_line (the property tests hold parse_attlog to it)."""
    punches: list[Punch] = []
    rejected: list[Rejected] = []
    for line_no, line in enumerate(_lines(body), start=1):
        if not line:
            continue
        if not line.strip():
            rejected.append(Rejected(line_no, line, BLANK_REASON))
            continue
        try:
            punches.append(parse_attlog_line(serial, line))
        except LineError as exc:
            rejected.append(Rejected(line_no, line, str(exc)))
    return punches, rejected


def parse_kv_line(line: str, separator: str = '\t') -> dict[str, str]:
    """``time=…\tpin=…\tcardno=…`` (PUSH 3.x ``rtlog``, ``registry`` and ``options`` bodies) → a dict with
    lower-case keys (firmware disagrees on case) and any ``~`` prefix removed."""
    fields: dict[str, str] = {}
    for part in line.split(separator):
        key, sep, value = part.partition('=')
        if sep and key.strip():
            fields[key.strip().lstrip('~').lower()] = value.strip()
    return fields


def parse_rtlog(serial: str, body: str) -> tuple[list[Punch], int, list[Rejected]]:
    """Parse a PUSH 3.x ``table=rtlog`` body, one real-time event per line:
    ``time=YYYY-MM-DD hh:mm:ss\tpin=…\tcardno=…\teventaddr=…\tevent=…\tinoutstatus=…\tverifytype=…``.

    An event with a user (``pin`` not 0) and event code 0 (a normal verification) is a punch; the state is
    ``inoutstatus`` and the verification ``verifytype``. Other events (door, alarm, a refused verification) are
    acknowledged and counted as not kept; a line without a time or with a bad one is rejected.
    """
    punches: list[Punch] = []
    skipped = 0
    rejected: list[Rejected] = []
    for line_no, line in enumerate(_lines(body), start=1):
        if not line:
            continue
        if not line.strip():
            rejected.append(Rejected(line_no, line, BLANK_REASON))
            continue
        fields = parse_kv_line(line)
        try:
            time = parse_time(fields.get('time', '').strip())
            if fields.get('pin', '0').strip() in ('', '0') or fields.get('event', '0').strip() not in ('', '0'):
                skipped += 1
                continue
            pin = _pin(fields['pin'])
            status = _small_int(fields.get('inoutstatus', ''), 'inoutstatus')
            verify = _small_int(fields.get('verifytype', ''), 'verifytype')
        except LineError as exc:
            rejected.append(Rejected(line_no, line, str(exc)))
            continue
        punches.append(Punch(serial, pin, time, status, verify, fields.get('workcode') or '0', line))
    return punches, skipped, rejected


def parse_operlog(serial: str, body: str) -> tuple[list[OperEvent], int, list[Rejected]]:
    """Parse a PUSH OPERLOG body: (OPLOG events, count of lines deliberately not kept, rejected lines)."""
    events: list[OperEvent] = []
    skipped = 0
    rejected: list[Rejected] = []
    for line_no, line in enumerate(_lines(body), start=1):
        if not line:
            continue
        if not line.strip():
            rejected.append(Rejected(line_no, line, BLANK_REASON))
            continue
        head, _, rest = line.partition(' ')
        if head != 'OPLOG':
            # USER/FP/FACE/BIOPHOTO… lines carry names, passwords and templates: acknowledged, not stored.
            skipped += 1
            continue
        try:
            events.append(_oplog(serial, rest, line))
        except LineError as exc:
            rejected.append(Rejected(line_no, line, str(exc)))
    return events, skipped, rejected


def _oplog(serial: str, rest: str, line: str) -> OperEvent:
    fields = rest.split('\t')
    if len(fields) < 3:
        raise LineError(f'OPLOG needs at least OpType, OpWho and OpTime, got {len(fields)} field(s)')
    op_type = _small_int(fields[0], 'OpType')
    if op_type is None:
        raise LineError('OpType is empty')
    values = [field.strip() for field in fields[3:6]] + [''] * (6 - max(len(fields), 3))
    return OperEvent(
        serial, op_type, fields[1].strip(), parse_time(fields[2].strip()), (values[0], values[1], values[2]), line
    )


def _is_header_serial(line: str, known: frozenset[str]) -> bool:
    """A first line that states the machine: a bare serial, unpadded, with no tab. A digits-only line is taken
    as one only when it is a serial we know, since a record cut short after its PIN looks the same."""
    if '\t' in line or line != line.strip() or not is_serial(line):
        return False
    return line in known or any(char.isalpha() for char in line)


def parse_usb_file(text: str, serial: str | None, known_serials: Iterable[str] = ()) -> UsbFile:
    """Parse a USB ``*_attlog.dat`` in plain or extended form (serial first line, checksum last line).

    Lines are judged by what they hold, not where they are: the first line is the serial only if it is one
    (see ``_is_header_serial``), and only a file that states its serial (the extended form) ends with a
    checksum, which is a bare word of letters and digits. Anything else, a truncated first or last record
    included, is a record: it parses or is rejected with its reason. ``serial`` is the operator's claim; when
    the file states its own serial the two must agree.
    """
    known = frozenset(known_serials) | ({serial} if serial else frozenset())
    lines = _lines(text)
    while lines and not lines[-1]:
        lines.pop()
    file_serial: str | None = None
    checksum: str | None = None
    first = 0
    if lines and _is_header_serial(lines[0], known):
        file_serial = lines[0]
        first = 1
    if file_serial and len(lines) > first and _CHECKSUM_RE.match(lines[-1]):
        checksum = lines[-1]
        lines = lines[:-1]
    if serial and file_serial and serial != file_serial:
        raise LineError(f'the file says serial {file_serial} but {serial} was given')
    machine = serial or file_serial
    if not machine:
        raise LineError('the file does not name its machine: give --serial')
    punches: list[Punch] = []
    rejected: list[Rejected] = []
    for line_no, line in enumerate(lines[first:], start=first + 1):
        if not line:
            continue
        if not line.strip():
            rejected.append(Rejected(line_no, line, BLANK_REASON))
            continue
        try:
            punches.append(parse_usb_line(machine, line))
        except LineError as exc:
            rejected.append(Rejected(line_no, line, str(exc)))
    return UsbFile(file_serial, checksum, punches, rejected)


def parse_info(text: str) -> DeviceInfo:
    """Parse the ``INFO`` query value of ``GET /iclock/getrequest``; unknown positions stay None."""
    parts = [part.strip() for part in text.split(',')]
    parts += [''] * (10 - len(parts))

    def number(value: str) -> int | None:
        return int(value) if value.isdigit() else None

    return DeviceInfo(
        firmware=parts[0],
        users=number(parts[1]),
        fingerprints=number(parts[2]),
        attlog_count=number(parts[3]),
        ip=parts[4] or None,
        faces=number(parts[8]),
        raw=text,
    )


def parse_command_replies(body: str) -> list[dict[str, str]]:
    """Parse a ``POST /iclock/devicecmd`` body: one ``ID=…&Return=…&CMD=…`` per line. Some replies carry
    more ``Key=Value`` lines after theirs (``INFO``, and ``VERIFY SUM`` on some firmware): they join it."""
    replies: list[dict[str, str]] = []
    for line in _lines(body):
        if not line.strip():
            continue
        fields: dict[str, str] = {}
        for pair in line.split('&'):
            key, sep, value = pair.partition('=')
            if sep:
                fields[key.strip()] = value.strip()
        if 'ID' in fields:
            fields['_raw'] = line
            replies.append(fields)
        elif replies and fields:
            replies[-1].update({k: v for k, v in fields.items() if k not in ('ID', 'Return', 'CMD', '_raw')})
    return replies
