"""Use cases for master data: OPD, employees, machines, PIN mappings, bridges, holidays, pemda.

Each write validates into a domain object, checks access against every OPD it touches, and
commits the change together with its audit entry.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from pydantic import BaseModel

from chalicelib.domain.access import Permission, authorize, scope_opd
from chalicelib.domain.checkin import Device, Enrolment
from chalicelib.domain.employee_search import employee_matcher
from chalicelib.domain.errors import Conflict, FieldIssue, MalformedRequest, ValidationFailed
from chalicelib.domain.models import Bridge, Employee, Holiday, Machine, Opd, PemdaSettings, PinMapping, Principal
from chalicelib.ports import AuditDraft, Create, Record, Remove, Replace, Write
from chalicelib.services import keys
from chalicelib.services.common import (
    KIND_BRIDGE,
    KIND_EMPLOYEE,
    KIND_HOLIDAY,
    KIND_MACHINE,
    KIND_OPD,
    KIND_PEMDA,
    KIND_PINMAP,
    Deps,
    all_by_lookup,
    all_records,
    bridge_record,
    build,
    dump,
    employee_record,
    holiday_record,
    load,
    load_pinmap,
    machine_record,
    opd_record,
    pinmap_id,
    pinmap_record,
    require,
    unique_record,
    unknown_reference,
)

Listing = tuple[list[dict[str, Any]], str | None]
OpdOwned = TypeVar('OpdOwned', Employee, Machine, Bridge)
PEMDA_ID = 'settings'


def _audit(principal: Principal, action: str, target: str, opd_id: str | None, before: Any, after: Any) -> AuditDraft:
    return AuditDraft(principal.key_id, action, target, opd_id, _json(before), _json(after))


def _json(value: BaseModel | dict[str, Any] | None) -> dict[str, Any] | None:
    return dump(value) if isinstance(value, BaseModel) else value


def _patched(current: BaseModel, patch: dict[str, Any], immutable: Sequence[str]) -> dict[str, Any]:
    touched = [f for f in immutable if f in patch]
    if touched:
        raise ValidationFailed(
            'these fields cannot change', fields=tuple(FieldIssue(f, 'cannot be changed') for f in touched)
        )
    if 'version' in patch:
        raise ValidationFailed('version is managed by the server', fields=(FieldIssue('version', 'cannot be set'),))
    return {**current.model_dump(mode='json'), **patch}


def _opd_prefix(opd_id: str | None) -> str:
    return f'{opd_id}#' if opd_id else ''


def _require_opd(deps: Deps, opd_id: str, field: str = 'opd_id') -> Opd:
    record = deps.store.get(KIND_OPD, opd_id)
    if record is None:
        raise unknown_reference(field, 'OPD', opd_id)
    return load(Opd, record)


def _read_scoped(deps: Deps, principal: Principal, kind: str, model: type[OpdOwned], record_id: str,
                 permission: Permission) -> dict[str, Any]:  # fmt: skip
    """One OPD-owned record, if the caller may read that OPD's records."""
    record = load(model, require(deps.store, kind, record_id))
    authorize(principal, permission, record.opd_id)
    return {**dump(record), 'version': record.version}


def _list_scoped(deps: Deps, principal: Principal, kind: str, permission: Permission, opd_id: str | None, limit: int,
                 cursor: str | None) -> Listing:  # fmt: skip
    """A page of OPD-owned records; OPD-bound keys see only their own OPD."""
    scope = scope_opd(principal, permission, opd_id)
    page = deps.store.list(kind, _opd_prefix(scope), limit=limit, cursor=cursor)
    return [{**r.data, 'version': r.version} for r in page.items], page.next_cursor


# --- pemda -------------------------------------------------------------------------------------


def get_pemda(deps: Deps, principal: Principal) -> dict[str, Any]:
    authorize(principal, Permission.PEMDA_READ)
    # Pemda settings carry no version field (PUT replaces them whole), so `load` does not apply.
    return PemdaSettings.model_validate(require(deps.store, KIND_PEMDA, PEMDA_ID).data).model_dump(mode='json')


