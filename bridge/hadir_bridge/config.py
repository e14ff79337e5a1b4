"""The bridge's TOML config: the cloud, the spool, the listener and the machines it serves."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hadir_bridge.parsers import is_serial

PROTOCOLS = ('push', 'pull', 'usb')
ZONES = ('Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura')
DEFAULT_PULL_PORT = 4370


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Machine:
    serial: str
    name: str
    protocol: str
    zone: str
    address: str | None = None
    pull_interval_seconds: int = 300
    comm_key: int = 0
    verify_sum: bool = True  # push: ask the machine daily for its own count of yesterday (VERIFY SUM ATTLOG)

    @property
    def host_port(self) -> tuple[str, int]:
        if not self.address:
            raise ConfigError(f'machine {self.serial} has no address')
        host, _, port = self.address.partition(':')
        return host, int(port) if port else DEFAULT_PULL_PORT

    def timezone_option(self, at: datetime | None = None) -> int:
        """The ADMS ``TimeZone`` value: whole hours when the offset is whole, minutes otherwise."""
        moment = at or datetime(2025, 1, 1)
        offset = ZoneInfo(self.zone).utcoffset(moment) or timedelta()
        minutes = int(offset.total_seconds() // 60)
        return minutes // 60 if minutes % 60 == 0 else minutes


@dataclass(frozen=True)
class Config:
    cloud_url: str
    key_file: Path
    spool: Path
    listen_host: str = '0.0.0.0'
    listen_port: int = 8081
    machines: tuple[Machine, ...] = ()
    upload_interval_seconds: float = 30.0
    heartbeat_interval_seconds: float = 300.0
    backfill_interval_seconds: float = 300.0
    batch_max_records: int = 5000
    upload_body_version: int = 1
    adms_delay_seconds: int = 10
    read_timeout_seconds: float = 30.0
    max_connections: int = 64
    source: Path | None = field(default=None, compare=False)

    def machine(self, serial: str) -> Machine | None:
        for machine in self.machines:
            if machine.serial == serial:
                return machine
        return None

    def read_key(self) -> str:
        try:
            key = self.key_file.read_text(encoding='utf-8').strip()
        except OSError as exc:
            raise ConfigError(f'cannot read the bridge key file {self.key_file}: {exc.strerror}') from exc
        if not key:
            raise ConfigError(f'the bridge key file {self.key_file} is empty')
        return key


def load_config(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text(encoding='utf-8'))
    except OSError as exc:
        raise ConfigError(f'cannot read {path}: {exc.strerror}') from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f'{path} is not valid TOML: {exc}') from exc
    return parse_config(data, base=path.parent, source=path)


def parse_config(data: dict[str, Any], base: Path = Path('.'), source: Path | None = None) -> Config:
    cloud = _table(data, 'cloud')
    bridge = data.get('bridge', {})
    if not isinstance(bridge, dict):
        raise ConfigError('[bridge] must be a table')
    listen = str(bridge.get('listen', '0.0.0.0:8081'))
    host, _, port = listen.rpartition(':')
    if not host or not port.isdigit():
        raise ConfigError(f'[bridge] listen {listen!r} must be host:port')
    machines = tuple(_machine(item, index) for index, item in enumerate(data.get('machines', [])))
    serials = [machine.serial for machine in machines]
    duplicates = sorted({serial for serial in serials if serials.count(serial) > 1})
    if duplicates:
        raise ConfigError(f'machine serials listed twice: {", ".join(duplicates)}')
    url = _str(cloud, 'url', 'cloud').rstrip('/')
    if not url.startswith(('http://', 'https://')):
        raise ConfigError(f'[cloud] url {url!r} must start with https:// (or http:// for a local stack)')
    return Config(
        cloud_url=url,
        key_file=_path(base, _str(cloud, 'key_file', 'cloud')),
        spool=_path(base, str(bridge.get('spool', 'hadir-bridge-spool.db'))),
        listen_host=host,
        listen_port=int(port),
        machines=machines,
        upload_interval_seconds=float(cloud.get('upload_interval_seconds', 30)),
        heartbeat_interval_seconds=float(cloud.get('heartbeat_interval_seconds', 300)),
        backfill_interval_seconds=float(cloud.get('backfill_interval_seconds', 300)),
        batch_max_records=int(cloud.get('batch_max_records', 5000)),
        upload_body_version=_body_version(cloud),
        adms_delay_seconds=int(bridge.get('adms_delay_seconds', 10)),
        read_timeout_seconds=_positive(bridge, 'read_timeout_seconds', 30.0),
        max_connections=int(_positive(bridge, 'max_connections', 64)),
        source=source,
    )


def _body_version(cloud: dict[str, Any]) -> int:
    value = cloud.get('upload_body_version', 1)
    if value not in (1, 2) or isinstance(value, bool):
        raise ConfigError(
            f'[cloud] upload_body_version must be 1 or 2, not {value!r} (2 once the cloud reads version 2 bodies)'
        )
    return int(value)


def _positive(table: dict[str, Any], key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f'[bridge] {key} must be a positive number, not {value!r}')
    return float(value)


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise ConfigError(f'missing [{name}] table')
    return value


def _str(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f'[{where}] {key} must be a non-empty string')
    return value.strip()


def _path(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _machine(item: Any, index: int) -> Machine:
    where = f'machines[{index}]'
    if not isinstance(item, dict):
        raise ConfigError(f'{where} must be a table')
    serial = _str(item, 'serial', where)
    if not is_serial(serial):
        raise ConfigError(f'{where} serial {serial!r} must be 4-32 letters or digits')
    protocol = _str(item, 'protocol', where)
    if protocol not in PROTOCOLS:
        raise ConfigError(f'{where} protocol {protocol!r} must be one of {", ".join(PROTOCOLS)}')
    zone = _str(item, 'zone', where)
    if zone not in ZONES:
        raise ConfigError(f'{where} zone {zone!r} must be one of {", ".join(ZONES)} (WIB, WITA, WIT)')
    try:
        ZoneInfo(zone)
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - tzdata missing on the host
        raise ConfigError(f'{where} zone {zone!r} is not known to this system (install tzdata)') from exc
    address = item.get('address')
    if address is not None and (not isinstance(address, str) or not address.strip()):
        raise ConfigError(f'{where} address must be host or host:port')
    if protocol == 'pull' and not address:
        raise ConfigError(f'{where} is a pull (TCP) machine and needs an address host[:port]')
    if address and ':' in address and not address.rpartition(':')[2].isdigit():
        raise ConfigError(f'{where} address {address!r} has a bad port')
    verify_sum = item.get('verify_sum', True)
    if not isinstance(verify_sum, bool):
        raise ConfigError(f'{where} verify_sum must be true or false')
    interval = int(item.get('pull_interval_seconds', 300))
    if interval < 10:
        raise ConfigError(f'{where} pull_interval_seconds must be at least 10')
    return Machine(
        serial=serial,
        name=str(item.get('name', serial)),
        protocol=protocol,
        zone=zone,
        address=address.strip() if isinstance(address, str) else None,
        pull_interval_seconds=interval,
        comm_key=int(item.get('comm_key', 0)),
        verify_sum=verify_sum,
    )
