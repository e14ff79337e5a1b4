"""In-memory doubles of the ports. The directory store and audit log live in chalicelib.adapters.memory (the
demo seed stages in them); the tests' store reads a ticking clock, so audit entries have distinct, ordered times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.adapters.memory import MemoryAuditLog, MemoryDirectoryStore
from chalicelib.ports import Clock


class TickingClock:
    """A clock that moves forward one second per reading, so entries have distinct, ordered times."""

    def __init__(self, start: datetime | None = None, step: timedelta = timedelta(seconds=1)) -> None:
        self.now = start or datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
        self.step = step

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current


FakeAuditLog = MemoryAuditLog


class FakeDirectoryStore(MemoryDirectoryStore):
    def __init__(self, clock: Clock | None = None, audit_log: MemoryAuditLog | None = None) -> None:
        super().__init__(clock or TickingClock(), audit_log)
