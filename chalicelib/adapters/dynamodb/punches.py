"""The punch ledger on DynamoDB: every punch lands exactly once (a conditional put, or a batch that writes only the
ids not stored yet)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.adapters.dynamodb.base import connection
from chalicelib.adapters.dynamodb.items import PunchItem
from chalicelib.domain.models import Punch, PunchSource
from chalicelib.ports import PunchWriteResult, WaitingPunch

MAX_GET_KEYS = 100  # BatchGetItem's limit per request
MAX_WRITE_ITEMS = 25  # BatchWriteItem's
MAX_IDLE_ROUNDS = 8  # requests in a row that DynamoDB left wholly unprocessed before the batch is given up
BACKOFF_FIRST_SECONDS = 0.05
BACKOFF_MAX_SECONDS = 2.0

RawItem = dict[str, dict[str, str]]


def _utc_key(at: datetime) -> str:
    # The same text as strftime('%Y-%m-%dT%H:%M:%S.%fZ') for years 1000-9999, at a fraction of its cost.
    return at.isoformat(timespec='microseconds')[:26] + 'Z'


def _utc_text(at: datetime) -> str:
    """The stored form of a UTCDateTimeAttribute (pynamodb's serialize), without its strftime."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec='microseconds')[:26] + '+0000'


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


def _raw_item(punch: Punch, utc_texts: dict[datetime, str]) -> RawItem:
    """The item ``_to_item(punch)`` stores, as DynamoDB's attribute map, built without a pynamodb model (a
    machine upload writes thousands). ``utc_texts``: formatted instants shared by the batch (one upload time)."""
    received_at = utc_texts.get(punch.received_at)
    if received_at is None:
        received_at = utc_texts[punch.received_at] = _utc_text(punch.received_at)
    at_key = _utc_key(punch.at_utc)
    local_date = punch.local_date.isoformat()
    item: RawItem = {
        'punch_id': {'S': punch.punch_id},
        'source': {'S': punch.source.value},
        'at_utc': {'S': at_key[:26] + '+0000' if punch.at_utc.tzinfo is UTC else _utc_text(punch.at_utc)},
        'at_utc_key': {'S': at_key},
        'local_date': {'S': local_date},
        'zone': {'S': punch.zone},
        'received_at': {'S': received_at},
    }
    if punch.employee_id is not None:
        item['employee_id'] = {'S': punch.employee_id}
    if punch.opd_id is not None:
        item['opd_id'] = {'S': punch.opd_id}
        item['opd_date'] = {'S': f'{punch.opd_id}#{local_date}'}
    if punch.machine_serial is not None:
        item['machine_serial'] = {'S': punch.machine_serial}
        if punch.employee_id is None and punch.source is PunchSource.MACHINE:
            item['unmapped_serial'] = {'S': punch.machine_serial}
            item['unmapped_key'] = {'S': f'{punch.machine_pin}#{local_date}#{punch.punch_id}'}
    if punch.machine_pin is not None:
        item['machine_pin'] = {'S': punch.machine_pin}
    if punch.raw is not None:
        item['raw'] = {'S': punch.raw}
    return item


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
    def __init__(self, client: Any | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client  # the low-level DynamoDB client; pynamodb's own one unless given (tests)
        self._sleep = sleep

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = connection().client
        return self._client

    def record(self, punches: Sequence[Punch]) -> PunchWriteResult:
        """Write the punches whose ids are not in the ledger yet.

        One punch (a phone check-in) is a conditional put, safe against any race. A batch (a machine
        upload) reads which ids exist with strongly consistent BatchGetItem and writes only the new ones with
        BatchWriteItem, 25 to a request: a stored punch is never put again, so its ``received_at`` and an
        employee a later mapping gave it stay. A concurrent writer of the same id can only write the same
        punch, so the ledger still holds each punch once. Requests go through the low-level client with the
        items built once (no pynamodb model per punch); keys and items DynamoDB leaves unprocessed are sent
        again after a growing pause.
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
        existing = self._existing(list(unique))
        for punch_id in unique:
            (result.duplicate if punch_id in existing else result.accepted).append(punch_id)
        utc_texts: dict[datetime, str] = {}
        # Built as they are sent: a few requests' items alive at a time, not a whole upload's for the collector to walk
        self._put_all(_raw_item(unique[punch_id], utc_texts) for punch_id in result.accepted)
        return result

    def _existing(self, punch_ids: list[str]) -> set[str]:
        table = PunchItem.Meta.table_name
        found: set[str] = set()
        for start in range(0, len(punch_ids), MAX_GET_KEYS):
            keys = [{'punch_id': {'S': punch_id}} for punch_id in punch_ids[start : start + MAX_GET_KEYS]]
            request: dict[str, Any] = {
                table: {'Keys': keys, 'ProjectionExpression': 'punch_id', 'ConsistentRead': True}
            }
            idle = 0
            while request:
                answer = self.client.batch_get_item(RequestItems=request)
                found.update(item['punch_id']['S'] for item in answer.get('Responses', {}).get(table, ()))
                left = answer.get('UnprocessedKeys') or {}
                idle = idle + 1 if left and len(left[table]['Keys']) == len(request[table]['Keys']) else 0
                if left:
                    self._pause(idle)
                request = left
        return found

    def _put_all(self, items: Iterator[RawItem]) -> None:
        table = PunchItem.Meta.table_name
        pending: deque[dict[str, Any]] = deque()
        idle = 0
        while True:
            pending.extend({'PutRequest': {'Item': item}} for item in islice(items, MAX_WRITE_ITEMS - len(pending)))
            if not pending:
                return
            sent = [pending.popleft() for _ in range(min(MAX_WRITE_ITEMS, len(pending)))]
            answer = self.client.batch_write_item(RequestItems={table: sent})
            left = (answer.get('UnprocessedItems') or {}).get(table, [])
            if left:
                pending.extendleft(reversed(left))  # first again, so a throttled batch keeps its order
                idle = idle + 1 if len(left) == len(sent) else 0
                self._pause(idle)

    def _pause(self, idle: int) -> None:
        """Back off before re-sending what DynamoDB left unprocessed (it throttles a hot table so); give up, with
        nothing recorded as done, after MAX_IDLE_ROUNDS requests in a row that made no progress."""
        if idle >= MAX_IDLE_ROUNDS:
            raise RuntimeError('DynamoDB left the same punches unprocessed after several tries')
        self._sleep(min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2**idle))

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
