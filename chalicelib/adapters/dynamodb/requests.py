"""RequestStore on DynamoDB: a phone request's reads in one BatchGetItem (directory and claims tables) and its
writes in one TransactWriteItems (directory, punches, claims), every condition kept (docs/data-model.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb.base import connection
from chalicelib.adapters.dynamodb.directory import _from_item, _pk, _to_item
from chalicelib.adapters.dynamodb.items import DirectoryItem, IdempotencyItem, PunchItem
from chalicelib.adapters.dynamodb.punches import _to_item as _punch_item
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.ports import Claim, ClaimTaken, Create, Reads, Replace, Unit
from chalicelib.ports import Remove as RemoveWrite

MAX_BATCH_KEYS = 100  # BatchGetItem's limit per request
MAX_UNPROCESSED_ROUNDS = 8


class DynamoRequestStore:
    def read(self, records: Sequence[tuple[str, str]], claims: Sequence[str] = ()) -> Reads:
        record_keys = list(dict.fromkeys(records))
        claim_ids = list(dict.fromkeys(claims))
        if len(record_keys) + len(claim_ids) > MAX_BATCH_KEYS:
            raise ValueError(f'one batch read takes at most {MAX_BATCH_KEYS} keys')
        directory, claims_table = DirectoryItem.Meta.table_name, IdempotencyItem.Meta.table_name
        request: dict[str, Any] = {}
        if record_keys:
            keys = [{'pk': {'S': _pk(kind, rid)}, 'sk': {'S': kind}} for kind, rid in record_keys]
            request[directory] = {'Keys': keys, 'ConsistentRead': True}
        if claim_ids:
            request[claims_table] = {'Keys': [{'id': {'S': cid}} for cid in claim_ids], 'ConsistentRead': True}
        found: dict[str, list[dict[str, Any]]] = {directory: [], claims_table: []}
        for _ in range(MAX_UNPROCESSED_ROUNDS):
            if not request:
                break
            answer = connection().dispatch('BatchGetItem', {'RequestItems': request})
            for table, items in answer.get('Responses', {}).items():
                found[table].extend(items)
            request = answer.get('UnprocessedKeys') or {}
        else:
            raise RuntimeError('DynamoDB left keys unprocessed after several tries')
        read_records = {}
        for raw in found[directory]:
            record = _from_item(DirectoryItem.from_raw_data(raw))
            read_records[(record.kind, record.id)] = record
        read_claims = {}
        for raw in found[claims_table]:
            item = IdempotencyItem.from_raw_data(raw)
            read_claims[item.id] = Claim(item.id, item.expiration or datetime.max.replace(tzinfo=UTC), item.claim_data)
        return Reads(read_records, read_claims, frozenset(record_keys), frozenset(claim_ids))

    def commit(self, unit: Unit, now: datetime) -> None:
        if not (unit.writes or unit.records or unit.fields or unit.punches or unit.claims):
            return
        # TransactWrite sends deletes, then puts, then updates: the labels follow that order, so cancellation
        # reason i names the operation that failed.
        labels: list[tuple[str, Any]] = []
        try:
            with TransactWrite(connection=connection()) as tx:
                self._add(tx, unit, labels, now)
        except TransactWriteError as error:
            reasons = error.cancellation_reasons or []
            failed = [labels[i] for i, r in enumerate(reasons) if r is not None and r.code == 'ConditionalCheckFailed']
            _raise_for(failed, error)
            raise

    def _add(self, tx: TransactWrite, unit: Unit, labels: list[tuple[str, Any]], now: datetime) -> None:
        for write in unit.writes:
            if isinstance(write, RemoveWrite):
                condition = (
                    DirectoryItem.version == write.expected_version
                    if write.expected_version is not None
                    else DirectoryItem.pk.exists()
                )
                tx.delete(DirectoryItem(_pk(write.kind, write.id), write.kind), condition=condition)
                labels.append(('write', write))
        for write in unit.writes:
            if isinstance(write, Create):
                tx.save(_to_item(write.record, 0), condition=DirectoryItem.pk.does_not_exist())
                labels.append(('write', write))
            elif isinstance(write, Replace):
                tx.save(
                    _to_item(write.record, write.record.version + 1),
                    condition=DirectoryItem.version == write.record.version,
                )
                labels.append(('write', write))
        for record in unit.records:
            tx.save(_to_item(record, record.version))
            labels.append(('record', record))
        for punch in unit.punches:
            tx.save(_punch_item(punch), condition=PunchItem.punch_id.does_not_exist())
            labels.append(('punch', punch))
        for claim in unit.claims:
            item = IdempotencyItem(claim.id, expiration=claim.expires_at, claim_data=claim.data)
            # An expired claim that TTL has not removed yet is free again.
            tx.save(item, condition=IdempotencyItem.id.does_not_exist() | (IdempotencyItem.expiration < now))
            labels.append(('claim', claim))
        for change in unit.fields:
            field_path: Any = DirectoryItem.data[change.field]
            tx.update(
                DirectoryItem(_pk(change.kind, change.id), change.kind),
                actions=[field_path.set(change.value)],
                condition=DirectoryItem.pk.exists(),
            )
            labels.append(('field', change))


def _raise_for(failed: list[tuple[str, Any]], error: Exception) -> None:
    """The port's error for the first condition that failed; a taken claim first (a replay or a retry is told as
    such whatever else changed meanwhile)."""
    claims = [value for label, value in failed if label == 'claim']
    if claims:
        raise ClaimTaken(claims[0].id) from error
    if not failed:
        return
    label, value = failed[0]
    if label == 'write':
        raise Conflict(_conflict_message(value)) from error
    if label == 'punch':
        raise Conflict(f'punch {value.punch_id} is in the ledger already') from error
    if label == 'field':
        raise NotFound(f'{value.kind} {value.id} does not exist') from error


def _conflict_message(write: Create | Replace | RemoveWrite) -> str:
    if isinstance(write, Create | Replace):
        return write.conflict
    return f'{write.kind} {write.id} was changed or removed by someone else'
