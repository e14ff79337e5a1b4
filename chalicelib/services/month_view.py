"""Month views for the console: one employee's month (closed days, schedule in force, statuses, the month
result), an OPD's month grid of closed days, and an OPD's statuses of a month.

The days are the day records the nightly close writes, so a day appears once it is closed; today's live
picture is ``services/today.py``. An employee's day is shaped exactly as the phone shows it to the employee
(``services/me.py``), so the admin and the employee read the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from chalicelib.domain.access import Permission, authorize
from chalicelib.domain.errors import FieldIssue, ValidationFailed
from chalicelib.domain.models import Employee, Opd, OpdKind, Principal
from chalicelib.domain.today import status_category
from chalicelib.domain.tpp.profile import RuleProfile
from chalicelib.domain.tpp.records import DayRecord, month_bounds
from chalicelib.domain.tpp.schedule import assignment_in_force, expected_shift
from chalicelib.domain.tpp.statuses import EmployeeStatus, StatusState
from chalicelib.ports import AllowanceRecords
from chalicelib.services import schedules, statuses
from chalicelib.services.allowance import check_month
from chalicelib.services.common import KIND_EMPLOYEE, KIND_OPD, Deps, all_by_lookup, all_records, load, require
from chalicelib.services.me import _day as employee_day
from chalicelib.services.me import _result as month_result
from chalicelib.services.today import calendar, local_date

STATUS_STATES = ('approved', 'cancelled', 'all')


def _month(raw: str | None, today: date) -> str:
    if raw is None:
        return f'{today:%Y-%m}'
    check_month(raw, 'query.month')
    return raw


def _dates(month: str, today: date) -> list[date]:
    """The month's dates up to today: later days have no record yet."""
    first, last = month_bounds(month)
    return [date.fromordinal(n) for n in range(first.toordinal(), min(last, today).toordinal() + 1)]


def _units(profiles: Sequence[RuleProfile]) -> dict[tuple[str, int], Any]:
    return {(p.profile_id, p.version): p.unit for p in profiles}


def employee_month(
    deps: Deps, records: AllowanceRecords, profiles: Sequence[RuleProfile], principal: Principal,
    employee_id: str, month: str | None,
) -> dict[str, Any]:  # fmt: skip
    """An employee's month for the console: the closed days with codes and explanations, the schedule in force,
    the statuses touching the month (cancelled ones too), and the month result of the latest closed revision."""
    employee = load(Employee, require(deps.store, KIND_EMPLOYEE, employee_id))
    authorize(principal, Permission.RECAP_READ, employee.opd_id)
    opd = load(Opd, require(deps.store, KIND_OPD, employee.opd_id))
    today = local_date(deps, opd)
    month = _month(month, today)
    first, last = month_bounds(month)
    days = records.days([(employee_id, d) for d in _dates(month, today)])
    units = _units(profiles)
    mine = [load(EmployeeStatus, r) for r in all_by_lookup(deps.store, f'statuses#{employee_id}')]
    answer: dict[str, Any] = {
        'employee_id': employee_id, 'name': employee.name, 'nip': employee.nip, 'opd_id': employee.opd_id,
        'month': month, 'schedule': _schedule(deps, employee, opd, month, today),
        'days': [employee_day(r, units) for _, r in sorted(days.items(), key=lambda item: item[0][1])],
        'statuses': [s.model_dump(mode='json') for s in mine if s.overlaps(first, last)],
        'closed': False,
    }  # fmt: skip
    complete = [r for r in records.revisions(month) if r.complete]
    if complete:
        head = complete[-1]
        record = records.month_record(employee_id, month, head.revision)
        answer.update(closed=True, revision=head.revision, closed_at=head.created_at.isoformat(),
                      result=month_result(record) if record else None)  # fmt: skip
    return answer


def _schedule(deps: Deps, employee: Employee, opd: Opd, month: str, today: date) -> dict[str, Any] | None:
    """The schedule in force on today (in the month) or on the month's last day, resolved as the day close does."""
    first, last = month_bounds(month)
    on = today if first <= today <= last else (last if today > last else first)
    book = schedules.schedule_book(deps, first, last)
    resolved = book.for_employee(employee, opd, on)
    if resolved.schedule is None:
        return None
    every = [a for group in book.assignments.values() for a in group]
    chosen = assignment_in_force(every, employee.employee_id, opd.opd_id, employee.unit, on)
    shift = expected_shift(resolved.schedule, on, calendar(deps, on.year, on.year))
    schedule = resolved.schedule
    described: dict[str, Any] = {
        'on': on.isoformat(), 'kind': schedule.kind,
        'source': 'assignment' if chosen else ('opd_default_6day' if opd.kind is OpdKind.PUSKESMAS else
                                               'opd_default_5day'),
        'assignment_id': chosen.assignment_id if chosen else None,
        'valid_from': chosen.valid_from.isoformat() if chosen else None,
        'valid_to': chosen.valid_to.isoformat() if chosen and chosen.valid_to else None,
        'shift': {'code': shift.code, 'start': shift.start.isoformat(), 'end': shift.end.isoformat()} if shift
        else None,
    }  # fmt: skip
    if schedule.template is not None:
        described.update(template=schedule.template.code, template_name=schedule.template.name)
    if schedule.roster is not None:
        described['roster_days'] = {d.day.isoformat(): d.code for d in schedule.roster.days}
    return described


