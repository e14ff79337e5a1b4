"""Fires the app's scheduled functions at their cron times, as EventBridge would in AWS."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from croniter import croniter


def aws_cron_to_croniter(expression: str) -> str:
    """AWS cron has six fields (with year) and '?'; croniter wants the classic five."""
    fields = expression.split()
    if len(fields) != 6:
        raise ValueError(f'AWS cron needs 6 fields: {expression!r}')
    minute, hour, day, month, weekday, _year = (f.replace('?', '*') for f in fields)
    return ' '.join((minute, hour, day, month, weekday))


class LocalScheduler:
    def __init__(
        self,
        jobs: dict[str, tuple[str, Callable[[], Any]]],
        report: Callable[[str, Any], None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._jobs = jobs
        self._report = report
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name='hadir-scheduler', daemon=True)

    def next_runs(self) -> dict[str, datetime]:
        now = self._clock()
        return {
            name: croniter(aws_cron_to_croniter(cron), now).get_next(datetime) for name, (cron, _) in self._jobs.items()
        }

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        upcoming = self.next_runs()
        while not self._stop.is_set():
            name, when = min(upcoming.items(), key=lambda item: item[1])
            wait = (when - self._clock()).total_seconds()
            if wait > 0 and self._stop.wait(min(wait, 30)):
                return
            if self._clock() < when:
                continue
            try:
                self._report(name, self._jobs[name][1]())
            except Exception as exc:  # noqa: BLE001 - one failing job must not stop the others
                self._report(name, f'failed: {type(exc).__name__}: {exc}')
            upcoming[name] = croniter(aws_cron_to_croniter(self._jobs[name][0]), when).get_next(datetime)
