"""Machine logs from bridges: upload URLs, heartbeats, backfill requests, and the reconcile that turns
uploaded files into ledger punches exactly once."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib import resource_names as names
from chalicelib.domain.access import Permission, authorize, scope_opd
from chalicelib.domain.errors import Conflict, DomainError, FieldIssue, NotFound, ValidationFailed
from chalicelib.domain.machine_health import MachineState, machine_state, parse_instant
from chalicelib.domain.machine_logs import EventLine, PunchLine, RejectedLine, implausible_time, parse_upload
from chalicelib.domain.models import Bridge, Employee, Machine, PinMapping, Principal, Punch, PunchSource
from chalicelib.domain.punch_keys import local_to_utc
from chalicelib.domain.strict import DATETIME_PATTERN, local_datetime_or_none
from chalicelib.domain.text import FreeText
from chalicelib.domain.upload_keys import key_time, plan_listing, upload_key
from chalicelib.ports import AuditDraft, Create, Record, Remove, Replace
from chalicelib.services.common import (
    KIND_BRIDGE,
    KIND_EMPLOYEE,
    KIND_MACHINE,
    KIND_ROSTER,
    SYSTEM_ACTOR,
    Deps,
    all_records,
    build,
    load,
    require,
    roster_id,
)
from chalicelib.services.directory import machine_pins
from chalicelib.services.reclose import mark_for_reclose
from chalicelib.settings import Settings

KIND_UPLOAD = 'upload'
KIND_MACHINE_STATUS = 'machine_status'
KIND_MACHINE_EVENT = 'machine_event'
KIND_BACKFILL = 'backfill'
KIND_UNMAPPED = 'unmapped'
KIND_RECONCILE_STATE = 'reconcile_state'  # where the last completed reconcile run started, and its last full listing
RECONCILE_STATE_ID = 'uploads'
MAX_REJECTS_KEPT_INLINE = 100
MAX_BACKFILL_DAYS = 62  # two months: what a month close can need re-read, with room
LATE_UPLOAD = timedelta(hours=2)  # punches received later than this after their time may belong to yesterday's shift
RECENT_UPLOAD_HOURS = 24  # what a bridge sees of its own uploads (doctor)
RECENT_UPLOADS_MAX = 50
_BATCH_ID = re.compile(r'^[0-9a-f]{32}$')


class UploadStore(Protocol):
    def presign_put(self, key: str, content_md5: str, expires_in: int) -> tuple[str, dict[str, str]]: ...

    def objects(self, prefix: str, start_after: str | None = None) -> Iterable[Any]:
        """Objects under `prefix` in key order, only those whose key sorts after `start_after` when given."""
        ...

    def read_text(self, key: str, max_compressed: int, max_uncompressed: int) -> str:
        """The decompressed UTF-8 text of an upload; refuses oversized objects and decompression bombs."""
        ...

    def keep_in_quarantine(self, key: str, report: dict[str, Any]) -> str: ...


class UploadUrlRequest(BaseModel):
    model_config = ConfigDict(extra='forbid')

    batch_id: str = Field(pattern=_BATCH_ID.pattern)
    content_md5: str = Field(min_length=24, max_length=24)
    content_length: int = Field(gt=0)
    record_count: int = Field(gt=0, le=100_000)
    content_type: Literal['application/x-ndjson'] = 'application/x-ndjson'
    content_encoding: Literal['gzip'] = 'gzip'


class BackfillRequest(BaseModel):
    model_config = ConfigDict(extra='forbid')

    start: str = Field(pattern=DATETIME_PATTERN, description='machine-local time YYYY-MM-DD HH:MM:SS')
    end: str = Field(
        pattern=DATETIME_PATTERN,
        description=f'machine-local time, after start and at most {MAX_BACKFILL_DAYS} days after it',
    )
    reason: FreeText = Field(default='requested by an administrator', max_length=200)

    @model_validator(mode='after')
    def _bounded_window(self) -> BackfillRequest:
        # A machine keeps a few months of records at most; a window of years is a typo that would have the
        # bridge re-read (and re-upload) everything the machine holds.
        start, end = local_datetime_or_none(self.start), local_datetime_or_none(self.end)
        if start is None or end is None:
            raise ValueError('start and end must be real times YYYY-MM-DD HH:MM:SS of 2000 to 2100')
        if end <= start:
            raise ValueError('end must be after start')
        if end - start > timedelta(days=MAX_BACKFILL_DAYS):
            raise ValueError(f'a backfill window is at most {MAX_BACKFILL_DAYS} days; ask for several')
        return self


class DayCountReport(BaseModel):
    model_config = ConfigDict(extra='allow')

    date: str = Field(description='machine-local date YYYY-MM-DD')
    punches: int = Field(description='distinct punches of that date in the spool')
    unsent: int = Field(description='of which not yet uploaded')
    last_sent_at: str | None = Field(default=None, description='when the last of them was uploaded (UTC)')
    machine: int | None = Field(default=None, description="the machine's own count (VERIFY SUM ATTLOG)")


class CounterReportBody(BaseModel):
    model_config = ConfigDict(extra='allow')

    machine_count: int = Field(description="the machine's running attlog counter")
    machine_added: int = Field(description='records the machine added since the baseline')
    bridge_added: int = Field(description='records the bridge received since the baseline')
    since: str | None = Field(default=None, description='machine-local time of the baseline; null: from the start')


class MachineStatus(BaseModel):
    model_config = ConfigDict(extra='allow')  # bridges may report more than this version knows

    serial: str = Field(min_length=1, max_length=64)
    # Read by the daily count reconciliation (services/machine_summary.py), defensively: see docs/bridge.md.
    day_counts: list[DayCountReport] | None = None
    counter: CounterReportBody | None = None


class HeartbeatRequest(BaseModel):
    model_config = ConfigDict(extra='allow')

    bridge_time: str | None = None
    bridge_version: str | None = Field(default=None, max_length=40)
    hostname: str | None = Field(default=None, max_length=120)
    machines: list[MachineStatus] = Field(max_length=500)


class BackfillReport(BaseModel):
    model_config = ConfigDict(extra='forbid')

    state: Literal['queued', 'done', 'failed']
    detail: str | None = Field(default=None, max_length=500)
    # The evidence of each step, kept beside the earlier ones (a later report without a count keeps it).
    resent: int | None = Field(default=None, ge=0, le=10_000_000, description='spooled punches sent again')
    pulled: int | None = Field(default=None, ge=0, le=10_000_000, description='new punches read from the machine')
    device_return: int | None = Field(default=None, ge=-10_000, le=10_000, description="the machine's return code")


def upload_prefix(bridge_id: str) -> str:
    return f'{names.UPLOADS_PREFIX_BRIDGES}{bridge_id}/'


def _own_bridge(deps: Deps, principal: Principal) -> Bridge:
    authorize(principal, Permission.BRIDGE_SELF)
    bridge = load(Bridge, require(deps.store, KIND_BRIDGE, str(principal.bridge_id)))
    if not bridge.active:
        raise Conflict(f'bridge {bridge.bridge_id} is retired')
    return bridge


def issue_upload_url(
    deps: Deps, uploads: UploadStore, settings: Settings, principal: Principal, body: dict[str, Any]
) -> dict[str, Any]:
    """A presigned PUT for one batch, under the calling bridge's own prefix only."""
    bridge = _own_bridge(deps, principal)
    request = build(UploadUrlRequest, body)
    try:
        if len(base64.b64decode(request.content_md5, validate=True)) != 16:
            raise ValueError
    except (binascii.Error, ValueError):
        raise ValidationFailed(
            'content_md5 must be the base64 MD5 of the body', fields=(FieldIssue('content_md5', 'not a base64 MD5'),)
        ) from None
    if request.content_length > settings.max_upload_bytes:
        raise ValidationFailed(
            f'a batch may be at most {settings.max_upload_bytes} bytes; send smaller batches',
            fields=(FieldIssue('content_length', f'at most {settings.max_upload_bytes}'),),
        )
    # The issue time leads the key, so a bridge's keys sort by time and reconcile lists only the recent ones.
    key = upload_key(upload_prefix(bridge.bridge_id), request.batch_id, deps.clock())
    url, headers = uploads.presign_put(key, request.content_md5, settings.upload_url_ttl_seconds)
    return {'url': url, 'key': key, 'method': 'PUT', 'headers': headers, 'expires_in': settings.upload_url_ttl_seconds}


