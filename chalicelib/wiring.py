"""The composition root: builds the real adapters once per Lambda container."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import lru_cache

from chalicelib import resource_names as names
from chalicelib.adapters.dynamodb.allowance import DynamoAllowanceRecords
from chalicelib.adapters.dynamodb.directory import DynamoAuditLog, DynamoDirectoryStore
from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.adapters.s3 import S3ObjectStore
from chalicelib.adapters.uploads import S3Uploads
from chalicelib.services.allowance import AllowanceBooks
from chalicelib.services.common import Deps
from chalicelib.settings import get_settings


def utc_now() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=1)
def get_deps() -> Deps:
    return Deps(
        store=DynamoDirectoryStore(clock=utc_now),
        audit_log=DynamoAuditLog(),
        ledger=DynamoPunchLedger(),
        clock=utc_now,
        random_bytes=os.urandom,
    )


@lru_cache(maxsize=1)
def get_uploads() -> S3Uploads:
    return S3Uploads()


@lru_cache(maxsize=1)
def get_books() -> AllowanceBooks:
    return AllowanceBooks(
        records=DynamoAllowanceRecords(), files=S3ObjectStore(get_settings().bucket(names.BUCKET_EXPORTS))
    )
