"""PP 94/2021 discipline alerts, raised at every month close from the year's closed months (alert only: nothing
is deducted; a hukuman disiplin is decided by people and enters the month as an overlay).

Choices where the brief leaves room, and why:

- The yearly figures come from the month records of each month's latest complete revision (the month being
  closed: the records just computed). They are exact for what was paid, and cheap: one record per employee and
  month, where the day records would be twenty. Months of the year closed later than the one being closed (a
  correction of March after May) are included, so the figures always run to the latest closed month.
- One alert per employee, year and band, under a deterministic id: closing a month twice raises nothing new,
  and a band skipped in one step (0 to 5 TK days in a month) is not raised after the fact, since a lower band
  never stood. An alert is never removed; a correction that lowers the figures updates the employee's standing
  (current figures and bands), which every listed alert shows beside what it was raised on.
- Each new alert is written with an audit entry by the system; the standing is bookkeeping, rewritten only when
  it changes.
- An alert is listed under the OPD the employee was in at the close that raised it.
- The alert step is owed from before the close saves its revision (a pending marker) until it completes; the
  hourly close job retries every month still owed (``retry_pending``), since the schedule never closes a closed
  month again.
- A TK run crosses the year end (``domain.tpp.discipline``): the run the previous year's closed months end with
  is read from their latest revisions and carried into January for the consecutive band only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from chalicelib.domain.access import Permission, scope_opd
from chalicelib.domain.errors import Conflict, FieldIssue, ValidationFailed
from chalicelib.domain.models import Principal
from chalicelib.domain.tpp.discipline import (
    CONSECUTIVE,
    Band,
    MonthFigures,
    Reached,
    YearFigures,
    bands_of,
    year_history,
)
from chalicelib.domain.tpp.profile import RuleProfile, profile_in_force
from chalicelib.domain.tpp.records import MonthRecord, month_bounds
from chalicelib.observability import logger
from chalicelib.ports import AllowanceRecords, AuditDraft, Create, Record, Remove
from chalicelib.services.common import KIND_DISCIPLINE_ALERT, KIND_DISCIPLINE_STANDING, SYSTEM_ACTOR, Deps, all_records

KIND_ALERTS_PENDING = 'discipline_alerts_pending'  # a month whose close owes its alert step


def _months_of(year: str) -> list[str]:
    return [f'{year}-{n:02d}' for n in range(1, 13)]


def _figures(record: MonthRecord | None) -> MonthFigures | None:
    if record is None:
        return None
    m = record.result
    return MonthFigures(record.month, m.working_days, m.tk_days, m.max_consecutive_tk, m.leading_tk_days,
                        m.trailing_tk_days, m.late_early_minutes)  # fmt: skip


def alert_id(year: str, employee_id: str, band: str) -> str:
    return f'{year}#{employee_id}#{band}'


def _standing_data(year: str, latest: MonthRecord, figures: YearFigures, bands: list[Band]) -> dict[str, Any]:
    """The employee's figures as of the latest closed month and the bands they are in now."""
    yearly = next((b for b in bands if b.key != CONSECUTIVE), None)
    return {
        'year': year, 'employee_id': latest.employee_id, 'opd_id': latest.opd_id,
        'through_month': figures.through_month, 'tk_days': figures.tk_days, 'late_days': figures.late_days,
        'longest_tk_run': figures.longest_tk_run,
        'bands': [b.key for b in bands], 'sanction': yearly.sanction if yearly else None,
    }  # fmt: skip


def raise_alerts(
    deps: Deps, records: AllowanceRecords, profiles: Sequence[RuleProfile], month: str, closed: Sequence[MonthRecord]
) -> dict[str, int]:
    """Raise the PP 94 alerts the year's figures reach, as of the month just closed (``closed``: its records).

    Returns the counts: employees looked at, alerts new this time, standings changed.
    """
    year = month[:4]
    by_month: dict[str, dict[str, MonthRecord]] = {month: {r.employee_id: r for r in closed}}
    for other in (m for m in _months_of(year) if m != month):
        complete = [r for r in records.revisions(other) if r.complete]
        if complete:
            by_month[other] = {r.employee_id: r for r in records.month_records(other, complete[-1].revision)}
    months = [m for m in _months_of(year) if m <= max(by_month)]
    employees = sorted({e for rows in by_month.values() for e in rows})
    carried = _carried_runs(records, year, employees)
    alerts: list[tuple[str, MonthRecord, Reached]] = []
    standings: dict[str, dict[str, Any]] = {}
    for employee_id in employees:
        latest = next(by_month[m][employee_id] for m in reversed(months) if employee_id in by_month.get(m, {}))
        priced_by = (latest.result.profile_id, latest.result.profile_version)
        profile = next((p for p in profiles if (p.profile_id, p.version) == priced_by), None) or profile_in_force(
            profiles, latest.employee_type, month_bounds(latest.month)[0]
        )
        if profile is None:
            continue
        series = [(m, _figures(by_month.get(m, {}).get(employee_id))) for m in months]
        figures, reached = year_history(profile.discipline, series, carried.get(employee_id, 0))
        current = bands_of(profile.discipline, figures)
        standings[f'{year}#{employee_id}'] = _standing_data(year, latest, figures, current)
        alerts += [(alert_id(year, employee_id, r.band.key), latest, r) for r in reached]
    raised = _store_alerts(deps, year, month, alerts)
    changed = _store_standings(deps, year, standings)
    return {'employees': len(employees), 'alerts_new': raised, 'standings_changed': changed}