def record_heartbeat(deps: Deps, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """Keep each machine's latest status as the bridge saw it; machines of other bridges are ignored."""
    bridge = _own_bridge(deps, principal)
    now = deps.clock().isoformat()
    machines = body.get('machines')
    if not isinstance(machines, list):
        raise ValidationFailed(
            'machines must be a list', fields=(FieldIssue('machines', 'a list of machine statuses'),)
        )
    known = {r.id for r in deps.store.list_lookup(f'BRIDGE#{bridge.bridge_id}', limit=500).items}
    accepted, ignored = [], []
    for index, status in enumerate(machines):
        serial = status.get('serial') if isinstance(status, dict) else None
        if not isinstance(serial, str) or serial not in known:
            ignored.append(serial if isinstance(serial, str) else f'machines[{index}]')
            continue
        record = Record(KIND_MACHINE_STATUS, serial, {**status, 'bridge_id': bridge.bridge_id, 'received_at': now})
        _upsert(deps, record)
        accepted.append(serial)
    bridge_status = {k: body.get(k) for k in ('bridge_time', 'bridge_version', 'hostname', 'spool', 'unknown_devices')}
    _upsert(deps, Record(KIND_MACHINE_STATUS, f'bridge#{bridge.bridge_id}', {**bridge_status, 'received_at': now}))
    return {'accepted': accepted, 'ignored': ignored, 'received_at': now}


def _upsert(deps: Deps, record: Record) -> None:
    """Status records are last-writer-wins bookkeeping, not admin changes: no audit entry."""
    stored = deps.store.get(record.kind, record.id)
    write = Replace(Record(record.kind, record.id, record.data, stored.version)) if stored else Create(record, 'raced')
    try:
        deps.store.commit([write], None)
    except Conflict:
        pass  # a concurrent heartbeat wrote a status at least as new


def _backfill(request_id: str, machine: Machine, start: str, end: str, reason: str, actor: str) -> Record:
    data = {'request_id': request_id, 'serial': machine.serial, 'bridge_id': machine.bridge_id, 'start': start,
            'end': end, 'reason': reason, 'state': 'pending', 'detail': None, 'requested_by': actor}  # fmt: skip
    return Record(KIND_BACKFILL, request_id, data, list_key=f'{machine.bridge_id}#pending#{request_id}')


def request_backfill(deps: Deps, principal: Principal, serial: str, body: dict[str, Any]) -> dict[str, Any]:
    machine = load(Machine, require(deps.store, KIND_MACHINE, serial))
    authorize(principal, Permission.MACHINE_WRITE, machine.opd_id)
    if machine.bridge_id is None:
        raise Conflict(f'machine {serial} has no bridge to re-read it')
    request = build(BackfillRequest, body)
    if request.end <= request.start:
        raise ValidationFailed('end must be after start', fields=(FieldIssue('end', 'after start'),))
    record = _backfill(deps.new_id('bf'), machine, request.start, request.end, request.reason, principal.key_id)
    deps.store.commit(
        [Create(record, 'backfill id collision; retry')],
        AuditDraft(principal.key_id, 'backfill.request', f'machine/{serial}', machine.opd_id, None, record.data),
    )
    return record.data


def open_backfill(deps: Deps, machine: Machine, request_id: str, window: tuple[str, str], reason: str) -> bool:
    """A backfill the system asks for itself (count reconciliation), under a deterministic id: True if it was
    opened now, False if a request with that id exists already (pending or closed) or the machine has no bridge."""
    if machine.bridge_id is None:
        return False
    record = _backfill(request_id, machine, window[0], window[1], reason, SYSTEM_ACTOR)
    target = f'machine/{machine.serial}'
    try:
        deps.store.commit(
            [Create(record, f'backfill {request_id} exists')],
            AuditDraft(SYSTEM_ACTOR, 'backfill.request', target, machine.opd_id, None, record.data),
        )
    except Conflict:
        return False
    return True


def list_backfills(deps: Deps, principal: Principal) -> dict[str, Any]:
    bridge = _own_bridge(deps, principal)
    page = deps.store.list(KIND_BACKFILL, f'{bridge.bridge_id}#pending#', limit=100)
    items = [{k: r.data[k] for k in ('request_id', 'serial', 'start', 'end')} for r in page.items]
    return {'items': items}


def report_backfill(deps: Deps, principal: Principal, request_id: str, body: dict[str, Any]) -> dict[str, Any]:
    bridge = _own_bridge(deps, principal)
    stored = deps.store.get(KIND_BACKFILL, request_id)
    if stored is None or stored.data.get('bridge_id') != bridge.bridge_id:
        raise NotFound(f'backfill {request_id} does not exist for this bridge')
    report = build(BackfillReport, body)
    counts = report.model_dump(include={'resent', 'pulled', 'device_return'}, exclude_none=True)
    data = {**stored.data, 'state': report.state, 'detail': report.detail, 'reported_at': deps.clock().isoformat(),
            **counts}  # fmt: skip
    still_pending = report.state == 'queued'
    list_key = f'{bridge.bridge_id}#{"pending" if still_pending else "closed"}#{request_id}'
    deps.store.commit([Replace(Record(KIND_BACKFILL, request_id, data, stored.version, list_key=list_key))], None)
    return data


# --- reconcile -----------------------------------------------------------------------------------


@dataclass
class UploadCounts:
    accepted: int = 0
    duplicate: int = 0
    unmapped: int = 0
    rejected: int = 0
    events: int = 0
    rejects: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, line_no: int, reason: str) -> None:
        self.rejected += 1
        self.rejects.append({'line': line_no, 'reason': reason})


