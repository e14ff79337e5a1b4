"""DirectoryStore and AuditLog on DynamoDB: master data and its audit entry commit in one transaction."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb.base import connection
from chalicelib.adapters.dynamodb.cursors import decode_cursor, encode_cursor
from chalicelib.adapters.dynamodb.items import AuditItem, DirectoryItem
from chalicelib.domain.audit_chain import GENESIS_HASH, entry_hash
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.models import AuditEntry
from chalicelib.ports import AuditDraft, AuditPage, Clock, Create, Page, Record, Replace, Write

AUDIT_CHAIN = 'CHAIN'
MAX_AUDIT_RACE_RETRIES = 8
_TYPE_KEYS = frozenset({'pk', 'sk', 'type_pk', 'type_sk'})
_LOOKUP_KEYS = frozenset({'pk', 'sk', 'lookup_pk', 'lookup_sk'})
_AUDIT_KEYS = frozenset({'chain', 'seq'})
_AUDIT_OPD_KEYS = frozenset({'chain', 'seq', 'opd_id'})


def _pk(kind: str, record_id: str) -> str:
    return f'{kind.upper()}#{record_id}'


def _to_item(record: Record, version: int) -> DirectoryItem:
    item = DirectoryItem(
        pk=_pk(record.kind, record.id),
        sk=record.kind,
        kind=record.kind,
        version=version,
        data=record.data,
    )
    if record.list_key is not None:
        item.type_pk, item.type_sk = record.kind, record.list_key
    if record.lookup is not None:
        item.lookup_pk, item.lookup_sk = record.lookup
    if record.expires_at is not None:
        item.expires = record.expires_at
    return item


def _from_item(item: DirectoryItem) -> Record:
    lookup = (item.lookup_pk, item.lookup_sk) if item.lookup_pk and item.lookup_sk else None
    record_id = item.pk.split('#', 1)[1]
    return Record(item.kind, record_id, _plain(item.data), int(item.version), item.type_sk, lookup)


def _plain(value: Any) -> Any:
    """pynamodb hands back MapAttribute/Decimal shapes; domain code wants plain JSON values."""
    if hasattr(value, 'as_dict'):
        value = value.as_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _audit_from_item(item: AuditItem) -> AuditEntry:
    return AuditEntry(
        seq=int(item.seq),
        at=datetime.fromisoformat(item.at),
        actor_key_id=item.actor_key_id,
        action=item.action,
        target=item.target,
        opd_id=item.opd_id,
        before=item.before,
        after=item.after,
        prev_hash=item.prev_hash,
        hash=item.hash,
    )


class DynamoDirectoryStore:
    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or (lambda: datetime.now(UTC))

    def get(self, kind: str, record_id: str) -> Record | None:
        try:
            return _from_item(DirectoryItem.get(_pk(kind, record_id), kind, consistent_read=True))
        except DirectoryItem.DoesNotExist:
            return None

    def get_many(self, kind: str, record_ids: Sequence[str]) -> dict[str, Record]:
        keys = [(_pk(kind, rid), kind) for rid in dict.fromkeys(record_ids)]
        return {r.id: r for r in map(_from_item, DirectoryItem.batch_get(keys))}

    def list(self, kind: str, prefix: str = '', *, limit: int, cursor: str | None = None) -> Page:
        condition = DirectoryItem.type_sk.startswith(prefix) if prefix else None
        results = DirectoryItem.by_type.query(
            kind, condition, limit=limit, last_evaluated_key=decode_cursor(cursor, _TYPE_KEYS)
        )
        items = [_from_item(i) for i in results]
        return Page(items, encode_cursor(results.last_evaluated_key) if len(items) == limit else None)

    def list_lookup(self, lookup_key: str, prefix: str = '', *, limit: int, cursor: str | None = None) -> Page:
        condition = DirectoryItem.lookup_sk.startswith(prefix) if prefix else None
        results = DirectoryItem.lookup.query(
            lookup_key, condition, limit=limit, last_evaluated_key=decode_cursor(cursor, _LOOKUP_KEYS)
        )
        items = [_from_item(i) for i in results]
        return Page(items, encode_cursor(results.last_evaluated_key) if len(items) == limit else None)

    def put_many(self, records: Sequence[Record]) -> None:
        with DirectoryItem.batch_write() as batch:
            for record in records:
                batch.save(_to_item(record, record.version))

    def set_field(self, kind: str, record_id: str, field: str, value: object) -> None:
        item = DirectoryItem(_pk(kind, record_id), kind)
        field_path: Any = DirectoryItem.data[field]
        try:
            item.update(actions=[field_path.set(value)], condition=DirectoryItem.pk.exists())
        except UpdateError as exc:
            if exc.cause_response_code != 'ConditionalCheckFailedException':
                raise
            raise NotFound(f'{kind} {record_id} does not exist') from exc

    def commit(self, writes: Sequence[Write], audit: AuditDraft | None) -> AuditEntry | None:
        if audit is None and len(writes) == 1:
            self._write_one(writes[0])
            return None
        for _ in range(MAX_AUDIT_RACE_RETRIES):
            entry = self._next_entry(audit) if audit else None
            try:
                self._transact(writes, entry)
            except TransactWriteError as exc:
                reasons = exc.cancellation_reasons or []
                failed = [i for i, r in enumerate(reasons) if r is not None and r.code == 'ConditionalCheckFailed']
                if failed and failed[0] < len(writes):
                    raise Conflict(_conflict_message(writes[failed[0]])) from exc
                if entry is not None and failed == [len(writes)]:
                    continue  # another writer took this audit sequence number: re-read the head and retry
                raise
            return entry
        raise Conflict('too many concurrent changes; try again')

    def _transact(self, writes: Sequence[Write], entry: AuditEntry | None) -> None:
        with TransactWrite(connection=connection()) as tx:
            for write in writes:
                item, condition = _conditional(write)
                if isinstance(write, Create | Replace):
                    tx.save(item, condition=condition)
                else:
                    tx.delete(item, condition=condition)
            if entry is not None:
                tx.save(_audit_item(entry), condition=AuditItem.seq.does_not_exist())

    def _write_one(self, write: Write) -> None:
        """A lone write without an audit entry needs no transaction: one conditional request, at half the
        capacity (an upload's record, a heartbeat, a marker)."""
        item, condition = _conditional(write)
        try:
            if isinstance(write, Create | Replace):
                item.save(condition=condition)
            else:
                item.delete(condition=condition)
        except (PutError, DeleteError) as exc:
            if exc.cause_response_code != 'ConditionalCheckFailedException':
                raise
            raise Conflict(_conflict_message(write)) from exc

    def _next_entry(self, draft: AuditDraft) -> AuditEntry:
        head = next(iter(AuditItem.query(AUDIT_CHAIN, scan_index_forward=False, limit=1, consistent_read=True)), None)
        seq = int(head.seq) + 1 if head else 1
        prev_hash = head.hash if head else GENESIS_HASH
        at = self._clock()
        before = dict(draft.before) if draft.before is not None else None
        after = dict(draft.after) if draft.after is not None else None
        fields: dict[str, Any] = {
            'seq': seq,
            'at': at,
            'actor_key_id': draft.actor_key_id,
            'action': draft.action,
            'target': draft.target,
            'opd_id': draft.opd_id,
            'before': before,
            'after': after,
            'prev_hash': prev_hash,
        }
        return AuditEntry(**fields, hash=entry_hash(**fields))


def _conditional(write: Write) -> tuple[DirectoryItem, Condition]:
    """The item a write puts (or the key it deletes) and the condition that makes it safe."""
    if isinstance(write, Create):
        return _to_item(write.record, 0), DirectoryItem.pk.does_not_exist()
    if isinstance(write, Replace):
        return _to_item(write.record, write.record.version + 1), DirectoryItem.version == write.record.version
    condition = (
        DirectoryItem.version == write.expected_version
        if write.expected_version is not None
        else DirectoryItem.pk.exists()
    )
    return DirectoryItem(_pk(write.kind, write.id), write.kind), condition


def _conflict_message(write: Write) -> str:
    if isinstance(write, Create | Replace):
        return write.conflict
    return f'{write.kind} {write.id} was changed or removed by someone else'


def _audit_item(entry: AuditEntry) -> AuditItem:
    return AuditItem(
        chain=AUDIT_CHAIN,
        seq=entry.seq,
        at=entry.at.isoformat(),
        actor_key_id=entry.actor_key_id,
        action=entry.action,
        target=entry.target,
        opd_id=entry.opd_id,
        before=entry.before,
        after=entry.after,
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )


class DynamoAuditLog:
    def put_entries(self, entries: Sequence[AuditEntry]) -> None:
        """Land entries already chained elsewhere (the demo seed's staging) in one batch write."""
        with AuditItem.batch_write() as batch:
            for entry in entries:
                batch.save(_audit_item(entry))

    def entries(self, *, opd_id: str | None, limit: int, cursor: str | None) -> AuditPage:
        if opd_id is None:
            results = AuditItem.query(
                AUDIT_CHAIN,
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=decode_cursor(cursor, _AUDIT_KEYS),
            )
        else:
            results = AuditItem.by_opd.query(
                opd_id, scan_index_forward=False, limit=limit, last_evaluated_key=decode_cursor(cursor, _AUDIT_OPD_KEYS)
            )
        items = [_audit_from_item(i) for i in results]
        return AuditPage(items, encode_cursor(results.last_evaluated_key) if len(items) == limit else None)

    def walk(self, from_seq: int = 1) -> Iterator[AuditEntry]:
        condition = AuditItem.seq >= from_seq if from_seq > 1 else None
        for item in AuditItem.query(AUDIT_CHAIN, condition, scan_index_forward=True, consistent_read=True):
            yield _audit_from_item(item)
