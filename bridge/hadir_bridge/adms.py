"""The PUSH (ADMS / iclock) receiver: machines on the LAN post their logs here over plain HTTP.

``AdmsReceiver.handle`` is the protocol (no sockets, testable directly); ``serve`` puts it behind a
``ThreadingHTTPServer``. A machine gets ``OK: n`` only after its records are committed to the spool; any
failure answers 500 so the machine keeps its records and sends them again.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from hadir_bridge.config import Machine
from hadir_bridge.parsers import (
    TIME_FORMAT,
    DeviceInfo,
    Punch,
    parse_attlog,
    parse_command_replies,
    parse_info,
    parse_kv_line,
    parse_operlog,
    parse_rtlog,
)
from hadir_bridge.spool import Spool, utc_now

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_CHUNK_LINE = 1024
HEX_DIGITS = frozenset(b'0123456789abcdefABCDEF')
SERVER_VERSION = 'hadir-bridge/0.1'
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_MAX_CONNECTIONS = 64
BUSY_ANSWER = (
    b'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n'
    b'Retry-After: 30\r\nConnection: close\r\n\r\nBUSY'
)
# Every path real firmware sends: PUSH 2.x (cdata, getrequest, devicecmd, ping, fdata) and PUSH 3.x (registry,
# push, rtdata, querydata). Each may carry ``.aspx``.
ENDPOINTS = frozenset({'cdata', 'getrequest', 'devicecmd', 'ping', 'fdata', 'registry', 'push', 'rtdata', 'querydata'})
# Skew is read only from a punch known to be live: see AdmsReceiver._after_attlog.
LIVE_AFTER = timedelta(minutes=5)
MIN_CONTACT_GAP_SECONDS = 60


@dataclass
class Reply:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


def backfill_command(start: str, end: str) -> str:
    return f'DATA QUERY ATTLOG StartTime={start}\tEndTime={end}'


def verify_sum_command(day: str) -> str:
    """Ask the machine how many ATTLOG records it holds for one local day (it answers ``AttlogSum=n``)."""
    return f'VERIFY SUM ATTLOG StartTime={day} 00:00:00\tEndTime={day} 23:59:59'


def command_id(seed: str) -> str:
    """ADMS command ids are at most 16 letters or digits; derive them so re-queuing is idempotent."""
    return 'H' + hashlib.sha256(seed.encode()).hexdigest()[:15]


def decode_body(body: bytes) -> str:
    try:
        return body.decode('utf-8')
    except UnicodeDecodeError:
        # Older firmware writes names in a legacy code page; latin-1 keeps every byte recoverable.
        return body.decode('latin-1')


@dataclass
class _Session:
    """A machine's unbroken run of contacts with this bridge (kept in memory: a restart starts a new one)."""

    since: datetime
    last: datetime
    calm_since: datetime  # since the last upload that was not a single live record (a backlog, a failure)


def encode_zk_time(moment: datetime) -> int:
    """ZKTeco's packed time (PUSH protocol appendix; pyzk ``__encode_time``), used by ``rtdata`` answers."""
    return (
        ((moment.year % 100) * 12 * 31 + (moment.month - 1) * 31 + moment.day - 1) * 86400
        + (moment.hour * 60 + moment.minute) * 60
        + moment.second
    )


