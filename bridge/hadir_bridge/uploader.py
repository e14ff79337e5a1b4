"""Spool → cloud: gzip batches PUT to presigned URLs, oldest first, marked sent only after the PUT.

A batch's body is version 1 (one JSON record per line, what every cloud reads) or version 2 (a header line, then
each machine's punches as the ATTLOG lines it sent under a section line, and the JSON record for anything else;
see docs/bridge.md). Version 2 lets the cloud read punches as columns; send it only to a cloud that reads it.

Crash safety comes from the order of steps: (1) the batch's membership is committed in the spool, (2) the
body is built from those records in spool order, so its id and object key are the same on every attempt,
(3) the PUT, (4) the records are marked sent. A crash before (4) re-uploads the same bytes to the same key
(an overwrite the cloud's ledger ignores); a crash before (1) changes nothing.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from hadir_bridge.cloud import CloudClient, CloudError
from hadir_bridge.parsers import LineError, parse_attlog_line
from hadir_bridge.spool import Batch, Spool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Uploaded:
    batch_id: str
    object_key: str
    record_count: int
    resumed: bool


UPLOAD_HEADER = 'hadir-upload 2'
BODY_VERSIONS = (1, 2)
_SECTION_SERIAL = re.compile(r'[A-Za-z0-9]{1,64}')
_PRINTABLE_WITH_TABS = re.compile(r'[\t -~]+')


def encode_batch(batch: Batch, body_version: int = 1) -> tuple[bytes, str]:
    """The gzip body (fixed mtime, so identical content gives identical bytes) and its base64 MD5."""
    content = batch.content if body_version == 1 else upload_body_v2(batch.lines)
    body = gzip.compress(content, compresslevel=6, mtime=0)
    return body, base64.b64encode(hashlib.md5(body).digest()).decode('ascii')


def upload_body_v2(records: Sequence[str]) -> bytes:
    """A version 2 body of the spool's records (JSON lines), in their order: a punch whose raw line is an ATTLOG
    line that reads back as the same punch goes as that line, under a section line naming its serial and source;
    every other record goes as its JSON line."""
    lines = [UPLOAD_HEADER]
    section: tuple[str, str] | None = None
    for record in records:
        machine_line = _machine_line(record)
        if machine_line is None:
            lines.append(record)
            continue
        serial, source, raw = machine_line
        if section != (serial, source):
            section = (serial, source)
            lines.append(f'@\t{serial}\t{source}')
        lines.append(raw)
    return ''.join(line + '\n' for line in lines).encode('ascii')


def _machine_line(record_line: str) -> tuple[str, str, str] | None:
    """(serial, source, raw line) when the cloud's reading of the raw line gives this very record's punch."""
    record = json.loads(record_line)
    serial, source, raw = record.get('serial'), record.get('source'), record.get('raw')
    if record.get('v') != 1 or record.get('kind') != 'punch' or source not in ('push', 'pull', 'usb'):
        return None
    if not isinstance(serial, str) or not _SECTION_SERIAL.fullmatch(serial):
        return None
    if not isinstance(raw, str) or not _PRINTABLE_WITH_TABS.fullmatch(raw) or raw[0] in '@{':
        return None
    try:
        punch = parse_attlog_line(serial, raw)
    except LineError:
        return None
    fields = [record.get(name) for name in ('id', 'pin', 'time', 'status', 'verify')]
    if fields != [punch.record_id, punch.pin, punch.time, punch.status, punch.verify]:
        return None
    if any(type(value) not in (int, type(None)) for value in fields[3:]):  # a JSON true equals 1 in Python
        return None
    return serial, source, raw


class Uploader:
    def __init__(self, spool: Spool, cloud: CloudClient, max_records: int = 5000, body_version: int = 1) -> None:
        if body_version not in BODY_VERSIONS:
            raise ValueError(f'upload body version {body_version} is not one of {BODY_VERSIONS}')
        self.spool = spool
        self.cloud = cloud
        self.max_records = max_records
        self.body_version = body_version

    def upload_one(self) -> Uploaded | None:
        """Upload the oldest pending batch, or claim and upload a new one; None when nothing is unsent."""
        batch = self.spool.pending_batch()
        resumed = batch is not None
        if batch is None:
            batch = self.spool.claim_batch(self.max_records)
        if batch is None:
            return None
        body, content_md5 = encode_batch(batch, self.body_version)
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