@dataclass
class _Lookups:
    """Per-run caches: one read per machine, PIN and employee however many punches they have."""

    deps: Deps
    machines: dict[str, Machine | None] = field(default_factory=dict)
    pins: dict[str, dict[str, list[PinMapping]]] = field(default_factory=dict)  # serial -> PIN -> mappings
    employees: dict[str, Employee | None] = field(default_factory=dict)
    rosters: dict[str, bool] = field(default_factory=dict)  # roster id -> whether it exists

    def machine(self, serial: str) -> Machine | None:
        if serial not in self.machines:
            stored = self.deps.store.get(KIND_MACHINE, serial)
            self.machines[serial] = load(Machine, stored) if stored else None
        return self.machines[serial]

    def existing_rosters(self, roster_ids: set[str]) -> set[str]:
        """Which of these rosters exist, each read once a run (every upload of a month asks for the same ones)."""
        wanted = sorted(roster_ids - self.rosters.keys())
        if wanted:
            found = self.deps.store.get_many(KIND_ROSTER, wanted)
            self.rosters.update((roster, roster in found) for roster in wanted)
        return {roster for roster in roster_ids if self.rosters[roster]}

    def employee_on(self, serial: str, pin: str, day: Any) -> Employee | None:
        if serial not in self.pins:
            # One query per machine, not per PIN: a busy machine has hundreds of PINs in one upload.
            by_pin: dict[str, list[PinMapping]] = {}
            for found in machine_pins(self.deps, serial):
                by_pin.setdefault(found.pin, []).append(found)
            self.pins[serial] = by_pin
            # The machine's mapped employees in batch reads, not one read per employee at its first punch.
            wanted = sorted({m.employee_id for ms in by_pin.values() for m in ms} - set(self.employees))
            batch = self.deps.store.get_many(KIND_EMPLOYEE, wanted) if wanted else {}
            for employee_id in wanted:
                self.employees[employee_id] = load(Employee, batch[employee_id]) if employee_id in batch else None
        mapping = next((m for m in self.pins[serial].get(pin, []) if m.covers(day)), None)
        if mapping is None:
            return None
        if mapping.employee_id not in self.employees:
            stored = self.deps.store.get(KIND_EMPLOYEE, mapping.employee_id)
            self.employees[mapping.employee_id] = load(Employee, stored) if stored else None
        return self.employees[mapping.employee_id]


