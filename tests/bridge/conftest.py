"""Fixtures for the bridge: a fake cloud on loopback, a config on disk, a running bridge."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hadir_bridge.cloud import HttpCloudClient
from hadir_bridge.config import Config, Machine, load_config
from hadir_bridge.pull import ZkConnection
from hadir_bridge.runner import Bridge
from hadir_bridge.spool import Spool

from tests.bridge.fake_cloud import FakeCloud

PUSH_SERIAL = 'CKJX201960001'
PULL_SERIAL = 'BJ2C183460012'
USB_SERIAL = 'AEYU201160099'
API_KEY = 'hdr_bridge01_secret'


def write_config(tmp_path: Path, cloud_url: str) -> Path:
    (tmp_path / 'bridge.key').write_text(API_KEY + '\n')
    text = f"""
[bridge]
spool = "spool/spool.db"
listen = "127.0.0.1:0"
adms_delay_seconds = 2

[cloud]
url = "{cloud_url}"
key_file = "bridge.key"
upload_interval_seconds = 0.2
heartbeat_interval_seconds = 3600
backfill_interval_seconds = 3600
batch_max_records = 5000

[[machines]]
serial = "{PUSH_SERIAL}"
name = "Lobi Dinas Kesehatan"
protocol = "push"
zone = "Asia/Makassar"
verify_sum = false  # its daily VERIFY SUM would be the first command every test machine gets (test_counts.py)

[[machines]]
serial = "{PULL_SERIAL}"
name = "Puskesmas Batua"
protocol = "pull"
zone = "Asia/Makassar"
address = "127.0.0.1:4370"
pull_interval_seconds = 3600

[[machines]]
serial = "{USB_SERIAL}"
name = "Kantor Camat"
protocol = "usb"
zone = "Asia/Jayapura"
"""
    path = tmp_path / 'bridge.toml'
    path.write_text(text)
    return path


@pytest.fixture
def fake_cloud() -> Iterator[FakeCloud]:
    cloud = FakeCloud(api_key=API_KEY).start()
    yield cloud
    cloud.stop()


@pytest.fixture
def config(tmp_path: Path, fake_cloud: FakeCloud) -> Config:
    return load_config(write_config(tmp_path, fake_cloud.url))


@pytest.fixture
def spool(config: Config) -> Iterator[Spool]:
    opened = Spool(config.spool)
    yield opened
    opened.close()


@pytest.fixture
def cloud_client(fake_cloud: FakeCloud) -> HttpCloudClient:
    return HttpCloudClient(fake_cloud.url, API_KEY, timeout=10)


class NoMachineConnector:
    """No TCP machine exists in tests: any attempt to reach one fails loudly."""

    def __call__(self, machine: Machine) -> ZkConnection:
        raise ConnectionRefusedError('no machine in tests')


@pytest.fixture
def running_bridge(config: Config, spool: Spool, cloud_client: HttpCloudClient) -> Iterator[Bridge]:
    bridge = Bridge(config, spool, cloud_client, connector=NoMachineConnector())
    bridge.start()
    yield bridge
    bridge.stop()
