"""Daily count reconciliation of machine punches: what a machine counted, what its bridge holds and what the
ledger holds, per machine and machine-local date. Pure: the service gathers the numbers, this decides what
they prove and which window a bridge must read again.

Three counts can meet for one machine and day:

- machine: the machine's own count for the day (``VERIFY SUM ATTLOG``), from push machines that answer it;
- bridge: the distinct punches of that date in the bridge's spool, and how many of them are not uploaded yet;
- ledger: the distinct punches of that machine and date in the cloud ledger.

A machine that counted more than its bridge holds needs a re-pull; a bridge that holds more than the ledger
needs a re-send. Both are served by one backfill request for the day. The day is judged by the ledger: a
bridge whose spool lost records it had already sent holds fewer than the machine counted, but when the
ledger holds every punch the machine counted, nothing is missing where it matters (``missing_on_bridge`` is
still reported). A machine that sent nothing all day (0 everywhere) is ``silent``, not a match.

The machine's running attlog counter (INFO, or pyzk's ``read_sizes``) proves nothing per day; compared as a
delta with what the bridge received since a baseline, it tells that the bridge missed records somewhere in
that span. When the day findings already account for the gap (their ``missing_on_bridge`` add up to it), the
day backfills re-read those records and no counter request is opened; otherwise the counter request's window
runs from the last day the counter matched (at most a bounded number of days back).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from chalicelib.domain.machine_health import parse_instant

MACHINE_TIME_FORMAT = '%Y-%m-%d %H:%M:%S'
MAX_COUNT = 10_000_000  # far above any machine's capacity: larger numbers are a bridge bug, not a count


class Finding(StrEnum):
    MATCH = 'match'  # the ledger holds every punch the bridge holds (and every one the machine counted)
    SHORT = 'short'  # the ledger lacks punches: a backfill is opened for the day
    SILENT = 'silent'  # the machine sent nothing all day: 0 counted, 0 on the bridge, 0 in the ledger
    IN_TRANSIT = 'in_transit'  # the bridge still has punches of the day to upload, or uploaded them moments ago
    LEDGER_AHEAD = 'ledger_ahead'  # the ledger holds more than the bridge now does (its spool was replaced)
    NOT_REPORTED = 'not_reported'  # the bridge has not reported this machine and day


COMPLETE = frozenset({Finding.MATCH, Finding.LEDGER_AHEAD, Finding.SILENT})  # the ledger holds every punch


@dataclass(frozen=True)
class DayCount:
    """What a bridge reported for one machine and machine-local date."""

    day: date
    punches: int
    unsent: int
    last_sent_at: datetime | None
    machine: int | None  # the machine's own count of the day, when it answered VERIFY SUM ATTLOG


@dataclass(frozen=True)
class DayCheck:
    day: date
    finding: Finding
    ledger: int
    bridge: int | None
    unsent: int | None
    machine: int | None
    missing_on_bridge: int  # the machine counted this many more than the bridge holds: a re-pull can fetch them
    missing_in_ledger: int  # the bridge holds this many more than the ledger: a re-send can deliver them
    ledger_short: int = 0  # what the ledger lacks of the best count (the machine's or the settled bridge's)

    @property
    def shortfall(self) -> int:
        return self.ledger_short

    @property
    def ledger_complete(self) -> bool:
        return self.finding in COMPLETE


@dataclass(frozen=True)
class CounterReport:
    """The machine's running attlog counter against the records the bridge accounted for, both since a baseline.

    ``since`` is None while the comparison is absolute (no clear of the machine's log was seen since the
    bridge first read the counter); otherwise the machine-local time the bridge saw the counter drop.
    """

    machine_count: int
    machine_added: int
    bridge_added: int
    since: datetime | None

    @property
    def gap(self) -> int:
        return max(0, self.machine_added - self.bridge_added)


def _count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        return None
    return value


def _machine_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, MACHINE_TIME_FORMAT)
    except ValueError:
        return None


def parse_day_counts(value: object) -> dict[date, DayCount]:
    """The per-date counts of one machine from a heartbeat; malformed entries are ignored, not trusted."""
    found: dict[date, DayCount] = {}
    if not isinstance(value, list):
        return found
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get('date'), str):
            continue
        try:
            day = date.fromisoformat(entry['date'])
        except ValueError:
            continue
        punches, unsent = _count(entry.get('punches')), _count(entry.get('unsent'))
        if punches is None or unsent is None or unsent > punches:
            continue
        last_sent_at = parse_instant(entry.get('last_sent_at'))
        found[day] = DayCount(day, punches, unsent, last_sent_at, _count(entry.get('machine')))
    return found


def parse_counter(value: object) -> CounterReport | None:
    if not isinstance(value, dict):
        return None
    machine_count, machine_added, bridge_added = (
        _count(value.get(name)) for name in ('machine_count', 'machine_added', 'bridge_added')
    )
    if machine_count is None or machine_added is None or bridge_added is None:
        return None
    return CounterReport(machine_count, machine_added, bridge_added, _machine_time(value.get('since')))


def check_day(day: date, reported: DayCount | None, ledger: int, *, now: datetime, settle: timedelta) -> DayCheck:
    """Compare the three counts of one machine and day.

    The ledger is judged only once the bridge has uploaded every punch of the day and `settle` has passed
    since the last of them (reconcile runs every few minutes): before that a short ledger is expected.
    The machine's own count is judged at once: it does not depend on uploads.
    """
    if reported is None:
        return DayCheck(day, Finding.NOT_REPORTED, ledger, None, None, None, 0, 0)
    missing_on_bridge = max(0, reported.machine - reported.punches) if reported.machine is not None else 0
    settled = reported.unsent == 0 and (reported.last_sent_at is None or now - reported.last_sent_at >= settle)
    missing_in_ledger = max(0, reported.punches - ledger) if settled else 0
    # Judged by the ledger: what the bridge lacks matters only while the ledger lacks it too.
    beyond_bridge = max(0, reported.machine - ledger) if missing_on_bridge and reported.machine is not None else 0
    ledger_short = max(missing_in_ledger, beyond_bridge)
    if ledger_short:
        finding = Finding.SHORT
    elif not settled:
        finding = Finding.IN_TRANSIT
    elif ledger > max(reported.punches, reported.machine or 0):
        finding = Finding.LEDGER_AHEAD
    elif ledger == 0:
        finding = Finding.SILENT
    else:
        finding = Finding.MATCH
    return DayCheck(
        day, finding, ledger, reported.punches, reported.unsent, reported.machine, missing_on_bridge,
        missing_in_ledger, ledger_short,
    )  # fmt: skip


def settled_before(previous: dict[str, object] | None, reported: DayCount | None) -> bool:
    """A day found complete needs no new look while the bridge reports the same counts: the ledger never
    loses a punch, so it still holds at least as many."""
    if previous is None or reported is None or previous.get('finding') not in COMPLETE:
        return False
    return previous.get('bridge') == reported.punches and previous.get('machine') == reported.machine


def day_window(day: date) -> tuple[str, str]:
    """The machine-local window of one day, as backfill requests carry it."""
    return f'{day.isoformat()} 00:00:00', f'{day.isoformat()} 23:59:59'


def day_backfill_id(serial: str, day: date) -> str:
    """At most one automatic backfill per machine and day: a day still short after it is for a person."""
    return f'auto-{serial}-{day:%Y%m%d}'


def gap_explained(gap: int, day_checks: Iterable[DayCheck]) -> bool:
    """Whether the short days already found account for a counter gap: the records the machine counted
    beyond its bridge on those days add up to at least the gap, and each such day has its own backfill."""
    return gap > 0 and sum(c.missing_on_bridge for c in day_checks if c.finding is Finding.SHORT) >= gap


def counter_backfill(
    serial: str, report: CounterReport, day: date, max_days: int, last_match: date | None = None
) -> tuple[str, str, str]:
    """The id and window of the re-read a counter gap asks for.

    The missing records can be anywhere since the counter last matched (or since the baseline), so the window
    runs from the later of the two (at most `max_days` back) to the end of `day`. One request per machine,
    baseline and size of gap: the same gap found again the next day asks for nothing more; a gap that grew does.
    """
    first = day - timedelta(days=max_days - 1)
    if last_match is not None:
        first = max(first, min(last_match, day))
    start = max(report.since, datetime.combine(first, datetime.min.time())) if report.since else None
    start_text = f'{start:{MACHINE_TIME_FORMAT}}' if start else f'{first.isoformat()} 00:00:00'
    since = f'{report.since:%Y%m%d%H%M%S}' if report.since else 'all'
    return f'auto-{serial}-gap-{since}-{report.gap}', start_text, day_window(day)[1]