def reconcile(deps: Deps, uploads: UploadStore, settings: Settings, *, full: bool = False) -> dict[str, Any]:
    """Ingest every upload not yet in the ingest ledger. Listing S3 against the ledger (rather than
    trusting notifications) means a lost event cannot lose a file; re-runs add nothing.

    Each bridge's keys are listed only from shortly before the last completed run (keys sort by the time
    their URL was issued, and an URL outlives its issue by a bounded time); once a day, on the first run and
    when `full` is asked for, the whole prefix is listed instead (see domain/upload_keys.py)."""
    started = deps.clock()
    state = deps.store.get(KIND_RECONCILE_STATE, RECONCILE_STATE_ID)
    plan = plan_listing(
        last_run_started=parse_instant(state.data.get('last_run_started')) if state else None,
        last_full=parse_instant(state.data.get('last_full_listing')) if state else None,
        now=started, url_ttl=timedelta(seconds=settings.upload_url_ttl_seconds), force_full=full,
    )  # fmt: skip
    objects = _listed_uploads(deps, uploads, plan.start_after_time)
    done = deps.store.get_many(KIND_UPLOAD, [o.key for o in objects])
    lookups = _Lookups(deps)
    totals: dict[str, Any] = {
        'uploads': 0, 'accepted': 0, 'duplicate': 0, 'unmapped': 0, 'rejected': 0, 'events': 0, 'failed': 0,
        'mapped_later': apply_new_mappings(deps, lookups), 'listing': 'full' if plan.full else 'recent',
        'listed': len(objects),
    }  # fmt: skip
    ages = [0]
    for obj in objects:
        if obj.key in done:
            continue
        issued = key_time(obj.key)
        if issued is not None:
            ages.append(int((started - issued).total_seconds()))
        try:
            counts = _ingest_upload(deps, uploads, settings, lookups, obj.key)
        except DomainError as error:
            counts = UploadCounts()
            counts.reject(0, f'whole file refused: {error.message}')
            totals['failed'] += 1
        _record_upload(deps, uploads, obj, counts)
        totals['uploads'] += 1
        for name in ('accepted', 'duplicate', 'unmapped', 'rejected', 'events'):
            totals[name] += getattr(counts, name)
    totals['oldest_upload_age_seconds'] = max(ages)  # how long the oldest file waited for this run
    # Saved only once every listed file is handled: a run that fails leaves the next one listing from the same point.
    last_full = started if plan.full else parse_instant(state.data.get('last_full_listing')) if state else None
    data = {'last_run_started': started.isoformat(), 'last_full_listing': last_full.isoformat() if last_full else None}
    deps.store.put_many([Record(KIND_RECONCILE_STATE, RECONCILE_STATE_ID, data)])
    return totals


