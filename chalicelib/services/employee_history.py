"""An employee's history with effective dates (mutasi, TMT, pensiun/berhenti/meninggal, promotion), recorded
through the API (audited), and the month close's parts of a month it cuts (the money: domain/tpp/midmonth.py).

Choices where the brief leaves room, and why:

- A change dated today or earlier is applied to the directory record at once: the record is the employee's
  state today, the history says what it was on each earlier day. A change dated in the past (a decree that
  arrives late) is fine, and the days already closed since are marked for re-close.
- A change dated after today (a TMT decreed ahead, a pensiun known months before) is stored as upcoming: the
  directory record keeps today's state, no month before its date sees it, the history lists it as upcoming, and
  the hourly day-close job applies it once its date has begun in every zone of the pemda (apply_due_changes),
  after that hour's day close, so the last day before it is closed under the old state.
- Changes are recorded in date order: one dated before the latest change recorded is refused (the states in
  between would no longer follow from one another). A mistaken change is corrected by a new change of the same
  date restoring the state (audited like any other); the month it was in is then whole again.
- An upcoming change can be withdrawn until its day applies it (a decree cancelled, a date typed wrong), the
  latest one first: a later change follows from the state the earlier one leaves. The withdrawal is audited
  (``employee.change_withdrawn``, with the change and why) and the change leaves the history: it never was in
  force. An earlier-dated change can then be recorded. An applied change is never withdrawn, only corrected.
- Moving an employee to another OPD is BKPSDM's: an OPD-bound key may change only its own OPD's employees and
  cannot move one out of, or into, another OPD.
- An employee-level schedule assignment follows the employee to the new OPD (it is listed there); unit and OPD
  assignments stay. Rosters of past months stay listed where they were worked.
- The month close splits only a month the history cuts (a change effective after its first day, or an employee
  inactive on its first day); every other month is priced whole exactly as before, so its records and digest
  do not change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.access import Permission, authorize, scope_opd
from chalicelib.domain.errors import Conflict, FieldIssue, NotFound, ValidationFailed
from chalicelib.domain.models import Employee, EmployeeType, Opd, PemdaSettings, Principal
from chalicelib.domain.text import FreeText
from chalicelib.domain.tpp.day import DayResult
from chalicelib.domain.tpp.history import (
    Change,
    ChangeReason,
    EmploymentState,
    Part,
    month_parts,
    ordered,
    state_on,
    touches,
)
from chalicelib.domain.tpp.midmonth import price_parts
from chalicelib.domain.tpp.month import MonthFlags, compute_month
from chalicelib.domain.tpp.profile import RuleProfile, profile_in_force
from chalicelib.domain.tpp.records import MonthRecord, month_bounds
from chalicelib.domain.tpp.schedule import ScheduleAssignment, expected_shift
from chalicelib.observability import logger
from chalicelib.ports import AllowanceRecords, AuditDraft, Create, Record, Remove, Replace, Write
from chalicelib.services import directory, schedules
from chalicelib.services import profiles as profile_service
from chalicelib.services.common import (
    KIND_EMPLOYEE,
    KIND_OPD,
    KIND_PEMDA,
    Deps,
    all_by_lookup,
    all_records,
    build,
    dump,
    employee_record,
    load,
    require,
)
from chalicelib.services.reclose import mark_for_reclose
from chalicelib.services.today import calendar

KIND_CHANGE = 'employee_change'
KIND_UPCOMING = 'employee_change_upcoming'  # a change dated after today, until its day applies it
APPLY_ACTOR = 'job:employee-changes'  # the audit entry's actor: no API key applies an upcoming change
ZONES = ('Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura')
RECLOSE_DAYS = 62  # at most two months back: older months are corrected by asking for their close


class ChangeRequest(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    effective_from: date = Field(description='TMT: the first day of the new state')
    reason: ChangeReason
    reference: FreeText | None = Field(default=None, min_length=3, max_length=120, description='nomor SK')
    note: FreeText | None = Field(default=None, max_length=500)
    opd_id: str | None = Field(default=None, pattern=r'^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$')
    employee_type: EmployeeType | None = None
    jabatan: FreeText | None = Field(default=None, min_length=2, max_length=160)
    kelas_jabatan: int | None = Field(default=None, ge=1, le=17)
    tpp_ceiling: int | None = Field(default=None, ge=0, le=200_000_000)
    active: bool | None = None
    nip: str | None = Field(
        default=None,
        pattern=r'^\d{18}$',
        description='with a change of a TKK to PPPK or PNS: the NIP (NI PPPK) they get',
    )


def _state(employee: Employee) -> EmploymentState:
    return EmploymentState(opd_id=employee.opd_id, employee_type=employee.employee_type, jabatan=employee.jabatan,
                           kelas_jabatan=employee.kelas_jabatan, tpp_ceiling=employee.tpp_ceiling,
                           active=employee.active)  # fmt: skip


def _record(change: Change) -> Record:
    return Record(KIND_CHANGE, change.change_id, dump(change),
                  list_key=f'{change.employee_id}#{change.effective_from.isoformat()}#{change.change_id}')  # fmt: skip


def changes_of(deps: Deps, employee_id: str) -> list[Change]:
    return ordered([Change.model_validate(r.data) for r in all_records(deps.store, KIND_CHANGE, f'{employee_id}#')])


def _today(deps: Deps) -> date:
    record = deps.store.get(KIND_PEMDA, 'settings')
    zone = PemdaSettings.model_validate(record.data).zone if record else 'Asia/Jakarta'
    today: date = deps.clock().astimezone(ZoneInfo(zone)).date()
    return today


def record_change(deps: Deps, principal: Principal, employee_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Record a change of an employee's OPD, type, jabatan, kelas, pagu or activity from a date (audited), and
    apply it to the directory record.

    A change dated after today is stored as upcoming and applied on its day (apply_due_changes).

    Raises ValidationFailed for a change dated before the latest change (upcoming ones included), a change that
    changes nothing, or an unknown OPD; Forbidden for an OPD-bound key moving an employee across OPDs.
    """
    stored = require(deps.store, KIND_EMPLOYEE, employee_id)
    employee = load(Employee, stored)
    authorize(principal, Permission.EMPLOYEE_WRITE, employee.opd_id)
    request = build(ChangeRequest, body)
    target = request.opd_id or employee.opd_id
    authorize(principal, Permission.EMPLOYEE_WRITE, target)
    if target != employee.opd_id and deps.store.get(KIND_OPD, target) is None:
        raise ValidationFailed(f'unknown OPD {target}', fields=(FieldIssue('opd_id', f'no OPD {target}'),))
    history = changes_of(deps, employee_id)
    today = _today(deps)
    issues = []
    if history and request.effective_from < history[-1].effective_from:
        latest = history[-1].effective_from.isoformat()
        issues.append(FieldIssue('effective_from', f'before the latest change ({latest}); record changes in order'))
    upcoming = request.effective_from > today
    waiting = [c for c in history if c.effective_from > today]
    before = waiting[-1].after if waiting else _state(employee)  # an upcoming change follows the one before it
    fields = ('opd_id', 'employee_type', 'jabatan', 'kelas_jabatan', 'tpp_ceiling', 'active')
    update = {f: getattr(request, f) for f in fields if getattr(request, f) is not None}
    after = before.model_copy(update=update)
    if after == before:
        issues.append(FieldIssue('body', 'nothing changes: give the new opd_id, employee_type, jabatan, '
                                         'kelas_jabatan, tpp_ceiling or active'))  # fmt: skip
    if issues:
        raise ValidationFailed('the change cannot be recorded', fields=tuple(issues))
    change = Change(
        change_id=deps.new_id('chg'), employee_id=employee_id, effective_from=request.effective_from,
        reason=request.reason, before=before, after=after, reference=request.reference, note=request.note,
        nip=request.nip, recorded_by=principal.key_id, recorded_at=deps.clock(),
    )  # fmt: skip
    # Checked now even when upcoming (a TKK becoming PPPK needs the NIP given with this change or one before it).
    nip = change.nip or next((c.nip for c in reversed(waiting) if c.nip), None)
    updated = _applied(employee, after.model_dump(mode='json'), nip, stored.version)
    writes: list[Write] = [Create(_record(change), 'change id collision; try again')]
    if upcoming:
        writes.append(Create(_upcoming_record(change), 'change id collision; try again'))
    else:
        writes.append(Replace(employee_record(updated)))
        if target != employee.opd_id:
            writes += _assignments_follow(deps, employee_id, target)
    deps.store.commit(
        writes,
        AuditDraft(principal.key_id, 'employee.change', f'employee/{employee_id}', target,
                   before.model_dump(mode='json'), {**dump(change), 'upcoming': upcoming}),
    )  # fmt: skip
    if not upcoming:
        if employee.active and not after.active:  # out of the pemda: the phone stops at once
            directory.revoke_devices(deps, principal.key_id, updated)
        _reclose_since(deps, change, today)
    return {**dump(change), 'upcoming': upcoming, 'version': 0}


