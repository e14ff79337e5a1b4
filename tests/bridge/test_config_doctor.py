"""Config parsing and ``hadir-bridge doctor``."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from hadir_bridge.cli import main
from hadir_bridge.config import ConfigError, parse_config
from hadir_bridge.doctor import run_doctor
from hadir_bridge.spool import Spool

from tests.bridge.conftest import PULL_SERIAL, PUSH_SERIAL
from tests.bridge.fake_cloud import FakeCloud
from tests.bridge.fake_zk import FakeZk

BASE = {'cloud': {'url': 'https://api.hadir.example.go.id', 'key_file': '/etc/hadir-bridge/key'}}


def _with(machine: dict[str, object]) -> dict[str, object]:
    return {**BASE, 'machines': [machine]}


@pytest.mark.parametrize(
    ('machine', 'message'),
    [
        ({'serial': 'AB', 'protocol': 'push', 'zone': 'Asia/Jakarta'}, 'serial'),
        ({'serial': 'ABCD1234', 'protocol': 'udp', 'zone': 'Asia/Jakarta'}, 'protocol'),
        ({'serial': 'ABCD1234', 'protocol': 'push', 'zone': 'Asia/Singapore'}, 'zone'),
        ({'serial': 'ABCD1234', 'protocol': 'pull', 'zone': 'Asia/Jakarta'}, 'needs an address'),
        ({'serial': 'ABCD1234', 'protocol': 'pull', 'zone': 'Asia/Jakarta', 'address': '10.0.0.5:x'}, 'bad port'),
    ],
)
def test_config_rejects_bad_machines(machine: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(_with(machine))


def test_config_rejects_duplicate_serials_and_a_missing_cloud() -> None:
    machine = {'serial': 'ABCD1234', 'protocol': 'push', 'zone': 'Asia/Jakarta'}
    with pytest.raises(ConfigError, match='listed twice'):
        parse_config({**BASE, 'machines': [machine, machine]})
    with pytest.raises(ConfigError, match=r'\[cloud\]'):
        parse_config({'machines': [machine]})


def test_config_defaults_and_pull_port() -> None:
    config = parse_config(
        _with({'serial': 'ABCD1234', 'protocol': 'pull', 'zone': 'Asia/Jayapura', 'address': '10.0.0.5'})
    )
    assert config.machines[0].host_port == ('10.0.0.5', 4370)
    assert (config.listen_host, config.listen_port, config.batch_max_records) == ('0.0.0.0', 8081, 5000)
    assert config.machines[0].timezone_option() == 9


def test_doctor_checks_config_key_spool_cloud_and_machines(
    tmp_path: Path, fake_cloud: FakeCloud, config: object
) -> None:
    # Given a pull machine listening on a local TCP port and a push machine that has never called
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen()
    port = listener.getsockname()[1]
    source = tmp_path / 'bridge.toml'
    source.write_text(source.read_text().replace('127.0.0.1:4370', f'127.0.0.1:{port}'))
    zk = FakeZk(clock=__import__('datetime').datetime(2030, 1, 1))

    # When the doctor runs
    findings = {finding.subject.split(' ')[0]: finding for finding in run_doctor(source, connector=zk)}
    listener.close()

    # Then each part has a verdict
    assert findings['config'].level == 'ok' and findings['key'].level == 'ok' and findings['spool'].level == 'ok'
    assert findings['cloud'].level == 'ok'
    assert findings[PULL_SERIAL].level == 'warn' and 'clock off by' in findings[PULL_SERIAL].message
    assert findings[PUSH_SERIAL].level == 'warn' and 'never contacted' in findings[PUSH_SERIAL].message
    assert 'get_attendance' not in zk.calls


def test_doctor_reports_an_unreachable_machine_and_exits_non_zero(tmp_path: Path, config: object) -> None:
    findings = run_doctor(tmp_path / 'bridge.toml', connector=FakeZk(), tcp_timeout=0.5)
    pull = next(finding for finding in findings if finding.subject.startswith(PULL_SERIAL))
    assert pull.level == 'error' and 'unreachable' in pull.message
    assert main(['--config', str(tmp_path / 'bridge.toml'), 'doctor']) == 1
    assert main(['--config', str(tmp_path / 'missing.toml'), 'doctor']) == 1


def test_status_and_quarantine_commands(tmp_path: Path, config: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(['--config', str(tmp_path / 'bridge.toml'), 'status']) == 0
    assert '"punches_unsent": 0' in capsys.readouterr().out
    assert main(['--config', str(tmp_path / 'bridge.toml'), 'quarantine']) == 0


def test_upload_command_drains_the_spool(tmp_path: Path, config: object, fake_cloud: FakeCloud) -> None:
    from hadir_bridge.parsers import parse_attlog

    spool = Spool(tmp_path / 'spool' / 'spool.db')
    punches, _ = parse_attlog(PUSH_SERIAL, '1\t2026-01-05 07:00:00\t0\t1\t0\t0\t0')
    spool.ingest(serial=PUSH_SERIAL, source='push', table='ATTLOG', punches=punches)
    spool.close()
    assert main(['--config', str(tmp_path / 'bridge.toml'), 'upload']) == 0
    assert len(fake_cloud.punches()) == 1
