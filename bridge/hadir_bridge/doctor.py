"""``hadir-bridge doctor``: is the config sound, is the spool healthy, does the cloud take this bridge's key and
know its machines, what did it reject lately, and can we reach each machine?"""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from hadir_bridge.cloud import CloudError, HttpCloudClient
from hadir_bridge.config import Config, ConfigError, Machine, load_config
from hadir_bridge.health import heartbeat_payload
from hadir_bridge.pull import Connector, Puller, PullError, pyzk_connector
from hadir_bridge.spool import Spool, utc_now

PUSH_STALE = timedelta(minutes=15)
SKEW_WARN_SECONDS = 120
REJECT_REASONS_SHOWN = 5


class DoctorCloud(Protocol):
    """What the doctor asks the cloud: an open health check, and two calls that need the bridge's key."""

    def health(self) -> dict[str, Any]: ...

    def check_in(self, payload: dict[str, Any]) -> dict[str, Any]: ...

    def recent_uploads(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Finding:
    level: str  # ok | warn | error
    subject: str
    message: str

    def __str__(self) -> str:
        return f'[{self.level.upper():5}] {self.subject}: {self.message}'


def run_doctor(
    config_path: Path,
    cloud: DoctorCloud | None = None,
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
    ignored: set[str] = set()
    if cloud is not None:
        try:
            cloud.health()
            findings.append(Finding('ok', 'cloud', f'{config.cloud_url} answers'))
        except CloudError as exc:
            findings.append(Finding('error', 'cloud', str(exc)))
        key_finding, ignored = _key_and_machines(cloud, config, spool)
        findings.append(key_finding)
        if key_finding.level != 'error':
            findings.extend(_recent_rejects(cloud))
    for machine in config.machines:
        findings.extend(_machine(machine, spool, connector, tcp_timeout))
        if machine.serial in ignored:
            findings.append(
                Finding(
                    'error',
                    f'cloud-machine {machine.serial}',
                    "the cloud does not know this machine as one of this bridge's: every punch from it will be"
                    ' rejected (unknown machine serial). Register it in Hadir with this bridge.',
                )
            )
    if spool is not None:
        spool.close()
    return findings


def _key_and_machines(cloud: DoctorCloud, config: Config, spool: Spool | None) -> tuple[Finding, set[str]]:
    """Prove the key with an authenticated call, a heartbeat (what the running bridge sends anyway), and read
    from its answer which configured machines the cloud does not count as this bridge's."""
    machines: Mapping[str, Machine] = {machine.serial: machine for machine in config.machines}
    try:
        payload = heartbeat_payload(spool, machines) if spool is not None else {'machines': []}
        if spool is None:
            payload['machines'] = [{'serial': serial} for serial in machines]
        answer = cloud.check_in(payload)
    except CloudError as exc:
        if exc.status in (401, 403):
            return Finding('error', 'cloud-key', f"the cloud refuses this bridge's key: {exc}"), set()
        return Finding('error', 'cloud-key', f'could not prove the key: {exc}'), set()
    ignored = {str(serial) for serial in answer.get('ignored') or []}
    accepted = len(answer.get('accepted') or [])
    return Finding(
        'ok', 'cloud-key', f"the cloud accepts this bridge's key and knows {accepted} of its machines"
    ), ignored


def _recent_rejects(cloud: DoctorCloud) -> list[Finding]:
    try:
        uploads = cloud.recent_uploads()
    except CloudError as exc:
        if exc.status == 404:
            return [Finding('warn', 'cloud-uploads', 'this cloud does not show a bridge its uploads (older version)')]
        return [Finding('warn', 'cloud-uploads', f'could not read recent uploads: {exc}')]
    if not uploads:
        return [Finding('ok', 'cloud-uploads', 'no upload reconciled in the last 24 hours')]
    rejected = [item for item in uploads if int(item.get('rejected') or 0) > 0]
    lines = sum(int(item.get('rejected') or 0) for item in uploads)
    accepted = sum(int(item.get('accepted') or 0) for item in uploads)
    if not rejected:
        return [Finding('ok', 'cloud-uploads', f'{len(uploads)} upload(s) in the last 24 hours, none rejected a line')]
    findings = [
        Finding(
            'warn',
            'cloud-uploads',
            f'{len(rejected)} of {len(uploads)} upload(s) in the last 24 hours had rejected lines: {lines} rejected,'
            f' {accepted} accepted',
        )
    ]
    reasons = Counter(
        str(reject.get('reason'))
        for item in rejected
        for reject in item.get('rejects') or []
        if isinstance(reject, dict)
    )
    for reason, count in reasons.most_common(REJECT_REASONS_SHOWN):
        findings.append(Finding('warn', 'cloud-rejects', f'{count}x {reason}'))
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
