"""``hadir-bridge doctor``: is the config sound, is the spool healthy, can we reach the cloud and each machine?"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from hadir_bridge.cloud import CloudClient, CloudError, HttpCloudClient
from hadir_bridge.config import Config, ConfigError, Machine, load_config
from hadir_bridge.pull import Connector, Puller, PullError, pyzk_connector
from hadir_bridge.spool import Spool, utc_now

PUSH_STALE = timedelta(minutes=15)
SKEW_WARN_SECONDS = 120


@dataclass(frozen=True)
class Finding:
    level: str  # ok | warn | error
    subject: str
    message: str

    def __str__(self) -> str:
        return f'[{self.level.upper():5}] {self.subject}: {self.message}'


def run_doctor(
    config_path: Path,
    cloud: CloudClient | None = None,
    connector: Connector = pyzk_connector,
    tcp_timeout: float = 3.0,
) -> list[Finding]:
    findings: list[Finding] = []
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        return [Finding('error', 'config', str(exc))]
    findings.append(Finding('ok', 'config', f'{config_path}: {len(config.machines)} machine(s)'))
    key: str | None = None
    try:
        key = config.read_key()
        if not key.startswith('hdr_'):
            findings.append(Finding('warn', 'key', f'{config.key_file} does not look like a Hadir key (hdr_…)'))
        else:
            findings.append(Finding('ok', 'key', f'{config.key_file} readable'))
    except ConfigError as exc:
        findings.append(Finding('error', 'key', str(exc)))
    spool: Spool | None = None
    try:
        spool = Spool(config.spool)
        stats = spool.stats()
        findings.append(
            Finding(
                'ok',
                'spool',
                f'{config.spool} (WAL): {stats["punches_unsent"]} unsent, {stats["batches_pending"]} pending batch(es),'
                f' {stats["quarantined"]} quarantined',
            )
        )
        for serial in stats['unknown_devices']:
            findings.append(Finding('warn', f'unknown {serial}', 'a machine not in the config tried to connect'))
    except Exception as exc:
        findings.append(Finding('error', 'spool', f'{config.spool}: {exc}'))
    findings.append(_listener(config))
    if cloud is None and key is not None:
        cloud = HttpCloudClient(config.cloud_url, key, timeout=10)
    if cloud is not None:
        try:
            cloud.health()
            findings.append(Finding('ok', 'cloud', f'{config.cloud_url} answers'))
        except CloudError as exc:
            findings.append(Finding('error', 'cloud', str(exc)))
    for machine in config.machines:
        findings.extend(_machine(machine, spool, connector, tcp_timeout))
    if spool is not None:
        spool.close()
    return findings


def _listener(config: Config) -> Finding:
    subject = f'listen {config.listen_host}:{config.listen_port}'
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((config.listen_host, config.listen_port))
        except OSError as exc:
            return Finding('warn', subject, f'cannot bind ({exc.strerror}); is the bridge already running?')
    return Finding('ok', subject, 'free to bind')


def _machine(machine: Machine, spool: Spool | None, connector: Connector, tcp_timeout: float) -> list[Finding]:
    subject = f'{machine.serial} ({machine.name}, {machine.protocol})'
    state = spool.machine_state(machine.serial) if spool else {}
    if machine.protocol == 'pull':
        host, port = machine.host_port
        try:
            with socket.create_connection((host, port), timeout=tcp_timeout):
                pass
        except OSError as exc:
            return [Finding('error', subject, f'TCP {host}:{port} unreachable: {exc}')]
        if spool is None:
            return [Finding('ok', subject, f'TCP {host}:{port} open')]
        try:
            result = Puller(spool, connector).probe(machine)
        except PullError as exc:
            return [Finding('error', subject, str(exc))]
        return [_skew(subject, result, f'TCP {host}:{port} open, pyzk session ok')]
    if machine.protocol == 'push':
        last = state.get('last_contact')
        if not last:
            return [Finding('warn', subject, 'has never contacted this bridge: set its ADMS server to this host')]
        age = utc_now() - datetime.strptime(last, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=utc_now().tzinfo)
        level = 'ok' if age <= PUSH_STALE else 'warn'
        return [
            _skew(
                subject,
                state.get('skew_seconds'),
                f'last contact {last} ({int(age.total_seconds() // 60)} min ago)',
                level,
            )
        ]
    return [Finding('ok', subject, 'USB only: import its attlog.dat with import-usb')]


def _skew(subject: str, skew: float | None, message: str, level: str = 'ok') -> Finding:
    if skew is not None and abs(skew) > SKEW_WARN_SECONDS:
        return Finding('warn', subject, f'{message}; clock off by {skew:+.0f} s')
    suffix = f'; clock skew {skew:+.0f} s' if skew is not None else ''
    return Finding(level, subject, message + suffix)
