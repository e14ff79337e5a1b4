"""The PUSH/ADMS receiver, spoken to over real HTTP on loopback."""

from __future__ import annotations

import socket
import sqlite3
from typing import Any

import pytest
from hadir_bridge.adms import AdmsReceiver
from hadir_bridge.cloud import HttpCloudClient
from hadir_bridge.config import Config
from hadir_bridge.runner import Bridge
from hadir_bridge.spool import Counts, Spool

from tests.bridge.conftest import PUSH_SERIAL, NoMachineConnector
from tests.bridge.machine_sim import PushMachine


def _machine(bridge: Bridge, serial: str = PUSH_SERIAL) -> PushMachine:
    host, port = bridge.address
    return PushMachine(host, port, serial)


def test_handshake_answers_the_machines_own_time_zone_and_a_date_header(running_bridge: Bridge) -> None:
    machine = _machine(running_bridge)
    status, options, headers = machine.handshake()
    assert status == 200
    assert options['TimeZone'] == '8'  # WITA
    assert options['ATTLOGStamp'] == 'None' and options['OPERLOGStamp'] == 'None'
    assert options['TransFlag'] == 'TransData AttLog OpLog' and options['Realtime'] == '1' and options['Delay'] == '2'
    assert headers['date'].endswith('GMT')
    machine.close()


def test_time_zone_option_per_zone(config: Config) -> None:
    zones = {machine.zone: machine.timezone_option() for machine in config.machines}
    assert zones == {'Asia/Makassar': 8, 'Asia/Jayapura': 9}


def test_unknown_serial_is_recorded_and_refused(running_bridge: Bridge, spool: Spool) -> None:
    machine = _machine(running_bridge, 'STRANGER0001')
    assert machine.handshake()[0] == 403
    assert machine.push('ATTLOG', ['1\t2026-01-05 07:00:00\t0\t1\t0\t0\t0']) == (403, 'UNKNOWN DEVICE')
    assert spool.punch_count() == 0
    [unknown] = spool.unknown_devices()
    assert (unknown['serial'], unknown['hits'], unknown['last_path']) == ('STRANGER0001', 2, 'POST /iclock/cdata')


def test_malformed_lines_are_quarantined_counted_and_never_crash_the_server(
    running_bridge: Bridge, spool: Spool
) -> None:
    machine = _machine(running_bridge)
    lines = ['1\t2026-01-05 07:00:00\t0\t1\t0\t0\t0', 'garbage', '2\t2026-13-01 07:00:00\t0\t1\t0\t0\t0']
    assert machine.push('ATTLOG', lines) == (200, 'OK: 3')
    status, text, _ = machine.request('POST', f'/iclock/cdata?SN={PUSH_SERIAL}&table=ATTLOG', b'\xff\xfe\x00\t\x81')
    assert (status, text) == (200, 'OK: 1')
    assert spool.punch_count() == 1
    reasons = {item['raw']: item['reason'] for item in spool.quarantined()}
    assert set(reasons) == {'garbage', '2\t2026-13-01 07:00:00\t0\t1\t0\t0\t0', '\xff\xfe\x00\t\x81'}
    # Re-sending the same bad line does not grow the quarantine; it counts how often it was seen.
    assert machine.push('ATTLOG', ['garbage']) == (200, 'OK: 1')
    assert {item['raw']: item['times_seen'] for item in spool.quarantined()}['garbage'] == 2
    assert machine.request('GET', '/iclock/ping?SN=' + PUSH_SERIAL)[:2] == (200, 'OK')
    machine.close()


class FlakySpool(Spool):
    """A spool whose disk is full until told otherwise."""

    full = True

    def ingest(self, **kwargs: Any) -> Counts:
        if self.full:
            raise sqlite3.OperationalError('database or disk is full')
        return super().ingest(**kwargs)


