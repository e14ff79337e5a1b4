"""Spool → cloud: gzip NDJSON batches PUT to presigned URLs, oldest first, marked sent only after the PUT.

Crash safety comes from the order of steps: (1) the batch's membership is committed in the spool, (2) the
body is built from those records in spool order, so its id and object key are the same on every attempt,
(3) the PUT, (4) the records are marked sent. A crash before (4) re-uploads the same bytes to the same key
(an overwrite the cloud's ledger ignores); a crash before (1) changes nothing.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import logging
from dataclasses import dataclass

from hadir_bridge.cloud import CloudClient, CloudError
from hadir_bridge.spool import Batch, Spool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Uploaded:
    batch_id: str
    object_key: str
    record_count: int
    resumed: bool


def encode_batch(batch: Batch) -> tuple[bytes, str]:
    """The gzip body (fixed mtime, so identical content gives identical bytes) and its base64 MD5."""
    body = gzip.compress(batch.content, compresslevel=6, mtime=0)
    return body, base64.b64encode(hashlib.md5(body).digest()).decode('ascii')


class Uploader:
    def __init__(self, spool: Spool, cloud: CloudClient, max_records: int = 5000) -> None:
        self.spool = spool
        self.cloud = cloud
        self.max_records = max_records

    def upload_one(self) -> Uploaded | None:
        """Upload the oldest pending batch, or claim and upload a new one; None when nothing is unsent."""
        batch = self.spool.pending_batch()
        resumed = batch is not None
        if batch is None:
            batch = self.spool.claim_batch(self.max_records)
        if batch is None:
            return None
        body, content_md5 = encode_batch(batch)
        try:
            target = self.cloud.upload_url(
                batch_id=batch.batch_id,
                content_md5=content_md5,
                content_length=len(body),
                record_count=batch.record_count,
            )
            if batch.object_key and target.key != batch.object_key:
                log.warning(
                    'batch %s: the cloud moved its key from %s to %s', batch.batch_id, batch.object_key, target.key
                )
            self.cloud.put_object(target, body, content_md5)
        except CloudError as exc:
            self.spool.note_attempt(batch.batch_id, None, content_md5, str(exc))
            raise
        self.spool.mark_sent(batch.batch_id, target.key, content_md5)
        log.info('uploaded batch %s (%d records) to %s', batch.batch_id, batch.record_count, target.key)
        return Uploaded(batch.batch_id, target.key, batch.record_count, resumed)

    def drain(self, max_batches: int | None = None) -> list[Uploaded]:
        """Upload until the spool has nothing unsent (oldest first); a cloud error stops the run and is raised."""
        done: list[Uploaded] = []
        while max_batches is None or len(done) < max_batches:
            uploaded = self.upload_one()
            if uploaded is None:
                break
            done.append(uploaded)
        return done
