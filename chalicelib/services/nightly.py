"""The nightly day close, per OPD zone: which local dates are due, closing them, and the re-close markers.

A pemda's OPDs can sit in different zones (WIB, WITA, WIT; Perpres 21/2023 counts in local time), so the
scheduled close runs every hour and closes, for each zone, the local date that ended there at least
``CLOSE_AFTER_LOCAL_HOUR`` hours ago. A marker per zone and date says it was done, so a second run in the
same night changes nothing and a night the job missed is caught up (up to ``CATCH_UP_DAYS`` back, and never
before the zone's first close: a new deployment must not invent absent days before go-live).

Choices, and why:

- A roster shift that crosses midnight is still open at 01:00 (a night shift 21:00–07:00 takes check-outs
  until 13:00). Its day is closed anyway (the employee sees the day at once) and marked for a re-close
  once the latest check-out window of the day has shut, so the day ends priced on every scan.
- Re-close markers (late punches, a decided outage, an edited roster, a published profile) are handled on
  every hourly run for days every zone has closed, once their ``not_before`` has passed: a late upload is
  priced within the hour, not the next night. Newest day first, each day's markers removed when it is done,
  within a time budget, so a profile's year of days cannot starve yesterday's late punches. A marker
  written before every zone's close of its day began (a punch uploaded on time) is answered by those
  closes and removed without closing the day twice.
- One zone's failure is logged and reported; the other zones close, and the next run retries it.
- An explicit date (``hadir job close-day --date``) closes that date for every OPD, as before.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.models import Opd
from chalicelib.observability import logger
from chalicelib.ports import Record
from chalicelib.services import allowance, reclose
from chalicelib.services.allowance import AllowanceBooks, HeldDays
from chalicelib.services.common import KIND_OPD, Deps, all_records, load

KIND_ZONE_CLOSE = 'zoneclose'
CLOSE_AFTER_LOCAL_HOUR = 1  # 01:00 local: the day has ended and the bridges' last uploads are in
CATCH_UP_DAYS = 7
RECLOSE_BUDGET_SECONDS = 600  # from the run's start, of the close-day function's 15 minutes


def zones_of(deps: Deps) -> dict[str, list[str]]:
    """The OPD ids of each zone in use."""
    zones: dict[str, list[str]] = defaultdict(list)
    for opd in (load(Opd, r) for r in all_records(deps.store, KIND_OPD)):
        zones[opd.zone].append(opd.opd_id)
    return dict(zones)


def due_dates(deps: Deps, zone: str, now: datetime) -> list[date]:
    """The local dates of ``zone`` that have ended and are not yet closed there, oldest first."""
    local = now.astimezone(ZoneInfo(zone))
    last = local.date() - timedelta(days=1 if local.hour >= CLOSE_AFTER_LOCAL_HOUR else 2)
    done = {r.data['day'] for r in all_records(deps.store, KIND_ZONE_CLOSE, f'{zone}@')}
    if not done:
        return [last]
    window = [last - timedelta(days=n) for n in range(CATCH_UP_DAYS - 1, -1, -1)]
    first_close = min(done)
    return [d for d in window if d.isoformat() not in done and d.isoformat() > first_close]


def run_nightly(deps: Deps, books_for: Callable[[], AllowanceBooks]) -> dict[str, Any]:
    """One hourly run: close what is due in each zone, then the ripe re-close markers of settled days."""
    now: datetime = deps.clock()
    started = time.monotonic()
    # Markers first, then the books: a rule profile published before its markers were read is in the books.
    markers = _ripe_markers(deps, date.max, now)
    books = books_for()
    closed: dict[str, list[str]] = {}
    failed: dict[str, str] = {}
    totals = allowance.DayCloseReport(first='', last='')
    zones = zones_of(deps)
    for zone, opd_ids in sorted(zones.items()):
        try:
            for day in due_dates(deps, zone, now):
                report = allowance.close_days(deps, books, day, day, zone_opds=opd_ids)
                _remember_open_shifts(deps, zone, day, report)
                deps.store.put_many([_zone_close_record(zone, day, now, report)])
                closed.setdefault(zone, []).append(day.isoformat())
                _add(totals, report)
                facts = {'zone': zone, 'day': day.isoformat(), 'owed': report.owed, 'written': report.written}
                logger.info('day closed for zone', extra=facts)
        except Exception as exc:  # one zone's failure must not stop the others; the next run retries it
            logger.exception('zone close failed', extra={'zone': zone})
            failed[zone] = f'{type(exc).__name__}: {exc}'
    reclosed = _reclose(deps, books, markers, zones, started)
    return {**allowance.report_dict(totals), 'closed': closed, 'failed': failed, 'reclosed_days': reclosed}


def close_past_days(
    deps: Deps, books_for: Callable[[], AllowanceBooks], first: date, last: date, held: HeldDays | None = None
) -> dict[str, Any]:
    """Close each past day from ``first`` to ``last`` in every zone, as the hourly runs would have, with the
    zones' close records, so the next run carries on after ``last``; the days' re-close markers are answered.
    ``held`` keeps what the closes leave, for a month close in the same job (``allowance.HeldDays``)."""
    now: datetime = deps.clock()
    books = books_for()
    totals = allowance.DayCloseReport(first='', last='')
    for zone, opd_ids in sorted(zones_of(deps).items()):
        day = first
        while day <= last:
            report = allowance.close_days(deps, books, day, day, zone_opds=opd_ids, held=held)
            deps.store.put_many([_zone_close_record(zone, day, now, report)])
            _add(totals, report)
            if day == last:
                _remember_open_shifts(deps, zone, day, report)
            day += timedelta(days=1)
    reclose.clear_recloses(deps, [m for m in reclose.pending_recloses(deps) if m.data['day'] <= last.isoformat()])
    return allowance.report_dict(totals)


def close_date(deps: Deps, books_for: Callable[[], AllowanceBooks], target: date) -> dict[str, Any]:
    """Close ``target`` for every OPD, and before it every ripe marked day up to it."""
    markers = _ripe_markers(deps, target, deps.clock())
    books = books_for()
    by_day = _by_day(markers)
    reclosed = sorted(set(by_day) - {target.isoformat()}, reverse=True)
    for day in reclosed:
        allowance.close_day(deps, books, date.fromisoformat(day))
        reclose.clear_recloses(deps, by_day[day])
    report = allowance.close_day(deps, books, target)
    reclose.clear_recloses(deps, by_day.get(target.isoformat(), []))
    return {**allowance.report_dict(report), 'reclosed_days': sorted(reclosed)}


def _reclose(
    deps: Deps, books: AllowanceBooks, markers: list[Record], zones: dict[str, list[str]], started: float
) -> list[str]:
    """Close again the marked days every zone has closed, newest first (yesterday's late punches before a
    profile's year of days), each day's markers removed as soon as it is done, within a time budget; what
    is left waits for the next run. A marker written before every zone's close of its day began is
    already answered by those closes and is removed without closing the day again."""
    closes = {r.id: r.data for r in all_records(deps.store, KIND_ZONE_CLOSE)}
    settled = _settled_day(closes, zones)
    due = [m for m in markers if settled is not None and m.data['day'] <= settled.isoformat()]
    answered = [m for m in due if _answered(m, closes, zones)]
    reclose.clear_recloses(deps, answered)
    answered_ids = {m.id for m in answered}
    pending = [m for m in due if m.id not in answered_ids]
    reclosed: list[str] = []
    by_day = _by_day(pending)
    for day in sorted(by_day, reverse=True):
        if time.monotonic() - started > RECLOSE_BUDGET_SECONDS:
            logger.warning('re-close budget spent; the rest waits for the next run', extra={'left_from': day})
            break
        allowance.close_day(deps, books, date.fromisoformat(day))
        reclose.clear_recloses(deps, by_day[day])
        reclosed.append(day)
    return sorted(reclosed)


def _by_day(markers: list[Record]) -> dict[str, list[Record]]:
    grouped: dict[str, list[Record]] = defaultdict(list)
    for marker in markers:
        grouped[marker.data['day']].append(marker)
    return grouped


def _settled_day(closes: dict[str, dict[str, Any]], zones: dict[str, list[str]]) -> date | None:
    """The latest local date every zone in use has closed (its own nightly close)."""
    latest = []
    for zone in zones:
        days = [d['day'] for d in closes.values() if d['zone'] == zone]
        if not days:
            return None
        latest.append(max(days))
    return date.fromisoformat(min(latest)) if latest else None


def _answered(marker: Record, closes: dict[str, dict[str, Any]], zones: dict[str, list[str]]) -> bool:
    marked_at = marker.data.get('marked_at')
    if marked_at is None or marker.data.get('not_before') is not None:
        return False
    for zone in zones:
        close = closes.get(f'{zone}@{marker.data["day"]}')
        if close is None or close['closed_at'] < marked_at:
            return False
    return True


def _ripe_markers(deps: Deps, up_to: date, now: datetime) -> list[Record]:
    """Markers of days up to ``up_to`` whose ``not_before`` has passed. They are read before any close, so
    one written while the close runs survives for the next run."""
    return [m for m in reclose.pending_recloses(deps) if m.data['day'] <= up_to.isoformat() and _ripe(m, now)]


def _ripe(marker: Record, now: datetime) -> bool:
    not_before = marker.data.get('not_before')
    return not_before is None or datetime.fromisoformat(not_before) <= now


def _remember_open_shifts(deps: Deps, zone: str, day: date, report: allowance.DayCloseReport) -> None:
    if report.open_until is None:
        return
    shut = datetime.fromisoformat(report.open_until).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    if shut > deps.clock():
        reclose.mark_for_reclose(deps, {day}, f'open shifts {zone}', not_before=shut)


def _zone_close_record(zone: str, day: date, now: datetime, report: allowance.DayCloseReport) -> Record:
    record_id = f'{zone}@{day.isoformat()}'
    data = {'zone': zone, 'day': day.isoformat(), 'closed_at': now.isoformat(), 'owed': report.owed,
            'written': report.written}  # fmt: skip
    return Record(KIND_ZONE_CLOSE, record_id, data, list_key=record_id)


def _add(totals: allowance.DayCloseReport, report: allowance.DayCloseReport) -> None:
    for name in ('employees', 'owed', 'written', 'unchanged', 'removed', 'off', 'no_profile', 'statuses',
                 'conflicts', 'outages', 'punches_read'):  # fmt: skip
        setattr(totals, name, getattr(totals, name) + getattr(report, name))
    totals.first = min(filter(None, (totals.first, report.first)), default='')
    totals.last = max(totals.last, report.last)
