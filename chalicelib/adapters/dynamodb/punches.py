"""The punch ledger on DynamoDB: conditional puts make every punch land exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.adapters.dynamodb.items import PunchItem
from chalicelib.domain.models import Punch, PunchSource
from chalicelib.ports import PunchWriteResult, WaitingPunch


def _utc_key(at: datetime) -> str:
    return at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def _opd_date(opd_id: str, local_date: date) -> str:
    return f'{opd_id}#{local_date.isoformat()}'


def _unmapped_key(punch: Punch) -> str:
    return f'{punch.machine_pin}#{punch.local_date.isoformat()}#{punch.punch_id}'


def _to_item(punch: Punch) -> PunchItem:
    # A machine punch without an employee is in the sparse `unmapped` index until a mapping attaches it: the
    # same single write as any punch, no second item.
    waiting = punch.employee_id is None and punch.source is PunchSource.MACHINE and punch.machine_serial is not None
    return PunchItem(
        punch_id=punch.punch_id,
        source=punch.source.value,
        employee_id=punch.employee_id,
        opd_id=punch.opd_id,
        opd_date=_opd_date(punch.opd_id, punch.local_date) if punch.opd_id else None,
        at_utc=punch.at_utc,
        at_utc_key=_utc_key(punch.at_utc),
        local_date=punch.local_date.isoformat(),
        zone=punch.zone,
        machine_serial=punch.machine_serial,
        machine_pin=punch.machine_pin,
        raw=punch.raw,
        received_at=punch.received_at,
        unmapped_serial=punch.machine_serial if waiting else None,
        unmapped_key=_unmapped_key(punch) if waiting else None,
    )


def _from_item(item: PunchItem) -> Punch:
    return Punch(
        punch_id=item.punch_id,
        source=PunchSource(item.source),
        employee_id=item.employee_id,
        opd_id=item.opd_id,
        at_utc=item.at_utc,
        local_date=date.fromisoformat(item.local_date),
        zone=item.zone,
        machine_serial=item.machine_serial,
        machine_pin=item.machine_pin,
        raw=item.raw,
        received_at=item.received_at,
    )


class DynamoPunchLedger:
    def record(self, punches: Sequence[Punch]) -> PunchWriteResult:
        """Write the punches whose ids are not in the ledger yet.

        One punch (a phone check-in) is a conditional put, safe against any race. A batch (a machine
        upload) checks the ids with BatchGetItem and writes the new ones with BatchWriteItem, 25 to a
        request instead of one: a concurrent writer of the same id can only write the same immutable
        item again, so the ledger still holds each punch once.
        """
        result = PunchWriteResult()
        if len(punches) == 1:
            self._record_one(punches[0], result)
            return result
        unique: dict[str, Punch] = {}
        for punch in punches:
            if punch.punch_id in unique:
                result.duplicate.append(punch.punch_id)
            else:
                unique[punch.punch_id] = punch
        existing = {i.punch_id for i in PunchItem.batch_get(list(unique), attributes_to_get=['punch_id'])}
        with PunchItem.batch_write() as batch:
            for punch_id, punch in unique.items():
                if punch_id in existing:
                    result.duplicate.append(punch_id)
                else:
                    batch.save(_to_item(punch))
                    result.accepted.append(punch_id)
        return result

    def _record_one(self, punch: Punch, result: PunchWriteResult) -> None:
        try:
            _to_item(punch).save(condition=PunchItem.punch_id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != 'ConditionalCheckFailedException':
                raise
            result.duplicate.append(punch.punch_id)
        else:
            result.accepted.append(punch.punch_id)

    def assign(self, punch_id: str, employee_id: str, opd_id: str) -> bool:
        """Attach an unmapped machine punch to the employee its PIN mapping now names. Only the derived
        owner fields change, and only while unset: the evidence (serial, PIN, time, raw line) never does."""
        try:
            item = PunchItem.get(punch_id, consistent_read=True)
            item.update(
                actions=[
                    PunchItem.employee_id.set(employee_id),
                    PunchItem.opd_id.set(opd_id),
                    PunchItem.opd_date.set(f'{opd_id}#{item.local_date}'),
                    PunchItem.unmapped_serial.remove(),
                    PunchItem.unmapped_key.remove(),
                ],
                condition=PunchItem.employee_id.does_not_exist(),
            )
        except PunchItem.DoesNotExist:
            return False
        except UpdateError as exc:
            if exc.cause_response_code != 'ConditionalCheckFailedException':
                raise
            return False
        return True

    def for_employee(self, employee_id: str, start: datetime, end: datetime) -> list[Punch]:
        condition = PunchItem.at_utc_key.between(_utc_key(start), _utc_key(end))
        found = (_from_item(i) for i in PunchItem.by_employee.query(employee_id, condition))
        return [p for p in found if start <= p.at_utc < end]

    def for_opd_date(self, opd_id: str, local_date: date) -> list[Punch]:
        return [_from_item(i) for i in PunchItem.by_opd_date.query(_opd_date(opd_id, local_date))]

    def unmapped(self, serial: str) -> list[WaitingPunch]:
        waiting = []
        for item in PunchItem.unmapped.query(serial):
            pin, day, punch_id = (item.unmapped_key or '').split('#', 2)
            waiting.append(WaitingPunch(punch_id, serial, pin, date.fromisoformat(day)))
        return waiting