def put_pemda(deps: Deps, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    authorize(principal, Permission.PEMDA_WRITE)
    stored = deps.store.get(KIND_PEMDA, PEMDA_ID)
    settings = build(PemdaSettings, body)
    record = Record(KIND_PEMDA, PEMDA_ID, settings.model_dump(mode='json'), stored.version if stored else 0)
    write: Write = Replace(record) if stored else Create(record, 'pemda settings were just created; reload')
    deps.store.commit([write], _audit(principal, 'pemda.put', 'pemda', None, stored.data if stored else None, settings))
    return settings.model_dump(mode='json')


# --- OPD -----------------------------------------------------------------------------------------


def create_opd(deps: Deps, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    authorize(principal, Permission.OPD_WRITE)
    opd = build(Opd, body)
    if opd.parent_opd_id:
        _require_opd(deps, opd.parent_opd_id, 'parent_opd_id')
    deps.store.commit(
        [Create(opd_record(opd), f'OPD {opd.opd_id} already exists')],
        _audit(principal, 'opd.create', f'opd/{opd.opd_id}', opd.opd_id, None, opd),
    )
    return {**dump(opd), 'version': 0}


def get_opd(deps: Deps, principal: Principal, opd_id: str) -> dict[str, Any]:
    opd = load(Opd, require(deps.store, KIND_OPD, opd_id))
    authorize(principal, Permission.OPD_READ, opd.opd_id)
    return {**dump(opd), 'version': opd.version}


def list_opds(deps: Deps, principal: Principal, limit: int, cursor: str | None) -> Listing:
    own = scope_opd(principal, Permission.OPD_READ, None)
    if own is not None:
        return [get_opd(deps, principal, own)], None
    page = deps.store.list(KIND_OPD, limit=limit, cursor=cursor)
    return [{**r.data, 'version': r.version} for r in page.items], page.next_cursor


def update_opd(deps: Deps, principal: Principal, opd_id: str, patch: dict[str, Any]) -> dict[str, Any]:
    stored = require(deps.store, KIND_OPD, opd_id)
    before = load(Opd, stored)
    authorize(principal, Permission.OPD_WRITE, opd_id)
    after = build(Opd, {**_patched(before, patch, ['opd_id']), 'version': stored.version})
    if after.parent_opd_id:
        if after.parent_opd_id == opd_id:
            raise ValidationFailed(
                'an OPD cannot be its own parent', fields=(FieldIssue('parent_opd_id', 'is this OPD'),)
            )
        _require_opd(deps, after.parent_opd_id, 'parent_opd_id')
    deps.store.commit(
        [Replace(opd_record(after))], _audit(principal, 'opd.update', f'opd/{opd_id}', opd_id, before, after)
    )
    return {**dump(after), 'version': stored.version + 1}


def delete_opd(deps: Deps, principal: Principal, opd_id: str) -> dict[str, Any]:
    stored = require(deps.store, KIND_OPD, opd_id)
    authorize(principal, Permission.OPD_WRITE, opd_id)
    for kind in (KIND_EMPLOYEE, KIND_MACHINE, KIND_BRIDGE):
        if deps.store.list(kind, _opd_prefix(opd_id), limit=1).items:
            raise Conflict(f'OPD {opd_id} still has {kind} records; move or deactivate them first')
    child = _first_child_opd(deps, opd_id)
    if child is not None:
        raise Conflict(f'OPD {opd_id} is the parent of OPD {child}; move or delete that OPD first')
    before = load(Opd, stored)
    # Keys bound to the OPD would otherwise outlive it; they are revoked with the delete.
    revocations = keys.opd_key_revocations(deps, opd_id)
    deps.store.commit(
        [Remove(KIND_OPD, opd_id, stored.version), *revocations],
        _audit(principal, 'opd.delete', f'opd/{opd_id}', opd_id, before, None),
    )
    return {'deleted': opd_id, 'keys_revoked': len(revocations)}


def _first_child_opd(deps: Deps, opd_id: str) -> str | None:
    return next((r.id for r in all_records(deps.store, KIND_OPD) if r.data.get('parent_opd_id') == opd_id), None)


# --- employees -------------------------------------------------------------------------------------


def _identity_claims(employee: Employee) -> list[Write]:
    claims: list[Write] = []
    if employee.nip:
        claims.append(
            Create(
                unique_record('NIP', employee.nip, employee.employee_id), f'NIP {employee.nip} is already registered'
            )
        )
    if employee.nik:
        claims.append(
            Create(
                unique_record('NIK', employee.nik, employee.employee_id), f'NIK {employee.nik} is already registered'
            )
        )
    return claims


def _identity_releases(before: Employee, after: Employee) -> list[Write]:
    releases: list[Write] = []
    if before.nip and before.nip != after.nip:
        releases.append(Remove('unique', f'NIP#{before.nip}'))
    if before.nik and before.nik != after.nik:
        releases.append(Remove('unique', f'NIK#{before.nik}'))
    return releases


def employee_writes(deps: Deps, employee: Employee) -> list[Write]:
    """The writes that create an employee: the record and the claims on its NIP/NIK."""
    return [
        Create(employee_record(employee), f'employee {employee.employee_id} already exists'),
        *_identity_claims(employee),
    ]


def prepare_employee(deps: Deps, principal: Principal, body: dict[str, Any]) -> Employee:
    authorize(principal, Permission.EMPLOYEE_WRITE, body.get('opd_id') if isinstance(body.get('opd_id'), str) else None)
    if 'employee_id' in body or 'version' in body:
        raise ValidationFailed('ids are assigned by the server', fields=(FieldIssue('employee_id', 'cannot be set'),))
    employee = build(Employee, {**body, 'employee_id': deps.new_id('emp')})
    _require_opd(deps, employee.opd_id)
    return employee


def create_employee(deps: Deps, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    employee = prepare_employee(deps, principal, body)
    deps.store.commit(
        employee_writes(deps, employee),
        _audit(principal, 'employee.create', f'employee/{employee.employee_id}', employee.opd_id, None, employee),
    )
    return {**dump(employee), 'version': 0}


def get_employee(deps: Deps, principal: Principal, employee_id: str) -> dict[str, Any]:
    return _read_scoped(deps, principal, KIND_EMPLOYEE, Employee, employee_id, Permission.EMPLOYEE_READ)


def list_employees(
    deps: Deps, principal: Principal, opd_id: str | None, limit: int, cursor: str | None, query: str | None = None
) -> Listing:
    """A page of employees of the caller's scope; with ``query``, only those it matches (domain/employee_search)."""
    if query is None or not query.strip():
        return _list_scoped(deps, principal, KIND_EMPLOYEE, Permission.EMPLOYEE_READ, opd_id, limit, cursor)
    matches = employee_matcher(query)
    scope = scope_opd(principal, Permission.EMPLOYEE_READ, opd_id)
    return _search(deps, _opd_prefix(scope), matches, limit, cursor)


SEARCH_READ_SIZE = 500


def _search(deps: Deps, prefix: str, matches: Callable[[dict[str, Any]], bool], limit: int,
            cursor: str | None) -> Listing:  # fmt: skip
    """Read the scope's employees page after page and keep the matches. The cursor says where the last answer
    stopped: the directory page it was reading and how far into it, so no match is skipped or repeated."""
    page_cursor, offset = _decode_search_cursor(cursor)
    found: list[dict[str, Any]] = []
    while True:
        page = deps.store.list(KIND_EMPLOYEE, prefix, limit=SEARCH_READ_SIZE, cursor=page_cursor)
        for index in range(offset, len(page.items)):
            record = page.items[index]
            if matches(record.data):
                found.append({**record.data, 'version': record.version})
                if len(found) == limit:
                    more = index + 1 < len(page.items) or page.next_cursor is not None
                    return found, _encode_search_cursor(page_cursor, index + 1) if more else None
        if page.next_cursor is None:
            return found, None
        page_cursor, offset = page.next_cursor, 0


def _encode_search_cursor(page_cursor: str | None, offset: int) -> str:
    raw = json.dumps({'page': page_cursor, 'offset': offset}, separators=(',', ':')).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip('=')


def _decode_search_cursor(cursor: str | None) -> tuple[str | None, int]:
    if not cursor:
        return None, 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + '=' * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise MalformedRequest('cursor is not one this API issued for this search') from None
    page, offset = (data.get('page'), data.get('offset')) if isinstance(data, dict) else (None, None)
    if not (page is None or isinstance(page, str)) or not isinstance(offset, int) or offset < 0:
        raise MalformedRequest('cursor is not one this API issued for this search')
    return page, offset


def update_employee(deps: Deps, principal: Principal, employee_id: str, patch: dict[str, Any]) -> dict[str, Any]:
    stored = require(deps.store, KIND_EMPLOYEE, employee_id)
    before = load(Employee, stored)
    authorize(principal, Permission.EMPLOYEE_WRITE, before.opd_id)
    after = build(Employee, {**_patched(before, patch, ['employee_id']), 'version': stored.version})
    authorize(principal, Permission.EMPLOYEE_WRITE, after.opd_id)
    if after.opd_id != before.opd_id:
        _require_opd(deps, after.opd_id)
    claims = [w for w in _identity_claims(after) if _claim_is_new(w, before)]
    deps.store.commit(
        [Replace(employee_record(after)), *claims, *_identity_releases(before, after)],
        _audit(principal, 'employee.update', f'employee/{employee_id}', after.opd_id, before, after),
    )
    if before.active and not after.active:
        revoke_devices(deps, principal.key_id, after)
    return {**dump(after), 'version': stored.version + 1}


def _claim_is_new(write: Write, before: Employee) -> bool:
    assert isinstance(write, Create)
    return write.record.id not in {f'NIP#{before.nip}', f'NIK#{before.nik}'}


def deactivate_employee(deps: Deps, principal: Principal, employee_id: str) -> dict[str, Any]:
    """Employees are never deleted: their punches and pay history must stay explainable."""
    return update_employee(deps, principal, employee_id, {'active': False})


def revoke_devices(deps: Deps, actor: str, employee: Employee) -> list[str]:
    """Revoke every phone of an employee who is no longer active (deactivated, or moved out of the pemda) at once,
    and unbind it from the enrolment, so the phone's next request is refused as the employee's, not as an unknown
    device; audited (``device.revoke``, reason ``employee_inactive``). Returns the revoked device ids.

    The phone's own requests also revoke it on first contact (services.checkins), so a revocation lost to a
    concurrent request (Conflict) changes nothing.
    """
    # Imported here: services.checkins imports services.ingest, which imports this module.
    from chalicelib.services.checkins import KIND_DEVICE, KIND_ENROLMENT

    now = deps.clock()
    writes: list[Write] = []
    revoked: list[str] = []
    for record in all_records(deps.store, KIND_DEVICE, employee.employee_id):
        device = load(Device, record)
        if device.employee_id == employee.employee_id and device.revoked_at is None:
            writes.append(Replace(replace(record, data=dump(device.model_copy(update={'revoked_at': now})))))
            revoked.append(device.device_id)
    enrolment_record = deps.store.get(KIND_ENROLMENT, employee.employee_id)
    if enrolment_record is not None:
        enrolment = load(Enrolment, enrolment_record)
        if enrolment.device_id is not None:
            unbound = enrolment.model_copy(update={'device_id': None})
            writes.append(Replace(replace(enrolment_record, data=dump(unbound))))
    if not writes:
        return []
    try:
        deps.store.commit(
            writes,
            AuditDraft(actor, 'device.revoke', f'employee/{employee.employee_id}', employee.opd_id,
                       {'device_ids': revoked}, {'device_id': None, 'reason': 'employee_inactive'}),
        )  # fmt: skip
    except Conflict:
        return []  # a request from the phone revoked it first
    return revoked


# --- machines and PIN mappings -------------------------------------------------------------------


def create_machine(deps: Deps, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    opd_id = body.get('opd_id') if isinstance(body.get('opd_id'), str) else None
    authorize(principal, Permission.MACHINE_WRITE, opd_id)
    opd = _require_opd(deps, str(opd_id)) if opd_id else None
    machine = build(Machine, {'zone': opd.zone if opd else None, **body})
    _check_bridge(deps, principal, machine)
    deps.store.commit(
        [Create(machine_record(machine), f'a machine with serial {machine.serial} is already registered')],
        _audit(principal, 'machine.create', f'machine/{machine.serial}', machine.opd_id, None, machine),
    )
    return {**dump(machine), 'version': 0}


def _check_bridge(deps: Deps, principal: Principal, machine: Machine) -> None:
    if machine.bridge_id is None:
        return
    record = deps.store.get(KIND_BRIDGE, machine.bridge_id)
    if record is None:
        raise unknown_reference('bridge_id', 'bridge', machine.bridge_id)
    authorize(principal, Permission.MACHINE_WRITE, load(Bridge, record).opd_id)


def get_machine(deps: Deps, principal: Principal, serial: str) -> dict[str, Any]:
    return _read_scoped(deps, principal, KIND_MACHINE, Machine, serial, Permission.MACHINE_READ)


def list_machines(deps: Deps, principal: Principal, opd_id: str | None, limit: int, cursor: str | None) -> Listing:
    return _list_scoped(deps, principal, KIND_MACHINE, Permission.MACHINE_READ, opd_id, limit, cursor)


def update_machine(deps: Deps, principal: Principal, serial: str, patch: dict[str, Any]) -> dict[str, Any]:
    stored = require(deps.store, KIND_MACHINE, serial)
    before = load(Machine, stored)
    authorize(principal, Permission.MACHINE_WRITE, before.opd_id)
    after = build(Machine, {**_patched(before, patch, ['serial']), 'version': stored.version})
    authorize(principal, Permission.MACHINE_WRITE, after.opd_id)
    if after.opd_id != before.opd_id:
        _require_opd(deps, after.opd_id)
    _check_bridge(deps, principal, after)
    deps.store.commit(
        [Replace(machine_record(after))],
        _audit(principal, 'machine.update', f'machine/{serial}', after.opd_id, before, after),
    )
    return {**dump(after), 'version': stored.version + 1}


def decommission_machine(deps: Deps, principal: Principal, serial: str) -> dict[str, Any]:
    return update_machine(deps, principal, serial, {'active': False})


def machine_pins(deps: Deps, serial: str, pin: str | None = None) -> list[PinMapping]:
    prefix = f'{pin}#' if pin else ''
    return [load_pinmap(r) for r in all_by_lookup(deps.store, f'MACHINE#{serial}', prefix)]


def create_pin_mapping(deps: Deps, principal: Principal, serial: str, body: dict[str, Any]) -> dict[str, Any]:
    machine_stored = require(deps.store, KIND_MACHINE, serial)
    machine = load(Machine, machine_stored)
    authorize(principal, Permission.MACHINE_WRITE, machine.opd_id)
    mapping = build(PinMapping, {**body, 'serial': serial})
    employee_stored = deps.store.get(KIND_EMPLOYEE, mapping.employee_id)
    if employee_stored is None:
        raise unknown_reference('employee_id', 'employee', mapping.employee_id)
    authorize(principal, Permission.MACHINE_WRITE, load(Employee, employee_stored).opd_id)
    clash = next((m for m in machine_pins(deps, serial, mapping.pin) if m.overlaps(mapping)), None)
    if clash is not None:
        raise Conflict(
            f'PIN {mapping.pin} on {serial} is already mapped to {clash.employee_id} '
            f'from {clash.valid_from} to {clash.valid_to or "open end"}'
        )
    # Re-saving the machine unchanged with its version check serialises concurrent mapping writes.
    deps.store.commit(
        [
            Create(pinmap_record(mapping, machine.opd_id), 'this mapping already exists'),
            Replace(machine_record(machine)),
        ],
        _audit(principal, 'pinmap.create', f'machine/{serial}/pin/{mapping.pin}', machine.opd_id, None, mapping),
    )
    return mapping.model_dump(mode='json')


def list_pin_mappings(deps: Deps, principal: Principal, serial: str) -> list[dict[str, Any]]:
    machine = load(Machine, require(deps.store, KIND_MACHINE, serial))
    authorize(principal, Permission.MACHINE_READ, machine.opd_id)
    return [m.model_dump(mode='json') for m in machine_pins(deps, serial)]


def end_pin_mapping(
    deps: Deps, principal: Principal, serial: str, pin: str, valid_from: str, body: dict[str, Any]
) -> dict[str, Any]:
    machine = load(Machine, require(deps.store, KIND_MACHINE, serial))
    authorize(principal, Permission.MACHINE_WRITE, machine.opd_id)
    stored = require(deps.store, KIND_PINMAP, pinmap_id(serial, pin, valid_from))
    before = load_pinmap(stored)
    if set(body) - {'valid_to'}:
        raise ValidationFailed(
            'only valid_to can change',
            fields=tuple(FieldIssue(f, 'cannot be changed') for f in body if f != 'valid_to'),
        )
    after = build(PinMapping, {**before.model_dump(mode='json'), **body})
    clash = next(
        (m for m in machine_pins(deps, serial, pin) if m.valid_from != before.valid_from and m.overlaps(after)), None
    )
    if clash is not None:
        raise Conflict(f'the new period overlaps the mapping to {clash.employee_id} from {clash.valid_from}')
    deps.store.commit(
        [Replace(pinmap_record(after, machine.opd_id, stored.version)), Replace(machine_record(machine))],
        _audit(
            principal,
            'pinmap.update',
            f'machine/{serial}/pin/{pin}',
            machine.opd_id,
            before.model_dump(mode='json'),
            after.model_dump(mode='json'),
        ),
    )
    return after.model_dump(mode='json')


def delete_pin_mapping(deps: Deps, principal: Principal, serial: str, pin: str, valid_from: str) -> dict[str, Any]:
    machine = load(Machine, require(deps.store, KIND_MACHINE, serial))
    authorize(principal, Permission.MACHINE_WRITE, machine.opd_id)
    stored = require(deps.store, KIND_PINMAP, pinmap_id(serial, pin, valid_from))
    before = load_pinmap(stored)
    deps.store.commit(
        [Remove(KIND_PINMAP, stored.id, stored.version), Replace(machine_record(machine))],
        _audit(
            principal,
            'pinmap.delete',
            f'machine/{serial}/pin/{pin}',
            machine.opd_id,
            before.model_dump(mode='json'),
            None,
        ),
    )
    return {'deleted': stored.id}


# --- bridges -------------------------------------------------------------------------------------


def create_bridge(deps: Deps, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    authorize(principal, Permission.BRIDGE_WRITE)
    if 'key_id' in body:
        raise ValidationFailed(
            'the bridge key is issued by the server', fields=(FieldIssue('key_id', 'cannot be set'),)
        )
    draft = build(Bridge, body)
    _require_opd(deps, draft.opd_id)
    key, token, key_write = keys.bridge_key(deps, principal.key_id, draft.bridge_id, f'bridge {draft.bridge_id}')
    bridge = draft.model_copy(update={'key_id': key.key_id})
    deps.store.commit(
        [Create(bridge_record(bridge), f'bridge {bridge.bridge_id} already exists'), key_write],
        _audit(principal, 'bridge.create', f'bridge/{bridge.bridge_id}', bridge.opd_id, None, bridge),
    )
    return {**dump(bridge), 'version': 0, 'token': token}


def get_bridge(deps: Deps, principal: Principal, bridge_id: str) -> dict[str, Any]:
    return _read_scoped(deps, principal, KIND_BRIDGE, Bridge, bridge_id, Permission.BRIDGE_READ)


def list_bridges(deps: Deps, principal: Principal, opd_id: str | None, limit: int, cursor: str | None) -> Listing:
    return _list_scoped(deps, principal, KIND_BRIDGE, Permission.BRIDGE_READ, opd_id, limit, cursor)


def update_bridge(deps: Deps, principal: Principal, bridge_id: str, patch: dict[str, Any]) -> dict[str, Any]:
    stored = require(deps.store, KIND_BRIDGE, bridge_id)
    before = load(Bridge, stored)
    authorize(principal, Permission.BRIDGE_WRITE, before.opd_id)
    after = build(Bridge, {**_patched(before, patch, ['bridge_id', 'key_id']), 'version': stored.version})
    if after.opd_id != before.opd_id:
        _require_opd(deps, after.opd_id)
    writes: list[Write] = [Replace(bridge_record(after))]
    if before.active and not after.active and before.key_id:
        revoked = keys.revocation(deps, before.key_id)
        writes += [revoked[0]] if revoked else []
    deps.store.commit(writes, _audit(principal, 'bridge.update', f'bridge/{bridge_id}', after.opd_id, before, after))
    return {**dump(after), 'version': stored.version + 1}


def deactivate_bridge(deps: Deps, principal: Principal, bridge_id: str) -> dict[str, Any]:
    """A retired bridge keeps its record (uploads name it) but its key stops working at once."""
    return update_bridge(deps, principal, bridge_id, {'active': False})


def rotate_bridge_key(deps: Deps, principal: Principal, bridge_id: str) -> dict[str, Any]:
    stored = require(deps.store, KIND_BRIDGE, bridge_id)
    before = load(Bridge, stored)
    authorize(principal, Permission.BRIDGE_WRITE, before.opd_id)
    if not before.active:
        raise Conflict(f'bridge {bridge_id} is inactive; reactivate it first')
    key, token, key_write = keys.bridge_key(deps, principal.key_id, bridge_id, f'bridge {bridge_id}')
    after = before.model_copy(update={'key_id': key.key_id})
    writes: list[Write] = [Replace(bridge_record(after)), key_write]
    revoked = keys.revocation(deps, before.key_id) if before.key_id else None
    writes += [revoked[0]] if revoked else []
    deps.store.commit(
        writes, _audit(principal, 'bridge.rotate_key', f'bridge/{bridge_id}', before.opd_id, before, after)
    )
    return {**dump(after), 'version': stored.version + 1, 'token': token}


def bridge_machines(deps: Deps, principal: Principal) -> list[dict[str, Any]]:
    """For a bridge's own key: the machines it must collect from."""
    authorize(principal, Permission.BRIDGE_SELF)
    bridge = load(Bridge, require(deps.store, KIND_BRIDGE, str(principal.bridge_id)))
    page = deps.store.list_lookup(f'BRIDGE#{bridge.bridge_id}', limit=500)
    return [dump(m) for m in (load(Machine, r) for r in page.items) if m.active]


# --- holidays ------------------------------------------------------------------------------------


def list_holidays(deps: Deps, principal: Principal, year: int) -> list[dict[str, Any]]:
    authorize(principal, Permission.PEMDA_READ)
    page = deps.store.list(KIND_HOLIDAY, f'{year:04d}-', limit=500)
    return [r.data for r in page.items]


def add_holiday(deps: Deps, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    authorize(principal, Permission.PEMDA_WRITE)
    holiday = build(Holiday, body)
    deps.store.commit(
        [Create(holiday_record(holiday), f'{holiday.day} already has a {holiday.kind} holiday')],
        _audit(principal, 'holiday.create', f'holiday/{holiday.day}', None, None, holiday.model_dump(mode='json')),
    )
    return holiday.model_dump(mode='json')


def holiday_writes(holidays: Sequence[Holiday]) -> list[Write]:
    return [Create(holiday_record(h), f'{h.day} already has a {h.kind} holiday') for h in holidays]
