"""What the bridge tells the cloud's count reconciliation, and how it serves the backfill that comes back."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hadir_bridge.adms import AdmsReceiver
from hadir_bridge.config import Config, Machine
from hadir_bridge.health import heartbeat_payload, queue_day_sums
from hadir_bridge.pull import Puller
from hadir_bridge.runner import Bridge
from hadir_bridge.spool import Spool

from tests.bridge.conftest import PULL_SERIAL, PUSH_SERIAL, USB_SERIAL
from tests.bridge.fake_cloud import FakeCloud
from tests.bridge.machine_sim import PushMachine
from tests.bridge.test_pull import _zk

NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)  # 09:00 WITA on the 21st
MACHINE = Machine(serial=PUSH_SERIAL, name='Lobi', protocol='push', zone='Asia/Makassar')


def attlog(*times: str, pin: str = '7') -> bytes:
    return ''.join(f'{pin}\t{moment}\t0\t1\t0\t0\t0\n' for moment in times).encode()


def push(receiver: AdmsReceiver, body: bytes) -> None:
    reply = receiver.handle('POST', f'/iclock/cdata?SN={PUSH_SERIAL}&table=ATTLOG&Stamp=1', body)
    assert reply.status == 200, reply.body


def getrequest(receiver: AdmsReceiver, info: str | None = None) -> str:
    return receiver.handle('GET', f'/iclock/getrequest?SN={PUSH_SERIAL}' + (f'&INFO={info}' if info else ''), b'').body


def entry(spool: Spool, at: datetime = NOW) -> dict[str, Any]:
    payload = heartbeat_payload(spool, {PUSH_SERIAL: MACHINE}, at)
    return dict(payload['machines'][0])


def test_heartbeat_reports_per_date_counts_and_the_machines_own_count_of_yesterday(tmp_path: Path) -> None:
    spool = Spool(tmp_path / 'spool.db')
    receiver = AdmsReceiver(spool, {PUSH_SERIAL: MACHINE}, clock=lambda: NOW)
    # Given three punches of the 20th, uploaded, then one of the 21st, not yet uploaded (one of the 20th twice)
    push(receiver, attlog('2026-11-20 07:01:00', '2026-11-20 07:02:00', '2026-11-20 16:30:00', '2026-11-20 07:01:00'))
    batch = spool.claim_batch(10)
    assert batch is not None and batch.record_count == 3
    spool.mark_sent(batch.batch_id, 'bridges/x/k.ndjson.gz', 'md5', now=datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    push(receiver, attlog('2026-11-21 07:20:00'))
    # And the machine asked, once, for its own count of the 20th, answering 4
    assert queue_day_sums(spool, {PUSH_SERIAL: MACHINE}, NOW) == [PUSH_SERIAL]
    assert queue_day_sums(spool, {PUSH_SERIAL: MACHINE}, NOW) == []
    command = getrequest(receiver)
    command_id = command.split(':')[1]
    assert command == f'C:{command_id}:VERIFY SUM ATTLOG StartTime=2026-11-20 00:00:00\tEndTime=2026-11-20 23:59:59\n'
    reply = (
        f'ID={command_id}&Return=0&CMD=VERIFY SUM&StartTime=2026-11-20 00:00:00&EndTime=2026-11-20 23:59:59&AttlogSum=4'
    )
    assert receiver.handle('POST', f'/iclock/devicecmd?SN={PUSH_SERIAL}', reply.encode()).body == 'OK'
    # When the heartbeat is built
    counts = {item['date']: item for item in entry(spool)['day_counts']}
    # Then it holds the last 8 machine-local dates, each with distinct punches, unsent ones and the machine's count
    assert sorted(counts) == [f'2026-11-{day}' for day in range(14, 22)]
    assert counts['2026-11-20'] == {'date': '2026-11-20', 'punches': 3, 'unsent': 0,
                                    'last_sent_at': '2026-11-20T09:00:00Z', 'machine': 4}  # fmt: skip
    assert counts['2026-11-21'] == {'date': '2026-11-21', 'punches': 1, 'unsent': 1, 'last_sent_at': None,
                                    'machine': None}  # fmt: skip
    assert counts['2026-11-19']['punches'] == 0
    spool.close()


def test_a_machine_that_cannot_count_a_day_leaves_its_count_unknown(tmp_path: Path) -> None:
    spool = Spool(tmp_path / 'spool.db')
    receiver = AdmsReceiver(spool, {PUSH_SERIAL: MACHINE}, clock=lambda: NOW)
    queue_day_sums(spool, {PUSH_SERIAL: MACHINE}, NOW)
    command_id = getrequest(receiver).split(':')[1]
    # When the firmware answers "not supported" (and some put the total on a line of its own)
    receiver.handle('POST', f'/iclock/devicecmd?SN={PUSH_SERIAL}', f'ID={command_id}&Return=-1002&CMD=DATA'.encode())
    assert {i['date']: i['machine'] for i in entry(spool)['day_counts']}['2026-11-20'] is None
    spool.queue_command(
        PUSH_SERIAL, 'H1', 'VERIFY SUM ATTLOG StartTime=2026-11-19 00:00:00\tEndTime=2026-11-19 23:59:59'
    )
    getrequest(receiver)
    receiver.handle('POST', f'/iclock/devicecmd?SN={PUSH_SERIAL}', b'ID=H1&Return=0&CMD=VERIFY SUM\nAttlogSum=12\n')
    assert {i['date']: i['machine'] for i in entry(spool)['day_counts']}['2026-11-19'] == 12
    spool.close()


def test_the_counter_is_compared_with_what_the_bridge_received_and_rebased_when_the_log_is_cleared(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path / 'spool.db')
    receiver = AdmsReceiver(spool, {PUSH_SERIAL: MACHINE}, clock=lambda: NOW)
    # Given three punches received and a bad line the bridge could only quarantine
    push(receiver, attlog('2026-11-20 07:01:00', '2026-11-20 07:02:00', '2026-11-20 07:03:00') + b'garbage\n')
    # When the machine reports holding 6 records
    getrequest(receiver, 'Ver 2.0.12,35,70,6,192.168.1.20,10,7,15,0,111')
    # Then the bridge is 2 short of the machine, compared from the start (no clear was seen)
    counter = entry(spool)['counter']
    assert (counter['machine_added'], counter['bridge_added'], counter['since']) == (6, 4, None)
    # When the counter drops to 1 (the log was cleared) and then one more punch arrives and is counted
    getrequest(receiver, 'Ver 2.0.12,35,70,1,192.168.1.20,10,7,15,0,111')
    push(receiver, attlog('2026-11-21 08:00:00'))
    getrequest(receiver, 'Ver 2.0.12,35,70,2,192.168.1.20,10,7,15,0,111')
    # Then the comparison restarts at the drop, in machine-local time: both added one since
    counter = entry(spool)['counter']
    assert (counter['machine_count'], counter['machine_added'], counter['bridge_added']) == (2, 1, 1)
    assert counter['since'] == '2026-11-21 09:00:00' and 'cleared' in counter['reason']
    spool.close()


def test_a_first_counter_below_what_the_bridge_holds_is_compared_from_then_on(tmp_path: Path) -> None:
    # Given a bridge that holds 3 punches of a machine whose log was cleared before the bridge read its counter
    spool = Spool(tmp_path / 'spool.db')
    receiver = AdmsReceiver(spool, {PUSH_SERIAL: MACHINE}, clock=lambda: NOW)
    push(receiver, attlog('2026-11-20 07:01:00', '2026-11-20 07:02:00', '2026-11-20 07:03:00'))
    getrequest(receiver, 'Ver 2.0.12,35,70,1,192.168.1.20,10,7,15,0,111')
    # Then nothing is claimed missing, and later growth is compared
    counter = entry(spool)['counter']
    assert (counter['machine_added'], counter['bridge_added']) == (0, 0) and counter['since']


def test_a_pull_machine_reports_its_counter_and_a_short_read(config: Config, spool: Spool) -> None:
    # Given a pull machine whose counter says 6 while its log read returns 4 records (one unparseable)
    zk = _zk()
    zk.read_sizes = lambda: setattr(zk, 'records', 6) or True  # type: ignore[method-assign]
    machine = config.machine(PULL_SERIAL)
    assert machine is not None
    Puller(spool, zk, clock=lambda: NOW).pull(machine)
    # Then the heartbeat tells a gap of 2 and the bridge records the short read as the machine's error
    [item] = heartbeat_payload(spool, {PULL_SERIAL: machine}, NOW)['machines']
    assert (item['counter']['machine_added'], item['counter']['bridge_added']) == (6, 4)
    assert item['last_error'] == 'the machine counts 6 records but sent 4'


def _wait(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, 'timed out waiting for the bridge'
        time.sleep(0.05)


def _all_sent(spool: Spool) -> bool:
    stats = spool.stats()
    return bool(stats['punches_unsent'] == 0 and stats['batches_pending'] == 0)


def _object_punches(fake_cloud: FakeCloud) -> list[list[str]]:
    with fake_cloud._lock:
        bodies = list(fake_cloud.objects.values())
    return [sorted(json.loads(line)['time'] for line in gzip.decompress(body).decode().splitlines()) for body in bodies]


def test_a_backfill_sends_the_windows_spooled_punches_again_and_reads_the_machine_again(
    running_bridge: Bridge, spool: Spool, fake_cloud: FakeCloud
) -> None:
    # Given two punches of the 4th and one of the 5th pushed and uploaded
    host, port = running_bridge.address
    machine = PushMachine(host, port, PUSH_SERIAL)
    lines = [f'7\t2026-01-04 07:1{i}:00\t0\t1\t0\t0\t0' for i in range(2)] + ['7\t2026-01-05 07:10:00\t0\t1\t0\t0\t0']
    assert machine.push('ATTLOG', lines) == (200, 'OK: 3')
    _wait(lambda: _all_sent(spool) and len(fake_cloud.objects) == 1)
    # When the cloud finds the 4th short and asks for it, with a USB machine's day too
    window = {'start': '2026-01-04 00:00:00', 'end': '2026-01-04 23:59:59'}
    fake_cloud.backfills = [{'request_id': f'auto-{PUSH_SERIAL}-20260104', 'serial': PUSH_SERIAL, **window},
                            {'request_id': f'auto-{USB_SERIAL}-20260104', 'serial': USB_SERIAL, **window}]  # fmt: skip
    running_bridge.backfiller.poll()
    running_bridge.upload_soon()
    _wait(lambda: _all_sent(spool) and len(fake_cloud.objects) == 2)
    # Then the 4th's punches went up again in a new object (a new batch id), the 5th's did not
    assert sorted(_object_punches(fake_cloud)) == [
        ['2026-01-04 07:10:00', '2026-01-04 07:11:00'],
        ['2026-01-04 07:10:00', '2026-01-04 07:11:00', '2026-01-05 07:10:00'],
    ]
    # And the push machine is asked to send the window again, and the USB machine's request is served from the spool
    reports = dict(fake_cloud.backfill_reports)
    assert reports[f'auto-{PUSH_SERIAL}-20260104']['state'] == 'queued'
    assert reports[f'auto-{PUSH_SERIAL}-20260104']['detail'].startswith('2 spooled punches sent again; DATA QUERY')
    assert reports[f'auto-{USB_SERIAL}-20260104']['state'] == 'done'
    status, text = machine.getrequest()
    assert 'DATA QUERY ATTLOG StartTime=2026-01-04 00:00:00\tEndTime=2026-01-04 23:59:59' in text
    # When the machine answers the command
    cmd_id = text.split(':', 2)[1]
    assert machine.devicecmd(f'ID={cmd_id}&Return=0&CMD=DATA')[0] == 200
    running_bridge.backfiller.report()
    # Then the report keeps both steps: the re-send's count and the device's answer, in the note and as counts
    done = [r for i, r in fake_cloud.backfill_reports if i == f'auto-{PUSH_SERIAL}-20260104' and r['state'] == 'done']
    assert done[-1]['detail'].startswith('2 spooled punches sent again; DATA QUERY ATTLOG queued')
    assert done[-1]['detail'].endswith('; device returned 0')
    assert (done[-1]['resent'], done[-1]['device_return']) == (2, 0)
    machine.close()
