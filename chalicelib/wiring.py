"""The composition root: builds the real adapters once per Lambda container."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from chalicelib import resource_names as names
from chalicelib.adapters.dynamodb.directory import DynamoAuditLog, DynamoDirectoryStore
from chalicelib.adapters.dynamodb.nonces import DynamoNonceBook
from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.adapters.dynamodb.requests import DynamoRequestStore
from chalicelib.adapters.notices import PrintedFinanceNotices, SnsFinanceNotices
from chalicelib.adapters.s3 import S3ObjectStore
from chalicelib.adapters.sqs import SqsQueue
from chalicelib.adapters.uploads import S3Uploads
from chalicelib.ports import FaceEngine, FinanceNotices
from chalicelib.services.checkins import Mobile
from chalicelib.services.common import Deps
from chalicelib.settings import get_settings

if TYPE_CHECKING:  # the allowance side is imported by the routes and jobs that use it, not by a check-in
    from chalicelib.adapters.dynamodb.allowance import DynamoAllowanceRecords
    from chalicelib.services.allowance import AllowanceBooks


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
def _allowance_stores() -> tuple[DynamoAllowanceRecords, S3ObjectStore]:
    from chalicelib.adapters.dynamodb.allowance import DynamoAllowanceRecords

    return DynamoAllowanceRecords(), S3ObjectStore(get_settings().bucket(names.BUCKET_EXPORTS))


@lru_cache(maxsize=1)
def get_anchors() -> S3ObjectStore:
    """The audit chain's anchors: write-once objects under Object Lock (services.audit)."""
    return S3ObjectStore(get_settings().bucket(names.BUCKET_ANCHORS))


def get_books() -> AllowanceBooks:
    """The allowance stores and the pemda's published rule profiles, read on every call: a publication
    prices the next close without waiting for a new Lambda container."""
    from chalicelib.services import profiles
    from chalicelib.services.allowance import AllowanceBooks

    records, files = _allowance_stores()
    return AllowanceBooks(
        records=records, files=files, profiles=profiles.published(get_deps()), notices=get_finance_notices(),
        console_url=get_settings().console_url,
    )  # fmt: skip


@lru_cache(maxsize=1)
def get_finance_notices() -> FinanceNotices:
    """SNS when infra/ gave the topic (HADIR_FINANCE_TOPIC_ARN); otherwise the log (the local stack, tests)."""
    topic_arn = get_settings().finance_topic_arn
    return SnsFinanceNotices(topic_arn) if topic_arn else PrintedFinanceNotices()


_face_engine: FaceEngine | None = None


def use_face_engine(engine: FaceEngine | None) -> None:
    """Plug in another face engine: the local stack's offline dlib engine, or a test's fake. None restores the
    default (Rekognition)."""
    global _face_engine
    _face_engine = engine


def get_face_engine() -> FaceEngine:
    global _face_engine
    if _face_engine is None:
        from chalicelib.adapters.rekognition import RekognitionFaceEngine

        settings = get_settings()
        _face_engine = RekognitionFaceEngine(names.resource_name(settings.stage, names.FACE_COLLECTION))
    return _face_engine


@lru_cache(maxsize=1)
def _media() -> S3ObjectStore:
    return S3ObjectStore(get_settings().bucket(names.BUCKET_MEDIA))


@lru_cache(maxsize=1)
def _face_checks() -> SqsQueue:
    return SqsQueue(names.queue_name(get_settings().stage, names.QUEUE_FACE_CHECKS))


def get_mobile() -> Mobile:
    return Mobile(
        deps=get_deps(), faces=get_face_engine(), media=_media(), queue=_face_checks(), nonces=DynamoNonceBook(),
        settings=get_settings(), requests=DynamoRequestStore(),
    )  # fmt: skip
