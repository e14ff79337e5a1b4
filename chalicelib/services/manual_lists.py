"""Manual attendance lists of an outage: who came on a day the OPD's machine was down, entered by the OPD's
admin with the evidence, approved or rejected by the personnel office, both audited. Under the outage policy
``MANUAL_VERIFIED`` the day close prices each employee of a confirmed outage from these lines and the phone
check-ins of the day (``domain.tpp.day``); this module gives the close those records per employee.

Choices where the issue leaves room, and why:

- One list per outage (its id is the outage's), replaced as a whole while it waits for a decision or after
  a rejection: the OPD copies one signed paper list, and one decision covers it. An approved list is final;
  a correction after approval is a status or a new outage decision, not an edit behind the payroll.
- A list may be entered while the outage is only proposed (the paper is signed that morning), but it counts
  only once the outage is confirmed; a dismissed outage takes no list.
- Evidence is described, not uploaded: its kind (a photo of the signed list, or geotagged photos) and the
  references the OPD files it under (file names, archive number), at least one. The personnel office judges
  it before approving; Hadir keeps what was approved, by whom and why.
- Times are the OPD's local wall clock on the outage's day; a departure earlier than the arrival is the next
  morning (a night shift). A line needs an arrival or a departure: a person who did not come is not listed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.domain.access import Permission, authorize
from chalicelib.domain.errors import Conflict, FieldIssue, ValidationFailed
from chalicelib.domain.models import Code, Employee, Opd, Principal, Punch, PunchSource
from chalicelib.domain.strict import LocalTime
from chalicelib.domain.text import FreeText
from chalicelib.domain.tpp.day import ManualEntry, Outage
from chalicelib.ports import AuditDraft, Create, Record, Replace
from chalicelib.services.common import KIND_EMPLOYEE, KIND_OPD, Deps, build, load, require
from chalicelib.services.outages import KIND_OUTAGE, outage_id
from chalicelib.services.reclose import mark_for_reclose

KIND_MANUAL_LIST = 'manual_list'
MAX_LINES = 2000  # the largest OPD (an RSUD) on one list
MAX_BODY_BYTES = 256 * 1024


class ManualLine(BaseModel):
    model_config = ConfigDict(extra='forbid')

    employee_id: Code
    arrival: LocalTime | None = Field(default=None, description='local time the employee arrived (HH:MM)')
    departure: LocalTime | None = Field(default=None, description='local time the employee left (HH:MM)')

    @model_validator(mode='after')
    def _came(self) -> ManualLine:
        if self.arrival is None and self.departure is None:
            raise ValueError('a line needs an arrival or a departure: who did not come is not listed')
        return self


class Evidence(BaseModel):
    model_config = ConfigDict(extra='forbid')

    kind: Literal['signed_list_photo', 'geotagged_photos']
    references: list[FreeText] = Field(min_length=1, max_length=50, description='file names or archive numbers')
    note: FreeText | None = Field(default=None, max_length=500)


class ManualListRequest(BaseModel):
    model_config = ConfigDict(extra='forbid')

    lines: list[ManualLine] = Field(min_length=1, max_length=MAX_LINES)
    evidence: Evidence


class ManualListDecision(BaseModel):
    model_config = ConfigDict(extra='forbid')

    decision: Literal['approve', 'reject']
    reason: FreeText = Field(min_length=5, max_length=300)


def _record(data: dict[str, Any], version: int = 0) -> Record:
    return Record(KIND_MANUAL_LIST, data['outage_id'], data, version, list_key=f'{data["opd_id"]}#{data["day"]}')


def _outage(deps: Deps, principal: Principal, outage: str, permission: Permission) -> Record:
    stored = require(deps.store, KIND_OUTAGE, outage)
    authorize(principal, permission, stored.data['opd_id'])
    return stored


def submit_manual_list(deps: Deps, principal: Principal, outage: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Enter (or replace, before approval) the manual attendance list of an outage; audited."""
    stored_outage = _outage(deps, principal, outage, Permission.STATUS_WRITE)
    if stored_outage.data['state'] == 'dismissed':
        raise Conflict(f'outage {outage} was dismissed: no manual list counts for it')
    request = build(ManualListRequest, body)
    opd_id = stored_outage.data['opd_id']
    _check_lines(deps, opd_id, request.lines)
    previous = deps.store.get(KIND_MANUAL_LIST, outage)
    if previous is not None and previous.data['state'] == 'approved':
        raise Conflict(f'the manual list of {outage} was approved and is final')
    data = {
        'outage_id': outage, 'opd_id': opd_id, 'day': stored_outage.data['day'], 'state': 'submitted',
        'lines': [line.model_dump(mode='json') for line in request.lines],
        'evidence': request.evidence.model_dump(mode='json'),
        'submitted_by': principal.key_id, 'submitted_at': deps.clock().isoformat(),
        'decided_by': None, 'decided_at': None, 'decision_reason': None,
    }  # fmt: skip
    write = Replace(_record(data, previous.version)) if previous else Create(_record(data), 'entered meanwhile')
    deps.store.commit(
        [write],
        AuditDraft(principal.key_id, 'manual_list.submit', f'outage/{outage}/manual-list', opd_id,
                   previous.data if previous else None, data),
    )  # fmt: skip
    return data


