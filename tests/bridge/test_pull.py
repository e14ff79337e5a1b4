"""TCP pull through a pyzk-shaped fake: read-only, windowed for backfill, skew measured."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hadir_bridge.config import Config
from hadir_bridge.pull import Puller, PullError
from hadir_bridge.spool import Spool
from zk.attendance import Attendance

from tests.bridge.conftest import PULL_SERIAL
from tests.bridge.fake_zk import FakeZk

NOW = datetime(2026, 1, 5, 0, 0, 0, tzinfo=UTC)  # 08:00:00 WITA


def _zk() -> FakeZk:
    return FakeZk(
        attendances=[
            Attendance('101', datetime(2026, 1, 4, 7, 30, 5), 1, 0, 1),
            Attendance('102', datetime(2026, 1, 4, 16, 1, 0), 15, 1, 2),
            Attendance('101', datetime(2026, 1, 5, 7, 29, 59), 1, 0, 1),
            Attendance('', datetime(2026, 1, 5, 7, 40, 0), 1, 0, 9),
        ],
        clock=datetime(2026, 1, 5, 7, 58, 0),
    )


def test_pull_spools_every_record_maps_pyzk_fields_and_never_clears(config: Config, spool: Spool) -> None:
    zk = _zk()
    machine = config.machine(PULL_SERIAL)
    assert machine is not None
    result = Puller(spool, zk, clock=lambda: NOW).pull(machine)
    assert (result.records_on_machine, result.counts.added, result.counts.rejected) == (4, 3, 1)
    assert result.skew_seconds == -120.0
    assert 'disconnect' in zk.calls and not any('clear' in call for call in zk.calls)
    batch = spool.claim_batch(10)
    assert batch is not None
    first = batch.lines[0]
    # pyzk's `punch` is the punch state (our status) and its `status` is the verify method.
    assert '"status":0,"verify":1' in first and '"source":"pull"' in first
    assert '"raw":"101\\t2026-01-04 07:30:05\\t0\\t1\\t0"' in first
    state = spool.machine_state(PULL_SERIAL)
    assert (state['firmware'], state['users'], state['attlog_count'], state['skew_seconds']) == (
        'Ver 6.60 Apr 28 2017',
        40,
        4,
        -120.0,
    )
    # Pulling again adds nothing: the machine returns its whole log every time.
    assert Puller(spool, zk, clock=lambda: NOW).pull(machine).counts.added == 0


def test_windowed_pull_keeps_only_the_window(config: Config, spool: Spool) -> None:
    machine = config.machine(PULL_SERIAL)
    assert machine is not None
    result = Puller(spool, _zk()).pull(machine, '2026-01-04 00:00:00', '2026-01-04 23:59:59')
    assert result.counts.added == 2
    assert spool.punch_count(PULL_SERIAL) == 2


def test_unreachable_machine_is_an_error_with_state_kept(config: Config, spool: Spool) -> None:
    machine = config.machine(PULL_SERIAL)
    assert machine is not None
    with pytest.raises(PullError, match='cannot connect'):
        Puller(spool, FakeZk(fail_on='connect')).pull(machine)
    assert 'connect failed' in spool.machine_state(PULL_SERIAL)['last_error']
    zk = FakeZk(fail_on='get_attendance')
    with pytest.raises(PullError, match='read failed'):
        Puller(spool, zk).pull(machine)
    assert zk.calls[-1] == 'disconnect'
