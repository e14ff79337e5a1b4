"""Config parsing and ``hadir-bridge doctor``."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from hadir_bridge.cli import main
from hadir_bridge.config import ConfigError, parse_config
from hadir_bridge.doctor import Finding, run_doctor
from hadir_bridge.spool import Spool

from tests.bridge.conftest import PULL_SERIAL, PUSH_SERIAL, USB_SERIAL
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


@pytest.mark.parametrize(('value', 'accepted'), [(1, True), (2, True), (3, False), ('2', False), (True, False)])
def test_the_upload_body_version_is_1_by_default_and_2_when_asked(value: object, accepted: bool) -> None:
    machine = {'serial': 'ABCD1234', 'protocol': 'push', 'zone': 'Asia/Jakarta'}
    assert parse_config(_with(machine)).upload_body_version == 1
    settings = {**BASE, 'cloud': {**BASE['cloud'], 'upload_body_version': value}, 'machines': [machine]}
    if accepted:
        assert parse_config(settings).upload_body_version == value
    else:
        with pytest.raises(ConfigError, match='upload_body_version must be 1 or 2'):
            parse_config(settings)


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
    assert main(['--config', str(tmp_path / 'bridge.toml'), 'status', '--json']) == 0
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


def _doctor(tmp_path: Path) -> dict[str, list[Finding]]:
    findings: dict[str, list[Finding]] = {}
    for finding in run_doctor(tmp_path / 'bridge.toml', connector=FakeZk(), tcp_timeout=0.5):
        findings.setdefault(finding.subject, []).append(finding)
    return findings


def test_doctor_fails_when_the_cloud_refuses_the_key(tmp_path: Path, config: object, fake_cloud: FakeCloud) -> None:
    # Given a key file the cloud does not accept (the open health check still answers)
    (tmp_path / 'bridge.key').write_text('hdr_bridge01_revoked\n')
    # When the doctor runs
    findings = _doctor(tmp_path)
    # Then the authenticated call says so, and the doctor exits non-zero
    [key] = findings['cloud-key']
    assert key.level == 'error' and 'refuses' in key.message and '401' in key.message
    assert findings['cloud'][0].level == 'ok'
    assert main(['--config', str(tmp_path / 'bridge.toml'), 'doctor']) == 1


def test_doctor_names_a_machine_the_cloud_does_not_know(tmp_path: Path, config: object, fake_cloud: FakeCloud) -> None:
    # Given a cloud that has only the pull and USB machines registered to this bridge
    fake_cloud.known_serials = {PULL_SERIAL, USB_SERIAL}
    # When the doctor runs
    findings = _doctor(tmp_path)
    # Then the key is proven, and the push machine is an error: its punches would all be rejected
    assert findings['cloud-key'][0].level == 'ok'
    [unknown] = findings[f'cloud-machine {PUSH_SERIAL}']
    assert unknown.level == 'error' and 'unknown machine serial' in unknown.message
    assert f'cloud-machine {PULL_SERIAL}' not in findings


def test_doctor_shows_the_clouds_rejects_of_recent_uploads(
    tmp_path: Path, config: object, fake_cloud: FakeCloud
) -> None:
    # Given the cloud rejected lines of one of this bridge's two recent uploads
    reject = {'line': 2, 'reason': 'impossible date 2000-01-01: the machine clock was reset'}
    fake_cloud.reconciled = [
        {'key': 'bridges/bridge01/a', 'accepted': 10, 'duplicate': 0, 'rejected': 2, 'rejects': [reject, reject]},
        {'key': 'bridges/bridge01/b', 'accepted': 5, 'duplicate': 1, 'rejected': 0, 'rejects': []},
    ]
    # When the doctor runs; Then it says how many and why
    findings = _doctor(tmp_path)
    [summary] = findings['cloud-uploads']
    assert (
        summary.level == 'warn' and summary.message.startswith('1 of 2 upload(s)') and '2 rejected' in summary.message
    )
    assert [f.message for f in findings['cloud-rejects']] == [
        '2x impossible date 2000-01-01: the machine clock was reset'
    ]


def test_status_and_quarantine_print_for_a_person_and_json_for_scripts(
    tmp_path: Path, config: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from hadir_bridge.parsers import parse_attlog

    spool = Spool(tmp_path / 'spool' / 'spool.db')
    punches, rejected = parse_attlog(PUSH_SERIAL, '1\t2026-01-05 07:00:00\t0\t1\t0\t0\t0\ngarbage\n')
    spool.ingest(serial=PUSH_SERIAL, source='push', table='ATTLOG', punches=punches, rejected=rejected)
    spool.close()
    source = str(tmp_path / 'bridge.toml')
    assert main(['--config', source, 'status']) == 0
    text = capsys.readouterr().out
    assert 'punches: 1 waiting to upload, 0 uploaded' in text and 'quarantined lines: 1' in text
    assert f'{PUSH_SERIAL} Lobi Dinas Kesehatan (push, Asia/Makassar)' in text
    assert '2 line(s): 1 new, 0 duplicate, 1 quarantined' in text
    assert main(['--config', source, 'status', '--json']) == 0
    assert json.loads(capsys.readouterr().out)['spool']['punches_unsent'] == 1
    assert main(['--config', source, 'quarantine']) == 0
    text = capsys.readouterr().out
    assert text.startswith('1 quarantined line(s)') and "raw: 'garbage'" in text and 'why: expected' in text
    assert main(['--config', source, 'quarantine', '--json']) == 0
    assert [item['raw'] for item in json.loads(capsys.readouterr().out)] == ['garbage']