def opd_days(
    deps: Deps, records: AllowanceRecords, principal: Principal, opd_id: str, month: str | None,
    offset: int = 0, size: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """An OPD's month grid: per employee of the OPD the closed day of every date so far, as the month close reads
    them (the day sheets). ``offset``/``size`` give one page of the employees in name order (a 1,000-person OPD's
    whole month is 5 MB); ``count`` and ``codes_used`` always speak of the whole OPD."""
    authorize(principal, Permission.RECAP_READ, opd_id)
    opd = load(Opd, require(deps.store, KIND_OPD, opd_id))
    today = local_date(deps, opd)
    month = _month(month, today)
    dates = _dates(month, today)
    staff = [load(Employee, r) for r in all_records(deps.store, KIND_EMPLOYEE, f'{opd_id}#')]
    # Read by date (the day sheets), not one key per employee and date: 31,000 keys for 1,000 employees.
    found = records.days_of(dates, [e.employee_id for e in staff])
    items = []
    codes_used: set[str] = set()
    for employee in sorted(staff, key=lambda e: (e.name.casefold(), e.employee_id)):
        mine = {
            d.isoformat(): _cell(found[(employee.employee_id, d)]) for d in dates if (employee.employee_id, d) in found
        }
        codes_used.update(c for cell in mine.values() for c in cell['codes'])
        if employee.active or mine:
            items.append({'employee_id': employee.employee_id, 'nip': employee.nip, 'name': employee.name,
                          'active': employee.active, 'days': mine})  # fmt: skip
    shown = items[offset : offset + size] if size is not None else items[offset:]
    return {'opd_id': opd_id, 'month': month, 'dates': [d.isoformat() for d in dates], 'items': shown,
            'count': len(items), 'offset': offset, 'codes_used': sorted(codes_used)}  # fmt: skip


def _cell(record: DayRecord) -> dict[str, Any]:
    day = record.day
    return {
        'status': day.category.value, 'codes': list(day.codes), 'status_code': day.status_code,
        'minutes_late': day.minutes_late, 'minutes_early': day.minutes_early, 'deduction': day.deduction,
        'explanation': day.explanation,
    }  # fmt: skip


def opd_statuses(
    deps: Deps, profiles: Sequence[RuleProfile], principal: Principal, opd_id: str, month: str | None,
    state: str | None,
) -> dict[str, Any]:  # fmt: skip
    """Every status of the OPD's employees touching the month, by first day. Approved ones come from the month
    index (one prefix read); cancelled ones, which leave that index, from the OPD's statuses."""
    authorize(principal, Permission.STATUS_READ, opd_id)
    opd = load(Opd, require(deps.store, KIND_OPD, opd_id))
    month = _month(month, local_date(deps, opd))
    state = state or 'approved'
    if state not in STATUS_STATES:
        raise ValidationFailed('unknown state', fields=(FieldIssue('query.state', ' or '.join(STATUS_STATES)),))
    first, last = month_bounds(month)
    found: dict[str, EmployeeStatus] = {}
    if state in ('approved', 'all'):
        for record in all_records(deps.store, statuses.KIND_STATUS_MONTH, f'{month}#'):
            status = load(EmployeeStatus, record)
            if status.opd_id == opd_id and status.active:
                found[status.status_id] = status
    if state in ('cancelled', 'all'):
        for record in all_records(deps.store, statuses.KIND_STATUS, f'{opd_id}#'):
            status = load(EmployeeStatus, record)
            if status.state is StatusState.CANCELLED and status.overlaps(first, last):
                found[status.status_id] = status
    chosen = sorted(found.values(), key=lambda s: (s.first, s.employee_id, s.status_id))
    people = {r.id: load(Employee, r) for r in deps.store.get_many(KIND_EMPLOYEE, [s.employee_id for s in chosen])
              .values()}  # fmt: skip
    items = []
    for status in chosen:
        employee = people.get(status.employee_id)
        profile = statuses.matrix_profile(profiles, employee.employee_type, status.first) if employee else None
        rule = profile.status(status.code) if profile else None
        items.append({
            **status.model_dump(mode='json'), 'employee_name': employee.name if employee else None,
            'nip': employee.nip if employee else None, 'name': rule.name if rule else None,
            'category': status_category(rule).value,
        })  # fmt: skip
    return {'opd_id': opd_id, 'month': month, 'items': items, 'count': len(items)}
