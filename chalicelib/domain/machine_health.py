"""Is a machine alive? Decided from the last time it talked to its bridge, as the bridge reported it."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class MachineState(StrEnum):
    ONLINE = 'online'
    STALE = 'stale'
    OFFLINE = 'offline'
    NEVER_SEEN = 'never_seen'


def machine_state(
    last_contact: datetime | None, now: datetime, *, stale_after: timedelta, offline_after: timedelta
) -> MachineState:
    if last_contact is None:
        return MachineState.NEVER_SEEN
    silence = now - last_contact
    if silence >= offline_after:
        return MachineState.OFFLINE
    if silence >= stale_after:
        return MachineState.STALE
    return MachineState.ONLINE


def parse_instant(value: object) -> datetime | None:
    """An ISO-8601 instant with offset (bridges send '…Z'); anything else is treated as unknown."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace('Z', '+00:00'))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
