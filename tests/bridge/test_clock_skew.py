"""Clock skew of push machines: read from punches known to be live, never from a late batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hadir_bridge.adms import AdmsReceiver
from hadir_bridge.config import Config
from hadir_bridge.spool import Spool

from tests.bridge.conftest import PUSH_SERIAL

ATTLOG = f'/iclock/cdata?SN={PUSH_SERIAL}&table=ATTLOG&Stamp=1'
GETREQUEST = f'/iclock/getrequest?SN={PUSH_SERIAL}'


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _receiver(config: Config, spool: Spool, clock: Clock) -> AdmsReceiver:
    return AdmsReceiver(spool, {m.serial: m for m in config.machines}, delay_seconds=10, clock=clock)


def _poll_for(receiver: AdmsReceiver, clock: Clock, minutes: int) -> None:
    """The machine polls getrequest every 10 s, as its Delay asks."""
    for _ in range(minutes * 6):
        clock.now += timedelta(seconds=10)
        assert receiver.handle('GET', GETREQUEST, b'').body == 'OK'


def _skew(spool: Spool) -> tuple[object, object]:
    state = spool.machine_state(PUSH_SERIAL)
    return state.get('skew_seconds'), state.get('skew_source')


def test_a_live_punch_measures_the_skew(config: Config, spool: Spool) -> None:
    # Given a machine in unbroken contact for ten minutes, whose clock runs 95 s fast (bridge 08:10:00 WITA)
    clock = Clock(datetime(2026, 1, 5, 0, 0, 0, tzinfo=UTC))
    receiver = _receiver(config, spool, clock)
    _poll_for(receiver, clock, 10)
    # When it pushes one punch, alone, as Realtime=1 does the moment it happens
    assert receiver.handle('POST', ATTLOG, b'9\t2026-01-05 08:11:35\t0\t1\t0\t0\t0').body == 'OK: 1'
    # Then the skew is the punch's time against the bridge's
    assert _skew(spool) == (95.0, 'push-live')


def test_punches_delivered_late_raise_no_clock_alarm(config: Config, spool: Spool) -> None:
    # Given a machine in contact, then cut off for 40 minutes while two people punched (its clock is right)
    clock = Clock(datetime(2026, 1, 5, 0, 0, 0, tzinfo=UTC))
    receiver = _receiver(config, spool, clock)
    _poll_for(receiver, clock, 10)
    clock.now += timedelta(minutes=40)
    # When it comes back, shakes hands and delivers them, both together
    receiver.handle('GET', f'/iclock/cdata?SN={PUSH_SERIAL}&options=all', b'')
    clock.now += timedelta(seconds=2)
    body = b'5\t2026-01-05 08:12:00\t0\t1\t0\t0\t0\n6\t2026-01-05 08:13:01\t0\t1\t0\t0\t0\n'
    assert receiver.handle('POST', ATTLOG, body).body == 'OK: 2'
    # or one at a time
    clock.now += timedelta(seconds=2)
    assert receiver.handle('POST', ATTLOG, b'7\t2026-01-05 08:14:00\t0\t1\t0\t0\t0').body == 'OK: 1'
    # Then no skew is claimed from them
    assert _skew(spool) == (None, None)
    # And once it has been in steady contact again, a live punch measures the (zero) skew
    _poll_for(receiver, clock, 6)
    live = (clock.now + timedelta(hours=8)).strftime('%Y-%m-%d %H:%M:%S')
    assert receiver.handle('POST', ATTLOG, f'8\t{live}\t0\t1\t0\t0\t0'.encode()).body == 'OK: 1'
    assert _skew(spool) == (0.0, 'push-live')


def test_a_batch_during_steady_contact_is_not_live_and_neither_is_the_next_single_push(
    config: Config, spool: Spool
) -> None:
    # Given a machine in steady contact that then sends a backlog of three (TransInterval catching up)
    clock = Clock(datetime(2026, 1, 5, 0, 0, 0, tzinfo=UTC))
    receiver = _receiver(config, spool, clock)
    _poll_for(receiver, clock, 10)
    backlog = b''.join(f'{pin}\t2026-01-05 07:2{pin}:00\t0\t1\t0\t0\t0\n'.encode() for pin in range(3))
    assert receiver.handle('POST', ATTLOG, backlog).body == 'OK: 3'
    # When the last of it comes alone right after
    clock.now += timedelta(seconds=5)
    assert receiver.handle('POST', ATTLOG, b'9\t2026-01-05 07:29:00\t0\t1\t0\t0\t0').body == 'OK: 1'
    # Then neither sets a skew (it would claim the clock is 41 minutes slow)
    assert _skew(spool) == (None, None)
