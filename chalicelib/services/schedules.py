"""Schedules and calendars of a pemda: week templates, schedule assignments (OPD, unit, employee), shift codes
and monthly rosters, Ramadan periods, and the national holidays and cuti bersama imported from the maintained
``holidays`` package. The day close reads them once per run (``schedule_book``, ``ramadan_periods``).

Choices where the brief leaves room, and why:

- The four templates of reference §8.4 are built in and always available by code; a pemda adds its own
  (a Puskesmas 6HK with its unit's hours) but cannot replace a built-in one, so a code means one thing.
  Templates and Ramadan periods apply to the whole pemda: only the super admin writes them.
- An assignment's level follows from its target: an employee, else a unit of an OPD, else an OPD. The most
  specific one in force wins (employee → unit → OPD); with none, Puskesmas work 6HK and every other OPD 5HK.
  An OPD-level assignment is the super admin's; an OPD admin assigns its own units and employees.
- A ROSTER assignment says the target works shifts from the employee's monthly roster; a month without a
  roster owes nothing. A roster is refused for an employee on no ROSTER assignment that month, so a roster
  is never silently ignored. Rosters name shift codes of the employee's OPD, resolved when the day is closed:
  a code's hours changed later re-close the past days that use it; a code still in use cannot be removed.
- The holiday import adds what is missing and never duplicates. A national holiday or cuti bersama removed by
  an admin leaves a tombstone, and the import does not bring it back (the admin removed it for a reason, such
  as a cuti bersama the pemda does not observe); adding it by hand again still works.
- A change that touches days already closed marks them for re-close, bounded to the previous and the current
  month: older months are closed and paid, and a correction there is a deliberate month re-close.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from chalicelib.domain.access import OPD_BOUND_ROLES, Permission, authorize
from chalicelib.domain.errors import Conflict, FieldIssue, Forbidden, NotFound, ValidationFailed
from chalicelib.domain.models import Code, Employee, Frozen, Holiday, Opd, OpdKind, Principal
from chalicelib.domain.strict import DATE_PATTERN, Day, check_day_in_range, parse_date, parse_month, parse_year
from chalicelib.domain.tpp.records import month_bounds
from chalicelib.domain.tpp.schedule import (
    BUILT_IN_TEMPLATES,
    FIVE_DAY,
    SIX_DAY,
    DateRange,
    EmployeeSchedule,
    Roster,
    RosterDay,
    ScheduleAssignment,
    ScheduleKind,
    ShiftCode,
    WeekTemplate,
    assignment_in_force,
    unit_key,
    weekly_schedule,
)
from chalicelib.observability import logger
from chalicelib.ports import AuditDraft, Create, Record, Remove, Replace, Write
from chalicelib.services import directory
from chalicelib.services.common import (
    KIND_EMPLOYEE,
    KIND_HOLIDAY,
    KIND_OPD,
    KIND_ROSTER,
    Deps,
    all_by_lookup,
    all_records,
    build,
    dump,
    load,
    require,
    roster_id,
    unknown_reference,
)
from chalicelib.services.reclose import mark_for_reclose

KIND_TEMPLATE = 'schedule_template'
KIND_ASSIGNMENT = 'schedule_assignment'
KIND_ASSIGNMENT_GUARD = 'schedule_guard'  # re-saved with every change of one target's assignments
KIND_SHIFT_CODES = 'shift_codes'
KIND_RAMADAN = 'ramadan'
KIND_HOLIDAY_REMOVED = 'holiday_removed'  # a tombstone: the import does not add this day and kind again
LATEST_ZONE = ZoneInfo('Asia/Jayapura')  # WIT: the first of Indonesia's zones to finish a day
IMPORTED_KINDS = (('public', 'national'), ('government', 'cuti_bersama'))  # the package's categories

Listing = tuple[list[dict[str, Any]], str | None]


# ---- requests --------------------------------------------------------------------------------------------------


class _Request(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)


class AssignmentRequest(_Request):
    """The target is an employee, else a unit of ``opd_id``, else ``opd_id`` itself."""

    opd_id: Code | None = None
    unit: str | None = Field(default=None, min_length=1, max_length=160, description="as in employees' unit")
    employee_id: Code | None = None
    kind: ScheduleKind = 'WEEKLY'
    template_code: Code | None = Field(default=None, description='a WEEKLY assignment: built-in or pemda template')
    observes_holidays: bool = Field(default=False, description='a ROSTER unit that closes on holidays')
    valid_from: Day
    valid_to: Day | None = Field(default=None, description='inclusive; open-ended when absent')
    note: str | None = Field(default=None, max_length=500)

    @field_validator('valid_to')
    @classmethod
    def _after_start(cls, valid_to: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get('valid_from')
        if valid_to is not None and start is not None and valid_to < start:
            raise ValueError('must not be before valid_from')
        return valid_to


class AssignmentEnd(_Request):
    valid_to: Day = Field(description='the last day the assignment is in force')


class ShiftCodesRequest(_Request):
    codes: tuple[ShiftCode, ...] = Field(min_length=1, max_length=30)

    @field_validator('codes')
    @classmethod
    def _distinct(cls, codes: tuple[ShiftCode, ...]) -> tuple[ShiftCode, ...]:
        seen = [c.code for c in codes]
        twice = sorted({c for c in seen if seen.count(c) > 1})
        if twice:
            raise ValueError(f'shift code defined twice: {", ".join(twice)}')
        return codes


class RosterRequest(_Request):
    days: dict[Day, str] = Field(
        description='day (YYYY-MM-DD) → shift code; days left out are not rostered',
        json_schema_extra={'propertyNames': {'pattern': DATE_PATTERN}},
    )


class RamadanRequest(_Request):
    start: Day
    end: Day = Field(description='inclusive')

    @field_validator('end')
    @classmethod
    def _after_start(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get('start')
        if start is not None and end < start:
            raise ValueError('must not be before start')
        return end


class HolidayImport(_Request):
    year: int = Field(ge=2000, le=2100)


class StoredRoster(Frozen):
    employee_id: Code
    opd_id: Code  # whose shift codes the roster names
    month: str
    days: dict[date, str]
    updated_by: str
    updated_at: datetime
    version: int = 0


# ---- access and bounds -----------------------------------------------------------------------------------------


def _authorize_pemda_wide(principal: Principal, what: str) -> None:
    authorize(principal, Permission.SCHEDULE_WRITE)
    if principal.role in OPD_BOUND_ROLES:
        raise Forbidden(f'{what} apply to the whole pemda: the super admin sets them')


def _past_days(deps: Deps, first: date, last: date | None) -> set[date]:
    """The days from ``first`` to ``last`` that may already be closed, bounded to last month and this one."""
    today = deps.clock().astimezone(LATEST_ZONE).date()
    floor = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    start, end = max(first, floor), min(last or date.max, today - timedelta(days=1))
    return {start + timedelta(days=n) for n in range((end - start).days + 1)}


def _reclose(deps: Deps, days: set[date], cause: str) -> None:
    if not days:
        return
    bounded = days & _past_days(deps, min(days), max(days))
    if bounded:
        mark_for_reclose(deps, bounded, cause)


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


# ---- templates -------------------------------------------------------------------------------------------------


def _stored_templates(deps: Deps) -> dict[str, WeekTemplate]:
    return {r.id: WeekTemplate.model_validate(r.data) for r in all_records(deps.store, KIND_TEMPLATE)}


def _templates(deps: Deps) -> dict[str, WeekTemplate]:
    return {**_stored_templates(deps), **BUILT_IN_TEMPLATES}


def list_templates(deps: Deps, principal: Principal) -> list[dict[str, Any]]:
    """The built-in templates of reference §8.4, then the pemda's own, by code."""
    authorize(principal, Permission.SCHEDULE_READ)
    built_in = [{**t.model_dump(mode='json'), 'built_in': True} for t in BUILT_IN_TEMPLATES.values()]
    own = [{**t.model_dump(mode='json'), 'built_in': False} for _, t in sorted(_stored_templates(deps).items())]
    return built_in + own


