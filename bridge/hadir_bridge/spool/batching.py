"""Batches for the uploader: claimed in arrival order, named by the hash of their content, marked sent after the PUT."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hadir_bridge.spool.storage import SpoolBase, iso, utc_now


@dataclass(frozen=True)
class Batch:
    batch_id: str
    record_count: int
    lines: list[str]
    object_key: str | None
    attempts: int

    @property
    def content(self) -> bytes:
        return ''.join(line + '\n' for line in self.lines).encode('ascii')


def batch_id_for(lines: Sequence[str], resend: int = 0) -> str:
    """Deterministic from content: the same records in the same order always give the same id (and key)."""
    digest = hashlib.sha256()
    if resend:
        digest.update(f'resend {resend}\n'.encode('ascii'))
    for line in lines:
        digest.update(line.encode('ascii'))
        digest.update(b'\n')
    return digest.hexdigest()[:32]


class Batching(SpoolBase):
    # --- batches for the uploader ----------------------------------------------------------------

    def pending_batch(self) -> Batch | None:
        """The oldest batch claimed but not yet confirmed uploaded (a crash or failure left it behind)."""
        rows = self._read("SELECT batch_id FROM batches WHERE state = 'pending' ORDER BY first_seq LIMIT 1")
        return self.batch(rows[0]['batch_id']) if rows else None

    def batch(self, batch_id: str) -> Batch | None:
        head = self._read('SELECT * FROM batches WHERE batch_id = ?', (batch_id,))
        if not head:
            return None
        lines = [
            row['payload']
            for row in self._read('SELECT payload FROM records WHERE batch_id = ? ORDER BY seq', (batch_id,))
        ]
        return Batch(batch_id, len(lines), lines, head[0]['object_key'], head[0]['attempts'])

    def claim_batch(self, max_records: int) -> Batch | None:
        """Commit a new batch of the oldest unclaimed unsent records (arrival order), or return None."""
        with self._write() as db:
            rows = db.execute(
                "SELECT seq, payload FROM records WHERE state = 'unsent' AND batch_id IS NULL ORDER BY seq LIMIT ?",
                (max_records,),
            ).fetchall()
            if not rows:
                return None
            lines = [row['payload'] for row in rows]
            batch_id = batch_id_for(lines)
            resend = 0
            # Records sent again (a backfill) can repeat an earlier batch exactly: a batch id names one claim.
            while db.execute('SELECT 1 FROM batches WHERE batch_id = ?', (batch_id,)).fetchone():
                resend += 1
                batch_id = batch_id_for(lines, resend)
            first_seq, last_seq = rows[0]['seq'], rows[-1]['seq']
            db.execute(
                'INSERT OR IGNORE INTO batches (batch_id, state, record_count, first_seq, last_seq, created_at)'
                " VALUES (?, 'pending', ?, ?, ?, ?)",
                (batch_id, len(lines), first_seq, last_seq, iso(utc_now())),
            )
            db.execute(
                "UPDATE records SET batch_id = ? WHERE state = 'unsent' AND batch_id IS NULL AND seq <= ?",
                (batch_id, last_seq),
            )
        return Batch(batch_id, len(lines), lines, None, 0)

    def note_attempt(self, batch_id: str, object_key: str | None, content_md5: str | None, error: str | None) -> None:
        with self._write() as db:
            db.execute(
                'UPDATE batches SET attempts = attempts + 1, object_key = COALESCE(?, object_key),'
                ' content_md5 = COALESCE(?, content_md5), last_error = ? WHERE batch_id = ?',
                (object_key, content_md5, error, batch_id),
            )

    def mark_sent(self, batch_id: str, object_key: str, content_md5: str, now: datetime | None = None) -> None:
        at = iso(now or utc_now())
        with self._write() as db:
            db.execute(
                "UPDATE batches SET state = 'sent', object_key = ?, content_md5 = ?, sent_at = ?, last_error = NULL"
                ' WHERE batch_id = ?',
                (object_key, content_md5, at, batch_id),
            )
            db.execute("UPDATE records SET state = 'sent', sent_at = ? WHERE batch_id = ?", (at, batch_id))

    def batches(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self._read('SELECT * FROM batches ORDER BY first_seq')]
