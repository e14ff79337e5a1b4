"""Heartbeat and backfill against the fake cloud."""

from __future__ import annotations

from hadir_bridge.cloud import HttpCloudClient
from hadir_bridge.config import Config
from hadir_bridge.health import send_heartbeat
from hadir_bridge.pull import Puller
from hadir_bridge.runner import Bridge
from hadir_bridge.spool import Spool

from tests.bridge.conftest import PULL_SERIAL, PUSH_SERIAL
from tests.bridge.fake_cloud import FakeCloud
from tests.bridge.fake_zk import FakeZk
from tests.bridge.machine_sim import PushMachine
from tests.bridge.test_pull import _zk


def test_heartbeat_reports_each_machine(
    running_bridge: Bridge, spool: Spool, cloud_client: HttpCloudClient, fake_cloud: FakeCloud
) -> None:
    # Given a push machine that polled with INFO and pushed one punch
    host, port = running_bridge.address
    machine = PushMachine(host, port, PUSH_SERIAL)
    machine.getrequest('Ver 2.0.12-20150625,35,70,1234,192.168.16.27,10,7,15,0,111')
    machine.push('ATTLOG', ['9\t2026-01-05 07:31:00\t0\t15\t0\t0\t0'])
    machine.close()

    # When the heartbeat goes out
    send_heartbeat(spool, cloud_client, running_bridge.machines)

    # Then the cloud sees last contact, INFO counters, skew and last punch per machine
    # (the running bridge sends its own heartbeat at start; ours is the one that saw the punch)
    beat = next(b for b in fake_cloud.heartbeats if any(m['last_punch_time'] for m in b['machines']))
    entry = {item['serial']: item for item in beat['machines']}[PUSH_SERIAL]
    assert entry['last_contact'] and entry['firmware'] == 'Ver 2.0.12-20150625'
    assert (entry['users'], entry['attlog_count'], entry['last_punch_time']) == (35, 1234, '2026-01-05 07:31:00')
    # A punch pushed straight after the machine's first contact may be one it held: it says nothing of its clock
    assert entry['clock_skew_seconds'] is None and entry['clock_skew_source'] is None
    assert {item['serial'] for item in beat['machines']} == {
        machine.serial for machine in running_bridge.config.machines
    }
    assert beat['spool']['punches_unsent'] + beat['spool']['punches_sent'] == 1
    assert fake_cloud.unauthorized == 0


def test_backfill_queues_data_query_on_push_and_re_pulls_on_pull(
    running_bridge: Bridge, spool: Spool, fake_cloud: FakeCloud, config: Config
) -> None:
    # Given the cloud asks for three windows: a push machine, a pull machine, a machine this bridge does not serve
    window = {'start': '2026-01-04 00:00:00', 'end': '2026-01-04 23:59:59'}
    fake_cloud.backfills = [
        {'request_id': 'bf-1', 'serial': PUSH_SERIAL, **window},
        {'request_id': 'bf-2', 'serial': PULL_SERIAL, **window},
        {'request_id': 'bf-3', 'serial': 'ELSEWHERE01', **window},
    ]
    backfiller = running_bridge.backfiller
    backfiller.puller = Puller(spool, _zk())

    # When the bridge polls
    backfiller.poll()

    # Then the pull machine was re-pulled for the window, the stranger failed, the push machine has a command
    reports = dict(fake_cloud.backfill_reports)
    assert reports['bf-2']['state'] == 'done' and spool.punch_count(PULL_SERIAL) == 2
    assert reports['bf-3']['state'] == 'failed'
    assert reports['bf-1']['state'] == 'queued'
    host, port = running_bridge.address
    machine = PushMachine(host, port, PUSH_SERIAL)
    status, text = machine.getrequest()
    command_id = text.split(':')[1]
    assert text == f'C:{command_id}:DATA QUERY ATTLOG StartTime=2026-01-04 00:00:00\tEndTime=2026-01-04 23:59:59\n'

    # When the machine answers with the window's records and its command reply, and the bridge polls again
    assert machine.push('ATTLOG', ['5\t2026-01-04 07:10:00\t0\t1\t0\t0\t0']) == (200, 'OK: 1')
    assert machine.devicecmd(f'ID={command_id}&Return=0&CMD=DATA\n') == (200, 'OK')
    machine.close()
    backfiller.poll()

    # Then the push request is reported done, and nothing is queued twice
    assert [report['state'] for request_id, report in fake_cloud.backfill_reports if request_id == 'bf-1'] == [
        'queued',
        'done',
    ]
    assert len(spool.commands(PUSH_SERIAL)) == 1


def test_pull_machines_are_pulled_by_the_running_bridge(
    config: Config, spool: Spool, cloud_client: HttpCloudClient
) -> None:
    zk = FakeZk(attendances=_zk().attendances)
    bridge = Bridge(config, spool, cloud_client, connector=zk)
    bridge.start()
    try:
        import time

        deadline = time.monotonic() + 5
        while spool.punch_count(PULL_SERIAL) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        bridge.stop()
    assert spool.punch_count(PULL_SERIAL) == 3
