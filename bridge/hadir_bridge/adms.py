"""The PUSH (ADMS / iclock) receiver: machines on the LAN post their logs here over plain HTTP.

``AdmsReceiver.handle`` is the protocol (no sockets, testable directly); ``serve`` puts it behind a
``ThreadingHTTPServer``. A machine gets ``OK: n`` only after its records are committed to the spool; any
failure answers 500 so the machine keeps its records and sends them again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from hadir_bridge.config import Machine
from hadir_bridge.parsers import TIME_FORMAT, parse_attlog, parse_command_replies, parse_info, parse_operlog
from hadir_bridge.spool import Spool, utc_now

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 32 * 1024 * 1024
SERVER_VERSION = 'hadir-bridge/0.1'
# A push of at most this many records is taken as real time (the punch just happened): used to estimate skew.
REALTIME_MAX_RECORDS = 3


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

    def handle(self, method: str, target: str, body: bytes, remote_addr: str | None = None) -> Reply:
        parts = urlsplit(target)
        query = {key: values[-1] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
        path = parts.path.rstrip('/')
        if not path.startswith('/iclock/'):
            return Reply(404, 'Not Found')
        serial = query.get('SN', '').strip()
        if not serial:
            return Reply(400, 'SN is required')
        machine = self.machines.get(serial)
        if machine is None or machine.protocol != 'push':
            self.spool.record_unknown(serial, f'{method} {path}', remote_addr, self.clock())
            log.warning('refused %s %s from unknown serial %s (%s)', method, path, serial, remote_addr)
            return Reply(403, 'UNKNOWN DEVICE')
        self.spool.touch(serial, remote_addr, self.clock())
        route = (method, path)
        if route == ('GET', '/iclock/cdata'):
            return self._handshake(machine, query)
        if route == ('POST', '/iclock/cdata'):
            return self._upload(machine, query, body)
        if route == ('GET', '/iclock/getrequest'):
            return self._getrequest(machine, query)
        if route == ('POST', '/iclock/devicecmd'):
            return self._devicecmd(machine, body)
        if path == '/iclock/ping':
            return Reply(200, 'OK')
        return Reply(404, 'Not Found')

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

    def _upload(self, machine: Machine, query: dict[str, str], body: bytes) -> Reply:
        table = query.get('table', '').upper()
        text = decode_body(body)
        now = self.clock()
        if table == 'ATTLOG':
            punches, rejected = parse_attlog(machine.serial, text)
            previous = self.spool.last_punch(machine.serial)
            counts = self.spool.ingest(
                serial=machine.serial, source='push', table=table, punches=punches, rejected=rejected, now=now
            )
            if punches and len(punches) <= REALTIME_MAX_RECORDS:
                self._estimate_skew(machine, max(p.time for p in punches), previous, now)
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
            # options, ATTPHOTO, BIODATA…: not asked for in TransFlag and not kept by the bridge.
            lines = [line for line in text.split('\n') if line.strip()]
            return Reply(200, f'OK: {len(lines)}')
        stamp = query.get('Stamp')
        if stamp:
            self.spool.set_stamp(machine.serial, table, stamp)
        if counts.rejected:
            log.warning('%s %s: %d line(s) quarantined', machine.serial, table, counts.rejected)
        return Reply(200, f'OK: {counts.handled}')

    def _estimate_skew(self, machine: Machine, newest: str, previous: dict[str, str] | None, now: datetime) -> None:
        if previous and previous['local_time'] >= newest:
            return
        bridge_local = now.astimezone(ZoneInfo(machine.zone)).replace(tzinfo=None)
        skew = (datetime.strptime(newest, TIME_FORMAT) - bridge_local).total_seconds()
        self.spool.set_skew(machine.serial, skew, 'push-realtime', now)

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
                self.spool.set_backfill(command.backfill_id, state, f'device returned {code_text}')
            if command is not None and command.command.startswith('VERIFY SUM ATTLOG'):
                self._day_sum(machine, command.command, code, reply)
        return Reply(200, 'OK')

    def _day_sum(self, machine: Machine, command: str, code: int | None, reply: dict[str, str]) -> None:
        # Firmware names the total AttlogSum (PUSH protocol) or AttlogCount (ZKTeco's own servers read that).
        total = reply.get('AttlogSum', reply.get('AttlogCount', ''))
        day = command.split('StartTime=', 1)[1][:10]
        count = int(total) if code is not None and code >= 0 and total.isdigit() else None
        self.spool.set_day_sum(machine.serial, day, count, code)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = SERVER_VERSION
    sys_version = ''
    receiver: AdmsReceiver

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch('GET')

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch('POST')

    def _dispatch(self, method: str) -> None:
        try:
            body = self._read_body()
        except ValueError as exc:
            self._send(Reply(413 if 'large' in str(exc) else 400, str(exc)))
            self.close_connection = True
            return
        try:
            reply = self.receiver.handle(method, self.path, body, self.client_address[0])
        except Exception:
            log.exception('%s %s failed; the machine will retry', method, self.path)
            reply = Reply(500, 'ERROR')
        self._send(reply)

    def _read_body(self) -> bytes:
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size_line = self.rfile.readline(1024).split(b';')[0].strip()
                size = int(size_line or b'0', 16)
                if size == 0:
                    while self.rfile.readline(1024).strip():
                        pass
                    return b''.join(chunks)
                total += size
                if total > MAX_BODY_BYTES:
                    raise ValueError('body too large')
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = int(self.headers.get('Content-Length') or 0)
        if length > MAX_BODY_BYTES:
            raise ValueError('body too large')
        return self.rfile.read(length) if length > 0 else b''

    def _send(self, reply: Reply) -> None:
        payload = reply.body.encode('utf-8')
        self.send_response(reply.status)  # also sends Date (GMT): the machine sets its clock from it
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def version_string(self) -> str:
        return SERVER_VERSION

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's signature
        log.debug('%s %s', self.client_address[0], format % args)


def make_server(receiver: AdmsReceiver, host: str, port: int) -> ThreadingHTTPServer:
    handler = type('AdmsHandler', (_Handler,), {'receiver': receiver})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
