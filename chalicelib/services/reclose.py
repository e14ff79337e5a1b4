"""Re-close markers: dates whose day records must be recomputed because something they depend on changed after
(or while) they were closed. Kept apart from ingest so a check-in's cold start does not load the upload parsers."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from chalicelib.ports import Record, Remove
from chalicelib.services.common import Deps, all_records

KIND_RECLOSE = 'reclose'  # a local date whose day records must be recomputed: punches arrived for it


def mark_for_reclose(deps: Deps, days: set[date], cause: str, *, not_before: datetime | None = None) -> None:
    """Ask the next day close to recompute these dates: a punch that arrives late (an offline bridge, a
    mapping made later) must never leave a stale day. One marker per date and cause, so a marker written
    while a close is running survives that close. ``not_before``: not earlier than this instant (a night
    shift whose check-out window is still open)."""
    cause_id = hashlib.sha256(cause.encode()).hexdigest()[:16]
    extra: dict[str, str] = {'marked_at': deps.clock().isoformat()}
    if not_before:
        extra['not_before'] = not_before.isoformat()
    deps.store.put_many([
        Record(KIND_RECLOSE, f'{day.isoformat()}@{cause_id}', {'day': day.isoformat(), 'cause': cause, **extra},
               list_key=f'{day.isoformat()}@{cause_id}')
        for day in sorted(days)
    ])  # fmt: skip


def pending_recloses(deps: Deps) -> list[Record]:
    return list(all_records(deps.store, KIND_RECLOSE))


def clear_recloses(deps: Deps, markers: list[Record]) -> None:
    for marker in markers:
        deps.store.commit([Remove(KIND_RECLOSE, marker.id)], None)
