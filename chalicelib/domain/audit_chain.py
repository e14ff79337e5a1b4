"""The tamper-evident chain: each entry's hash covers its content and the previous entry's hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
    return verify_anchored(entries, None).chain


# ---- Anchors: the chain's head, kept outside the table (services.audit.anchor_audit) ----
#
# Hash links alone prove only that each entry follows the one before it: whoever can write the table can drop the
# newest entries, or rewrite them and recompute every hash after, and the chain still verifies. An anchor is a copy
# of the head (sequence number and hash) written once per period to storage the table's writers cannot change
# (S3 Object Lock, write-once). Verify then requires the anchored entry to be still there, with the anchored hash:
# every entry up to it is fixed, and only the entries after it (the unanchored tail, at most one period) can change
# undetected.

ANCHOR_PERIOD = timedelta(hours=1)
ANCHOR_VERSION = 1


@dataclass(frozen=True)
class ChainHead:
    seq: int  # 0 for an empty chain
    hash: str  # GENESIS_HASH for an empty chain
    at: datetime | None = None  # the head entry's time


EMPTY_HEAD = ChainHead(0, GENESIS_HASH)


def head_of(entry: AuditEntry | None) -> ChainHead:
    return EMPTY_HEAD if entry is None else ChainHead(entry.seq, entry.hash, entry.at)


def anchor_period(moment: datetime) -> str:
    """The period (a UTC hour) a moment falls in, as it names the anchor: `2026-12-07T02Z`."""
    return moment.astimezone(UTC).strftime('%Y-%m-%dT%HZ')


def recent_periods(now: datetime, count: int) -> list[str]:
    """The `count` periods up to and including now's, newest first."""
    return [anchor_period(now - ANCHOR_PERIOD * n) for n in range(count)]


@dataclass(frozen=True)
class Anchor:
    period: str
    anchored_at: datetime
    head: ChainHead

    def to_json(self) -> dict[str, object]:
        return {
            'version': ANCHOR_VERSION,
            'period': self.period,
            'anchored_at': self.anchored_at.isoformat(),
            'seq': self.head.seq,
            'hash': self.head.hash,
            'head_at': self.head.at.isoformat() if self.head.at else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Anchor:
        """ValueError if the object is not an anchor this code wrote."""
        seq, digest, head_at = data.get('seq'), data.get('hash'), data.get('head_at')
        if data.get('version') != ANCHOR_VERSION or not isinstance(data.get('period'), str):
            raise ValueError('not a version 1 audit anchor')
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ValueError('anchor seq is not a non-negative integer')
        if not isinstance(digest, str) or len(digest) != 64:
            raise ValueError('anchor hash is not a SHA-256 hex digest')
        return cls(
            period=str(data['period']),
            anchored_at=datetime.fromisoformat(str(data['anchored_at'])),
            head=ChainHead(seq, digest, datetime.fromisoformat(head_at) if isinstance(head_at, str) else None),
        )


@dataclass(frozen=True)
class AnchoredReport:
    """The chain checked from `from_seq`, and against an anchor (if one was found)."""

    chain: ChainReport
    anchor: Anchor | None
    from_seq: int
    last_seq: int  # the last entry walked: the chain's head, unless the walk stopped at a break

    @property
    def ok(self) -> bool:
        return self.chain.ok

    @property
    def checked(self) -> int:
        return self.chain.checked

    @property
    def broken_seq(self) -> int | None:
        return self.chain.broken_seq

    @property
    def reason(self) -> str | None:
        return self.chain.reason

    @property
    def unanchored_tail(self) -> int:
        """Entries after the anchor: nothing outside the table vouches for them yet."""
        return max(0, self.last_seq - (self.anchor.head.seq if self.anchor else 0))


def verify_anchored(entries: Iterable[AuditEntry], anchor: Anchor | None, *, from_seq: int = 1) -> AnchoredReport:
    """Walk entries from `from_seq` in order (as verify_chain does) and hold the chain to the anchor: the anchored
    entry must still be there with the anchored hash. From a `from_seq` after 1, the first entry's link to its
    predecessor is taken as read (its own hash is still checked): the windowed check of the console."""
    expected_seq, expected_prev, checked, last_seq = from_seq, GENESIS_HASH if from_seq == 1 else None, 0, 0
    anchored, period = (anchor.head, anchor.period) if anchor else (None, '')

    def broken(seq: int, reason: str) -> AnchoredReport:
        return AnchoredReport(ChainReport(checked, seq, reason), anchor, from_seq, last_seq)

    for entry in entries:
        if entry.seq != expected_seq:
            return broken(expected_seq, f'entry {expected_seq} is missing (next found is {entry.seq})')
        if expected_prev is not None and entry.prev_hash != expected_prev:
            return broken(entry.seq, 'prev_hash does not match the hash of the entry before it')
        if hash_of(entry) != entry.hash:
            return broken(entry.seq, 'content does not match its hash (entry was altered)')
        if anchored is not None and entry.seq == anchored.seq and entry.hash != anchored.hash:
            return broken(
                entry.seq,
                f'entry {entry.seq} differs from the anchor of {period} '
                '(rewritten, with its hash recomputed, after it was anchored)',
            )
        expected_prev, expected_seq, checked, last_seq = entry.hash, expected_seq + 1, checked + 1, entry.seq
    if anchored is not None and expected_seq <= anchored.seq:
        missing = (
            f'entry {expected_seq} is'
            if expected_seq == anchored.seq
            else f'entries {expected_seq} to {anchored.seq} are'
        )
        return broken(
            expected_seq,
            f'{missing} missing: the anchor of {period} has the chain at {anchored.seq} entries, it now ends at '
            f'{expected_seq - 1} (deleted after they were anchored)',
        )
    return AnchoredReport(ChainReport(checked), anchor, from_seq, last_seq)
