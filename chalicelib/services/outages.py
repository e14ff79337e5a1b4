"""Outage records: a machine of an OPD silent through a working morning is proposed as an outage; the
personnel office confirms or dismisses it (audited), and the allowance applies the pemda's outage
policy only to confirmed ones."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.access import Permission, authorize, scope_opd
from chalicelib.domain.errors import Conflict
from chalicelib.domain.machine_health import parse_instant
from chalicelib.domain.models import Machine, Opd, Principal
from chalicelib.domain.text import FreeText
from chalicelib.ports import AuditDraft, Create, Record, Replace
from chalicelib.services.common import KIND_HOLIDAY, KIND_MACHINE, KIND_OPD, Deps, all_records, build, load, require
from chalicelib.services.ingest import mark_for_reclose

KIND_OUTAGE = 'outage'
MORNING_START = time(6, 0)  # the machines of an office should be heard from after this local time
MORNING_CHECK_HOUR = 10  # a silent morning is judged once 10:00 local has passed
SYSTEM_ACTOR = 'system'


class OutageProposal(BaseModel):
    model_config = ConfigDict(extra='forbid')

    opd_id: str
    day: date
    reason: FreeText = Field(min_length=5, max_length=300)


class OutageDecision(BaseModel):
    model_config = ConfigDict(extra='forbid')

    decision: Literal['confirm', 'dismiss']
    reason: FreeText = Field(min_length=5, max_length=300)


def outage_id(opd_id: str, day: date) -> str:
    return f'{opd_id}@{day.isoformat()}'  # URL-safe: it is a path parameter


def _record(data: dict[str, Any], version: int = 0) -> Record:
    return Record(KIND_OUTAGE, data['outage_id'], data, version, list_key=f'{data["opd_id"]}#{data["day"]}')


def _propose(deps: Deps, actor: str, opd_id: str, day: date, reason: str, machines: list[str]) -> dict[str, Any] | None:
    data = {'outage_id': outage_id(opd_id, day), 'opd_id': opd_id, 'day': day.isoformat(), 'state': 'proposed',
            'reason': reason, 'machines': machines, 'proposed_by': actor, 'proposed_at': deps.clock().isoformat(),
            'decided_by': None, 'decided_at': None, 'decision_reason': None}  # fmt: skip
    try:
        deps.store.commit(
            [Create(_record(data), f'an outage for {opd_id} on {day} is already on record')],
            AuditDraft(actor, 'outage.propose', f'outage/{data["outage_id"]}', opd_id, None, data),
        )
    except Conflict:
        return None
    return data


def propose_outage(deps: Deps, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    proposal = build(OutageProposal, body)
    authorize(principal, Permission.MACHINE_WRITE, proposal.opd_id)
    require(deps.store, KIND_OPD, proposal.opd_id)
    created = _propose(deps, principal.key_id, proposal.opd_id, proposal.day, proposal.reason, [])
    if created is None:
        raise Conflict(f'an outage for {proposal.opd_id} on {proposal.day} is already on record')
    return created


def decide_outage(deps: Deps, principal: Principal, outage: str, body: dict[str, Any]) -> dict[str, Any]:
    authorize(principal, Permission.OPD_WRITE)  # the personnel office decides, not the OPD itself
    stored = require(deps.store, KIND_OUTAGE, outage)
    decision = build(OutageDecision, body)
    if stored.data['state'] != 'proposed':
        raise Conflict(f'outage {outage} was already {stored.data["state"]}')
    after = {**stored.data, 'state': 'confirmed' if decision.decision == 'confirm' else 'dismissed',
             'decided_by': principal.key_id, 'decided_at': deps.clock().isoformat(),
             'decision_reason': decision.reason}  # fmt: skip
    deps.store.commit(
        [Replace(_record(after, stored.version))],
        AuditDraft(
            principal.key_id, f'outage.{decision.decision}', f'outage/{outage}', after['opd_id'], stored.data, after
        ),
    )
    # A decision on a day already closed changes that day's records: the next close recomputes it.
    day = date.fromisoformat(after['day'])
    opd = load(Opd, require(deps.store, KIND_OPD, after['opd_id']))
    if day < deps.clock().astimezone(ZoneInfo(opd.zone)).date():
        mark_for_reclose(deps, {day}, f'outage {outage} {decision.decision}')
    return after


def list_outages(
    deps: Deps, principal: Principal, opd_id: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    scope = scope_opd(principal, Permission.MACHINE_READ, opd_id)
    page = deps.store.list(KIND_OUTAGE, f'{scope}#' if scope else '', limit=limit, cursor=cursor)
    return [r.data for r in page.items], page.next_cursor


def confirmed_outage(deps: Deps, opd_id: str, day: date) -> bool:
    stored = deps.store.get(KIND_OUTAGE, outage_id(opd_id, day))
    return stored is not None and stored.data['state'] == 'confirmed'


def propose_silent_mornings(deps: Deps) -> dict[str, Any]:
    """For each OPD whose local time is past its morning check on a working day, propose an outage when
    every active machine of the OPD has been silent since the morning began. Re-runs propose nothing new."""
    now = deps.clock()
    holidays = {r.data['day'] for r in all_records(deps.store, KIND_HOLIDAY, f'{now.year:04d}-')}
    machines_by_opd: dict[str, list[Machine]] = {}
    for record in all_records(deps.store, KIND_MACHINE):
        machine = load(Machine, record)
        if machine.active:
            machines_by_opd.setdefault(machine.opd_id, []).append(machine)
    statuses = deps.store.get_many('machine_status', [m.serial for ms in machines_by_opd.values() for m in ms])
    proposed = []
    for opd in (load(Opd, r) for r in all_records(deps.store, KIND_OPD)):
        machines = machines_by_opd.get(opd.opd_id)
        local_now = now.astimezone(ZoneInfo(opd.zone))
        day = local_now.date()
        if not machines or local_now.hour < MORNING_CHECK_HOUR or day.weekday() >= 5 or day.isoformat() in holidays:
            continue
        morning = datetime.combine(day, MORNING_START, tzinfo=ZoneInfo(opd.zone))
        contacts = [parse_instant(statuses[m.serial].data.get('last_contact')) if m.serial in statuses else None
                    for m in machines]  # fmt: skip
        if all(c is None or c < morning for c in contacts):
            reason = f'no machine of {opd.opd_id} was heard from between 06:00 and 10:00 ({opd.zone})'
            created = _propose(deps, SYSTEM_ACTOR, opd.opd_id, day, reason, sorted(m.serial for m in machines))
            if created:
                proposed.append(created['outage_id'])
    return {'proposed': proposed}