def test_a_failed_commit_is_never_acknowledged(config: Config) -> None:
    # Given a receiver whose spool refuses writes (disk full, locked…)
    spool = FlakySpool(config.spool)
    receiver = AdmsReceiver(spool, {machine.serial: machine for machine in config.machines})
    # When the machine posts, the failure propagates instead of an OK
    with pytest.raises(sqlite3.OperationalError):
        receiver.handle('POST', f'/iclock/cdata?SN={PUSH_SERIAL}&table=ATTLOG', b'1\t2026-01-05 07:00:00\t0\t1')
    spool.close()


def test_http_layer_answers_500_so_the_machine_keeps_and_resends(config: Config, cloud_client: HttpCloudClient) -> None:
    # Given a running bridge whose spool is full
    spool = FlakySpool(config.spool)
    bridge = Bridge(config, spool, cloud_client, connector=NoMachineConnector())
    bridge.start()
    machine = _machine(bridge)
    line = ['1\t2026-01-05 07:00:00\t0\t1\t0\t0\t0']
    # When the machine pushes, it gets an error (and will retry); once the disk has room the retry is committed
    assert machine.push('ATTLOG', line) == (500, 'ERROR')
    spool.full = False
    assert machine.push('ATTLOG', line) == (200, 'OK: 1')
    assert spool.punch_count() == 1
    machine.close()
    bridge.stop()
    spool.close()


def test_operlog_events_are_spooled_for_upload(running_bridge: Bridge, spool: Spool) -> None:
    machine = _machine(running_bridge)
    body = ['OPLOG 21\t0\t2026-01-05 06:58:10\t0\t0\t0\t0', 'USER PIN=1\tName=Budi\tPri=0\tPasswd=1\tCard=\tGrp=1']
    assert machine.push('OPERLOG', body) == (200, 'OK: 2')
    assert spool.stats()['events_unsent'] == 1
    assert machine.handshake()[1]['OPERLOGStamp'] == '1'
    machine.close()


def test_getrequest_records_info_and_hands_out_queued_commands(running_bridge: Bridge, spool: Spool) -> None:
    machine = _machine(running_bridge)
    assert machine.getrequest('Ver 2.0.12-20150625,35,70,1234,192.168.16.27,10,7,15,0,111') == (200, 'OK')
    state = spool.machine_state(PUSH_SERIAL)
    assert (state['firmware'], state['users'], state['attlog_count'], state['ip']) == (
        'Ver 2.0.12-20150625',
        35,
        1234,
        '192.168.16.27',
    )
    spool.queue_command(
        PUSH_SERIAL, 'H1', 'DATA QUERY ATTLOG StartTime=2026-01-05 00:00:00\tEndTime=2026-01-05 23:59:59'
    )
    assert machine.getrequest() == (
        200,
        'C:H1:DATA QUERY ATTLOG StartTime=2026-01-05 00:00:00\tEndTime=2026-01-05 23:59:59\n',
    )
    assert machine.getrequest() == (200, 'OK')
    assert machine.devicecmd('ID=H1&Return=0&CMD=DATA\n') == (200, 'OK')
    assert [(c['cmd_id'], c['state'], c['return_code']) for c in spool.commands()] == [('H1', 'replied', 0)]
    machine.close()


def test_chunked_bodies_are_read(running_bridge: Bridge, spool: Spool) -> None:
    host, port = running_bridge.address
    body = b'1\t2026-01-05 07:00:00\t0\t1\t0\t0\t0\n'
    request = (
        (
            f'POST /iclock/cdata?SN={PUSH_SERIAL}&table=ATTLOG HTTP/1.1\r\n'
            'Host: x\r\nTransfer-Encoding: chunked\r\n\r\n'
        ).encode()
        + f'{len(body):x}\r\n'.encode()
        + body
        + b'\r\n0\r\n\r\n'
    )
    with socket.create_connection((host, port), timeout=5) as connection:
        connection.sendall(request)
        answer = b''
        while not answer.endswith(b'OK: 1') and len(answer) < 4096:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b'HTTP/1.1 200') and answer.endswith(b'OK: 1')
    assert spool.punch_count() == 1
