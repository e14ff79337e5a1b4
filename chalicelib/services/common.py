"""What every use case shares: dependencies, validation into domain objects, record mapping."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib.domain.errors import FieldIssue, NotFound, ValidationFailed
from chalicelib.domain.models import Bridge, Employee, Holiday, Machine, Opd, PinMapping
from chalicelib.ports import AuditLog, Clock, DirectoryStore, Page, PunchLedger, Record

M = TypeVar('M', bound=BaseModel)

KIND_PEMDA = 'pemda'
KIND_OPD = 'opd'
KIND_EMPLOYEE = 'employee'
KIND_MACHINE = 'machine'
KIND_PINMAP = 'pinmap'
KIND_BRIDGE = 'bridge'
KIND_KEY = 'key'
SYSTEM_ACTOR = 'system'  # the actor of audit entries Hadir writes on its own (an alert, a backfill)
KIND_UNIQUE = 'unique'
KIND_HOLIDAY = 'holiday'
KIND_ROSTER = 'roster'  # an employee's shift codes of one month (services.schedules)
KIND_PROFILE = 'rule_profile'  # one version of a TPP rule profile, draft or published
KIND_PROFILE_GUARD = 'rule_profile_guard'  # re-saved with every publication: one publication at a time
KIND_SCORE = 'score'  # one employee's performance score of one month
KIND_DISCIPLINE_ALERT = 'discipline_alert'  # a PP 94 band an employee reached in a year (never removed)
KIND_DISCIPLINE_STANDING = 'discipline_standing'  # an employee's yearly figures as of the latest close


@dataclass(frozen=True)
class Deps:
    store: DirectoryStore
    audit_log: AuditLog
    ledger: PunchLedger
    clock: Clock
    random_bytes: Callable[[int], bytes]

    def new_id(self, prefix: str) -> str:
        return f'{prefix}-' + base64.b32encode(self.random_bytes(5)).decode().lower()


def build(model: type[M], data: Mapping[str, Any]) -> M:
    """Validate `data` into a domain object, turning pydantic's errors into field paths."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        issues = tuple(
            FieldIssue('.'.join(str(part) for part in err['loc']) or 'body', err['msg'].removeprefix('Value error, '))
            for err in exc.errors()
        )
        raise ValidationFailed('the request has invalid fields', fields=issues) from None


def all_records(store: DirectoryStore, kind: str, prefix: str = '') -> Iterator[Record]:
    """Every record of a kind (under a list-key prefix), page after page."""
    return _every_page(lambda cursor: store.list(kind, prefix, limit=500, cursor=cursor))


def all_by_lookup(store: DirectoryStore, lookup: str, prefix: str = '') -> Iterator[Record]:
    """Every record found by a second access path (``Record.lookup``, under a prefix), page after page."""
    return _every_page(lambda cursor: store.list_lookup(lookup, prefix, limit=500, cursor=cursor))


def _every_page(fetch: Callable[[str | None], Page]) -> Iterator[Record]:
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def roster_id(employee_id: str, month: str) -> str:
    return f'{employee_id}#{month}'


def require(store: DirectoryStore, kind: str, record_id: str) -> Record:
    record = store.get(kind, record_id)
    if record is None:
        raise NotFound(f'{kind} {record_id} does not exist')
    return record


def unknown_reference(field: str, kind: str, record_id: str) -> ValidationFailed:
    return ValidationFailed(f'unknown {kind} {record_id}', fields=(FieldIssue(field, f'no {kind} {record_id}'),))


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode='json', exclude={'version'})


def load(model: type[M], record: Record) -> M:
    return model.model_validate({**record.data, 'version': record.version})


def opd_record(opd: Opd) -> Record:
    return Record(KIND_OPD, opd.opd_id, dump(opd), opd.version, list_key=opd.opd_id)


def employee_record(employee: Employee) -> Record:
    return Record(
        KIND_EMPLOYEE,
        employee.employee_id,
        dump(employee),
        employee.version,
        list_key=f'{employee.opd_id}#{employee.employee_id}',
    )


def machine_record(machine: Machine) -> Record:
    lookup = (f'BRIDGE#{machine.bridge_id}', machine.serial) if machine.bridge_id else None
    return Record(
        KIND_MACHINE,
        machine.serial,
        dump(machine),
        machine.version,
        list_key=f'{machine.opd_id}#{machine.serial}',
        lookup=lookup,
    )


def pinmap_id(serial: str, pin: str, valid_from: str) -> str:
    return f'{serial}#{pin}#{valid_from}'


def pinmap_record(mapping: PinMapping, opd_id: str, version: int = 0) -> Record:
    frm = mapping.valid_from.isoformat()
    return Record(
        KIND_PINMAP,
        pinmap_id(mapping.serial, mapping.pin, frm),
        {**mapping.model_dump(mode='json'), 'opd_id': opd_id},
        version,
        list_key=f'{opd_id}#{mapping.serial}#{mapping.pin}#{frm}',
        lookup=(f'MACHINE#{mapping.serial}', f'{mapping.pin}#{frm}'),
    )


def load_pinmap(record: Record) -> PinMapping:
    return PinMapping.model_validate({k: v for k, v in record.data.items() if k != 'opd_id'})


def bridge_record(bridge: Bridge) -> Record:
    return Record(
        KIND_BRIDGE, bridge.bridge_id, dump(bridge), bridge.version, list_key=f'{bridge.opd_id}#{bridge.bridge_id}'
    )


def holiday_record(holiday: Holiday) -> Record:
    key = f'{holiday.day.isoformat()}#{holiday.kind}'
    return Record(KIND_HOLIDAY, key, holiday.model_dump(mode='json'), 0, list_key=key)


def unique_record(scope: str, value: str, owner: str) -> Record:
    return Record(KIND_UNIQUE, f'{scope}#{value}', {'owner': owner})