class WithdrawalRequest(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    note: FreeText = Field(min_length=3, max_length=500, description='why: the decree cancelled, a wrong date')


def withdraw_change(
    deps: Deps, principal: Principal, employee_id: str, change_id: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """Withdraw an upcoming change (not applied yet), the employee's latest: audited, gone from the history.

    Raises NotFound for a change that is not this employee's, Conflict ``change_applied`` for one in force
    already (correct it with a new change of the same date) and ``change_not_latest`` while a later change
    follows it; Forbidden for an OPD-bound key and a change moving the employee across OPDs.
    """
    employee = load(Employee, require(deps.store, KIND_EMPLOYEE, employee_id))
    authorize(principal, Permission.EMPLOYEE_WRITE, employee.opd_id)
    request = build(WithdrawalRequest, body)
    stored = deps.store.get(KIND_CHANGE, change_id)
    if stored is None or stored.data.get('employee_id') != employee_id:
        raise NotFound(f'employee {employee_id} has no change {change_id}')
    change = Change.model_validate(stored.data)
    authorize(principal, Permission.EMPLOYEE_WRITE, change.after.opd_id)
    marker = deps.store.get(KIND_UPCOMING, change_id)
    if marker is None:
        since = change.effective_from.isoformat()
        raise Conflict(f'change {change_id} is in force since {since}: it cannot be withdrawn; record a change of '
                       'the same date restoring the state', code='change_applied')  # fmt: skip
    history = changes_of(deps, employee_id)
    later = history[[c.change_id for c in history].index(change_id) + 1 :]
    if later:
        raise Conflict(f'change {later[-1].change_id} ({later[-1].effective_from.isoformat()}) follows this one: '
                       'withdraw it first', code='change_not_latest')  # fmt: skip
    try:
        deps.store.commit(
            [Remove(KIND_CHANGE, change_id, expected_version=stored.version),
             Remove(KIND_UPCOMING, change_id, expected_version=marker.version)],
            AuditDraft(principal.key_id, 'employee.change_withdrawn', f'employee/{employee_id}', employee.opd_id,
                       dump(change), {'change_id': change_id, 'withdrawn': True, 'note': request.note}),
        )  # fmt: skip
    except Conflict:
        meanwhile = f'change {change_id} was applied or withdrawn meanwhile; reload'
        raise Conflict(meanwhile, code='change_applied') from None
    return {**dump(change), 'upcoming': False, 'withdrawn': True, 'withdrawal_note': request.note}


def upcoming_changes(deps: Deps, principal: Principal, opd_id: str | None) -> dict[str, Any]:
    """Every change waiting for its day, soonest first, each with its employee's name and NIP: next month's
    transfers, promotions and pensions in one list. An OPD-bound key (or ``opd``) gets the changes of employees in
    that OPD before or after the change: who leaves it and who arrives."""
    scope = scope_opd(principal, Permission.EMPLOYEE_READ, opd_id)
    markers = list(all_records(deps.store, KIND_UPCOMING))  # listed by '<effective_from>#<id>': soonest first
    stored = deps.store.get_many(KIND_CHANGE, [m.id for m in markers]) if markers else {}
    changes = [Change.model_validate(stored[m.id].data) for m in markers if m.id in stored]
    if scope is not None:
        changes = [c for c in changes if scope in (c.before.opd_id, c.after.opd_id)]
    people = deps.store.get_many(KIND_EMPLOYEE, sorted({c.employee_id for c in changes})) if changes else {}
    items = []
    for change in changes:
        person = people.get(change.employee_id)
        named = {k: person.data.get(k) for k in ('name', 'nip', 'nik', 'opd_id')} if person else None
        items.append({**dump(change), 'upcoming': True, 'employee': named})
    return {'items': items, 'count': len(items)}


def _applied(employee: Employee, fields: Mapping[str, Any], nip: str | None, version: int) -> Employee:
    """The directory record with the change's fields: a TKK becoming PPPK or PNS takes the NIP given with the
    change (the record then needs one), an employee becoming TKK leaves theirs (and needs a NIK)."""
    identity: dict[str, Any] = {}
    if nip is not None:
        identity['nip'] = nip
    elif fields.get('employee_type') == EmployeeType.TKK.value:
        identity['nip'] = None
    return build(Employee, {**dump(employee), **fields, **identity, 'version': version})


def _upcoming_record(change: Change) -> Record:
    data = {'employee_id': change.employee_id, 'effective_from': change.effective_from.isoformat()}
    return Record(KIND_UPCOMING, change.change_id, data,
                  list_key=f'{change.effective_from.isoformat()}#{change.change_id}')  # fmt: skip


def _reclose_since(deps: Deps, change: Change, today: date) -> None:
    """Mark the days already closed from the change's date up to yesterday for re-close (at most 62 days)."""
    first = max(change.effective_from, today - timedelta(days=RECLOSE_DAYS))
    past = {first + timedelta(days=n) for n in range((today - first).days)}
    if past:
        mark_for_reclose(deps, past, f'employee change {change.change_id}')


def apply_due_changes(deps: Deps) -> dict[str, Any]:
    """Apply every upcoming change whose date has begun in every zone of Indonesia (WIB is the last) to the
    directory record: only the fields the change changes (a correction made to the record meanwhile stays), the
    employee's own schedule assignments following a transfer; audited (``employee.change_applied``). Run by the
    hourly day-close job after that hour's close. Idempotent: the upcoming marker is removed in the same
    transaction, so a re-run, or a second job at once, applies nothing twice (a conflict waits for the next hour).
    """
    now = deps.clock()
    today = min(now.astimezone(ZoneInfo(zone)).date() for zone in ZONES)
    applied: list[str] = []
    waiting = 0
    for marker in list(all_records(deps.store, KIND_UPCOMING)):
        if date.fromisoformat(marker.data['effective_from']) > today:
            waiting += 1
            continue
        change = Change.model_validate(require(deps.store, KIND_CHANGE, marker.id).data)
        stored = require(deps.store, KIND_EMPLOYEE, change.employee_id)
        employee = load(Employee, stored)
        was = change.before.model_dump(mode='json')
        delta = {f: v for f, v in change.after.model_dump(mode='json').items() if v != was[f]}
        updated = _applied(employee, delta, change.nip, stored.version)
        writes: list[Write] = [Replace(employee_record(updated)),
                               Remove(KIND_UPCOMING, marker.id, expected_version=marker.version)]  # fmt: skip
        if updated.opd_id != employee.opd_id:
            writes += _assignments_follow(deps, change.employee_id, updated.opd_id)
        try:
            deps.store.commit(writes, AuditDraft(
                APPLY_ACTOR, 'employee.change_applied', f'employee/{change.employee_id}', updated.opd_id,
                dump(employee), {**dump(change), 'applied_on': today.isoformat()},
            ))  # fmt: skip
        except Conflict:
            logger.info('an upcoming change met a concurrent write; the next run applies it',
                        extra={'change_id': change.change_id})  # fmt: skip
            continue
        if employee.active and not updated.active:
            directory.revoke_devices(deps, APPLY_ACTOR, updated)
        _reclose_since(deps, change, today)
        applied.append(change.change_id)
    return {'changes_applied': len(applied), 'change_ids': applied, 'changes_waiting': waiting}


def _assignments_follow(deps: Deps, employee_id: str, opd_id: str) -> list[Write]:
    """The employee's own schedule assignments move to the new OPD with the employee (listed there; the schedule
    itself was always the employee's). Unit and OPD assignments stay with their unit and OPD."""
    own = [load(ScheduleAssignment, r) for r in all_by_lookup(deps.store, f'assignments#employee#{employee_id}')]
    return [Replace(schedules._assignment_record(a.model_copy(update={'opd_id': opd_id}))) for a in own
            if a.opd_id != opd_id]  # fmt: skip


def list_changes(deps: Deps, principal: Principal, employee_id: str) -> dict[str, Any]:
    """An employee's history: every change with its date, reason, reference and the states before and after,
    each saying whether it is still upcoming (dated after today, not applied yet)."""
    employee = load(Employee, require(deps.store, KIND_EMPLOYEE, employee_id))
    authorize(principal, Permission.EMPLOYEE_READ, employee.opd_id)
    today = _today(deps)
    items = [{**dump(c), 'upcoming': c.effective_from > today} for c in changes_of(deps, employee_id)]
    return {'employee_id': employee_id, 'current': _state(employee).model_dump(mode='json'), 'items': items,
            'count': len(items)}  # fmt: skip


# ---- what the month close reads ----------------------------------------------------------------------------------


def changes_by_employee(deps: Deps) -> dict[str, list[Change]]:
    grouped: dict[str, list[Change]] = defaultdict(list)
    for record in all_records(deps.store, KIND_CHANGE):
        change = Change.model_validate(record.data)
        grouped[change.employee_id].append(change)
    return {e: ordered(c) for e, c in grouped.items()}


def split_records(
    deps: Deps, month: str, employee: Employee, changes: Sequence[Change], days: Sequence[DayResult],
    score: Decimal | None, flags: MonthFlags, profile: RuleProfile,
) -> list[MonthRecord] | None:  # fmt: skip
    """The month record of an employee whose history cuts the month (with one part per state), [] when the
    history keeps the employee out of the whole month, or None when the month is whole under the directory
    record (priced as before). A whole month before a later change (a correction of February after a March
    promotion) is priced under the state it had then: its OPD, kelas and pagu, not today's."""
    first, last = month_bounds(month)
    if not changes:
        return None
    if not touches(changes, first, last):
        then = state_on(changes, first)
        if then is None or then == _state(employee):
            return None
        payee = employee.model_copy(update=then.model_dump())
        result = compute_month(payee, days, score, flags, profile)
        return [MonthRecord(
            month=month, employee_id=employee.employee_id, opd_id=then.opd_id, employee_type=then.employee_type,
            nip=employee.nip, nik=employee.nik if employee.nip is None else None, name=employee.name,
            jabatan=then.jabatan, kelas=then.kelas_jabatan, result=result,
        )]  # fmt: skip
    owed = _owed_days(deps, employee, changes, first, last)
    parts = month_parts(changes, first, last, profile.mid_month, owed.__contains__)
    if not parts:
        return []
    whole, priced = price_parts(parts, days, score, flags, profile, _other_type_profiles(deps, parts))
    final = sorted(parts, key=lambda p: p.days[-1])[-1].state
    record = MonthRecord(
        month=month, employee_id=employee.employee_id, opd_id=final.opd_id, employee_type=final.employee_type,
        nip=employee.nip, nik=employee.nik if employee.nip is None else None, name=employee.name,
        jabatan=final.jabatan, kelas=final.kelas_jabatan, result=whole, parts=tuple(priced),
    )  # fmt: skip
    return [record]


def _other_type_profiles(deps: Deps, parts: Sequence[Part]) -> dict[EmployeeType, RuleProfile]:
    """For a month in which the employee's type changed (TKK to PPPK on a TMT): the profile in force on the last
    day of each earlier type's parts (read only for such a month)."""
    last_type = max(parts, key=lambda p: p.days[-1]).state.employee_type
    earlier = {p.state.employee_type for p in parts} - {last_type}
    if not earlier:
        return {}
    book = profile_service.published(deps)
    found = {}
    for employee_type in earlier:
        last_day = max(d for p in parts if p.state.employee_type is employee_type for d in p.days)
        profile = profile_in_force(book, employee_type, last_day)
        if profile is not None:
            found[employee_type] = profile
    return found


def as_on(employee: Employee, changes: Sequence[Change] | None, day: date) -> Employee:
    """The employee as their history says they were on a day: OPD, type, jabatan, kelas, pagu, active (the
    directory record itself when the history says nothing else). The day close judges each day so, so a day
    before a TMT from TKK to PPPK is judged under the TKK profile, in the OPD of that day."""
    state = state_on(changes, day) if changes else None
    if state is None or state == _state(employee):
        return employee
    return employee.model_copy(update=state.model_dump())


def moved_records(
    deps: Deps, records: AllowanceRecords, month: str, revision: int, opd_id: str, found: Sequence[MonthRecord]
) -> list[MonthRecord]:
    """The month records of staff who left or joined the OPD during the month and are kept under another OPD
    (a split month's record is under the OPD of its last part): the OPD's recap shows their part too."""
    first, last = month_bounds(month)
    have = {r.employee_id for r in found}
    moved = sorted({
        c.employee_id for c in (c for cs in changes_by_employee(deps).values() for c in cs)
        if first < c.effective_from <= last and opd_id in (c.before.opd_id, c.after.opd_id)
        and c.employee_id not in have
    })  # fmt: skip
    return [r for r in (records.month_record(e, month, revision) for e in moved) if r is not None]


def _owed_days(deps: Deps, employee: Employee, changes: Sequence[Change], first: date, last: date) -> set[date]:
    """The days of the month the employee's schedule owes a shift, in the OPD of each day's state (a day before
    a TMT or after leaving is judged in the OPD of the nearest state), as the day close decides them."""
    book = schedules.schedule_book(deps, first, last)
    days_off = calendar(deps, first.year, last.year)
    opds: dict[str, Opd] = {}
    owed: set[date] = set()
    day = first
    while day <= last:
        state = state_on(changes, day) or _state(employee)
        if state.opd_id not in opds:
            opds[state.opd_id] = load(Opd, require(deps.store, KIND_OPD, state.opd_id))
        someone = employee.model_copy(update={'opd_id': state.opd_id})
        resolved = book.for_employee(someone, opds[state.opd_id], day)
        if resolved.schedule is not None and expected_shift(resolved.schedule, day, days_off) is not None:
            owed.add(day)
        day += timedelta(days=1)
    return owed
