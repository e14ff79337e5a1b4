"""Today's live attendance for the console: one OPD's board, and a summary row per OPD for the whole pemda.

Read in bulk, never per employee: the directory once (OPD, staff), the schedule book and the calendar once
(the same resolution the day close uses: assignments, templates, rosters, holidays, Ramadan), the approved
statuses of the month once, and one ledger query per OPD for its local date. The rules of the board are in
``domain/today.py``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.access import Permission, authorize
from chalicelib.domain.models import Employee, Holiday, Opd, Principal, Punch
from chalicelib.domain.today import (
    STATE_ORDER,
    StatusCategory,
    TodayCounts,
    status_category,
    today_line,
)
from chalicelib.domain.tpp.profile import RuleProfile, profile_in_force
from chalicelib.domain.tpp.schedule import Calendar, Shift, expected_shift
from chalicelib.domain.tpp.statuses import EmployeeStatus, status_on
from chalicelib.services import schedules, statuses
from chalicelib.services.common import KIND_EMPLOYEE, KIND_HOLIDAY, KIND_OPD, Deps, all_records, load, require


@dataclass(frozen=True)
class _Inputs:
    """What every OPD's board reads, read once for all of them."""

    book: schedules.ScheduleBook
    calendar: Calendar
    approved: dict[str, list[EmployeeStatus]]
    profiles: Sequence[RuleProfile]


def local_date(deps: Deps, opd: Opd) -> date:
    return deps.clock().astimezone(ZoneInfo(opd.zone)).date()


def _inputs(deps: Deps, profiles: Sequence[RuleProfile], days: Iterable[date]) -> _Inputs:
    wanted = sorted(set(days))
    first, last = wanted[0], wanted[-1]
    months = sorted({f'{d.year:04d}-{d.month:02d}' for d in wanted})
    return _Inputs(
        schedules.schedule_book(deps, first, last), calendar(deps, first.year, last.year),
        statuses.approved_in_months(deps, months), profiles,
    )  # fmt: skip


def calendar(deps: Deps, first_year: int, last_year: int) -> Calendar:
    """Holidays and Ramadan periods of these years, as the day close builds its calendar."""
    holidays = [
        Holiday.model_validate(r.data)
        for year in range(first_year, last_year + 1)
        for r in all_records(deps.store, KIND_HOLIDAY, f'{year:04d}-')
    ]
    return Calendar.from_holidays(holidays, schedules.ramadan_periods(deps, first_year, last_year))


def _board(
    inputs: _Inputs, opd: Opd, day: date, staff: Sequence[Employee], punches: Sequence[Punch]
) -> tuple[list[dict[str, Any]], TodayCounts]:
    zone = ZoneInfo(opd.zone)
    by_employee: dict[str, list[tuple[datetime, Punch]]] = defaultdict(list)
    for punch in punches:
        if punch.employee_id:
            by_employee[punch.employee_id].append((punch.at_utc.astimezone(zone).replace(tzinfo=None), punch))
    counts = TodayCounts()
    ranked: list[tuple[int, str, str, dict[str, Any]]] = []
    for employee in staff:
        resolved = inputs.book.for_employee(employee, opd, day)
        shift = expected_shift(resolved.schedule, day, inputs.calendar) if resolved.schedule else None
        if shift is None:
            counts.off += 1
            continue
        profile = profile_in_force(inputs.profiles, employee.employee_type, day)
        status = status_on(inputs.approved.get(employee.employee_id, []), day)
        rule = profile.status(status.code) if profile and status else None
        line = today_line(shift, by_employee.get(employee.employee_id, []), profile, rule, status is not None)
        category = status_category(rule) if status else None
        counts.add(line.state, category)
        ranked.append((STATE_ORDER[line.state], employee.name.casefold(), employee.employee_id, {
            'employee_id': employee.employee_id, 'nip': employee.nip, 'name': employee.name, 'unit': employee.unit,
            'employee_type': employee.employee_type.value, 'state': line.state.value, 'shift': _shift(shift),
            'first_punch': _punch(line.first, zone), 'last_punch': _punch(line.last, zone), 'punches': line.punches,
            'minutes_late': line.minutes_late, 'grace_minutes': profile.grace_minutes if profile else 0,
            'status': _status(status, rule.name if rule else None, category) if status else None,
        }))  # fmt: skip
    return [row for *_, row in sorted(ranked, key=lambda r: r[:3])], counts


