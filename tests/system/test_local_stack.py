"""`make run` end to end: the real `hadir` CLI, moto in server mode and Chalice's local server on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
STOP_TIMEOUT_SECONDS = 240
START_TIMEOUT_SECONDS = 300


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    process: subprocess.Popen[str]
    api: str
    aws_port: int
    local_dir: Path

    @property
    def admin_key(self) -> str:
        return (self.local_dir / 'admin-key.txt').read_text().strip()

    def get(self, path: str, key: str | None = None) -> requests.Response:
        return requests.get(self.api + path, headers={'X-API-Key': key} if key else {}, timeout=30)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, '-m', 'hadir_local.cli', *args], cwd=ROOT, env=_env(self.local_dir),
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert not check or done.returncode == 0, f'hadir {" ".join(args)} failed:\n{done.stderr[-3000:]}'
        return done


def _env(local_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('HADIR_', 'AWS_', 'POWERTOOLS_'))}
    env['HADIR_LOCAL_DIR'] = str(local_dir)
    return env


def _start(local_dir: Path) -> Stack:
    api_port, aws_port = _free_port(), _free_port()
    # Output goes to a file, not a pipe: an unread pipe fills up and blocks the server.
    log = (local_dir / 'run.log').open('a')
    process = subprocess.Popen(
        [sys.executable, '-m', 'hadir_local.cli', 'run', '--api-port', str(api_port), '--aws-port', str(aws_port),
         '--no-history'],
        cwd=ROOT, env=_env(local_dir), stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    stack = Stack(process, f'http://127.0.0.1:{api_port}', aws_port, local_dir)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f'hadir run exited early:\n{(local_dir / "run.log").read_text()}')
        try:
            if stack.get('/v1/health').status_code == 200:
                return stack
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    process.kill()
    raise AssertionError('hadir run did not answer /v1/health in time')


def _stop(stack: Stack) -> str:
    stack.process.send_signal(signal.SIGINT)
    try:
        # Generous: the exit snapshot of a big state on a loaded 2-core machine takes a while.
        stack.process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as exc:
        stack.process.kill()
        log = (stack.local_dir / 'run.log').read_text()[-3000:]
        raise AssertionError(f'hadir run did not stop in time:\n{log}') from exc
    return (stack.local_dir / 'run.log').read_text()


@pytest.fixture(scope='module')
def local_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp('hadir-local')


@pytest.fixture(scope='module')
def stack(local_dir: Path) -> Iterator[Stack]:
    running = _start(local_dir)
    yield running
    if running.process.poll() is None:
        _stop(running)


def test_fresh_start_serves_the_250_demo_employees_with_the_printed_key(stack: Stack) -> None:
    # Given a first start from nothing
    # When the admin key it saved lists employees
    reply = stack.get('/v1/employees?limit=500', stack.admin_key)
    # Then all 250 demo employees come back in one page
    assert reply.status_code == 200, reply.text
    assert reply.json()['count'] == 250
    assert stack.get('/v1/openapi.json').json()['openapi'].startswith('3.')


def test_cli_runs_a_scheduled_job_on_demand(stack: Stack) -> None:
    # When the audit-verify job is run through the CLI against the running stack
    result = stack.cli('job', 'audit-verify')
    # Then it reports an intact chain covering the seeding writes
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report['ok'] is True and report['checked'] > 250


def test_audit_verify_names_the_entry_edited_directly_in_the_table(stack: Stack) -> None:
    # Given an intact chain
    assert stack.cli('audit', 'verify').returncode == 0
    # When someone edits entry 7 directly in the audit table
    dynamodb = boto3.client(
        'dynamodb', endpoint_url=f'http://127.0.0.1:{stack.aws_port}', region_name='ap-southeast-3',
        aws_access_key_id='local', aws_secret_access_key='local',
    )  # fmt: skip
    dynamodb.update_item(
        TableName='hadir-local-audit', Key={'chain': {'S': 'CHAIN'}, 'seq': {'N': '7'}},
        UpdateExpression='SET actor_key_id = :x', ExpressionAttributeValues={':x': {'S': 'someone-else'}},
    )  # fmt: skip
    result = stack.cli('audit', 'verify', check=False)
    # Then verification fails and names entry 7
    assert result.returncode == 1
    assert 'BROKEN at entry 7' in result.stdout


def _push(machine: Any, lines: list[str]) -> None:
    for offset in range(0, len(lines), 250):
        chunk = lines[offset : offset + 250]
        assert machine.push('ATTLOG', chunk, stamp=offset + len(chunk)) == (200, f'OK: {len(chunk)}')


def _wait_all_sent(spool: Any, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while (stats := spool.stats())['punches_unsent'] or stats['batches_pending']:
        assert time.monotonic() < deadline, f'bridge did not finish uploading: {stats}'
        time.sleep(0.2)


def test_ten_thousand_machine_punches_reach_the_ledger_exactly_once(stack: Stack, tmp_path: Path) -> None:
    from hadir_bridge.cloud import HttpCloudClient
    from hadir_bridge.config import load_config
    from hadir_bridge.runner import Bridge
    from hadir_bridge.spool import Spool

    from tests.bridge.conftest import NoMachineConnector
    from tests.bridge.machine_sim import PushMachine, attlog_lines

    # Given a seeded bridge with its key, one of its push machines, and the real hadir-bridge in front of it
    bridge_id, token = sorted(json.loads((stack.local_dir / 'keys.json').read_text())['bridges'].items())[0]
    machines = stack.get('/v1/bridge/machines', token).json()['items']
    machine = next(m for m in machines if m['protocol'] == 'push')
    (tmp_path / 'bridge.key').write_text(token + '\n')
    (tmp_path / 'bridge.toml').write_text(
        f'[bridge]\nspool = "spool.db"\nlisten = "127.0.0.1:0"\n\n'
        f'[cloud]\nurl = "{stack.api}"\nkey_file = "bridge.key"\nupload_interval_seconds = 0.2\n'
        f'heartbeat_interval_seconds = 3600\nbackfill_interval_seconds = 3600\n\n'
        f'[[machines]]\nserial = "{machine["serial"]}"\nname = "sim"\nprotocol = "push"\nzone = "{machine["zone"]}"\n'
    )
    config = load_config(tmp_path / 'bridge.toml')
    spool = Spool(config.spool)
    bridge = Bridge(config, spool, HttpCloudClient(stack.api, token, timeout=30), connector=NoMachineConnector())
    bridge.start()
    try:
        host, port = bridge.address
        device = PushMachine(host, port, machine['serial'])
        assert device.handshake()[0] == 200
        lines = attlog_lines(10_000, start=datetime(2026, 11, 2, 6, 0, 0))
        # When the machine pushes 10,000 punches, the bridge uploads them and reconcile runs twice
        _push(device, lines)
        _wait_all_sent(spool)
        first = json.loads(stack.cli('job', 'reconcile').stdout)
        second = json.loads(stack.cli('job', 'reconcile').stdout)
        # Then the ledger holds exactly 10,000 punches (mapped or kept as unmapped), and the re-run adds none
        # (the stack's own 5-minute reconcile may take a share of the files, so the ledger is the measure)
        assert first['rejected'] == 0, first
        # Re-running adds nothing to the ledger (a file a concurrent run left unrecorded may be read again)
        assert (second['accepted'], second['unmapped'], second['rejected']) == (0, 0, 0), second
        assert _ledger_size(stack) == 10_000
        # When the machine pushes everything again and reconcile runs again
        _push(device, lines)
        bridge.upload_soon()
        time.sleep(1)
        _wait_all_sent(spool)
        third = json.loads(stack.cli('job', 'reconcile').stdout)
        # Then nothing is added
        assert third['accepted'] + third['unmapped'] == 0
        assert _ledger_size(stack) == 10_000
        device.close()
    finally:
        bridge.stop()
        spool.close()


def _ledger_size(stack: Stack) -> int:
    dynamodb = boto3.client(
        'dynamodb', endpoint_url=f'http://127.0.0.1:{stack.aws_port}', region_name='ap-southeast-3',
        aws_access_key_id='local', aws_secret_access_key='local',
    )  # fmt: skip
    pages = dynamodb.get_paginator('scan').paginate(TableName='hadir-local-punches', Select='COUNT')
    return sum(page['Count'] for page in pages)


def test_state_survives_a_restart_and_reset_forgets_it(stack: Stack, local_dir: Path) -> None:
    # Given a change made through the API before a restart
    key = stack.admin_key
    created = requests.post(
        stack.api + '/v1/opds', headers={'X-API-Key': key},
        json={'opd_id': 'DISHUB', 'name': 'Dinas Perhubungan Uji', 'kind': 'dinas', 'zone': 'Asia/Jakarta'}, timeout=30,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    # When the stack is stopped with Ctrl+C and started again
    output = _stop(stack)
    assert 'saved local state' in output
    again = _start(local_dir)
    try:
        # Then the same key still works and the change is still there
        assert again.get('/v1/opds/DISHUB', key).status_code == 200
        assert again.get('/v1/employees?limit=500', key).json()['count'] == 250
    finally:
        _stop(again)
    # And reset removes the saved state
    assert again.cli('reset').returncode == 0
    assert not (local_dir / 'state').exists()


@pytest.mark.parametrize('stop_signal', [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_ends_the_stack_within_ten_seconds_with_its_state_saved(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    # Given a freshly seeded stack that served a request
    running = _start(tmp_path)
    assert running.get('/v1/employees?limit=1', running.admin_key).status_code == 200
    # When it is told to stop as a service manager (SIGTERM) or a person (Ctrl+C, SIGINT) would
    running.process.send_signal(stop_signal)
    try:
        code = running.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        running.process.kill()
        raise AssertionError(f'{stop_signal.name} did not end hadir run within 10 s') from None
    # Then it ended cleanly, and its state is on disk for the next start
    log = (tmp_path / 'run.log').read_text()
    assert code == 0, log[-2000:]
    assert 'saved local state' in log and log.rstrip().endswith('bye')
    assert any((tmp_path / 'state').iterdir())