def _listed_uploads(deps: Deps, uploads: UploadStore, start_after_time: str | None) -> list[Any]:
    if start_after_time is None:
        return list(uploads.objects(names.UPLOADS_PREFIX_BRIDGES))
    found: list[Any] = []
    for bridge in all_records(deps.store, KIND_BRIDGE):  # retired bridges too: their last uploads may be in flight
        prefix = upload_prefix(bridge.id)
        found.extend(uploads.objects(prefix, start_after=f'{prefix}{start_after_time}'))
    return found


def _ingest_upload(deps: Deps, uploads: UploadStore, settings: Settings, lookups: _Lookups, key: str) -> UploadCounts:
    bridge_id = key.removeprefix(names.UPLOADS_PREFIX_BRIDGES).split('/', 1)[0]
    text = uploads.read_text(key, settings.max_upload_bytes, settings.max_upload_uncompressed_bytes)
    received_at = deps.clock()
    max_ahead, earliest = timedelta(hours=settings.max_machine_clock_ahead_hours), settings.earliest_punch_date
    counts = UploadCounts()
    punches: list[Punch] = []
    unmapped_ids: set[str] = set()
    # Both upload versions: one JSON record per line, or the machines' own lines read as columns (version 2)
    for parsed in parse_upload(text).lines():
        line_no = parsed.line_no
        if isinstance(parsed, RejectedLine):
            counts.reject(line_no, parsed.reason)
            continue
        machine = lookups.machine(parsed.serial)
        if machine is None:
            counts.reject(line_no, f'unknown machine serial {parsed.serial}')
            continue
        if machine.bridge_id != bridge_id:
            counts.reject(line_no, f'machine {parsed.serial} is not assigned to bridge {bridge_id}')
            continue
        if isinstance(parsed, EventLine):
            _record_event(deps, machine, parsed, bridge_id, received_at.isoformat())
            counts.events += 1
            continue
        reason = implausible_time(parsed.local_time, machine.zone, received_at, max_ahead=max_ahead, earliest=earliest)
        if reason:
            counts.reject(line_no, reason)
            continue
        punch = _punch(
            parsed, machine, lookups.employee_on(parsed.serial, parsed.pin, parsed.local_time.date()), received_at
        )
        if punch.employee_id is None:
            unmapped_ids.add(punch.punch_id)
        punches.append(punch)
    result = deps.ledger.record(punches)
    counts.accepted = len([p for p in result.accepted if p not in unmapped_ids])
    counts.unmapped = len([p for p in result.accepted if p in unmapped_ids])
    counts.duplicate = len(result.duplicate)
    accepted = set(result.accepted) - unmapped_ids
    fresh = [p for p in punches if p.punch_id in accepted]
    mark_for_reclose(deps, {p.local_date for p in fresh} | _night_shift_days(deps, fresh, lookups), key)
    return counts


