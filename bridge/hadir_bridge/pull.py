"""TCP pull (port 4370) with pyzk for machines that cannot push. Read-only: the machine's log is never cleared.

pyzk's naming trap: ``Attendance.status`` is the *verify* byte and ``Attendance.punch`` is the punch state
(check-in/out…), so ``punch`` becomes our ``status`` and ``status`` our ``verify``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from hadir_bridge.config import Machine
from hadir_bridge.parsers import TIME_FORMAT, DeviceInfo, LineError, Punch, Rejected, parse_attlog_line
from hadir_bridge.spool import Counts, Spool, utc_now

log = logging.getLogger(__name__)


class ZkConnection(Protocol):
    """The slice of pyzk's connected ``ZK`` object the bridge uses (and nothing destructive)."""

    users: int
    fingers: int
    records: int

    def get_time(self) -> datetime: ...

    def get_firmware_version(self) -> Any: ...

    def read_sizes(self) -> Any: ...

    def get_attendance(self) -> Sequence[Any]: ...

    def disconnect(self) -> Any: ...


Connector = Callable[[Machine], ZkConnection]


class PullError(RuntimeError):
    pass


@dataclass(frozen=True)
class PullResult:
    serial: str
    records_on_machine: int
    counts: Counts
    skew_seconds: float | None


def pyzk_connector(machine: Machine, timeout: int = 15) -> ZkConnection:
    from zk import ZK  # imported lazily: doctor and USB import work without a machine library loaded

    host, port = machine.host_port
    connection: ZkConnection = ZK(
        host, port=port, timeout=timeout, password=machine.comm_key, ommit_ping=True
    ).connect()
    return connection


def attendance_to_line(attendance: Any) -> str:
    """An ATTLOG-shaped line from pyzk's fields: PIN, time, punch state, verify, workcode (pyzk drops it: 0)."""
    stamp = attendance.timestamp
    text = stamp.strftime(TIME_FORMAT) if isinstance(stamp, datetime) else str(stamp)
    return f'{str(attendance.user_id).strip()}\t{text}\t{attendance.punch}\t{attendance.status}\t0'


class Puller:
    def __init__(
        self, spool: Spool, connector: Connector = pyzk_connector, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.spool = spool
        self.connector = connector
        self.clock = clock
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def pull(self, machine: Machine, start: str | None = None, end: str | None = None) -> PullResult:
        """Pull one machine; a machine answers one TCP session at a time, so pulls of it are serialised."""
        with self._guard:
            lock = self._locks.setdefault(machine.serial, threading.Lock())
        with lock:
            return self._pull(machine, start, end)

    def probe(self, machine: Machine) -> float | None:
        """Open a session, record firmware, counters and clock skew, read no logs; return the skew in seconds."""
        try:
            connection = self.connector(machine)
        except Exception as exc:
            raise PullError(f'{machine.serial}: cannot open a pyzk session: {exc}') from exc
        try:
            return self._measure(machine, connection)
        except Exception as exc:
            raise PullError(f'{machine.serial}: pyzk session failed: {exc}') from exc
        finally:
            try:
                connection.disconnect()
            except Exception:
                log.debug('disconnect from %s failed', machine.serial, exc_info=True)

    def _pull(self, machine: Machine, start: str | None = None, end: str | None = None) -> PullResult:
        """Read the whole log (pyzk cannot read a window), keep what falls in [start, end], spool it."""
        try:
            connection = self.connector(machine)
        except Exception as exc:
            self.spool.set_error(machine.serial, f'connect failed: {exc}', self.clock())
            raise PullError(f'{machine.serial}: cannot connect to {machine.address}: {exc}') from exc
        try:
            skew = self._measure(machine, connection)
            attendances = list(connection.get_attendance())
        except Exception as exc:
            self.spool.set_error(machine.serial, f'read failed: {exc}', self.clock())
            raise PullError(f'{machine.serial}: read failed: {exc}') from exc
        finally:
            try:
                connection.disconnect()
            except Exception:  # a failed goodbye must not hide what was read
                log.debug('disconnect from %s failed', machine.serial, exc_info=True)
        punches: list[Punch] = []
        rejected: list[Rejected] = []
        for index, attendance in enumerate(attendances, start=1):
            line = attendance_to_line(attendance)
            try:
                punch = parse_attlog_line(machine.serial, line)
            except LineError as exc:
                rejected.append(Rejected(index, line, str(exc)))
                continue
            if (start is None or punch.time >= start) and (end is None or punch.time <= end):
                punches.append(punch)
        counts = self.spool.ingest(
            serial=machine.serial, source='pull', table='ATTLOG', punches=punches, rejected=rejected, now=self.clock()
        )
        self.spool.touch(machine.serial, machine.address, self.clock())
        # New firmware can answer a log read with nothing while its counter says otherwise (pyzk #170).
        counted = _int(getattr(connection, 'records', None))
        short = counted is not None and len(attendances) < counted
        self.spool.set_error(machine.serial, f'the machine counts {counted} records but sent {len(attendances)}'
                             if short else None, self.clock())  # fmt: skip
        return PullResult(machine.serial, len(attendances), counts, skew)

    def _measure(self, machine: Machine, connection: ZkConnection) -> float | None:
        now = self.clock()
        skew: float | None = None
        machine_time = connection.get_time()
        if isinstance(machine_time, datetime):
            bridge_local = now.astimezone(ZoneInfo(machine.zone)).replace(tzinfo=None)
            skew = (machine_time.replace(tzinfo=None) - bridge_local).total_seconds()
            self.spool.set_skew(machine.serial, skew, 'pull-get_time', now)
        firmware = connection.get_firmware_version()
        connection.read_sizes()
        host = machine.host_port[0]
        info = DeviceInfo(
            firmware=str(firmware or ''),
            users=_int(getattr(connection, 'users', None)),
            fingerprints=_int(getattr(connection, 'fingers', None)),
            attlog_count=_int(getattr(connection, 'records', None)),
            ip=host,
            faces=_int(getattr(connection, 'faces', None)),
            raw=f'pyzk firmware={firmware}',
        )
        self.spool.set_info(machine.serial, info, now)
        return skew


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) else None
