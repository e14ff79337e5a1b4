"""The one durable spool (SQLite, WAL): every record a source hands us is committed here before we say OK.

Records carry a deterministic identity (``M#serial#pin#local-time`` for punches), so a re-pushed, re-pulled or
re-imported punch is ignored rather than spooled twice. Each record is ``unsent`` until the batch it was
claimed into has been PUT to the cloud, then ``sent``. A batch's id is the hash of its content, and its
membership is committed before the upload starts, so a crash at any instant resumes the same batch under the
same object key.

The spool is split by concern: ``storage`` (the file, schema, records, quarantine, machine state, commands,
backfills), ``batching`` (batches for the uploader) and ``counting`` (count reconciliation).
"""

from __future__ import annotations

from hadir_bridge.spool.batching import Batch, Batching, batch_id_for
from hadir_bridge.spool.counting import Counting
from hadir_bridge.spool.storage import (
    RECORD_FORMAT_VERSION,
    SCHEMA_VERSION,
    Command,
    Counts,
    Storage,
    event_payload,
    iso,
    punch_payload,
    utc_now,
)

__all__ = [
    'RECORD_FORMAT_VERSION',
    'SCHEMA_VERSION',
    'Batch',
    'Command',
    'Counts',
    'Spool',
    'batch_id_for',
    'event_payload',
    'iso',
    'punch_payload',
    'utc_now',
]


class Spool(Storage, Counting, Batching):
    """The one spool: storage, count reconciliation and batching over one SQLite connection."""
