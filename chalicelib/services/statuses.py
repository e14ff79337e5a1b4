"""Statuses of an employee over a date range (leave, DL/TD/DK with a surat tugas, izin, sickness): recorded
as approved by an admin with the document's number, cancelled with a reason, both audited. The day close
applies them (an approved status wins over the punches of its days) and the check-in geofence accepts the
place of an approved duty.

Choices where the brief leaves room, and why:

- One step, recorded as approved. The approval is the signed document (surat izin cuti, surat tugas,
  surat keterangan dokter) issued outside Hadir by the pejabat berwenang; the admin who enters it records
  that decision with its number, and the audit entry names the key. A submit-then-approve flow inside
  Hadir would have the same admin approve what they just typed. Requests employees send from the phone
  (``services/requests.py``) are the submit step: their approval calls ``record_status``.
- A cancelled status is kept (with who, when and why), never deleted: a closed month must stay explainable.
- Every create and cancel of one employee re-saves a guard record with its version check, in the same
  transaction: two admins cannot record overlapping statuses at the same moment (as PIN mappings do).
- Each status is also indexed under every month it touches, in the same transaction, so the day close reads
  one prefix per month for all staff, and check-in one prefix for one employee.
- A status recorded or cancelled for days that may already be closed (before today in the OPD's zone)
  marks those days for re-close; for a status with free days per month (CAP) the rest of its months too,
  because the rank of every later day changes.
- TKK have no profile in force yet (their days are not priced); their statuses are checked against the
  shipped TKK template's matrix, so a TKK on DL can still check in at the duty place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.access import Permission, authorize
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.domain.models import Employee, EmployeeType, OfficeLocation, Opd, Principal
from chalicelib.domain.text import FreeText
from chalicelib.domain.tpp.defaults import example_tkk_profile
from chalicelib.domain.tpp.profile import RuleProfile, profile_in_force
from chalicelib.domain.tpp.records import month_bounds
from chalicelib.domain.tpp.statuses import (
    EmployeeStatus,
    StatusState,
    months_touched,
    overlapping,
    request_issues,
)
from chalicelib.ports import AuditDraft, Create, Record, Remove, Replace, Write
from chalicelib.services.common import (
    KIND_EMPLOYEE,
    KIND_OPD,
    Deps,
    all_by_lookup,
    all_records,
    build,
    dump,
    load,
    require,
)
from chalicelib.services.reclose import mark_for_reclose

KIND_STATUS = 'status'
KIND_STATUS_MONTH = 'status_month'  # one copy of a status per month it touches
KIND_STATUS_GUARD = 'status_guard'  # re-saved with every change of an employee's statuses

Listing = tuple[list[dict[str, Any]], str | None]


class StatusRequest(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    code: str = Field(pattern=r'^[A-Z][A-Z0-9]{0,7}$', description='a status code of the rule profile (CT, DL, S…)')
    first: date
    last: date
    reference: FreeText | None = Field(default=None, min_length=3, max_length=120, description='nomor surat')
    location: OfficeLocation | None = Field(default=None, description='where a DL/TD/DK takes place')
    note: FreeText | None = Field(default=None, max_length=500)


class StatusCancellation(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    reason: FreeText = Field(min_length=5, max_length=300)


# ---- records ---------------------------------------------------------------------------------------------------


def _status_record(status: EmployeeStatus) -> Record:
    return Record(
        KIND_STATUS, status.status_id, dump(status), status.version,
        list_key=f'{status.opd_id}#{status.employee_id}#{status.first.isoformat()}#{status.status_id}',
        lookup=(f'statuses#{status.employee_id}', f'{status.first.isoformat()}#{status.status_id}'),
    )  # fmt: skip


def _month_records(status: EmployeeStatus) -> list[Record]:
    return [
        Record(KIND_STATUS_MONTH, f'{month}#{status.status_id}', dump(status),
               list_key=f'{month}#{status.employee_id}#{status.status_id}')
        for month in months_touched(status.first, status.last)
    ]  # fmt: skip


def _guard(deps: Deps, employee_id: str) -> Record | None:
    return deps.store.get(KIND_STATUS_GUARD, employee_id)


def _guard_write(guard: Record | None, employee_id: str, status_id: str) -> Write:
    record = Record(KIND_STATUS_GUARD, employee_id, {'employee_id': employee_id, 'last_change': status_id},
                    guard.version if guard else 0)  # fmt: skip
    busy = f"another change to {employee_id}'s statuses was saved meanwhile; reload and try again"
    return Replace(record, busy) if guard else Create(record, busy)


def _employee_in_scope(deps: Deps, principal: Principal, employee_id: str, permission: Permission) -> Employee:
    employee = load(Employee, require(deps.store, KIND_EMPLOYEE, employee_id))
    authorize(principal, permission, employee.opd_id)
    return employee


def _employee_statuses(deps: Deps, employee_id: str) -> list[EmployeeStatus]:
    return [load(EmployeeStatus, r) for r in all_by_lookup(deps.store, f'statuses#{employee_id}')]


def matrix_profile(profiles: Sequence[RuleProfile], employee_type: EmployeeType, day: date) -> RuleProfile | None:
    """The profile whose status matrix a status of this type on this day is checked against."""
    return profile_in_force(profiles, employee_type, day) or profile_in_force(
        (example_tkk_profile(),), employee_type, day
    )


# ---- use cases -------------------------------------------------------------------------------------------------


def record_status(
    deps: Deps, profiles: Sequence[RuleProfile], principal: Principal, employee_id: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """Record an approved status over a date range (audited); days already closed are marked for re-close.

    Raises ValidationFailed for a code outside the employee's status matrix, a missing document number or a
    misplaced location; Conflict (``status_overlap``) when an active status shares a day with the range.
    """
    request = build(StatusRequest, body)
    employee = _employee_in_scope(deps, principal, employee_id, Permission.STATUS_WRITE)
    in_force = [matrix_profile(profiles, employee.employee_type, day) for day in (request.first, request.last)]
    issues = request_issues(in_force, employee.employee_type, request.code, request.first, request.last,
                            request.reference, request.location)  # fmt: skip
    if issues:
        raise ValidationFailed('the status request has invalid fields', fields=issues)
    guard = _guard(deps, employee_id)  # read before the overlap check: a change in between fails the commit
    clash = overlapping(_employee_statuses(deps, employee_id), request.first, request.last)
    if clash:
        other = clash[0]
        raise Conflict(
            f'{employee_id} already has {other.code} from {other.first} to {other.last} ({other.status_id})',
            code='status_overlap',
            details={'status_id': other.status_id, 'code': other.code, 'first': other.first.isoformat(),
                     'last': other.last.isoformat()},
        )  # fmt: skip
    status = EmployeeStatus(
        status_id=deps.new_id('sts'), employee_id=employee_id, opd_id=employee.opd_id, code=request.code,
        first=request.first, last=request.last, reference=request.reference, location=request.location,
        note=request.note, approved_by=principal.key_id, approved_at=deps.clock(),
    )  # fmt: skip
    writes: list[Write] = [Create(_status_record(status), 'status id collision; try again')]
    writes += [Create(r, 'status id collision; try again') for r in _month_records(status)]
    writes.append(_guard_write(guard, employee_id, status.status_id))
    deps.store.commit(
        writes,
        AuditDraft(principal.key_id, 'status.approve', f'status/{status.status_id}', employee.opd_id, None,
                   dump(status)),
    )  # fmt: skip
    _mark_closed_days(deps, profiles, employee, status, f'status {status.status_id} approved')
    return {**dump(status), 'version': 0}


def list_statuses(deps: Deps, principal: Principal, employee_id: str, limit: int, cursor: str | None) -> Listing:
    """An employee's statuses, cancelled ones included, by first day."""
    _employee_in_scope(deps, principal, employee_id, Permission.STATUS_READ)
    page = deps.store.list_lookup(f'statuses#{employee_id}', limit=limit, cursor=cursor)
    return [{**r.data, 'version': r.version} for r in page.items], page.next_cursor


