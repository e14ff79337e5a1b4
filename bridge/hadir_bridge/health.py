"""Heartbeat and backfill: what the bridge tells the cloud about its machines, and re-pulls it is asked for."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hadir_bridge import __version__
from hadir_bridge.adms import backfill_command, command_id
from hadir_bridge.cloud import CloudClient, CloudError
from hadir_bridge.config import Machine
from hadir_bridge.parsers import LineError, parse_time
from hadir_bridge.pull import Puller, PullError
from hadir_bridge.spool import Spool, iso, utc_now

log = logging.getLogger(__name__)


def heartbeat_payload(spool: Spool, machines: Mapping[str, Machine], now: datetime | None = None) -> dict[str, Any]:
    """Each machine's last contact, INFO counters, clock skew and last punch, plus the spool's backlog."""
    entries: list[dict[str, Any]] = []
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
            }
        )
    return {
        'bridge_time': iso(now or utc_now()),
        'bridge_version': __version__,
        'hostname': socket.gethostname(),
        'spool': spool.stats(),
        'machines': entries,
        'unknown_devices': spool.unknown_devices(),
    }


def send_heartbeat(spool: Spool, cloud: CloudClient, machines: Mapping[str, Machine]) -> dict[str, Any]:
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
        machine = self.machines.get(serial)
        try:
            parse_time(start)
            parse_time(end)
        except LineError as exc:
            self.spool.set_backfill(request_id, 'failed', f'bad window: {exc}')
            return
        if machine is None:
            self.spool.set_backfill(request_id, 'failed', f'serial {serial} is not served by this bridge')
        elif machine.protocol == 'push':
            self.spool.queue_command(serial, command_id(request_id), backfill_command(start, end), request_id)
            self.spool.set_backfill(request_id, 'queued', 'DATA QUERY ATTLOG queued for the next getrequest')
        elif machine.protocol == 'pull' and self.puller is not None:
            try:
                result = self.puller.pull(machine, start, end)
            except PullError as exc:
                self.spool.set_backfill(request_id, 'failed', str(exc))
                return
            detail = f'pulled {result.counts.added} new, {result.counts.duplicates} already spooled'
            self.spool.set_backfill(request_id, 'done', detail)
        else:
            self.spool.set_backfill(request_id, 'failed', 'a USB machine: bring its attlog.dat and run import-usb')

    def report(self) -> None:
        for item in self.spool.backfills():
            if item['state'] == item['reported_state'] or item['state'] == 'new':
                continue
            try:
                self.cloud.report_backfill(item['request_id'], item['state'], item['detail'])
            except CloudError as exc:
                log.warning('could not report backfill %s: %s', item['request_id'], exc)
                return
            self.spool.mark_backfill_reported(item['request_id'], item['state'])
