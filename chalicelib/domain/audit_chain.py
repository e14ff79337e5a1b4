"""The tamper-evident chain: each entry's hash covers its content and the previous entry's hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.models import AuditEntry

GENESIS_HASH = '0' * 64


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(',', ':'), ensure_ascii=False, default=str)


def entry_hash(
    *,
    seq: int,
    at: datetime,
    actor_key_id: str,
    action: str,
    target: str,
    opd_id: str | None,
    before: Mapping[str, object] | None,
    after: Mapping[str, object] | None,
    prev_hash: str,
) -> str:
    body = {
        'seq': seq,
        'at': at.isoformat(),
        'actor_key_id': actor_key_id,
        'action': action,
        'target': target,
        'opd_id': opd_id,
        'before': before,
        'after': after,
        'prev_hash': prev_hash,
    }
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def hash_of(entry: AuditEntry) -> str:
    return entry_hash(
        seq=entry.seq,
        at=entry.at,
        actor_key_id=entry.actor_key_id,
        action=entry.action,
        target=entry.target,
        opd_id=entry.opd_id,
        before=entry.before,
        after=entry.after,
        prev_hash=entry.prev_hash,
    )


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_chain(entries: Iterable[AuditEntry]) -> ChainReport:
    """Walk entries in sequence order and report the first one that breaks the chain."""
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    for entry in entries:
        if entry.seq != expected_seq:
            return ChainReport(checked, expected_seq, f'entry {expected_seq} is missing (next found is {entry.seq})')
        if entry.prev_hash != expected_prev:
            return ChainReport(checked, entry.seq, 'prev_hash does not match the hash of the entry before it')
        if hash_of(entry) != entry.hash:
            return ChainReport(checked, entry.seq, 'content does not match its hash (entry was altered)')
        expected_prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    return ChainReport(checked)