class AdmsReceiver:
    def __init__(
        self,
        spool: Spool,
        machines: Mapping[str, Machine],
        delay_seconds: int = 10,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.spool = spool
        self.machines = dict(machines)
        self.delay_seconds = delay_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        # A machine that polls every Delay seconds and missed none of the last three polls is still in contact.
        self._contact_gap = timedelta(seconds=max(3 * delay_seconds, MIN_CONTACT_GAP_SECONDS))

    def handle(self, method: str, target: str, body: bytes, remote_addr: str | None = None) -> Reply:
        parts = urlsplit(target)
        query = {key: values[-1] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
        endpoint = endpoint_name(parts.path)
        if endpoint is None:
            return Reply(404, 'Not Found')
        serial = (query.get('SN') or query.get('sn') or '').strip()
        if not serial:
            return Reply(400, 'SN is required')
        machine = self.machines.get(serial)
        path = f'/iclock/{endpoint}'
        if machine is None or machine.protocol != 'push':
            self.spool.record_unknown(serial, f'{method} {path}', remote_addr, self.clock())
            log.warning('refused %s %s from unknown serial %s (%s)', method, path, serial, remote_addr)
            return Reply(403, 'UNKNOWN DEVICE')
        now = self.clock()
        self.spool.touch(serial, remote_addr, now)
        session = self._contact(serial, now)
        if endpoint == 'cdata':
            if method == 'GET':
                return self._handshake(machine, query)
            return self._upload(machine, query, query.get('table', ''), body, session)
        if endpoint == 'querydata':
            # PUSH 3.x answers a DATA QUERY here; ATTLOG rows are punches like any other upload.
            table = query.get('tablename') or query.get('table') or query.get('type') or ''
            return self._upload(machine, query, table, body, session)
        if endpoint == 'getrequest':
            return self._getrequest(machine, query)
        if endpoint == 'devicecmd':
            return self._devicecmd(machine, body)
        if endpoint == 'registry':
            return self._registry(machine, body)
        if endpoint == 'push':
            return self._push_options(machine)
        if endpoint == 'rtdata':
            return self._rtdata(machine, query, now)
        # ping, and fdata (photos and other files, which the bridge does not ask for and does not keep)
        return Reply(200, 'OK')

    def _contact(self, serial: str, now: datetime) -> _Session:
        with self._lock:
            session = self._sessions.get(serial)
            if session is None or now - session.last > self._contact_gap or now < session.last:
                session = _Session(now, now, now)
                self._sessions[serial] = session
            session.last = now
            return session

    def _handshake(self, machine: Machine, query: dict[str, str]) -> Reply:
        if query.get('table'):
            # RemoteAtt and other table lookups are not served by the bridge.
            return Reply(200, 'OK')
        state = self.spool.machine_state(machine.serial)
        options = [
            f'GET OPTION FROM: {machine.serial}',
            f'ATTLOGStamp={state.get("attlog_stamp") or "None"}',
            f'OPERLOGStamp={state.get("operlog_stamp") or "None"}',
            'ATTPHOTOStamp=None',
            'ErrorDelay=30',
            f'Delay={self.delay_seconds}',
            'TransTimes=00:00;14:05',
            'TransInterval=1',
            'TransFlag=TransData AttLog OpLog',
            f'TimeZone={machine.timezone_option(self.clock().replace(tzinfo=None))}',
            'Realtime=1',
            'Encrypt=None',
            f'ServerVer={SERVER_VERSION}',
            'PushProtVer=2.4.1',
        ]
        return Reply(200, '\n'.join(options) + '\n')

    def _registry(self, machine: Machine, body: bytes) -> Reply:
        """PUSH 3.x registration: the body lists the machine's capabilities and counters (``key=value`` joined by
        commas or lines); the answer is a registry code the machine keeps."""
        fields: dict[str, str] = {}
        for line in decode_body(body).replace('\r', '').split('\n'):
            fields.update(parse_kv_line(line, ','))
        info = registry_info(fields)
        if info is not None:
            self.spool.set_info(machine.serial, info, self.clock())
        return Reply(200, f'RegistryCode={command_id("registry:" + machine.serial)[1:11]}')

    def _push_options(self, machine: Machine) -> Reply:
        """PUSH 3.x asks for its options at ``/iclock/push`` after registering (the 2.x handshake's counterpart)."""
        options = [
            'ServerVersion=3.1.2',
            f'ServerName={SERVER_VERSION}',
            'PushProtVer=3.1.2',
            'PushVersion=3.1.2',
            'ErrorDelay=30',
            f'RequestDelay={self.delay_seconds}',
            'TransTimes=00:00;14:05',
            'TransInterval=1',
            'TransTables=User Transaction',
            'Realtime=1',
            f'SessionID={command_id("session:" + machine.serial)[1:]}',
            'TimeoutSec=10',
        ]
        return Reply(200, '\n'.join(options) + '\n')

    def _rtdata(self, machine: Machine, query: dict[str, str], now: datetime) -> Reply:
        if query.get('type', '').lower() != 'time':
            return Reply(200, 'OK')
        offset = int((now.astimezone(ZoneInfo(machine.zone)).utcoffset() or timedelta()).total_seconds() // 60)
        zone = f'{"+" if offset >= 0 else "-"}{abs(offset) // 60:02d}{abs(offset) % 60:02d}'
        return Reply(200, f'DateTime={encode_zk_time(now.astimezone(UTC))},ServerTZ={zone}')

    def _upload(
        self, machine: Machine, query: dict[str, str], table_name: str, body: bytes, session: _Session
    ) -> Reply:
        table = table_name.upper()
        text = decode_body(body)
        now = self.clock()
        try:
            if table in ('ATTLOG', 'RTLOG'):
                if table == 'ATTLOG':
                    punches, rejected = parse_attlog(machine.serial, text)
                    skipped = 0
                else:
                    punches, skipped, rejected = parse_rtlog(machine.serial, text)
                previous = self.spool.last_punch(machine.serial)
                counts = self.spool.ingest(
                    serial=machine.serial,
                    source='push',
                    table='ATTLOG',
                    punches=punches,
                    rejected=rejected,
                    skipped=skipped,
                    now=now,
                )
                self._after_attlog(machine, punches, counts.handled, previous, session, now)
            elif table == 'OPERLOG':
                events, skipped, rejected = parse_operlog(machine.serial, text)
                counts = self.spool.ingest(
                    serial=machine.serial,
                    source='push',
                    table=table,
                    events=events,
                    rejected=rejected,
                    skipped=skipped,
                    now=now,
                )
            else:
                # options, ATTPHOTO, BIODATA, a 3.x ``transaction`` or ``user`` query…: not asked for, not kept.
                lines = [line for line in text.split('\n') if line.strip()]
                return Reply(200, f'OK: {len(lines)}')
        except BaseException:
            session.calm_since = now  # the machine will re-send: what comes next is not live
            raise
        stamp = query.get('Stamp')
        if stamp:
            self.spool.set_stamp(machine.serial, table, stamp)
        if counts.rejected:
            log.warning('%s %s: %d line(s) quarantined', machine.serial, table, counts.rejected)
        return Reply(200, f'OK: {counts.handled}')

    def _after_attlog(
        self,
        machine: Machine,
        punches: list[Punch],
        lines: int,
        previous: dict[str, str] | None,
        session: _Session,
        now: datetime,
    ) -> None:
        """Estimate the machine's clock skew from a punch known to be live, never from a late batch.

        A punch is live when it came alone (``Realtime=1`` sends each punch as it happens), is newer than any
        punch seen before, and the machine has been in unbroken contact, with no batch or failed upload, for
        ``LIVE_AFTER`` before it: a machine back from an outage first sends what it held, and a push that
        failed comes again later, so neither tells the time.
        """
        calm_for = now - session.calm_since
        if lines != 1 or len(punches) != 1:
            session.calm_since = now
            return
        newest = punches[0].time
        if calm_for < LIVE_AFTER or (previous and previous['local_time'] >= newest):
            return
        bridge_local = now.astimezone(ZoneInfo(machine.zone)).replace(tzinfo=None)
        skew = (datetime.strptime(newest, TIME_FORMAT) - bridge_local).total_seconds()
        self.spool.set_skew(machine.serial, skew, 'push-live', now)

    def _getrequest(self, machine: Machine, query: dict[str, str]) -> Reply:
        if 'INFO' in query:
            self.spool.set_info(machine.serial, parse_info(query['INFO']), self.clock())
        commands = self.spool.take_commands(machine.serial)
        if not commands:
            return Reply(200, 'OK')
        return Reply(200, ''.join(f'C:{command.cmd_id}:{command.command}\n' for command in commands))

    def _devicecmd(self, machine: Machine, body: bytes) -> Reply:
        for reply in parse_command_replies(decode_body(body)):
            code_text = reply.get('Return', '')
            code = int(code_text) if code_text.lstrip('-').isdigit() else None
            command = self.spool.record_reply(machine.serial, reply['ID'], code, reply['_raw'])
            if command is not None and command.backfill_id:
                state = 'done' if code is not None and code >= 0 else 'failed'
                # After the re-send's note: both steps' counts reach the cloud, not only the device's answer.
                self.spool.set_backfill(command.backfill_id, state, f'device returned {code_text}', append=True,
                                        device_return=code)  # fmt: skip
            if command is not None and command.command.startswith('VERIFY SUM ATTLOG'):
                self._day_sum(machine, command.command, code, reply)
        return Reply(200, 'OK')

    def _day_sum(self, machine: Machine, command: str, code: int | None, reply: dict[str, str]) -> None:
        # Firmware names the total AttlogSum (PUSH protocol) or AttlogCount (ZKTeco's own servers read that).
        total = reply.get('AttlogSum', reply.get('AttlogCount', ''))
        day = command.split('StartTime=', 1)[1][:10]
        count = int(total) if code is not None and code >= 0 and total.isdigit() else None
        self.spool.set_day_sum(machine.serial, day, count, code)


class IncompleteBody(Exception):
    """The connection ended, or stalled past the read timeout, before the body was complete."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class BadFraming(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = SERVER_VERSION
    sys_version = ''
    receiver: AdmsReceiver
    timeout = DEFAULT_READ_TIMEOUT  # socket timeout for every read: a stalled peer is let go
    body_deadline: float = 4 * DEFAULT_READ_TIMEOUT  # a body trickled in byte by byte is let go too

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch('GET')

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch('POST')

    def _dispatch(self, method: str) -> None:
        try:
            body = self._read_body(method)
        except IncompleteBody as exc:
            # Nothing of a body cut short is committed: the machine got no OK and sends the whole body again.
            log.warning('%s %s from %s: %s; nothing kept', method, self.path, self.client_address[0], exc)
            self.close_connection = True
            if exc.timed_out:
                self._send(Reply(408, 'REQUEST TIMEOUT'), close=True)
            return
        except BadFraming as exc:
            self._send(Reply(exc.status, str(exc)), close=True)
            return
        try:
            reply = self.receiver.handle(method, self.path, body, self.client_address[0])
        except Exception:
            log.exception('%s %s failed; the machine will retry', method, self.path)
            reply = Reply(500, 'ERROR')
        self._send(reply)

    def _read_body(self, method: str) -> bytes:
        """The whole body, checked against its framing (``Content-Length`` or the chunked terminator)."""
        deadline = time.monotonic() + self.body_deadline
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            return self._read_chunked(deadline)
        length_text = self.headers.get('Content-Length')
        if length_text is None:
            if method == 'POST':
                raise BadFraming(411, 'LENGTH REQUIRED')
            return b''
        length_text = length_text.strip()
        if not (length_text.isascii() and length_text.isdigit()):
            raise BadFraming(400, 'bad Content-Length')
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            raise BadFraming(413, 'body too large')
        return self._read_exact(length, deadline)

    def _read_exact(self, size: int, deadline: float) -> bytes:
        parts: list[bytes] = []
        remaining = size
        while remaining:
            if time.monotonic() > deadline:
                raise IncompleteBody(f'body not complete after {self.body_deadline:.0f} s', timed_out=True)
            try:
                part = self.rfile.read1(min(remaining, 65536))
            except TimeoutError as exc:
                raise IncompleteBody(f'no data for {self.timeout} s', timed_out=True) from exc
            if not part:
                raise IncompleteBody(f'the connection ended {remaining} byte(s) short of the body')
            parts.append(part)
            remaining -= len(part)
        return b''.join(parts)

    def _read_line(self, deadline: float) -> bytes:
        if time.monotonic() > deadline:
            raise IncompleteBody(f'body not complete after {self.body_deadline:.0f} s', timed_out=True)
        try:
            line = self.rfile.readline(MAX_CHUNK_LINE)
        except TimeoutError as exc:
            raise IncompleteBody(f'no data for {self.timeout} s', timed_out=True) from exc
        if not line.endswith(b'\n'):
            if len(line) >= MAX_CHUNK_LINE:
                raise BadFraming(400, 'chunk line too long')
            raise IncompleteBody('the connection ended inside the chunked body')
        return line

    def _read_chunked(self, deadline: float) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_text = self._read_line(deadline).split(b';')[0].strip()
            if not size_text or any(byte not in HEX_DIGITS for byte in size_text):
                raise BadFraming(400, 'bad chunk size')
            size = int(size_text, 16)
            if size == 0:
                while self._read_line(deadline).strip():
                    pass  # trailer fields, up to the blank line that ends the body
                return b''.join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise BadFraming(413, 'body too large')
            chunks.append(self._read_exact(size, deadline))
            if self._read_line(deadline).strip():
                raise BadFraming(400, 'a chunk is longer than its size')

    def _send(self, reply: Reply, close: bool = False) -> None:
        payload = reply.body.encode('utf-8')
        try:
            self.send_response(reply.status)  # also sends Date (GMT): the machine sets its clock from it
            self.send_header('Content-Type', 'text/plain')
            self.send_header('Content-Length', str(len(payload)))
            if close:
                self.send_header('Connection', 'close')
                self.close_connection = True
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError as exc:
            log.info('could not answer %s: %s', self.client_address[0], exc)
            self.close_connection = True

    def version_string(self) -> str:
        return SERVER_VERSION

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's signature
        log.debug('%s %s', self.client_address[0], format % args)


class BoundedServer(ThreadingHTTPServer):
    """One thread per connection, at most ``max_connections`` at once: one more is answered 503 and closed."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], max_connections: int) -> None:
        super().__init__(address, handler)
        self.max_connections = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            log.warning('refused a connection from %s: %d already open', client_address[0], self.max_connections)
            with contextlib.suppress(OSError):
                request.sendall(BUSY_ANSWER)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def make_server(
    receiver: AdmsReceiver,
    host: str,
    port: int,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
) -> BoundedServer:
    handler = type(
        'AdmsHandler',
        (_Handler,),
        {'receiver': receiver, 'timeout': read_timeout, 'body_deadline': 4 * read_timeout},
    )
    return BoundedServer((host, port), handler, max_connections)


def endpoint_name(path: str) -> str | None:
    """The iclock endpoint a firmware path names, or None. Firmware writes it several ways: ``/iclock/cdata``,
    ``/iclock/cdata.aspx`` (eSSL and older ZKTeco), with a trailing slash, in another case, or behind a prefix."""
    _, found, rest = path.lower().rpartition('/iclock/')
    if not found:
        return None
    name = rest.strip('/').removesuffix('.aspx')
    return name if name in ENDPOINTS else None


def registry_info(fields: Mapping[str, str]) -> DeviceInfo | None:
    """The counters a PUSH 3.x ``registry`` body states (``FirmVer``, ``UserCount``, ``TransactionCount``…)."""

    def number(*names: str) -> int | None:
        for name in names:
            value = fields.get(name, '')
            if value.isdigit():
                return int(value)
        return None

    firmware = fields.get('firmver') or fields.get('fwversion') or ''
    info = DeviceInfo(
        firmware=firmware,
        users=number('usercount'),
        fingerprints=number('fpcount', 'fingercount'),
        attlog_count=number('transactioncount', 'attlogcount'),
        ip=fields.get('ipaddress') or None,
        faces=number('facecount'),
        raw=','.join(f'{key}={value}' for key, value in fields.items())[:2000],
    )
    return info if firmware or info.attlog_count is not None or info.users is not None else None