def _night_shift_days(deps: Deps, punches: list[Punch], lookups: _Lookups | None = None) -> set[date]:
    """The day before a punch uploaded late, when its employee works a roster that month: it may be the
    check-out of a night shift that began then (a weekly template never crosses midnight). A punch on time
    is covered by the close's own wait for open check-out windows."""
    late = {(p.employee_id, p.local_date - timedelta(days=1)) for p in punches
            if p.employee_id and p.received_at - p.at_utc > LATE_UPLOAD}  # fmt: skip
    if not late:
        return set()
    ids = {(employee, day): roster_id(employee, day.strftime('%Y-%m')) for employee, day in late}
    rostered = (lookups or _Lookups(deps)).existing_rosters(set(ids.values()))
    return {day for (_, day), roster in ids.items() if roster in rostered}


def apply_new_mappings(deps: Deps, lookups: _Lookups | None = None) -> int:
    """Attach waiting punches whose PIN now has a mapping in force on their date; returns how many.

    A waiting punch is in the ledger's sparse ``unmapped`` index (one query per machine) until assigned; the
    ``unmapped`` directory records are the index as it was kept before, read until none is left."""
    lookups = lookups or _Lookups(deps)
    applied = 0
    for record in list(all_records(deps.store, KIND_UNMAPPED)):
        data = record.data
        employee = lookups.employee_on(data['serial'], data['pin'], date.fromisoformat(data['local_date']))
        if employee is None:
            continue
        deps.ledger.assign(data['punch_id'], employee.employee_id, employee.opd_id)
        deps.store.commit([Remove(KIND_UNMAPPED, record.id)], None)
        mark_for_reclose(deps, {date.fromisoformat(data['local_date'])}, f'mapping:{data["punch_id"]}')
        applied += 1
    for machine in all_records(deps.store, KIND_MACHINE):
        for waiting in deps.ledger.unmapped(machine.id):
            employee = lookups.employee_on(waiting.serial, waiting.pin, waiting.local_date)
            if employee is None:
                continue
            if deps.ledger.assign(waiting.punch_id, employee.employee_id, employee.opd_id):
                mark_for_reclose(deps, {waiting.local_date}, f'mapping:{waiting.punch_id}')
                applied += 1
    return applied


