"""The directory store and audit log in memory: the demo seed's staging area, and the tests' double of the
DynamoDB adapters (the contract suite runs against both, so they cannot drift).

Records are copied (and JSON-serialised) on the way in and out, so a caller cannot mutate stored state by
accident; versions are checked; a commit applies every write and its audit entry or none of them; the audit
chain is hashed with the domain's `entry_hash`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.audit_chain import GENESIS_HASH, entry_hash
from chalicelib.domain.errors import Conflict, MalformedRequest, NotFound
from chalicelib.domain.models import AuditEntry
from chalicelib.ports import AuditDraft, AuditPage, Clock, Create, Page, Record, Remove, Replace, Write

# DynamoDB refuses transactions with more items than this; the memory store refuses them too.
MAX_TRANSACTION_ITEMS = 100


def _json_copy(value: Any) -> Any:
    """What a round trip through DynamoDB gives back: plain JSON values, never the caller's objects."""
    return json.loads(json.dumps(value))


def _encode_cursor(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, sort_keys=True).encode()).decode().rstrip('=')


def _decode_cursor(cursor: str | None, expected: frozenset[str]) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + '=' * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise MalformedRequest('cursor is not one this API issued') from None
    if not isinstance(position, dict) or set(position) != expected:
        raise MalformedRequest('cursor is not one this API issued')
    return position


def _page(ordered: list[tuple[str, Record]], scope: str, limit: int, cursor: str | None) -> Page:
    if limit < 1:
        raise ValueError('limit must be at least 1')
    start = _decode_cursor(cursor, frozenset({'scope', 'after'}))
    if start is not None:
        if start['scope'] != scope:
            raise MalformedRequest('cursor is not one this API issued')
        ordered = [(key, r) for key, r in ordered if key > start['after']]
    items = ordered[:limit]
    more = len(ordered) > limit
    next_cursor = _encode_cursor({'scope': scope, 'after': items[-1][0]}) if more else None
    return Page([_copy(r) for _, r in items], next_cursor)


def _copy(record: Record) -> Record:
    return Record(record.kind, record.id, _json_copy(record.data), record.version, record.list_key, record.lookup)


class MemoryAuditLog:
    def __init__(self) -> None:
        self._entries: list[AuditEntry] = []

    def entries(self, *, opd_id: str | None, limit: int, cursor: str | None) -> AuditPage:
        if limit < 1:
            raise ValueError('limit must be at least 1')
        newest_first = [e for e in reversed(self._entries) if opd_id is None or e.opd_id == opd_id]
        start = _decode_cursor(cursor, frozenset({'seq'}))
        if start is not None:
            newest_first = [e for e in newest_first if e.seq < start['seq']]
        items = newest_first[:limit]
        more = len(newest_first) > limit
        return AuditPage(items, _encode_cursor({'seq': items[-1].seq}) if more else None)

    def walk(self, from_seq: int = 1) -> Iterator[AuditEntry]:
        yield from [e for e in self._entries if e.seq >= from_seq]

    def append(self, draft: AuditDraft, at: datetime) -> AuditEntry:
        head = self._entries[-1] if self._entries else None
        fields: dict[str, Any] = {
            'seq': head.seq + 1 if head else 1,
            'at': at,
            'actor_key_id': draft.actor_key_id,
            'action': draft.action,
            'target': draft.target,
            'opd_id': draft.opd_id,
            'before': _json_copy(dict(draft.before)) if draft.before is not None else None,
            'after': _json_copy(dict(draft.after)) if draft.after is not None else None,
            'prev_hash': head.hash if head else GENESIS_HASH,
        }
        entry = AuditEntry(**fields, hash=entry_hash(**fields))
        self._entries.append(entry)
        return entry


class MemoryDirectoryStore:
    def __init__(self, clock: Clock | None = None, audit_log: MemoryAuditLog | None = None) -> None:
        self._records: dict[tuple[str, str], Record] = {}
        self._clock = clock or (lambda: datetime.now(UTC))
        self.audit_log = audit_log or MemoryAuditLog()

    def get(self, kind: str, record_id: str) -> Record | None:
        record = self._records.get((kind, record_id))
        return _copy(record) if record else None

    def get_many(self, kind: str, record_ids: Sequence[str]) -> dict[str, Record]:
        found = (self._records.get((kind, rid)) for rid in dict.fromkeys(record_ids))
        return {r.id: _copy(r) for r in found if r is not None}

    def list(self, kind: str, prefix: str = '', *, limit: int, cursor: str | None = None) -> Page:
        # Keys are (list_key, id) joined by a character that sorts before any printable one.
        ordered = sorted(
            (f'{r.list_key}\x00{r.id}', r)
            for r in self._records.values()
            if r.kind == kind and r.list_key is not None and r.list_key.startswith(prefix)
        )
        return _page(ordered, f'type:{kind}', limit, cursor)

    def list_lookup(self, lookup_key: str, prefix: str = '', *, limit: int, cursor: str | None = None) -> Page:
        ordered = sorted(
            (f'{r.lookup[1]}\x00{r.kind}\x00{r.id}', r)
            for r in self._records.values()
            if r.lookup is not None and r.lookup[0] == lookup_key and r.lookup[1].startswith(prefix)
        )
        return _page(ordered, f'lookup:{lookup_key}', limit, cursor)

    def commit(self, writes: Sequence[Write], audit: AuditDraft | None) -> AuditEntry | None:
        if len(writes) + (1 if audit else 0) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f'a transaction holds at most {MAX_TRANSACTION_ITEMS} items')
        targets = [_target(w) for w in writes]
        if len(set(targets)) != len(targets):
            raise ValueError('a transaction cannot include two operations on one item')
        for write in writes:
            self._check(write)
        for write in writes:
            self._apply(write)
        return self.audit_log.append(audit, self._clock()) if audit else None

    def set_field(self, kind: str, record_id: str, field: str, value: object) -> None:
        record = self._records.get((kind, record_id))
        if record is None:
            raise NotFound(f'{kind} {record_id} does not exist')
        data = {**record.data, field: _json_copy(value)}
        self._records[(kind, record_id)] = Record(kind, record_id, data, record.version, record.list_key, record.lookup)

    def records(self) -> tuple[Record, ...]:
        """Every stored record, copied, in key order."""
        return tuple(_copy(self._records[key]) for key in sorted(self._records))

    def put_many(self, records: Sequence[Record]) -> None:
        for record in records:
            self._records[(record.kind, record.id)] = Record(
                record.kind, record.id, _json_copy(record.data), record.version, record.list_key, record.lookup
            )

    def _check(self, write: Write) -> None:
        if isinstance(write, Create):
            if (write.record.kind, write.record.id) in self._records:
                raise Conflict(write.conflict)
        elif isinstance(write, Replace):
            stored = self._records.get((write.record.kind, write.record.id))
            if stored is None or stored.version != write.record.version:
                raise Conflict(write.conflict)
        else:
            stored = self._records.get((write.kind, write.id))
            if stored is None or (write.expected_version is not None and stored.version != write.expected_version):
                raise Conflict(f'{write.kind} {write.id} was changed or removed by someone else')

    def _apply(self, write: Write) -> None:
        if isinstance(write, Remove):
            del self._records[(write.kind, write.id)]
            return
        version = 0 if isinstance(write, Create) else write.record.version + 1
        r = write.record
        self._records[(r.kind, r.id)] = Record(r.kind, r.id, _json_copy(r.data), version, r.list_key, r.lookup)


def _target(write: Write) -> tuple[str, str]:
    return (write.kind, write.id) if isinstance(write, Remove) else (write.record.kind, write.record.id)
