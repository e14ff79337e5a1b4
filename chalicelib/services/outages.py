"""Outage records: a machine of an OPD silent through a working morning is proposed as an outage; the
personnel office confirms or dismisses it (audited), and the allowance applies the pemda's outage
policy only to confirmed ones.

The morning check runs hourly. Each OPD's working mornings are judged once, after 10:00 local, and a marker
says so; a morning whose hourly runs all failed is judged by the next run that succeeds (up to
``CATCH_UP_DAYS`` back, never before the OPD's first judged morning, as the day close catches up). Today is
judged by the machines' last contact (no machine heard from since 06:00); a past morning by the ledger (no
punch of any of the OPD's machines timed 06:00–10:00 that day), since a contact time only tells the latest
contact. ``--date`` judges that one date for every OPD. Proposals are idempotent: one per OPD and day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.access import Permission, authorize, scope_opd
from chalicelib.domain.errors import Conflict
from chalicelib.domain.machine_health import parse_instant
from chalicelib.domain.models import Machine, Opd, Principal
from chalicelib.domain.text import FreeText
from chalicelib.ports import AuditDraft, Create, Record, Replace
from chalicelib.services.common import (
    KIND_HOLIDAY,
    KIND_MACHINE,
    KIND_OPD,
    SYSTEM_ACTOR,
    Deps,
    all_records,
    build,
    load,
    require,
)
from chalicelib.services.reclose import mark_for_reclose

KIND_OUTAGE = 'outage'
KIND_MORNING_CHECK = 'morning_check'  # an OPD's working morning was judged (proposed or not)
CATCH_UP_DAYS = 7
MORNING_START = time(6, 0)  # the machines of an office should be heard from after this local time
MORNING_CHECK_HOUR = 10  # a silent morning is judged once 10:00 local has passed


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
    from chalicelib.services.manual_lists import KIND_MANUAL_LIST  # it reads the outages: imported here, not on top

    lists = deps.store.get_many(KIND_MANUAL_LIST, [r.id for r in page.items])
    return [{**r.data, 'manual_list': _list_summary(lists.get(r.id))} for r in page.items], page.next_cursor


def _list_summary(stored: Record | None) -> dict[str, Any] | None:
    """The outage's manual attendance list in brief (its state and size), read with the page: the console shows
    it in the outage table without a request per outage. None when none was entered."""
    if stored is None:
        return None
    data = stored.data
    return {'state': data['state'], 'lines': len(data.get('lines') or []), 'submitted_at': data.get('submitted_at'),
            'decided_at': data.get('decided_at')}  # fmt: skip


def confirmed_outage(deps: Deps, opd_id: str, day: date) -> bool:
    stored = deps.store.get(KIND_OUTAGE, outage_id(opd_id, day))
    return stored is not None and stored.data['state'] == 'confirmed'


def propose_silent_mornings(deps: Deps, day: date | None = None) -> dict[str, Any]:
    """Propose an outage for each OPD whose machines were all silent through a working morning: the mornings
    due since the last run (today's once 10:00 local has passed, and missed ones), or ``day`` for every OPD.
    Re-runs propose nothing new."""
    now = deps.clock()
    machines_by_opd: dict[str, list[Machine]] = {}
    for record in all_records(deps.store, KIND_MACHINE):
        machine = load(Machine, record)
        if machine.active:
            machines_by_opd.setdefault(machine.opd_id, []).append(machine)
    statuses = deps.store.get_many('machine_status', [m.serial for ms in machines_by_opd.values() for m in ms])
    years = {now.year, now.year - 1} | ({day.year} if day else set())
    holidays = {r.data['day'] for y in sorted(years) for r in all_records(deps.store, KIND_HOLIDAY, f'{y:04d}-')}
    proposed, judged = [], []
    ledger = _MorningPunches(deps)
    for opd in (load(Opd, r) for r in all_records(deps.store, KIND_OPD)):
        machines = machines_by_opd.get(opd.opd_id)
        if not machines:
            continue
        local_now = now.astimezone(ZoneInfo(opd.zone))
        for morning in [day] if day is not None else _due_mornings(deps, opd.opd_id, local_now):
            if not _morning_over(morning, local_now):
                continue
            if morning.weekday() < 5 and morning.isoformat() not in holidays:
                judged.append(f'{opd.opd_id}@{morning.isoformat()}')
                created = _judge(deps, ledger, opd, morning, local_now, machines, statuses)
                if created:
                    proposed.append(created['outage_id'])
            _mark_judged(deps, opd.opd_id, morning)
    return {'proposed': proposed, 'judged': judged}


def _morning_over(day: date, local_now: datetime) -> bool:
    return day < local_now.date() or (day == local_now.date() and local_now.hour >= MORNING_CHECK_HOUR)


def _due_mornings(deps: Deps, opd_id: str, local_now: datetime) -> list[date]:
    """Today (from 10:00) and the missed mornings of the catch-up window, never before the first judged one."""
    today = local_now.date()
    done = {r.data['day'] for r in all_records(deps.store, KIND_MORNING_CHECK, f'{opd_id}@')}
    if not done:
        return [today]
    window = [today - timedelta(days=n) for n in range(CATCH_UP_DAYS - 1, -1, -1)]
    return [d for d in window if d.isoformat() not in done and d.isoformat() > min(done)]


def _mark_judged(deps: Deps, opd_id: str, day: date) -> None:
    # One transaction put (the job's role has no batch write); a marker already there is left as it is.
    data = {'opd_id': opd_id, 'day': day.isoformat()}
    record = Record(KIND_MORNING_CHECK, f'{opd_id}@{day.isoformat()}', data, list_key=f'{opd_id}@{day.isoformat()}')
    try:
        deps.store.commit([Create(record, 'judged already')], None)
    except Conflict:
        pass


def _judge(
    deps: Deps, ledger: _MorningPunches, opd: Opd, day: date, local_now: datetime, machines: list[Machine],
    statuses: dict[str, Record],
) -> dict[str, Any] | None:  # fmt: skip
    zone = ZoneInfo(opd.zone)
    morning = datetime.combine(day, MORNING_START, tzinfo=zone)
    serials = sorted(m.serial for m in machines)
    if day == local_now.date():
        contacts = [parse_instant(statuses[s].data.get('last_contact')) if s in statuses else None for s in serials]
        silent = all(c is None or c < morning for c in contacts)
    else:
        silent = not ledger.punched(set(serials), day, zone)
    if not silent:
        return None
    reason = f'no machine of {opd.opd_id} was heard from between 06:00 and 10:00 ({opd.zone}) on {day.isoformat()}'
    return _propose(deps, SYSTEM_ACTOR, opd.opd_id, day, reason, serials)


class _MorningPunches:
    """Machine punches of a local date, read once per run for every OPD judged (any OPD's partition: a machine's
    punches are stamped with its staff's OPDs)."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._days: dict[date, list[tuple[str, datetime]]] = {}

    def punched(self, serials: set[str], day: date, zone: ZoneInfo) -> bool:
        """Whether one of these machines has a punch timed 06:00–10:00 of that day in the ledger."""
        if day not in self._days:
            opd_ids = sorted({r.id for r in all_records(self._deps.store, KIND_OPD)})
            self._days[day] = [(p.machine_serial, p.at_utc) for o in opd_ids
                               for p in self._deps.ledger.for_opd_date(o, day) if p.machine_serial]  # fmt: skip
        start = datetime.combine(day, MORNING_START, tzinfo=zone)
        end = datetime.combine(day, time(MORNING_CHECK_HOUR, 0), tzinfo=zone)
        return any(serial in serials and start <= at < end for serial, at in self._days[day])