def cancel_status(
    deps: Deps, profiles: Sequence[RuleProfile], principal: Principal, status_id: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """Cancel an approved status (audited, kept); its days are free again and re-closed if already closed."""
    cancellation = build(StatusCancellation, body)
    stored = require(deps.store, KIND_STATUS, status_id)
    status = load(EmployeeStatus, stored)
    employee = _employee_in_scope(deps, principal, status.employee_id, Permission.STATUS_WRITE)
    if status.state is not StatusState.APPROVED:
        raise Conflict(f'status {status_id} was already cancelled', code='status_cancelled')
    guard = _guard(deps, status.employee_id)
    cancelled = status.model_copy(update={
        'state': StatusState.CANCELLED, 'cancelled_by': principal.key_id, 'cancelled_at': deps.clock(),
        'cancel_reason': cancellation.reason,
    })  # fmt: skip
    writes: list[Write] = [Replace(_status_record(cancelled))]
    writes += [Remove(KIND_STATUS_MONTH, r.id) for r in _month_records(status)]
    writes.append(_guard_write(guard, status.employee_id, status_id))
    deps.store.commit(
        writes,
        AuditDraft(principal.key_id, 'status.cancel', f'status/{status_id}', employee.opd_id,
                   {'state': status.state.value}, {'state': cancelled.state.value, 'reason': cancellation.reason}),
    )  # fmt: skip
    _mark_closed_days(deps, profiles, employee, status, f'status {status_id} cancelled')
    return {**dump(cancelled), 'version': stored.version + 1}


# ---- what the day close and check-in read ----------------------------------------------------------------------


def approved_in_months(deps: Deps, months: Sequence[str]) -> dict[str, list[EmployeeStatus]]:
    """Every approved status touching these months, by employee, each once, by first day."""
    by_id: dict[str, EmployeeStatus] = {}
    for month in months:
        for record in all_records(deps.store, KIND_STATUS_MONTH, f'{month}#'):
            status = load(EmployeeStatus, record)
            by_id[status.status_id] = status
    grouped: dict[str, list[EmployeeStatus]] = defaultdict(list)
    for status in sorted(by_id.values(), key=lambda s: (s.first, s.status_id)):
        grouped[status.employee_id].append(status)
    return grouped


def duty_places(deps: Deps, employee_id: str, day: date) -> tuple[OfficeLocation, ...]:
    """The places of the employee's approved duties (DL, TD, DK) on this day."""
    month = f'{day.year:04d}-{day.month:02d}'
    records = deps.store.list(KIND_STATUS_MONTH, f'{month}#{employee_id}#', limit=500).items
    statuses = (load(EmployeeStatus, r) for r in records)
    return tuple(s.location for s in statuses if s.active and s.covers(day) and s.location is not None)


def _mark_closed_days(
    deps: Deps, profiles: Sequence[RuleProfile], employee: Employee, status: EmployeeStatus, cause: str
) -> None:
    opd = load(Opd, require(deps.store, KIND_OPD, employee.opd_id))
    today = deps.clock().astimezone(ZoneInfo(opd.zone)).date()
    last = status.last
    profile = matrix_profile(profiles, employee.employee_type, status.first)
    rule = profile.status(status.code) if profile else None
    if rule is not None and rule.free_days_per_month:
        last = month_bounds(f'{last.year:04d}-{last.month:02d}')[1]
    last = min(last, today - timedelta(days=1))
    days = {status.first + timedelta(days=n) for n in range((last - status.first).days + 1)}
    if days:
        mark_for_reclose(deps, days, cause)