def _punch(line: PunchLine, machine: Machine, employee: Employee | None, received_at: datetime) -> Punch:
    at_utc, local_date = local_to_utc(line.local_time, machine.zone)
    fields: dict[str, Any] = {
        'punch_id': line.punch_id, 'source': PunchSource.MACHINE,
        'employee_id': employee.employee_id if employee else None,
        'opd_id': employee.opd_id if employee else machine.opd_id, 'at_utc': at_utc, 'local_date': local_date,
        'zone': machine.zone, 'machine_serial': line.serial, 'machine_pin': line.pin, 'raw': line.raw,
        'received_at': received_at,
    }  # fmt: skip
    # Every value is already checked (parser, directory records, clock), so validating a punch again would only
    # strip whitespace, which only the PIN and the raw line can carry: those few punches are validated as ever.
    # Python's strip removes every character pydantic's does, so an unchanged value is one it would keep.
    if line.pin != line.pin.strip() or line.raw != line.raw.strip():
        return Punch(**fields)
    return Punch.model_construct(**fields)


def flags_lookup(day: date) -> str:
    return f'MACHINE_FLAGS#{day.isoformat()}'


def _record_event(deps: Deps, machine: Machine, event: EventLine, bridge_id: str, received_at: str) -> None:
    data = {'serial': machine.serial, 'opd_id': machine.opd_id, 'bridge_id': bridge_id, 'op_type': event.op_type,
            'local_time': event.local_time.isoformat(), 'flag': event.flag, 'raw': event.raw,
            'received_at': received_at}  # fmt: skip
    # Flagged events are also found by their machine-local date, for the daily machine summary.
    lookup = (flags_lookup(event.local_time.date()), f'{machine.opd_id}#{machine.serial}#{event.event_id}')
    record = Record(
        KIND_MACHINE_EVENT, event.event_id, data, list_key=f'{machine.opd_id}#{machine.serial}#{event.event_id}',
        lookup=lookup if event.flag else None,
    )  # fmt: skip
    try:
        deps.store.commit([Create(record, 'event already recorded')], None)
    except Conflict:
        pass  # the same OPERLOG line uploaded again


def _record_upload(deps: Deps, uploads: UploadStore, obj: Any, counts: UploadCounts) -> None:
    bridge_id = obj.key.removeprefix(names.UPLOADS_PREFIX_BRIDGES).split('/', 1)[0]
    quarantine = None
    if counts.rejects:
        quarantine = uploads.keep_in_quarantine(obj.key, {'key': obj.key, 'rejected': counts.rejects})
    data = {'key': obj.key, 'bridge_id': bridge_id, 'etag': obj.etag, 'size': obj.size,
            'processed_at': deps.clock().isoformat(), 'accepted': counts.accepted, 'duplicate': counts.duplicate,
            'unmapped': counts.unmapped, 'rejected': counts.rejected, 'events': counts.events,
            'rejects': counts.rejects[:MAX_REJECTS_KEPT_INLINE], 'quarantine_key': quarantine}  # fmt: skip
    record = Record(KIND_UPLOAD, obj.key, data, list_key=f'{bridge_id}#{data["processed_at"]}')
    try:
        deps.store.commit([Create(record, 'upload already reconciled')], None)
    except Conflict:
        pass  # a concurrent reconcile finished the same file; its punches were idempotent anyway