def _shift(shift: Shift) -> dict[str, Any]:
    return {'code': shift.code, 'start': shift.start.isoformat(), 'end': shift.end.isoformat()}


def _punch(punch: Punch | None, zone: ZoneInfo) -> dict[str, Any] | None:
    if punch is None:
        return None
    at = punch.at_utc.astimezone(zone).replace(tzinfo=None)
    return {
        'at': at.isoformat(timespec='seconds'),
        'source': punch.source.value,
        'machine_serial': punch.machine_serial,
    }


def _status(status: EmployeeStatus, name: str | None, category: StatusCategory | None) -> dict[str, Any]:
    return {
        'status_id': status.status_id, 'code': status.code, 'name': name,
        'category': category.value if category else None, 'first': status.first.isoformat(),
        'last': status.last.isoformat(), 'reference': status.reference,
        'location': status.location.model_dump(mode='json') if status.location else None,
    }  # fmt: skip


def _active_staff(deps: Deps, opd_id: str | None = None) -> list[Employee]:
    prefix = f'{opd_id}#' if opd_id else ''
    return [e for e in (load(Employee, r) for r in all_records(deps.store, KIND_EMPLOYEE, prefix)) if e.active]


def opd_today(deps: Deps, profiles: Sequence[RuleProfile], principal: Principal, opd_id: str) -> dict[str, Any]:
    """One OPD's board: every active employee owing a shift today (the OPD's local date), with the first and
    last punch, minutes late, today's approved status, and the counts.

    Parameters
    ----------
    profiles: the published rule profiles (grace and late reference, the status rules).
    """
    authorize(principal, Permission.RECAP_READ, opd_id)
    opd = load(Opd, require(deps.store, KIND_OPD, opd_id))
    day = local_date(deps, opd)
    inputs = _inputs(deps, profiles, [day])
    rows, counts = _board(inputs, opd, day, _active_staff(deps, opd_id), deps.ledger.for_opd_date(opd_id, day))
    return {
        'opd_id': opd.opd_id, 'opd_name': opd.name, 'zone': opd.zone, 'date': day.isoformat(),
        'as_of': deps.clock().isoformat(), 'counts': counts.as_dict(), 'items': rows,
    }  # fmt: skip


def pemda_today(deps: Deps, profiles: Sequence[RuleProfile], principal: Principal) -> dict[str, Any]:
    """A summary row per active OPD (each on its own local date) with the board's counts, and the totals."""
    authorize(principal, Permission.RECAP_READ)
    opds = sorted((o for o in (load(Opd, r) for r in all_records(deps.store, KIND_OPD)) if o.active),
                  key=lambda o: o.opd_id)  # fmt: skip
    days = {o.opd_id: local_date(deps, o) for o in opds}
    staff: dict[str, list[Employee]] = defaultdict(list)
    for employee in _active_staff(deps):
        staff[employee.opd_id].append(employee)
    totals = TodayCounts()
    items = []
    if opds:
        inputs = _inputs(deps, profiles, days.values())
        for opd in opds:
            day = days[opd.opd_id]
            punches = deps.ledger.for_opd_date(opd.opd_id, day) if staff[opd.opd_id] else []
            _, counts = _board(inputs, opd, day, staff[opd.opd_id], punches)
            totals.merge(counts)
            items.append({'opd_id': opd.opd_id, 'opd_name': opd.name, 'zone': opd.zone, 'date': day.isoformat(),
                          'counts': counts.as_dict()})  # fmt: skip
    return {'as_of': deps.clock().isoformat(), 'totals': totals.as_dict(), 'items': items, 'count': len(items)}