def mark_pending(deps: Deps, month: str) -> None:
    """Written by the month close before it saves a revision: the month's alert step is owed until cleared."""
    deps.store.put_many([Record(KIND_ALERTS_PENDING, month, {'month': month}, list_key=month)])


def clear_pending(deps: Deps, month: str) -> None:
    deps.store.commit([Remove(KIND_ALERTS_PENDING, month)], None)


def retry_pending(deps: Deps, records: AllowanceRecords, profiles: Sequence[RuleProfile]) -> list[dict[str, Any]]:
    """Raise the alerts of every month whose close saved its revision but failed in the alert step, from that
    month's latest complete revision (the hourly close job calls it). The step is idempotent: alerts already
    stored are skipped, so a step that failed half-way completes without doubles."""
    done = []
    for marker in list(all_records(deps.store, KIND_ALERTS_PENDING)):
        month = marker.id
        complete = [r for r in records.revisions(month) if r.complete]
        if complete:
            counts = raise_alerts(deps, records, profiles, month, records.month_records(month, complete[-1].revision))
            done.append({'month': month, **counts})
        clear_pending(deps, month)  # no complete revision: the close failed before it, and is run again whole
    return done


def _carried_runs(records: AllowanceRecords, year: str, employees: Sequence[str]) -> dict[str, int]:
    """The TK run each employee ended the previous year with (closed months, latest revisions): December's
    trailing run, plus November's if December was TK throughout, and so on back."""
    runs: dict[str, int] = {}
    open_ = set(employees)
    for number in range(12, 0, -1):
        month = f'{int(year) - 1:04d}-{number:02d}'
        complete = [r for r in records.revisions(month) if r.complete] if open_ else []
        if not complete:
            break
        rows = {r.employee_id: r.result for r in records.month_records(month, complete[-1].revision)}
        still = set()
        for employee_id in open_:
            m = rows.get(employee_id)
            if m is None:
                continue
            runs[employee_id] = runs.get(employee_id, 0) + m.trailing_tk_days
            if m.working_days and m.tk_days == m.working_days:
                still.add(employee_id)
        open_ = still
    return {e: n for e, n in runs.items() if n}


def _store_alerts(deps: Deps, year: str, month: str, alerts: list[tuple[str, MonthRecord, Reached]]) -> int:
    existing = deps.store.get_many(KIND_DISCIPLINE_ALERT, [a for a, _, _ in alerts]) if alerts else {}
    raised = 0
    for identifier, latest, reached in alerts:
        if identifier in existing:
            continue
        band, figures = reached.band, reached.figures
        data = {
            'alert_id': identifier, 'year': year, 'employee_id': latest.employee_id, 'opd_id': latest.opd_id,
            'nip': latest.nip, 'name': latest.name, 'band': band.key, 'days_from': band.days_from,
            'days_to': band.days_to, 'sanction': band.sanction, 'reason': band.reason, 'reached_month': reached.month,
            'tk_days': figures.tk_days, 'late_days': figures.late_days, 'longest_tk_run': figures.longest_tk_run,
            'raised_at': deps.clock().isoformat(), 'raised_by_close_of': month,
        }  # fmt: skip
        record = Record(KIND_DISCIPLINE_ALERT, identifier, data,
                        list_key=f'{year}#{latest.opd_id}#{latest.employee_id}#{band.key}')  # fmt: skip
        try:
            deps.store.commit(
                [Create(record, f'alert {identifier} was raised at the same moment')],
                AuditDraft(SYSTEM_ACTOR, 'discipline.alert', f'employee/{latest.employee_id}', latest.opd_id, None,
                           data),
            )  # fmt: skip
        except Conflict:
            continue  # another close raised it meanwhile
        logger.info('discipline alert raised', extra={'alert_id': identifier, 'sanction': band.sanction})
        raised += 1
    return raised


def _store_standings(deps: Deps, year: str, standings: dict[str, dict[str, Any]]) -> int:
    stored = deps.store.get_many(KIND_DISCIPLINE_STANDING, list(standings)) if standings else {}
    changed = [
        Record(KIND_DISCIPLINE_STANDING, identifier, data, list_key=f'{year}#{data["employee_id"]}')
        for identifier, data in standings.items()
        if identifier not in stored or stored[identifier].data != data
    ]
    if changed:
        deps.store.put_many(changed)
    return len(changed)


def list_alerts(
    deps: Deps, principal: Principal, year: str | None, opd_id: str | None, today: date, limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
    """The alerts of a year (default: this year), of one OPD (an OPD admin's own), each with the employee's
    current standing: a correction may have lowered the figures since the alert was raised."""
    scope = scope_opd(principal, Permission.DISCIPLINE_READ, opd_id)
    year = year or f'{today.year:04d}'
    if not (len(year) == 4 and year.isdigit()):
        raise ValidationFailed(f'{year!r} is not a year', fields=(FieldIssue('query.year', 'expected YYYY'),))
    page = deps.store.list(KIND_DISCIPLINE_ALERT, f'{year}#{scope}#' if scope else f'{year}#', limit=limit,
                           cursor=cursor)  # fmt: skip
    ids = sorted({f'{year}#{r.data["employee_id"]}' for r in page.items})
    standings = deps.store.get_many(KIND_DISCIPLINE_STANDING, ids) if ids else {}
    items = []
    for record in page.items:
        standing = standings.get(f'{year}#{record.data["employee_id"]}')
        current = dict(standing.data) if standing else None
        items.append({**record.data, 'current': current,
                      'still_reached': bool(current and record.data['band'] in current['bands'])})  # fmt: skip
    return items, page.next_cursor