def create_template(deps: Deps, principal: Principal, body: Mapping[str, Any]) -> dict[str, Any]:
    """Add a pemda week template (audited). Its code must be new; its Ramadan variant must exist."""
    _authorize_pemda_wide(principal, 'week templates')
    template = build(WeekTemplate, body)
    if template.code in BUILT_IN_TEMPLATES:
        raise Conflict(f'{template.code} is a built-in template; choose another code', code='template_exists')
    known = _templates(deps)
    if template.ramadan_code is not None and template.ramadan_code not in known:
        raise _unknown_template('ramadan_code', template.ramadan_code, known)
    data = template.model_dump(mode='json')
    deps.store.commit(
        [Create(Record(KIND_TEMPLATE, template.code, data, list_key=template.code),
                f'template {template.code} already exists')],
        AuditDraft(principal.key_id, 'schedule_template.create', f'schedule_template/{template.code}', None, None,
                   data),
    )  # fmt: skip
    return {**data, 'built_in': False}


def _unknown_template(field_name: str, code: str, known: Mapping[str, WeekTemplate]) -> ValidationFailed:
    listed = ', '.join(sorted(known))
    return ValidationFailed(
        f'unknown template {code}', fields=(FieldIssue(field_name, f'unknown template {code} (known: {listed})'),)
    )


