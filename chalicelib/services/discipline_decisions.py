"""Hukuman disiplin decisions (PP 94/2021) recorded by BKPSDM, audited, corrected only by a new audited record;
the month close reads the overlay each month gets from them (the rules: ``chalicelib/domain/tpp/hukdis.py``).

Choices where the brief leaves room, and why:

- Recorded as decided. The decree is signed outside Hadir by the pejabat berwenang; BKPSDM (a super key)
  records it with its number and date. OPD admins and auditors read them; an OPD admin cannot record one,
  since the decision is not the OPD's.
- The kind, cut and duration are checked against, and fixed from, the profile in force for the employee's
  type on the first day of the effective month; the first month cut follows that profile's ``counts_from``.
- A correction names the decision it corrects and replaces it whole; a withdrawal is a correction with
  ``revoked: true`` (kind and months are taken from the corrected decision). Each decision can be corrected
  once: a marker record is created in the same transaction, so two corrections of one decision cannot both
  commit; correct the correction instead.
- A decision reaches a month at that month's close. A month already closed pays it once a correction of the
  month is asked for (``POST /v1/months/{month}/close``), as any other change after a close.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.access import Permission, authorize
from chalicelib.domain.errors import Conflict, FieldIssue, NotFound, ValidationFailed
from chalicelib.domain.models import Employee, Principal
from chalicelib.domain.text import FreeText
from chalicelib.domain.tpp.hukdis import (
    MONTH_PATTERN,
    Decision,
    first_month,
    in_force,
    last_month,
    month_overlay,
    request_issues,
)
from chalicelib.domain.tpp.profile import RuleProfile, profile_in_force
from chalicelib.ports import AuditDraft, Create, Record, Write
from chalicelib.services.common import KIND_EMPLOYEE, Deps, all_records, build, dump, load, require

KIND_DECISION = 'discipline_decision'
KIND_DECISION_CORRECTED = 'discipline_decision_corrected'  # one per corrected decision: corrected once


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    kind: str | None = Field(default=None, pattern=r'^[A-Z][A-Z0-9]{0,7}$', description='a kind of the profile table')
    decree_number: FreeText = Field(min_length=3, max_length=120, description='nomor surat keputusan')
    decree_date: date
    effective_month: str | None = Field(default=None, pattern=MONTH_PATTERN, description='YYYY-MM')
    months: int | None = Field(default=None, ge=1, le=60, description="duration, one of the kind's durations")
    corrects: str | None = Field(default=None, max_length=40, description='the decision this one replaces')
    revoked: bool = Field(default=False, description='with corrects: withdraw that decision')
    note: FreeText | None = Field(default=None, max_length=500)


@dataclass(frozen=True)
class Overlay:
    cut_bp: int
    labels: tuple[str, ...]
    codes: tuple[str, ...]


def _record(decision: Decision) -> Record:
    return Record(KIND_DECISION, decision.decision_id, dump(decision),
                  list_key=f'{decision.employee_id}#{decision.decision_id}')  # fmt: skip


def _decisions_of(deps: Deps, employee_id: str) -> list[Decision]:
    return [Decision.model_validate(r.data) for r in all_records(deps.store, KIND_DECISION, f'{employee_id}#')]


def _listed(decision: Decision, current: set[str]) -> dict[str, Any]:
    return {**dump(decision), 'last_month': last_month(decision), 'in_force': decision.decision_id in current}


def record_decision(
    deps: Deps, profiles: Sequence[RuleProfile], principal: Principal, employee_id: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """Record a hukuman disiplin decision, a correction of one, or its withdrawal (audited).

    Raises ValidationFailed for a kind or duration outside the profile's table, NotFound for an unknown corrected
    decision, Conflict (``decision_corrected``) when the corrected decision was already corrected.
    """
    request = build(DecisionRequest, body)
    employee = load(Employee, require(deps.store, KIND_EMPLOYEE, employee_id))
    authorize(principal, Permission.DISCIPLINE_WRITE, employee.opd_id)
    corrected = _corrected(deps, request, employee_id)
    kind = request.kind or (corrected.kind if corrected and request.revoked else None)
    effective = request.effective_month or (corrected.effective_month if corrected and request.revoked else None)
    months = request.months if not request.revoked else (corrected.months if corrected else None)
    missing = [FieldIssue(name, 'required') for name, value in (('kind', kind), ('effective_month', effective))
               if value is None]  # fmt: skip
    if missing:
        raise ValidationFailed('the decision has missing fields', fields=tuple(missing))
    assert kind is not None and effective is not None
    profile = profile_in_force(profiles, employee.employee_type, date(int(effective[:4]), int(effective[5:]), 1))
    if profile is None:
        issue = FieldIssue('effective_month', f'no rule profile prices {employee.employee_type} in {effective}')
        raise ValidationFailed('no rule profile for the effective month', fields=(issue,))
    issues = request_issues(profile.hukdis, kind, months)
    if issues:
        raise ValidationFailed('the decision does not fit the profile table', fields=issues)
    found = profile.hukdis.kind(kind)
    assert found is not None
    decision = Decision(
        decision_id=deps.new_id('hd'), employee_id=employee_id, opd_id=employee.opd_id, kind=kind, level=found.level,
        name=found.name, decree_number=request.decree_number, decree_date=request.decree_date,
        effective_month=effective, months=months or 0, cut_bp=found.cut_bp if months else 0,
        first_month=first_month(effective, profile.hukdis), corrects=request.corrects, revoked=request.revoked,
        note=request.note, recorded_by=principal.key_id, recorded_at=deps.clock(),
    )  # fmt: skip
    writes: list[Write] = [Create(_record(decision), 'decision id collision; try again')]
    if corrected is not None:
        marker = Record(KIND_DECISION_CORRECTED, corrected.decision_id, {'by': decision.decision_id})
        writes.append(Create(marker, f'decision {corrected.decision_id} was corrected meanwhile; reload'))
    action = 'discipline.revoke' if request.revoked else ('discipline.correct' if corrected else 'discipline.decide')
    deps.store.commit(
        writes,
        AuditDraft(principal.key_id, action, f'employee/{employee_id}', employee.opd_id,
                   dump(corrected) if corrected else None, dump(decision)),
    )  # fmt: skip
    return {**dump(decision), 'last_month': last_month(decision), 'in_force': not decision.revoked}


def _corrected(deps: Deps, request: DecisionRequest, employee_id: str) -> Decision | None:
    if request.corrects is None:
        if request.revoked:
            raise ValidationFailed('revoked needs corrects', fields=(FieldIssue('corrects', 'required to revoke'),))
        return None
    stored = deps.store.get(KIND_DECISION, request.corrects)
    if stored is None:
        raise NotFound(f'decision {request.corrects} does not exist')
    decision = Decision.model_validate(stored.data)
    if decision.employee_id != employee_id:
        raise ValidationFailed('that decision is of another employee',
                               fields=(FieldIssue('corrects', 'another employee\'s decision'),))  # fmt: skip
    if decision.revoked or deps.store.get(KIND_DECISION_CORRECTED, decision.decision_id) is not None:
        raise Conflict(f'decision {decision.decision_id} was already corrected or is a withdrawal; correct the '
                       'latest record', code='decision_corrected')  # fmt: skip
    return decision


def list_decisions(
    deps: Deps, principal: Principal, employee_id: str, profiles: Sequence[RuleProfile] = ()
) -> dict[str, Any]:
    """An employee's decisions, corrected and withdrawn ones included, each saying whether it is in force; and the
    kinds the profile in force today for the employee's type allows (``kinds``, ``counts_from``: what a form
    offers; empty when no profile prices the type today)."""
    employee = load(Employee, require(deps.store, KIND_EMPLOYEE, employee_id))
    authorize(principal, Permission.DISCIPLINE_READ, employee.opd_id)
    every = sorted(_decisions_of(deps, employee_id), key=lambda d: (d.recorded_at, d.decision_id))
    current = {d.decision_id for d in in_force(every)}
    items = [_listed(d, current) for d in every]
    profile = profile_in_force(profiles, employee.employee_type, deps.clock().date())
    kinds = [k.model_dump(mode='json') for k in profile.hukdis.kinds] if profile else []
    counts_from = profile.hukdis.counts_from.value if profile else None
    return {'employee_id': employee_id, 'items': items, 'count': len(items), 'kinds': kinds,
            'counts_from': counts_from}  # fmt: skip


def overlays_of_month(deps: Deps, month: str) -> dict[str, Overlay]:
    """The hukuman disiplin overlay of every employee with a decision cutting TPP in this month."""
    by_employee: dict[str, list[Decision]] = defaultdict(list)
    for record in all_records(deps.store, KIND_DECISION):
        decision = Decision.model_validate(record.data)
        by_employee[decision.employee_id].append(decision)
    overlays = {}
    for employee_id, decisions in by_employee.items():
        cut, labels, codes = month_overlay(decisions, month)
        if cut:
            overlays[employee_id] = Overlay(cut, labels, codes)
    return overlays


def month_flags(overlay: Overlay | None) -> dict[str, Any]:
    """The ``MonthFlags`` fields of an employee's overlay (none: no fields, the defaults)."""
    if overlay is None:
        return {}
    return {'discipline_cut_bp': overlay.cut_bp, 'discipline_labels': overlay.labels,
            'discipline_codes': overlay.codes}  # fmt: skip


def decisions_in_month(deps: Deps, employee_id: str, month: str) -> list[dict[str, Any]]:
    """The employee's decisions in force in the month (for the employee's own month on the phone)."""
    current = in_force(_decisions_of(deps, employee_id))
    return [
        {'kind': d.kind, 'name': d.name, 'decree_number': d.decree_number, 'decree_date': d.decree_date.isoformat(),
         'cut_percent': f'{d.cut_bp // 100}.{d.cut_bp % 100:02d}', 'first_month': d.first_month,
         'last_month': last_month(d), 'month_of': f'{d.ordinal(month)}/{d.months}'}
        for d in current if d.covers(month)
    ]  # fmt: skip
