"""The real ``hadir-bridge run`` process: SIGKILLed while uploading, restarted, exact; SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from hadir_bridge.config import Config

from tests.bridge.conftest import PUSH_SERIAL
from tests.bridge.fake_cloud import FakeCloud
from tests.bridge.machine_sim import PushMachine, attlog_lines


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])


def _start(config_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, '-m', 'hadir_bridge.cli', '--config', str(config_path), 'run'],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _connect(port: int, deadline: float) -> PushMachine:
    while True:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return PushMachine('127.0.0.1', port, PUSH_SERIAL)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_sigkill_during_upload_then_restart_loses_and_duplicates_nothing(
    tmp_path: Path, config: Config, fake_cloud: FakeCloud
) -> None:
    # Given a bridge process with small batches and a slow storage
    assert config.source is not None
    port = _free_port()
    text = config.source.read_text().replace('127.0.0.1:0', f'127.0.0.1:{port}')
    config.source.write_text(text.replace('batch_max_records = 5000', 'batch_max_records = 200'))
    fake_cloud.put_delay = 0.1
    process = _start(config.source)
    deadline = time.monotonic() + 20
    machine = _connect(port, deadline)
    lines = attlog_lines(2000)
    for offset in range(0, len(lines), 500):
        assert machine.push('ATTLOG', lines[offset : offset + 500]) == (200, 'OK: 500')
    machine.close()

    # When it is killed outright once some batches have landed
    while sum(fake_cloud.puts.values()) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(5)
    landed_before = len(fake_cloud.objects)
    assert 0 < landed_before < 10

    # And restarted, then stopped with SIGTERM once it has caught up
    process = _start(config.source)
    while len(fake_cloud.punches()) < 2000 and time.monotonic() < deadline + 10:
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 0

    # Then the cloud holds each of the 2,000 punches exactly once, in 10 objects of 200
    punches = fake_cloud.punches()
    assert len(punches) == 2000 and len({punch['id'] for punch in punches}) == 2000
    assert len(fake_cloud.objects) == 10
    assert os.path.exists(config.spool)