def _check_lines(deps: Deps, opd_id: str, lines: Sequence[ManualLine]) -> None:
    ids = [line.employee_id for line in lines]
    issues = [FieldIssue(f'lines.{i}.employee_id', 'listed twice') for i, e in enumerate(ids) if e in ids[:i]]
    found = deps.store.get_many(KIND_EMPLOYEE, sorted(set(ids)))
    for i, employee_id in enumerate(ids):
        record = found.get(employee_id)
        if record is None:
            issues.append(FieldIssue(f'lines.{i}.employee_id', 'no such employee'))
        elif load(Employee, record).opd_id != opd_id:
            issues.append(FieldIssue(f'lines.{i}.employee_id', f'not an employee of {opd_id}'))
    if issues:
        raise ValidationFailed('the list names employees it cannot', fields=tuple(issues))


def decide_manual_list(deps: Deps, principal: Principal, outage: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The personnel office approves or rejects a submitted list; audited. An approval of a past day has
    the day closed again."""
    authorize(principal, Permission.OPD_WRITE)  # the personnel office decides, as it does the outage
    stored = require(deps.store, KIND_MANUAL_LIST, outage)
    decision = build(ManualListDecision, body)
    if stored.data['state'] != 'submitted':
        raise Conflict(f'the manual list of {outage} is {stored.data["state"]}, not waiting for a decision')
    after = {**stored.data, 'state': 'approved' if decision.decision == 'approve' else 'rejected',
             'decided_by': principal.key_id, 'decided_at': deps.clock().isoformat(),
             'decision_reason': decision.reason}  # fmt: skip
    deps.store.commit(
        [Replace(_record(after, stored.version))],
        AuditDraft(principal.key_id, f'manual_list.{decision.decision}', f'outage/{outage}/manual-list',
                   after['opd_id'], stored.data, after),
    )  # fmt: skip
    day = date.fromisoformat(after['day'])
    opd = load(Opd, require(deps.store, KIND_OPD, after['opd_id']))
    if decision.decision == 'approve' and day < deps.clock().astimezone(ZoneInfo(opd.zone)).date():
        mark_for_reclose(deps, {day}, f'manual list of {outage} approved')
    return after


def get_manual_list(deps: Deps, principal: Principal, outage: str) -> dict[str, Any]:
    _outage(deps, principal, outage, Permission.STATUS_READ)
    return require(deps.store, KIND_MANUAL_LIST, outage).data


# --- what the day close reads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutageDay:
    """A confirmed outage of one OPD and day, with its approved manual list's lines by employee."""

    opd_id: str
    day: date
    outage_id: str
    reason: str
    lines: dict[str, ManualLine] = field(default_factory=dict)

    def for_employee(self, employee_id: str, punches: Sequence[Punch], zone: ZoneInfo) -> Outage:
        """The outage as the day rule sees it for one employee: their list line and phone check-ins."""
        phone = tuple(p.at_utc.astimezone(zone).replace(tzinfo=None) for p in punches if p.source is PunchSource.PHONE)
        line = self.lines.get(employee_id)
        manual = None
        if line is not None:
            arrival = _on(self.day, line.arrival)
            departure = _on(self.day, line.departure)
            if arrival is not None and departure is not None and departure < arrival:
                departure += timedelta(days=1)
            manual = ManualEntry(list_id=self.outage_id, arrival=arrival, departure=departure)
        return Outage(opd_id=self.opd_id, local_date=self.day, reason=self.reason[:500], manual=manual, phone=phone)


def _on(day: date, moment: time | None) -> datetime | None:
    return datetime.combine(day, moment) if moment is not None else None


def confirmed_outages(deps: Deps, opd_ids: Sequence[str], day: date) -> dict[str, OutageDay]:
    """The confirmed outages of these OPDs on the day, each with its approved manual list (if any)."""
    ids = [outage_id(o, day) for o in sorted(opd_ids)]
    outages = {r.data['opd_id']: r for r in deps.store.get_many(KIND_OUTAGE, ids).values()
               if r.data['state'] == 'confirmed'}  # fmt: skip
    lists = deps.store.get_many(KIND_MANUAL_LIST, [r.id for r in outages.values()])
    found: dict[str, OutageDay] = {}
    for opd_id, record in outages.items():
        approved = lists.get(record.id)
        lines = {}
        if approved is not None and approved.data['state'] == 'approved':
            lines = {line['employee_id']: ManualLine.model_validate(line) for line in approved.data['lines']}
        reason = str(record.data.get('decision_reason') or record.data.get('reason') or '')
        found[opd_id] = OutageDay(opd_id, day, record.id, reason, lines)
    return found
