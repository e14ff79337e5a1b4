"""The paths and shapes real firmware sends (PUSH 2.x with and without ``.aspx``, PUSH 3.x), over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hadir_bridge.adms import encode_zk_time
from hadir_bridge.runner import Bridge
from hadir_bridge.spool import Spool

from tests.bridge.conftest import PUSH_SERIAL
from tests.bridge.machine_sim import PushMachine

SN = PUSH_SERIAL


@pytest.fixture
def machine(running_bridge: Bridge) -> PushMachine:
    sim = PushMachine(*running_bridge.address, SN)
    yield sim  # type: ignore[misc]
    sim.close()


def _punches(spool: Spool) -> list[dict[str, object]]:
    return [json.loads(row['payload']) for row in spool._read("SELECT payload FROM records WHERE kind = 'punch'")]


def test_aspx_paths_serve_the_handshake_uploads_commands_and_replies(machine: PushMachine, spool: Spool) -> None:
    # eSSL and older ZKTeco firmware append .aspx to every iclock path
    status, text, _ = machine.request('GET', f'/iclock/cdata.aspx?SN={SN}&options=all&pushver=2.4.1')
    assert status == 200 and text.startswith(f'GET OPTION FROM: {SN}')
    line = '1452\t2026-01-05 07:31:02\t0\t15\t0\t0\t0\n'
    assert machine.request('POST', f'/iclock/cdata.aspx?SN={SN}&table=ATTLOG&Stamp=7', line)[:2] == (200, 'OK: 1')
    assert [p['raw'] for p in _punches(spool)] == [line.strip()]
    spool.queue_command(SN, 'H1', 'INFO')
    assert machine.request('GET', f'/iclock/getrequest.aspx?SN={SN}')[:2] == (200, 'C:H1:INFO\n')
    assert machine.request('POST', f'/iclock/devicecmd.aspx?SN={SN}', 'ID=H1&Return=0&CMD=INFO\n')[:2] == (200, 'OK')
    assert [(c['cmd_id'], c['state']) for c in spool.commands()] == [('H1', 'replied')]


def test_path_spellings_firmware_uses(machine: PushMachine, spool: Spool) -> None:
    for path in ('/iclock/cdata/', '/iClock/CData', '/adms/iclock/cdata', '/iclock/cdata.ASPX'):
        status, text, _ = machine.request('GET', f'{path}?SN={SN}&options=all')
        assert (status, text.splitlines()[0]) == (200, f'GET OPTION FROM: {SN}'), path
    # a lower-case sn= parameter names the machine too
    assert machine.request('GET', f'/iclock/ping?sn={SN}')[:2] == (200, 'OK')
    assert machine.request('GET', f'/iclock/nonsense?SN={SN}')[0] == 404


def test_fdata_photo_uploads_are_acknowledged(machine: PushMachine, spool: Spool) -> None:
    body = b'PIN=20260105073102-1452.jpg\nSN=' + SN.encode() + b'\nsize=4\nCMD=uploadphoto\x00\xff\xd8\xff\xe0'
    assert machine.request('POST', f'/iclock/fdata?SN={SN}&table=ATTPHOTO&Stamp=3', body)[:2] == (200, 'OK')
    assert spool.punch_count() == 0 and spool.quarantined() == []


def test_push_3_registration_options_and_server_time(machine: PushMachine, spool: Spool) -> None:
    # Given a PUSH 3.x machine registering with its capabilities and counters
    registry = (
        'DeviceType=att,~DeviceName=SpeedFace-V5L,FirmVer=ZAM180-NF-Ver1.0.25,IPAddress=192.168.1.9,'
        'UserCount=31,FPCount=34,FaceCount=12,TransactionCount=150'
    )
    status, text, _ = machine.request('POST', f'/iclock/registry?SN={SN}', registry)
    # Then it gets a registry code, and its counters are the machine's INFO
    assert status == 200 and text.startswith('RegistryCode=') and len(text.split('=', 1)[1]) >= 1
    state = spool.machine_state(SN)
    assert (state['firmware'], state['users'], state['attlog_count'], state['faces']) == (
        'ZAM180-NF-Ver1.0.25',
        31,
        150,
        12,
    )
    # When it asks for its options, it gets the 3.x block
    status, text, _ = machine.request('GET', f'/iclock/push?SN={SN}')
    options = dict(line.split('=', 1) for line in text.splitlines())
    assert status == 200 and options['TransTables'] == 'User Transaction' and options['Realtime'] == '1'
    assert options['RequestDelay'] == '2' and options['SessionID']
    # And when it asks the time, it gets ZKTeco's packed UTC time and the machine's zone (WITA)
    before = encode_zk_time(datetime.now(UTC))
    status, text, _ = machine.request('GET', f'/iclock/rtdata?SN={SN}&type=time')
    fields = dict(part.split('=', 1) for part in text.split(','))
    assert status == 200 and fields['ServerTZ'] == '+0800'
    assert before <= int(fields['DateTime']) <= encode_zk_time(datetime.now(UTC))


def test_push_3_realtime_log_lines_are_punches(machine: PushMachine, spool: Spool) -> None:
    # Given a PUSH 3.x rtlog: a face verification by PIN 1452, and a door event with no user
    verified = (
        'time=2026-01-05 07:45:10\tpin=1452\tcardno=0\teventaddr=1\tevent=0\tinoutstatus=1\tverifytype=15\tindex=12'
    )
    door = 'time=2026-01-05 07:45:30\tpin=0\tcardno=0\teventaddr=1\tevent=8\tinoutstatus=2\tverifytype=200\tindex=13'
    status, text, _ = machine.request('POST', f'/iclock/cdata?SN={SN}&table=rtlog', f'{verified}\n{door}\n')
    # Then the verification is a punch (state 1, face), the door event is counted, not kept
    assert (status, text) == (200, 'OK: 2')
    [punch] = _punches(spool)
    assert (punch['pin'], punch['time'], punch['status'], punch['verify'], punch['raw']) == (
        '1452',
        '2026-01-05 07:45:10',
        1,
        15,
        verified,
    )
    [intake] = spool.intakes()
    assert (intake['added'], intake['skipped']) == (1, 1)


def test_push_3_querydata_answer_to_a_data_query_is_spooled(machine: PushMachine, spool: Spool) -> None:
    line = '77\t2026-01-04 16:02:00\t1\t1\t0\t0\t0'
    target = f'/iclock/querydata?SN={SN}&type=tabledata&cmdid=H1&tablename=ATTLOG&count=1&packcnt=1&packidx=1'
    assert machine.request('POST', target, line + '\n')[:2] == (200, 'OK: 1')
    assert [p['pin'] for p in _punches(spool)] == ['77']
    # a query answer the bridge did not ask for (users) is acknowledged and not kept
    users = f'/iclock/querydata?SN={SN}&type=tabledata&tablename=user&count=1'
    assert machine.request('POST', users, 'user uid=1\tpin=77\tname=Budi\n')[:2] == (200, 'OK: 1')
    assert spool.punch_count() == 1