# ---- assignments -----------------------------------------------------------------------------------------------


def _assignment_record(assignment: ScheduleAssignment) -> Record:
    target = assignment.employee_id or assignment.unit or ''
    return Record(
        KIND_ASSIGNMENT, assignment.assignment_id, dump(assignment), assignment.version,
        list_key=f'{assignment.opd_id}#{assignment.level}#{target}#{assignment.valid_from}#{assignment.assignment_id}',
        lookup=(f'assignments#{assignment.target}', f'{assignment.valid_from}#{assignment.assignment_id}'),
    )  # fmt: skip


def _target_assignments(deps: Deps, target: str) -> list[ScheduleAssignment]:
    return [load(ScheduleAssignment, r) for r in all_by_lookup(deps.store, f'assignments#{target}')]


def _guard_write(deps: Deps, target: str, change: str) -> Write:
    guard = deps.store.get(KIND_ASSIGNMENT_GUARD, target)
    record = Record(KIND_ASSIGNMENT_GUARD, target, {'target': target, 'last_change': change},
                    guard.version if guard else 0)  # fmt: skip
    busy = f'another change to the schedule of {target} was saved meanwhile; reload and try again'
    return Replace(record, busy) if guard else Create(record, busy)


def _check_no_overlap(
    deps: Deps, candidate: ScheduleAssignment, first: date, last: date | None, *, ignore: str | None = None
) -> None:
    for other in _target_assignments(deps, candidate.target):
        if other.assignment_id != ignore and other.overlaps(first, last):
            until = other.valid_to.isoformat() if other.valid_to else 'open-ended'
            raise Conflict(
                f'{candidate.level} {candidate.target.split("#", 1)[1]} already has assignment {other.assignment_id} '
                f'from {other.valid_from} to {until}; end it first',
                code='assignment_overlap',
                details={'assignment_id': other.assignment_id, 'valid_from': other.valid_from.isoformat(),
                         'valid_to': other.valid_to.isoformat() if other.valid_to else None},
            )  # fmt: skip


def _assignment_target(deps: Deps, principal: Principal, request: AssignmentRequest) -> tuple[str, Opd]:
    if request.employee_id is not None:
        found = deps.store.get(KIND_EMPLOYEE, request.employee_id)
        if found is None:
            raise unknown_reference('employee_id', 'employee', request.employee_id)
        employee = load(Employee, found)
        if request.opd_id not in (None, employee.opd_id):
            raise ValidationFailed(
                f'employee {employee.employee_id} is in {employee.opd_id}',
                fields=(FieldIssue('opd_id', f'employee {employee.employee_id} is in {employee.opd_id}'),),
            )
        if request.unit is not None:
            raise ValidationFailed('name an employee or a unit, not both',
                                   fields=(FieldIssue('unit', 'not with employee_id'),))  # fmt: skip
        opd_id, level = employee.opd_id, 'employee'
    elif request.opd_id is None:
        raise ValidationFailed('an assignment names an OPD, a unit of an OPD, or an employee',
                               fields=(FieldIssue('opd_id', 'required unless employee_id is given'),))  # fmt: skip
    else:
        opd_id, level = request.opd_id, 'unit' if request.unit is not None else 'opd'
    found_opd = deps.store.get(KIND_OPD, opd_id)
    if found_opd is None:
        raise unknown_reference('opd_id', 'opd', opd_id)
    authorize(principal, Permission.SCHEDULE_WRITE, opd_id)
    if level == 'opd' and principal.role in OPD_BOUND_ROLES:
        raise Forbidden(f"the schedule of OPD {opd_id} itself is set by the super admin; this key may assign its "
                        'units and employees')  # fmt: skip
    return level, load(Opd, found_opd)