def list_uploads(
    deps: Deps, principal: Principal, bridge_id: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    authorize(principal, Permission.KEY_READ)  # all bridges' files: personnel office and auditors only
    page = deps.store.list(KIND_UPLOAD, f'{bridge_id}#' if bridge_id else '', limit=limit, cursor=cursor)
    return [r.data for r in page.items], page.next_cursor


def recent_own_uploads(deps: Deps, principal: Principal) -> dict[str, Any]:
    """The calling bridge's own uploads reconciled in the last RECENT_UPLOAD_HOURS, newest first, with their counts
    and the reasons of rejected lines (what ``hadir-bridge doctor`` shows). One query per hour, newest hour first."""
    bridge = _own_bridge(deps, principal)
    now = deps.clock()
    items: list[dict[str, Any]] = []
    for back in range(RECENT_UPLOAD_HOURS):
        hour = (now - timedelta(hours=back)).strftime('%Y-%m-%dT%H')
        page = deps.store.list(KIND_UPLOAD, f'{bridge.bridge_id}#{hour}', limit=RECENT_UPLOADS_MAX)
        items.extend(reversed([record.data for record in page.items]))
        if len(items) >= RECENT_UPLOADS_MAX:
            break
    return {'hours': RECENT_UPLOAD_HOURS, 'items': items[:RECENT_UPLOADS_MAX]}


def machine_health(deps: Deps, settings: Settings, principal: Principal | None, opd_id: str | None) -> dict[str, Any]:
    """Each active machine's state, skew and last punch, per OPD (the caller's own for OPD-bound keys)."""
    scope = scope_opd(principal, Permission.MACHINE_READ, opd_id) if principal else opd_id
    machines = [load(Machine, r) for r in all_records(deps.store, KIND_MACHINE, f'{scope}#' if scope else '')]
    machines = [m for m in machines if m.active]
    statuses = deps.store.get_many(KIND_MACHINE_STATUS, [m.serial for m in machines])
    now = deps.clock()
    limits = {'stale_after': timedelta(minutes=settings.machine_stale_minutes),
              'offline_after': timedelta(minutes=settings.machine_offline_minutes)}  # fmt: skip
    items = []
    for machine in machines:
        status = statuses[machine.serial].data if machine.serial in statuses else {}
        last_contact = parse_instant(status.get('last_contact'))
        items.append({
            'serial': machine.serial, 'name': machine.name, 'opd_id': machine.opd_id, 'bridge_id': machine.bridge_id,
            'protocol': machine.protocol.value, 'state': machine_state(last_contact, now, **limits).value,
            'last_contact': status.get('last_contact'), 'clock_skew_seconds': status.get('clock_skew_seconds'),
            'last_punch_time': status.get('last_punch_time'), 'attlog_count': status.get('attlog_count'),
            'firmware': status.get('firmware'), 'reported_at': status.get('received_at'),
        })  # fmt: skip
    summary = {state.value: sum(1 for i in items if i['state'] == state.value) for state in MachineState}
    return {'as_of': now.isoformat(), 'summary': summary, 'items': items}


def machine_events(deps: Deps, opd_id: str | None) -> list[dict[str, Any]]:
    return [r.data for r in all_records(deps.store, KIND_MACHINE_EVENT, f'{opd_id}#' if opd_id else '')]
