from datetime import UTC, datetime, timedelta

from chalicelib.domain.machine_health import MachineState, machine_state, parse_instant

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
LIMITS = {'stale_after': timedelta(minutes=15), 'offline_after': timedelta(minutes=60)}


def test_state_follows_the_silence_thresholds_at_their_boundaries() -> None:
    assert machine_state(NOW - timedelta(minutes=14, seconds=59), NOW, **LIMITS) is MachineState.ONLINE
    assert machine_state(NOW - timedelta(minutes=15), NOW, **LIMITS) is MachineState.STALE
    assert machine_state(NOW - timedelta(minutes=60), NOW, **LIMITS) is MachineState.OFFLINE
    assert machine_state(None, NOW, **LIMITS) is MachineState.NEVER_SEEN


def test_only_instants_with_an_offset_are_trusted() -> None:
    assert parse_instant('2026-11-20T00:59:00Z') == datetime(2026, 11, 20, 0, 59, tzinfo=UTC)
    assert parse_instant('2026-11-20 07:59:00') is None
    assert parse_instant('yesterday') is None and parse_instant(None) is None