def create_assignment(deps: Deps, principal: Principal, body: Mapping[str, Any]) -> dict[str, Any]:
    """Assign a schedule to an OPD, a unit or an employee from a date (audited); closed days are re-closed.

    Raises ValidationFailed for an unknown target or template, Forbidden for another OPD (or an OPD-level
    assignment by an OPD admin), Conflict (``assignment_overlap``) when the target has one in force meanwhile.
    """
    request = build(AssignmentRequest, body)
    level, opd = _assignment_target(deps, principal, request)
    if request.kind == 'WEEKLY':
        known = _templates(deps)
        if request.template_code is None:
            issue = FieldIssue('template_code', 'required for a WEEKLY assignment')
            raise ValidationFailed('a WEEKLY assignment names its template', fields=(issue,))
        if request.template_code not in known:
            raise _unknown_template('template_code', request.template_code, known)
    elif request.template_code is not None:
        raise ValidationFailed('a ROSTER assignment takes its shifts from the rosters',
                               fields=(FieldIssue('template_code', 'not with kind ROSTER'),))  # fmt: skip
    assignment = build(ScheduleAssignment, {
        **request.model_dump(exclude={'opd_id'}), 'opd_id': opd.opd_id, 'level': level,
        'assignment_id': deps.new_id('sch'), 'created_by': principal.key_id, 'created_at': deps.clock(),
    })  # fmt: skip
    guard = _guard_write(deps, assignment.target, assignment.assignment_id)
    _check_no_overlap(deps, assignment, assignment.valid_from, assignment.valid_to)
    deps.store.commit(
        [Create(_assignment_record(assignment), 'assignment id collision; try again'), guard],
        AuditDraft(principal.key_id, 'schedule_assignment.create', f'schedule_assignment/{assignment.assignment_id}',
                   opd.opd_id, None, dump(assignment)),
    )  # fmt: skip
    _reclose_range(deps, assignment.valid_from, assignment.valid_to, f'assignment {assignment.assignment_id} created')
    return {**dump(assignment), 'version': 0}


def list_assignments(deps: Deps, principal: Principal, opd_id: str) -> list[dict[str, Any]]:
    """Every assignment stored for an OPD, its units and its employees, by level, target and start."""
    authorize(principal, Permission.SCHEDULE_READ, opd_id)
    require(deps.store, KIND_OPD, opd_id)
    return [{**r.data, 'version': r.version} for r in all_records(deps.store, KIND_ASSIGNMENT, f'{opd_id}#')]


def _stored_assignment(deps: Deps, principal: Principal, assignment_id: str) -> tuple[ScheduleAssignment, Record]:
    stored = require(deps.store, KIND_ASSIGNMENT, assignment_id)
    assignment = load(ScheduleAssignment, stored)
    authorize(principal, Permission.SCHEDULE_WRITE, assignment.opd_id)
    if assignment.level == 'opd' and principal.role in OPD_BOUND_ROLES:
        raise Forbidden(f'the schedule of OPD {assignment.opd_id} itself is changed by the super admin')
    return assignment, stored


