"""``hadir-bridge run``: the receiver, the pullers, the uploader, the heartbeat and the backfill poll, as threads."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer

from hadir_bridge.adms import AdmsReceiver, make_server
from hadir_bridge.cloud import CloudClient, CloudError
from hadir_bridge.config import Config, Machine
from hadir_bridge.health import Backfiller, send_heartbeat
from hadir_bridge.pull import Connector, Puller, PullError, pyzk_connector
from hadir_bridge.spool import Spool
from hadir_bridge.uploader import Uploader

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300.0


class Bridge:
    def __init__(self, config: Config, spool: Spool, cloud: CloudClient, connector: Connector = pyzk_connector) -> None:
        self.config = config
        self.spool = spool
        self.cloud = cloud
        self.machines = {machine.serial: machine for machine in config.machines}
        self.receiver = AdmsReceiver(spool, self.machines, config.adms_delay_seconds)
        self.puller = Puller(spool, connector)
        self.uploader = Uploader(spool, cloud, config.batch_max_records, config.upload_body_version)
        self.backfiller = Backfiller(spool, cloud, self.machines, self.puller)
        self.stop_event = threading.Event()
        self.server: ThreadingHTTPServer | None = None
        self.threads: list[threading.Thread] = []
        self._upload_now = threading.Event()

    @property
    def address(self) -> tuple[str, int]:
        if self.server is None:
            raise RuntimeError('the bridge is not started')
        host, port = self.server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self.server = make_server(
            self.receiver,
            self.config.listen_host,
            self.config.listen_port,
            read_timeout=self.config.read_timeout_seconds,
            max_connections=self.config.max_connections,
        )
        server = self.server
        self._thread('adms', lambda: server.serve_forever(poll_interval=0.2))
        self._thread('uploader', self._upload_loop)
        self._thread('heartbeat', lambda: self._every(self.config.heartbeat_interval_seconds, self._heartbeat))
        self._thread('backfill', lambda: self._every(self.config.backfill_interval_seconds, self.backfiller.poll))
        for machine in self.machines.values():
            if machine.protocol == 'pull':
                self._thread(f'pull-{machine.serial}', self._pull_loop(machine))
        log.info('bridge listening on %s:%d for %d machine(s)', *self.address, len(self.machines))

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self._upload_now.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        for thread in self.threads:
            thread.join(timeout)

    def upload_soon(self) -> None:
        self._upload_now.set()

    def _thread(self, name: str, target: Callable[[], object]) -> None:
        thread = threading.Thread(target=target, name=f'hadir-{name}', daemon=True)
        thread.start()
        self.threads.append(thread)

    def _every(self, interval: float, step: Callable[[], object]) -> None:
        while not self.stop_event.is_set():
            try:
                step()
            except CloudError as exc:
                log.warning('%s: %s', threading.current_thread().name, exc)
            except Exception:
                log.exception('%s failed; retrying next round', threading.current_thread().name)
            self.stop_event.wait(interval)

    def _heartbeat(self) -> None:
        send_heartbeat(self.spool, self.cloud, self.machines)

    def _upload_loop(self) -> None:
        backoff = 0.0
        while not self.stop_event.is_set():
            try:
                self.uploader.drain()
                backoff = 0.0
            except CloudError as exc:
                backoff = min(MAX_BACKOFF_SECONDS, max(5.0, backoff * 2))
                log.warning('upload failed (%s); records stay spooled, retry in %.0f s', exc, backoff)
            except Exception:
                backoff = min(MAX_BACKOFF_SECONDS, max(5.0, backoff * 2))
                log.exception('uploader failed; retry in %.0f s', backoff)
            self._upload_now.wait(backoff or self.config.upload_interval_seconds)
            self._upload_now.clear()

    def _pull_loop(self, machine: Machine) -> Callable[[], None]:
        def loop() -> None:
            while not self.stop_event.is_set():
                try:
                    result = self.puller.pull(machine)
                    log.info('pulled %s: %d new of %d', machine.serial, result.counts.added, result.records_on_machine)
                except PullError as exc:
                    log.warning('%s', exc)
                self.stop_event.wait(machine.pull_interval_seconds)

        return loop
