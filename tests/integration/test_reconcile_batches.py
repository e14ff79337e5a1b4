"""Reconcile's batch path to the ledger (low-level BatchGetItem / BatchWriteItem, items built once): a stored punch
is never put again, throttled requests are sent again until done, and the items are the ones pynamodb stored."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib import resource_names as names
from chalicelib.adapters.dynamodb import punches as ledger_module
from chalicelib.adapters.dynamodb.base import connection
from chalicelib.adapters.dynamodb.items import PunchItem
from chalicelib.adapters.dynamodb.punches import MAX_IDLE_ROUNDS, DynamoPunchLedger, _raw_item, _to_item
from chalicelib.domain.models import Punch, PunchSource
from chalicelib.domain.punch_keys import local_to_utc, machine_punch_id
from chalicelib.domain.upload_keys import upload_key
from chalicelib.services.ingest import reconcile as reconcile_with
from chalicelib.settings import get_settings
from chalicelib.wiring import get_deps, get_uploads
from tests.integration.builders import phone_punch
from tests.integration.test_ingest import SERIAL, Site, batch, punch, reconcile, site, upload
from tests.support import Harness

__all__ = ['site']  # the fixture, shared with test_ingest

ZONE = 'Asia/Makassar'
FIRST_SEEN = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def machine_punch(pin: str, local: datetime, employee_id: str | None, received_at: datetime = FIRST_SEEN) -> Punch:
    at_utc, local_date = local_to_utc(local, ZONE)
    raw = f'{pin}\t{local:%Y-%m-%d %H:%M:%S}\t0\t1\t0'
    return Punch(punch_id=machine_punch_id(SERIAL, pin, local), source=PunchSource.MACHINE, employee_id=employee_id,
                 opd_id='DINKES', at_utc=at_utc, local_date=local_date, zone=ZONE, machine_serial=SERIAL,
                 machine_pin=pin, raw=raw, received_at=received_at)  # fmt: skip


def day_of_punches(count: int, received_at: datetime = FIRST_SEEN) -> list[Punch]:
    start = datetime(2026, 11, 20, 7, 0)
    return [machine_punch(str(1 + n % 9), start + timedelta(seconds=n), 'emp-1', received_at) for n in range(count)]


def stored_items() -> dict[str, dict[str, Any]]:
    """Every ledger item as DynamoDB holds it (the attribute maps, not pynamodb's reading of them)."""
    client = connection().client
    return {
        i['punch_id']['S']: i for i in client.scan(TableName=PunchItem.Meta.table_name, ConsistentRead=True)['Items']
    }


class CountingClient:
    """The real (moto) client, counting the ledger's requests by operation."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def batch_get_item(self, **params: Any) -> Any:
        self.calls['BatchGetItem'] += 1
        return self.inner.batch_get_item(**params)

    def batch_write_item(self, **params: Any) -> Any:
        self.calls['BatchWriteItem'] += 1
        return self.inner.batch_write_item(**params)


class ThrottledOnce(CountingClient):
    """As DynamoDB under load: the first BatchGetItem answers for half its keys, or the first BatchWriteItem
    writes 10 of its items, handing the rest back unprocessed; later requests are served whole."""

    def __init__(self, inner: Any, operation: str) -> None:
        super().__init__(inner)
        self.operation = operation

    def batch_get_item(self, **params: Any) -> Any:
        if self.operation != 'BatchGetItem' or self.calls['BatchGetItem']:
            return super().batch_get_item(**params)
        self.calls['BatchGetItem'] += 1
        [(table, spec)] = params['RequestItems'].items()
        half = len(spec['Keys']) // 2
        answer = self.inner.batch_get_item(RequestItems={table: {**spec, 'Keys': spec['Keys'][:half]}})
        return {'Responses': answer['Responses'], 'UnprocessedKeys': {table: {**spec, 'Keys': spec['Keys'][half:]}}}

    def batch_write_item(self, **params: Any) -> Any:
        if self.operation != 'BatchWriteItem' or self.calls['BatchWriteItem']:
            return super().batch_write_item(**params)
        self.calls['BatchWriteItem'] += 1
        [(table, requests)] = params['RequestItems'].items()
        self.inner.batch_write_item(RequestItems={table: requests[:10]})
        return {'UnprocessedItems': {table: requests[10:]}}


class AlwaysThrottled(CountingClient):
    """A table so throttled that every write comes back wholly unprocessed."""

    def batch_write_item(self, **params: Any) -> Any:
        self.calls['BatchWriteItem'] += 1
        return {'UnprocessedItems': params['RequestItems']}


def test_batch_items_are_the_items_pynamodb_stores(aws: None) -> None:
    # Given punches of every shape: mapped and unmapped machine punches, a phone punch, an empty raw line
    day = datetime(2026, 11, 20, 7, 41, 10)
    punches = [
        machine_punch('7', day, 'emp-1'),
        machine_punch('99', day, None),
        phone_punch('emp-1', 'DINKES', date(2026, 11, 20), '07:45', ZONE),
        machine_punch('8', day, 'emp-2').model_copy(update={'raw': '', 'received_at': datetime(2026, 11, 20, 9)}),
        machine_punch('9', day, None).model_copy(update={'opd_id': None}),
    ]
    # When each is built for a batch; Then it is attribute for attribute what the pynamodb model serialises
    for one in punches:
        assert _raw_item(one, {}) == _to_item(one).serialize(), one.punch_id


def test_throttled_writes_are_sent_again_until_every_punch_is_stored(aws: None) -> None:
    # Given a client whose first BatchWriteItem writes only 10 of its 25 items
    client, pauses = ThrottledOnce(connection().client, 'BatchWriteItem'), []
    ledger = DynamoPunchLedger(client=client, sleep=pauses.append)
    punches = day_of_punches(60)
    # When 60 new punches are recorded
    result = ledger.record(punches)
    # Then all 60 are stored, once each, after one pause; the 15 left over went first in the next request
    assert sorted(result.accepted) == sorted(p.punch_id for p in punches) and result.duplicate == []
    assert set(stored_items()) == {p.punch_id for p in punches}
    assert pauses == [ledger_module.BACKOFF_FIRST_SECONDS]
    assert client.calls['BatchWriteItem'] == 3  # 25 (10 written), then 25 and 25


def test_throttled_reads_are_asked_again_and_stored_punches_are_left_as_they_are(aws: None) -> None:
    # Given every other punch of a day already in the ledger, received an hour earlier than this upload
    earlier = day_of_punches(40)
    DynamoPunchLedger().record(earlier[::2])
    before = stored_items()
    # When the whole day is recorded through a client whose first BatchGetItem answers for half its keys
    client, pauses = ThrottledOnce(connection().client, 'BatchGetItem'), []
    again = day_of_punches(40, received_at=FIRST_SEEN + timedelta(hours=1))
    result = DynamoPunchLedger(client=client, sleep=pauses.append).record(again)
    # Then the stored half counts as duplicates and keeps its items (received_at included); the rest is added
    assert sorted(result.duplicate) == sorted(p.punch_id for p in earlier[::2])
    assert sorted(result.accepted) == sorted(p.punch_id for p in earlier[1::2])
    after = stored_items()
    assert {k: after[k] for k in before} == before
    assert {after[p.punch_id]['received_at']['S'] for p in earlier[1::2]} == {'2026-11-20T02:00:00.000000+0000'}
    assert client.calls['BatchGetItem'] == 2 and pauses == [ledger_module.BACKOFF_FIRST_SECONDS]


def test_a_table_that_never_takes_the_writes_fails_the_run_and_the_next_run_ingests_the_file(
    hx: Harness, site: Site
) -> None:
    # Given an upload of two punches, and a ledger whose table throttles every write
    upload(hx, site.bridge_token, [json.dumps(punch('7', '2026-11-20 07:41:10')),
                                   json.dumps(punch('7', '2026-11-20 16:05:00'))])  # fmt: skip
    pauses: list[float] = []
    throttled = DynamoPunchLedger(client=AlwaysThrottled(connection().client), sleep=pauses.append)
    deps = dataclasses.replace(get_deps(), ledger=throttled)
    # When reconcile runs; Then it gives up after backing off, growing to the cap, and records no upload as done
    with pytest.raises(RuntimeError, match='unprocessed'):
        reconcile_with(deps, get_uploads(), get_settings())
    assert len(pauses) == MAX_IDLE_ROUNDS - 1 and pauses == sorted(pauses)
    assert max(pauses) == ledger_module.BACKOFF_MAX_SECONDS
    assert hx.call('GET', '/v1/uploads', hx.super_key).body['items'] == []
    # And the next run, with the table healthy again, ingests the file: nothing is lost
    counts = reconcile()
    assert (counts['uploads'], counts['accepted']) == (1, 2)
    assert len(stored_items()) == 2


def test_the_same_file_uploaded_again_writes_nothing_and_keeps_received_at(hx: Harness, site: Site) -> None:
    # Given a file of three punches reconciled once
    lines = [json.dumps(punch('7', f'2026-11-20 {hhmm}:00')) for hhmm in ('07:41', '12:01', '16:05')]
    target = upload(hx, site.bridge_token, lines)
    assert reconcile()['accepted'] == 3
    first = stored_items()
    # When the bridge sends the very same file again under a new URL (a lost answer) and reconcile runs
    body, batch_id, _ = batch(lines)
    issued = datetime.strptime(target['key'].rsplit('/', 1)[1][:16], '%Y%m%dT%H%M%SZ').replace(tzinfo=UTC)
    key = upload_key(f'{names.UPLOADS_PREFIX_BRIDGES}BRG-A/', batch_id, issued + timedelta(minutes=1))
    boto3.client('s3', region_name='ap-southeast-3').put_object(
        Bucket=get_settings().bucket(names.BUCKET_UPLOADS), Key=key, Body=body
    )
    client = CountingClient(connection().client)
    deps = dataclasses.replace(get_deps(), ledger=DynamoPunchLedger(client=client))
    counts = reconcile_with(deps, get_uploads(), get_settings())
    # Then the three count as duplicates, the ledger is not written to, and every item is as it was
    assert (counts['uploads'], counts['accepted'], counts['duplicate']) == (1, 0, 3)
    assert client.calls == Counter({'BatchGetItem': 1})
    assert stored_items() == first


def test_a_punch_mapped_later_keeps_its_employee_when_its_file_comes_again(hx: Harness, site: Site) -> None:
    from tests.integration.builders import employee_body

    # Given a punch of PIN 99 that waited unmapped, then was attached once PIN 99 was mapped
    lines = [json.dumps(punch('99', '2026-11-20 07:45:00')), json.dumps(punch('7', '2026-11-20 07:41:10'))]
    target = upload(hx, site.bridge_token, lines)
    assert reconcile()['unmapped'] == 1
    newcomer = hx.call('POST', '/v1/employees', hx.super_key, employee_body('DINKES', 2)).body
    mapping = {'pin': '99', 'employee_id': newcomer['employee_id'], 'valid_from': '2026-11-01'}
    assert hx.call('POST', f'/v1/machines/{SERIAL}/pins', hx.super_key, mapping).status == 201
    assert reconcile()['mapped_later'] == 1
    attached = stored_items()
    # When the mapping is deleted as made in error and the bridge sends the file again under a new URL
    assert hx.call('DELETE', f'/v1/machines/{SERIAL}/pins/99/2026-11-01', hx.super_key).status == 200
    body, batch_id, _ = batch(lines)
    issued = datetime.strptime(target['key'].rsplit('/', 1)[1][:16], '%Y%m%dT%H%M%SZ').replace(tzinfo=UTC)
    key = upload_key(f'{names.UPLOADS_PREFIX_BRIDGES}BRG-A/', batch_id, issued + timedelta(minutes=1))
    boto3.client('s3', region_name='ap-southeast-3').put_object(
        Bucket=get_settings().bucket(names.BUCKET_UPLOADS), Key=key, Body=body
    )
    counts = reconcile()
    # Then both are duplicates: the punch keeps its employee and its first arrival, and does not wait again
    assert (counts['accepted'], counts['unmapped'], counts['duplicate']) == (0, 0, 2)
    punch_id = f'M#{SERIAL}#99#2026-11-20T07:45:00'
    assert stored_items()[punch_id] == attached[punch_id]
    assert attached[punch_id]['employee_id']['S'] == newcomer['employee_id']
    assert get_deps().ledger.unmapped(SERIAL) == []


def test_reconciled_items_are_the_ones_the_validated_punch_gives(hx: Harness, site: Site) -> None:
    # Given a plain line and one whose PIN and raw line carry surrounding whitespace (validation strips them)
    odd = {**punch(' 7', '2026-11-20 16:05:00'), 'raw': ' 7\t2026-11-20 16:05:00\t0\t1\t0\t'}
    upload(hx, site.bridge_token, [json.dumps(punch('7', '2026-11-20 07:41:10')), json.dumps(odd)])
    # When reconcile runs
    counts = reconcile()
    # Then each stored item is exactly what the fully validated punch would store
    assert counts['accepted'] + counts['unmapped'] == 2
    items = stored_items()
    received_at = PunchItem.get(f'M#{SERIAL}#7#2026-11-20T07:41:10').received_at
    for pin, local, raw, employee in (
        ('7', datetime(2026, 11, 20, 7, 41, 10), '7\t2026-11-20 07:41:10\t0\t1\t0', site.employee_id),
        (' 7', datetime(2026, 11, 20, 16, 5), odd['raw'], None),
    ):
        at_utc, local_date = local_to_utc(local, 'Asia/Makassar')
        validated = Punch(punch_id=machine_punch_id(SERIAL, pin, local), source=PunchSource.MACHINE,
                          employee_id=employee, opd_id='DINKES', at_utc=at_utc, local_date=local_date, zone=ZONE,
                          machine_serial=SERIAL, machine_pin=pin, raw=raw, received_at=received_at)  # fmt: skip
        assert items[validated.punch_id] == _to_item(validated).serialize()
    assert items[f'M#{SERIAL}# 7#2026-11-20T16:05:00']['machine_pin'] == {'S': '7'}