def end_assignment(deps: Deps, principal: Principal, assignment_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Set the last day an assignment is in force (audited); the days whose schedule changes are re-closed."""
    end = build(AssignmentEnd, body)
    assignment, stored = _stored_assignment(deps, principal, assignment_id)
    if end.valid_to < assignment.valid_from:
        raise ValidationFailed(
            f'valid_to must not be before valid_from {assignment.valid_from}',
            fields=(FieldIssue('valid_to', f'must not be before valid_from {assignment.valid_from}'),),
        )
    guard = _guard_write(deps, assignment.target, assignment_id)
    _check_no_overlap(deps, assignment, assignment.valid_from, end.valid_to, ignore=assignment_id)
    ended = assignment.model_copy(update={'valid_to': end.valid_to})
    deps.store.commit(
        [Replace(_assignment_record(ended)), guard],
        AuditDraft(principal.key_id, 'schedule_assignment.end', f'schedule_assignment/{assignment_id}',
                   assignment.opd_id, {'valid_to': _iso(assignment.valid_to)}, {'valid_to': _iso(end.valid_to)}),
    )  # fmt: skip
    old_last, new_last = assignment.valid_to or date.max, end.valid_to
    first, last = sorted((old_last, new_last))
    if first != last:
        _reclose_range(deps, first + timedelta(days=1), last, f'assignment {assignment_id} ended')
    return {**dump(ended), 'version': stored.version + 1}


def delete_assignment(deps: Deps, principal: Principal, assignment_id: str) -> dict[str, Any]:
    """Remove a wrong assignment (audited, with what it was); its days fall back to the next level."""
    assignment, stored = _stored_assignment(deps, principal, assignment_id)
    guard = _guard_write(deps, assignment.target, assignment_id)
    deps.store.commit(
        [Remove(KIND_ASSIGNMENT, assignment_id, stored.version), guard],
        AuditDraft(principal.key_id, 'schedule_assignment.delete', f'schedule_assignment/{assignment_id}',
                   assignment.opd_id, dump(assignment), None),
    )  # fmt: skip
    _reclose_range(deps, assignment.valid_from, assignment.valid_to, f'assignment {assignment_id} deleted')
    return {'assignment_id': assignment_id, 'deleted': True}


def _reclose_range(deps: Deps, first: date, last: date | None, cause: str) -> None:
    days = _past_days(deps, first, last)
    if days:
        mark_for_reclose(deps, days, cause)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# ---- shift codes and rosters -----------------------------------------------------------------------------------


def _shift_codes(deps: Deps, opd_id: str) -> tuple[tuple[ShiftCode, ...], Record | None]:
    stored = deps.store.get(KIND_SHIFT_CODES, opd_id)
    if stored is None:
        return (), None
    return tuple(ShiftCode.model_validate(c) for c in stored.data['codes']), stored


def get_shift_codes(deps: Deps, principal: Principal, opd_id: str) -> dict[str, Any]:
    authorize(principal, Permission.SCHEDULE_READ, opd_id)
    require(deps.store, KIND_OPD, opd_id)
    codes, stored = _shift_codes(deps, opd_id)
    return {'opd_id': opd_id, 'codes': [c.model_dump(mode='json') for c in codes],
            'version': stored.version if stored else None}  # fmt: skip


def _opd_rosters(deps: Deps, opd_id: str) -> list[StoredRoster]:
    return [load(StoredRoster, r) for r in all_by_lookup(deps.store, f'rosters#{opd_id}')]


def put_shift_codes(deps: Deps, principal: Principal, opd_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Replace an OPD's shift codes (audited). A code a stored roster uses cannot be removed; a changed code
    re-closes the past roster days that use it."""
    request = build(ShiftCodesRequest, body)
    authorize(principal, Permission.SCHEDULE_WRITE, opd_id)
    require(deps.store, KIND_OPD, opd_id)
    before, stored = _shift_codes(deps, opd_id)
    after = {c.code: c for c in request.codes}
    changed = {c.code for c in before if after.get(c.code) != c}
    rosters = _opd_rosters(deps, opd_id) if changed else []
    for roster in rosters:
        used = sorted({code for code in roster.days.values() if code not in after})
        if used:
            raise Conflict(
                f'shift code {", ".join(used)} is used by the roster of {roster.employee_id} in {roster.month}; '
                'change that roster first', code='shift_code_in_use',
            )  # fmt: skip
    data = {'opd_id': opd_id, 'codes': [c.model_dump(mode='json') for c in request.codes]}
    record = Record(KIND_SHIFT_CODES, opd_id, data, stored.version if stored else 0, list_key=opd_id)
    deps.store.commit(
        [Replace(record) if stored else Create(record, f'shift codes of {opd_id} were saved meanwhile; reload')],
        AuditDraft(principal.key_id, 'shift_codes.put', f'shift_codes/{opd_id}', opd_id,
                   stored.data if stored else None, data),
    )  # fmt: skip
    touched = {day for r in rosters for day, code in r.days.items() if code in changed}
    _reclose(deps, touched, f'shift codes of {opd_id} changed')
    return {**data, 'version': stored.version + 1 if stored else 0}


def _check_month(month: str) -> None:
    parse_month(month, 'month')


def put_roster(
    deps: Deps, principal: Principal, employee_id: str, month: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """Store an employee's roster of one month, day → shift code (audited); changed past days are re-closed.

    Raises ValidationFailed for a day outside the month or a code the employee's OPD does not define, and
    Conflict (``not_on_roster``) when no ROSTER assignment covers the employee in that month.
    """
    _check_month(month)
    request = build(RosterRequest, body)
    employee = load(Employee, require(deps.store, KIND_EMPLOYEE, employee_id))
    authorize(principal, Permission.SCHEDULE_WRITE, employee.opd_id)
    first, last = month_bounds(month)
    assignments = [a for target in _targets_of(employee) for a in _target_assignments(deps, target)]
    rostered = any(
        (a := assignment_in_force(assignments, employee_id, employee.opd_id, employee.unit, day)) is not None
        and a.kind == 'ROSTER'
        for day in _days(first, last)
    )
    if not rostered:
        raise Conflict(f'{employee_id} is on no ROSTER schedule in {month}; assign one to the employee, its unit or '
                       'its OPD first', code='not_on_roster')  # fmt: skip
    codes, _ = _shift_codes(deps, employee.opd_id)
    defined = {c.code for c in codes}
    listed = ', '.join(sorted(defined)) or 'none'
    issues = [FieldIssue(f'days.{d}', f'{d} is not in {month}') for d in sorted(request.days) if not first <= d <= last]
    issues += [
        FieldIssue(f'days.{d}', f'shift code {c} is not defined for OPD {employee.opd_id} (defined: {listed})')
        for d, c in sorted(request.days.items()) if c not in defined
    ]  # fmt: skip
    if issues:
        raise ValidationFailed('the roster has invalid days', fields=tuple(issues))
    stored = deps.store.get(KIND_ROSTER, roster_id(employee_id, month))
    before = load(StoredRoster, stored) if stored else None
    roster = StoredRoster(employee_id=employee_id, opd_id=employee.opd_id, month=month,
                          days=dict(sorted(request.days.items())), updated_by=principal.key_id,
                          updated_at=deps.clock())  # fmt: skip
    record = Record(
        KIND_ROSTER, roster_id(employee_id, month), dump(roster), stored.version if stored else 0,
        list_key=f'{month}#{employee.opd_id}#{employee_id}',
        lookup=(f'rosters#{employee.opd_id}', f'{month}#{employee_id}'),
    )  # fmt: skip
    deps.store.commit(
        [Replace(record) if stored else Create(record, f'the roster of {employee_id} in {month} was saved meanwhile')],
        AuditDraft(principal.key_id, 'roster.put', f'roster/{employee_id}/{month}', employee.opd_id,
                   {'days': _json_days(before.days)} if before else None, {'days': _json_days(roster.days)}),
    )  # fmt: skip
    old = before.days if before else {}
    changed = {d for d in set(old) | set(roster.days) if old.get(d) != roster.days.get(d)}
    _reclose(deps, changed, f'roster of {employee_id} in {month} changed')
    return {**dump(roster), 'version': stored.version + 1 if stored else 0}


def _targets_of(employee: Employee) -> list[str]:
    """The assignment targets that can hold an employee's schedule: itself, its unit, its OPD."""
    targets = [f'employee#{employee.employee_id}', f'opd#{employee.opd_id}']
    if employee.unit:
        targets.append(f'unit#{employee.opd_id}#{unit_key(employee.unit)}')
    return targets


def _json_days(days: Mapping[date, str]) -> dict[str, str]:
    return {d.isoformat(): c for d, c in sorted(days.items())}


def get_roster(deps: Deps, principal: Principal, employee_id: str, month: str) -> dict[str, Any]:
    """An employee's roster of one month, with the definitions of its OPD's shift codes."""
    _check_month(month)
    employee = load(Employee, require(deps.store, KIND_EMPLOYEE, employee_id))
    authorize(principal, Permission.SCHEDULE_READ, employee.opd_id)
    stored = deps.store.get(KIND_ROSTER, roster_id(employee_id, month))
    if stored is None:
        raise NotFound(f'{employee_id} has no roster for {month}')
    roster = load(StoredRoster, stored)
    codes, _ = _shift_codes(deps, roster.opd_id)
    return {**dump(roster), 'version': stored.version, 'codes': [c.model_dump(mode='json') for c in codes]}


# ---- Ramadan ---------------------------------------------------------------------------------------------------


def put_ramadan(deps: Deps, principal: Principal, year: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Set the Ramadan period of a year (audited); the days whose hours change are re-closed."""
    _authorize_pemda_wide(principal, 'Ramadan periods')
    parse_year(year, 'year')
    request = build(RamadanRequest, body)
    if request.start.year != int(year):
        raise ValidationFailed(f'Ramadan {year} must start in {year}',
                               fields=(FieldIssue('start', f'not in {year}'),))  # fmt: skip
    stored = deps.store.get(KIND_RAMADAN, year)
    data = {'year': int(year), 'start': request.start.isoformat(), 'end': request.end.isoformat()}
    record = Record(KIND_RAMADAN, year, data, stored.version if stored else 0, list_key=year)
    deps.store.commit(
        [Replace(record) if stored else Create(record, f'Ramadan {year} was saved meanwhile; reload')],
        AuditDraft(principal.key_id, 'ramadan.put', f'ramadan/{year}', None, stored.data if stored else None, data),
    )  # fmt: skip
    before = set(_days(date.fromisoformat(stored.data['start']), date.fromisoformat(stored.data['end']))) if stored \
        else set()  # fmt: skip
    _reclose(deps, before ^ set(_days(request.start, request.end)), f'Ramadan {year} set')
    return {**data, 'version': stored.version + 1 if stored else 0}


def list_ramadan(deps: Deps, principal: Principal) -> list[dict[str, Any]]:
    authorize(principal, Permission.SCHEDULE_READ)
    return [{**r.data, 'version': r.version} for r in all_records(deps.store, KIND_RAMADAN)]


def ramadan_periods(deps: Deps, first_year: int, last_year: int) -> list[DateRange]:
    """The Ramadan periods of these years (and of the year before: one may run into January)."""
    found = deps.store.get_many(KIND_RAMADAN, [str(y) for y in range(first_year - 1, last_year + 1)])
    return [DateRange(start=r.data['start'], end=r.data['end']) for _, r in sorted(found.items())]


# ---- holidays --------------------------------------------------------------------------------------------------


def national_holidays(year: int) -> list[Holiday]:
    """National days and cuti bersama of a year from the ``holidays`` package ('public' and 'government'
    categories), named in Indonesian, by day then kind."""
    import holidays as holiday_calendars  # here, not at the top: its calendars cost every cold start otherwise

    found: list[Holiday] = []
    for category, kind in IMPORTED_KINDS:
        days = holiday_calendars.country_holidays('ID', years=year, categories=(category,), language='id')
        # Two holidays on one day arrive as one name joined by '; ', which suits the one record per day and kind.
        found.extend(Holiday(day=day, name=name, kind=kind) for day, name in days.items())
    return sorted(found, key=lambda h: (h.day, h.kind))


def _holiday_id(day: date, kind: str) -> str:
    return f'{day.isoformat()}#{kind}'


def import_holidays(deps: Deps, actor: str, year: int) -> dict[str, Any]:
    """Add the year's national holidays and cuti bersama that are missing (audited as one change). Days already
    stored and days an admin removed are skipped, so running it again adds nothing."""
    wanted = national_holidays(year)
    ids = [_holiday_id(h.day, h.kind) for h in wanted]
    present = deps.store.get_many(KIND_HOLIDAY, ids)
    removed = deps.store.get_many(KIND_HOLIDAY_REMOVED, ids)
    added = [h for h, i in zip(wanted, ids, strict=True) if i not in present and i not in removed]
    if added:
        deps.store.commit(
            directory.holiday_writes(added),
            AuditDraft(actor, 'holiday.import', f'holidays/{year}', None, None,
                       {'year': year, 'added': [h.model_dump(mode='json') for h in added]}),
        )  # fmt: skip
        _reclose(deps, {h.day for h in added}, f'holidays of {year} imported')
    logger.info('holidays imported', extra={'year': year, 'added': len(added)})
    return {'year': year, 'added': [h.model_dump(mode='json') for h in added], 'present': len(present),
            'removed_by_admin': len(removed)}  # fmt: skip


def import_holidays_for(deps: Deps, principal: Principal, body: Mapping[str, Any]) -> dict[str, Any]:
    """The super admin's import of one year (see ``import_holidays``)."""
    authorize(principal, Permission.PEMDA_WRITE)
    return import_holidays(deps, principal.key_id, build(HolidayImport, body).year)


def add_holiday(deps: Deps, principal: Principal, body: Mapping[str, Any]) -> dict[str, Any]:
    """Add a regional holiday or closure (directory.add_holiday); a past day is re-closed."""
    check_day_in_range(build(Holiday, body).day, 'day')
    added = directory.add_holiday(deps, principal, dict(body))
    _reclose(deps, {date.fromisoformat(added['day'])}, f'holiday {added["day"]} added')
    return added


def remove_holiday(deps: Deps, principal: Principal, day: str, kind: str) -> dict[str, Any]:
    """Remove a wrong holiday (audited); an imported kind leaves a tombstone so the import does not bring it
    back. A past day is re-closed."""
    authorize(principal, Permission.PEMDA_WRITE)
    on = parse_date(day, 'day')
    record_id = _holiday_id(on, kind)
    stored = deps.store.get(KIND_HOLIDAY, record_id)
    if stored is None:
        raise NotFound(f'there is no {kind} holiday on {day}')
    writes: list[Write] = [Remove(KIND_HOLIDAY, record_id)]
    if kind in {k for _, k in IMPORTED_KINDS} and deps.store.get(KIND_HOLIDAY_REMOVED, record_id) is None:
        tombstone = {**stored.data, 'removed_by': principal.key_id, 'removed_at': deps.clock().isoformat()}
        writes.append(Create(Record(KIND_HOLIDAY_REMOVED, record_id, tombstone, list_key=record_id), 'removed twice'))
    deps.store.commit(writes, AuditDraft(principal.key_id, 'holiday.remove', f'holiday/{day}', None, stored.data,
                                         None))  # fmt: skip
    _reclose(deps, {on}, f'holiday {day} removed')
    return {**stored.data, 'removed': True}


# ---- what the day close reads ----------------------------------------------------------------------------------


FIVE_DAY_WEEK = weekly_schedule(FIVE_DAY, BUILT_IN_TEMPLATES)
SIX_DAY_WEEK = weekly_schedule(SIX_DAY, BUILT_IN_TEMPLATES)


@dataclass(frozen=True)
class ResolvedSchedule:
    key: str  # staff with the same key owe the same shifts on a day
    schedule: EmployeeSchedule | None  # None: a ROSTER employee without a roster that month owes nothing


@dataclass
class ScheduleBook:
    """Templates, assignments, shift codes and rosters, read once per close: who owes which schedule."""

    templates: dict[str, WeekTemplate]
    assignments: dict[str, list[ScheduleAssignment]]  # by target
    shift_codes: dict[str, tuple[ShiftCode, ...]]  # by OPD
    rosters: dict[tuple[str, str], StoredRoster]  # by (employee, month)
    _weekly: dict[str, EmployeeSchedule] = field(default_factory=dict)
    _rostered: dict[str, ResolvedSchedule] = field(default_factory=dict)

    def for_employee(self, employee: Employee, opd: Opd, day: date) -> ResolvedSchedule:
        candidates = [a for target in _targets_of(employee) for a in self.assignments.get(target, [])]
        chosen = assignment_in_force(candidates, employee.employee_id, opd.opd_id, employee.unit, day)
        if chosen is None:
            default = SIX_DAY_WEEK if opd.kind is OpdKind.PUSKESMAS else FIVE_DAY_WEEK
            return ResolvedSchedule(f'week:{default.template.code if default.template else ""}', default)
        if chosen.kind == 'ROSTER':
            return self._roster(employee.employee_id, f'{day.year:04d}-{day.month:02d}', chosen.observes_holidays)
        return ResolvedSchedule(f'week:{chosen.template_code}', self._week(chosen.template_code or ''))

    def _week(self, code: str) -> EmployeeSchedule:
        if code not in self._weekly:
            self._weekly[code] = weekly_schedule(self.templates[code], self.templates)
        return self._weekly[code]

    def _roster(self, employee_id: str, month: str, observes_holidays: bool) -> ResolvedSchedule:
        key = f'roster:{employee_id}:{month}:{observes_holidays}'
        if key not in self._rostered:
            stored = self.rosters.get((employee_id, month))
            schedule = None
            if stored is not None:
                codes = self.shift_codes.get(stored.opd_id, ())
                known = {c.code for c in codes}
                days = tuple(RosterDay(day=d, code=c) for d, c in sorted(stored.days.items()) if c in known)
                if len(days) != len(stored.days):
                    logger.warning('roster names undefined shift codes', extra={'employee_id': employee_id,
                                                                               'month': month})  # fmt: skip
                if codes:
                    roster = Roster(codes=codes, days=days, observes_holidays=observes_holidays)
                    schedule = EmployeeSchedule(kind='ROSTER', roster=roster)
            self._rostered[key] = ResolvedSchedule(key, schedule)
        return self._rostered[key]


def schedule_book(deps: Deps, first: date, last: date) -> ScheduleBook:
    """Everything needed to resolve schedules from ``first`` to ``last`` (rosters of the months touched)."""
    assignments: dict[str, list[ScheduleAssignment]] = defaultdict(list)
    for record in all_records(deps.store, KIND_ASSIGNMENT):
        assignment = load(ScheduleAssignment, record)
        assignments[assignment.target].append(assignment)
    shift_codes = {
        r.id: tuple(ShiftCode.model_validate(c) for c in r.data['codes'])
        for r in all_records(deps.store, KIND_SHIFT_CODES)
    }
    rosters: dict[tuple[str, str], StoredRoster] = {}
    for month in _months(first, last):
        for record in all_records(deps.store, KIND_ROSTER, f'{month}#'):
            roster = load(StoredRoster, record)
            rosters[(roster.employee_id, month)] = roster
    return ScheduleBook(_templates(deps), dict(assignments), shift_codes, rosters)


def _months(first: date, last: date) -> list[str]:
    months: list[str] = []
    cursor = first.replace(day=1)
    while cursor <= last:
        months.append(f'{cursor.year:04d}-{cursor.month:02d}')
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return months
