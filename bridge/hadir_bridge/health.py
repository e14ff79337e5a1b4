"""Heartbeat and backfill: what the bridge tells the cloud about its machines, and re-pulls it is asked for."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hadir_bridge import __version__
from hadir_bridge.adms import backfill_command, command_id, verify_sum_command
from hadir_bridge.cloud import CloudClient, CloudError
from hadir_bridge.config import Machine
from hadir_bridge.parsers import TIME_FORMAT, LineError, parse_time
from hadir_bridge.pull import Puller, PullError
from hadir_bridge.spool import Spool, iso, utc_now
from hadir_bridge.spool.storage import BACKFILL_COUNTS

log = logging.getLogger(__name__)

COUNT_DAYS = 8  # per-date counts for today and the 7 days before: the cloud looks back 7 days after the day


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def count_report(spool: Spool, machine: Machine, now: datetime) -> dict[str, Any]:
    """What the cloud's daily count reconciliation compares: per machine-local date, the punches the bridge holds
    (and the machine's own count where it gave one), and the machine's running counter against what the bridge
    received since the counter's baseline."""
    today = _local(now, machine.zone).date()
    first = today - timedelta(days=COUNT_DAYS - 1)
    counter = spool.counter_report(machine.serial)
    if counter is not None:
        since_at = counter.pop('since_at')
        since = datetime.strptime(since_at, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=UTC) if since_at else None
        counter['since'] = _local(since, machine.zone).strftime(TIME_FORMAT) if since else None
    return {'day_counts': spool.day_counts(machine.serial, first.isoformat(), today.isoformat()), 'counter': counter}


def queue_day_sums(spool: Spool, machines: Mapping[str, Machine], now: datetime | None = None) -> list[str]:
    """Ask each push machine once for its own count of yesterday (``VERIFY SUM ATTLOG``); re-asking is a no-op."""
    queued = []
    for machine in machines.values():
        if machine.protocol != 'push' or not machine.verify_sum:
            continue
        day = (_local(now or utc_now(), machine.zone).date() - timedelta(days=1)).isoformat()
        if spool.queue_command(
            machine.serial, command_id(f'verify-sum:{machine.serial}:{day}'), verify_sum_command(day)
        ):
            queued.append(machine.serial)
    return queued


def heartbeat_payload(spool: Spool, machines: Mapping[str, Machine], now: datetime | None = None) -> dict[str, Any]:
    """Each machine's last contact, INFO counters, clock skew and last punch, plus the spool's backlog."""
    entries: list[dict[str, Any]] = []
    moment = now or utc_now()
    for machine in machines.values():
        state = spool.machine_state(machine.serial)
        last = spool.last_punch(machine.serial)
        entries.append(
            {
                'serial': machine.serial,
                'name': machine.name,
                'protocol': machine.protocol,
                'zone': machine.zone,
                'last_contact': state.get('last_contact'),
                'remote_addr': state.get('remote_addr'),
                'firmware': state.get('firmware'),
                'users': state.get('users'),
                'fingerprints': state.get('fingerprints'),
                'faces': state.get('faces'),
                'attlog_count': state.get('attlog_count'),
                'ip': state.get('ip'),
                'info_at': state.get('info_at'),
                'clock_skew_seconds': state.get('skew_seconds'),
                'clock_skew_source': state.get('skew_source'),
                'clock_skew_at': state.get('skew_at'),
                'last_punch_time': last['local_time'] if last else None,
                'last_punch_received_at': last['received_at'] if last else None,
                'punches_spooled': spool.punch_count(machine.serial),
                'last_error': state.get('last_error'),
                'last_error_at': state.get('last_error_at'),
                **count_report(spool, machine, moment),
            }
        )
    return {
        'bridge_time': iso(moment),
        'bridge_version': __version__,
        'hostname': socket.gethostname(),
        'spool': spool.stats(),
        'machines': entries,
        'unknown_devices': spool.unknown_devices(),
    }


def send_heartbeat(spool: Spool, cloud: CloudClient, machines: Mapping[str, Machine]) -> dict[str, Any]:
    queue_day_sums(spool, machines)
    payload = heartbeat_payload(spool, machines)
    cloud.heartbeat(payload)
    return payload


class Backfiller:
    """Turn the cloud's backfill requests into ``DATA QUERY ATTLOG`` commands (push) or windowed re-pulls (pull)."""

    def __init__(
        self,
        spool: Spool,
        cloud: CloudClient,
        machines: Mapping[str, Machine],
        puller: Puller | None,
    ) -> None:
        self.spool = spool
        self.cloud = cloud
        self.machines = dict(machines)
        self.puller = puller
        self._lock = threading.Lock()

    def poll(self) -> None:
        """Start every new request, then report every state change; concurrent polls run one at a time."""
        with self._lock:
            self._poll()

    def _poll(self) -> None:
        for request in self.cloud.backfill_requests():
            if not self.spool.add_backfill(request.request_id, request.serial, request.start, request.end):
                continue
            self._start(request.request_id, request.serial, request.start, request.end)
        self.report()

    def _start(self, request_id: str, serial: str, start: str, end: str) -> None:
        """Serve a request twice over: the window's punches already spooled are sent again (the cloud may have
        lost them), and the machine is read again for the window (the bridge may never have had them)."""
        machine = self.machines.get(serial)
        try:
            parse_time(start)
            parse_time(end)
        except LineError as exc:
            self.spool.set_backfill(request_id, 'failed', f'bad window: {exc}')
            return
        if machine is None:
            self.spool.set_backfill(request_id, 'failed', f'serial {serial} is not served by this bridge')
            return
        count = self.spool.resend_window(serial, start, end)
        resent = f'{count} spooled punches sent again'
        if machine.protocol == 'push':
            self.spool.queue_command(serial, command_id(request_id), backfill_command(start, end), request_id)
            self.spool.set_backfill(
                request_id, 'queued', f'{resent}; DATA QUERY ATTLOG queued for the next getrequest', resent=count
            )
        elif machine.protocol == 'pull' and self.puller is not None:
            try:
                result = self.puller.pull(machine, start, end)
            except PullError as exc:
                self.spool.set_backfill(request_id, 'failed', f'{resent}; {exc}', resent=count)
                return
            detail = f'{resent}; pulled {result.counts.added} new, {result.counts.duplicates} already spooled'
            self.spool.set_backfill(request_id, 'done', detail, resent=count, pulled=result.counts.added)
        else:
            # Only a file from the machine can bring what the bridge never had.
            self.spool.set_backfill(
                request_id, 'done', f'{resent}; a USB machine: for more, run import-usb', resent=count
            )

    def report(self) -> None:
        for item in self.spool.backfills():
            if item['state'] == item['reported_state'] or item['state'] == 'new':
                continue
            try:
                counts = {k: item[k] for k in BACKFILL_COUNTS if item.get(k) is not None}
                self.cloud.report_backfill(item['request_id'], item['state'], item['detail'], counts)
            except CloudError as exc:
                log.warning('could not report backfill %s: %s', item['request_id'], exc)
                return
            self.spool.mark_backfill_reported(item['request_id'], item['state'])
