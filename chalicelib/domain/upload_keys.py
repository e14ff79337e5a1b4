"""Object keys of bridge uploads, and which of them a reconcile run must list. Pure.

A key carries the time the cloud issued its presigned PUT: ``<prefix><YYYYMMDDTHHMMSSZ>-<batch id>.ndjson.gz``.
Keys of one bridge therefore sort by issue time, and an object can only appear while its URL is valid: an
object whose key time is older than (last run's start − URL lifetime − margin) already existed when the last
run listed, so a run lists each bridge only from there on (S3 StartAfter). A full listing once a day, and
whenever no run has completed yet, is the backstop for anything outside that rule (keys written by hand, an
upload that took longer than the margin, keys of the earlier format).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

KEY_TIME_FORMAT = '%Y%m%dT%H%M%SZ'
_KEY_TIME = re.compile(r'/(\d{8}T\d{6}Z)-[0-9a-f]{32}\.ndjson\.gz$')
UPLOAD_MARGIN = timedelta(minutes=15)  # the longest a PUT started just before its URL expires may still take
FULL_LISTING_EVERY = timedelta(hours=24)


def upload_key(prefix: str, batch_id: str, issued_at: datetime) -> str:
    return f'{prefix}{issued_at.astimezone(UTC):{KEY_TIME_FORMAT}}-{batch_id}.ndjson.gz'


def key_time(key: str) -> datetime | None:
    """When the key's URL was issued; None for keys of the earlier, content-only format."""
    found = _KEY_TIME.search(key)
    return datetime.strptime(found.group(1), KEY_TIME_FORMAT).replace(tzinfo=UTC) if found else None


@dataclass(frozen=True)
class ListingPlan:
    full: bool
    start_after_time: str | None  # list each bridge's keys after <prefix><this>; None with a full listing


def plan_listing(
    *, last_run_started: datetime | None, last_full: datetime | None, now: datetime, url_ttl: timedelta,
    force_full: bool = False,
) -> ListingPlan:  # fmt: skip
    if force_full or last_run_started is None or last_full is None or now - last_full >= FULL_LISTING_EVERY:
        return ListingPlan(True, None)
    since = last_run_started - url_ttl - UPLOAD_MARGIN
    return ListingPlan(False, f'{since.astimezone(UTC):{KEY_TIME_FORMAT}}')
