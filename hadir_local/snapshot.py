"""Local persistence for the embedded AWS: moto keeps state in memory only, so `make run` saves every
table and bucket to .hadir-local/state/ every few seconds and on exit, and loads it back on start."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

from chalicelib import resource_names as names
from chalicelib.adapters.clients import boto3_client
from chalicelib.settings import get_settings

BATCH = 25


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + '.tmp')
    tmp.write_bytes(data)
    tmp.replace(path)


def save(state_dir: Path) -> dict[str, int]:
    """Write every table's items and every bucket's objects; returns counts per resource."""
    settings = get_settings()
    dynamodb, s3 = boto3_client('dynamodb'), boto3_client('s3')
    counts: dict[str, int] = {}
    for purpose in names.TABLES:
        table = settings.table(purpose)
        items = _items_in_process(table, settings.region)
        if items is None:
            items = []
            for page in dynamodb.get_paginator('scan').paginate(TableName=table, ConsistentRead=True):
                items.extend(page['Items'])
        _atomic_write(state_dir / 'dynamodb' / f'{purpose}.json', json.dumps([_saved(i) for i in items]).encode())
        counts[table] = len(items)
    for purpose in names.BUCKETS:
        bucket = settings.bucket(purpose)
        target = state_dir / 's3' / purpose
        staging = target.with_name(purpose + '.new')
        shutil.rmtree(staging, ignore_errors=True)
        count = 0
        for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket):
            for obj in page.get('Contents', []):
                body = s3.get_object(Bucket=bucket, Key=obj['Key'])['Body'].read()
                _atomic_write(staging / obj['Key'], body)
                count += 1
        shutil.rmtree(target, ignore_errors=True)
        if staging.exists():
            staging.replace(target)
        counts[bucket] = count
    return counts


def _saved(item: dict[str, Any]) -> dict[str, Any]:
    """An item as JSON can hold it: binary values (B, BS) as base64 text, wherever they are nested."""
    return {name: _convert(value, _to_text) for name, value in item.items()}


def _restored(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _convert(value, base64.b64decode) for name, value in item.items()}


def _to_text(value: bytes) -> str:
    return base64.b64encode(value).decode('ascii')


def _convert(value: dict[str, Any], binary: Any) -> dict[str, Any]:
    """One AttributeValue with `binary` applied to each of its binary parts."""
    if 'B' in value:
        return {'B': binary(value['B'])}
    if 'BS' in value:
        return {'BS': [binary(b) for b in value['BS']]}
    if 'M' in value:
        return {'M': {k: _convert(v, binary) for k, v in value['M'].items()}}
    if 'L' in value:
        return {'L': [_convert(v, binary) for v in value['L']]}
    return value


def _items_in_process(table: str, region: str) -> list[dict[str, Any]] | None:
    """The items straight from the embedded moto server, which runs in this process: a scan over HTTP of a
    20,000-item ledger takes half a minute, this a second. None when the table is not in this process."""
    try:
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends
    except ImportError:
        return None
    from hadir_local.embedded_aws import REQUEST_LOCK

    with REQUEST_LOCK:  # the embedded server answers nothing meanwhile, so the table does not change under the copy
        found = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables.get(table)
        return None if found is None else [item.to_json()['Attributes'] for item in found.all_items()]


def restore(state_dir: Path) -> dict[str, int]:
    """Load a saved state into freshly created tables and buckets."""
    settings = get_settings()
    dynamodb, s3 = boto3_client('dynamodb'), boto3_client('s3')
    counts: dict[str, int] = {}
    for purpose in names.TABLES:
        path = state_dir / 'dynamodb' / f'{purpose}.json'
        if not path.exists():
            continue
        items = [_restored(i) for i in json.loads(path.read_text())]
        table = settings.table(purpose)
        for start in range(0, len(items), BATCH):
            requests = [{'PutRequest': {'Item': item}} for item in items[start : start + BATCH]]
            pending: dict[str, Any] = {table: requests}
            while pending:
                pending = dynamodb.batch_write_item(RequestItems=pending).get('UnprocessedItems') or {}
        counts[table] = len(items)
    for purpose in names.BUCKETS:
        root = state_dir / 's3' / purpose
        files = [p for p in root.rglob('*') if p.is_file()] if root.exists() else []
        for path in files:
            s3.put_object(
                Bucket=settings.bucket(purpose), Key=path.relative_to(root).as_posix(), Body=path.read_bytes()
            )
        counts[settings.bucket(purpose)] = len(files)
    return counts


def ensure_buckets() -> None:
    settings = get_settings()
    s3 = boto3_client('s3')
    existing = {b['Name'] for b in s3.list_buckets().get('Buckets', [])}
    for purpose in names.BUCKETS:
        bucket = settings.bucket(purpose)
        if bucket not in existing:
            locked = {'ObjectLockEnabledForBucket': True} if purpose == names.BUCKET_ANCHORS else {}
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={'LocationConstraint': settings.region}, **locked)
            if locked:
                _lock_anchors(s3, bucket)


# Anchors are write-once as in infra/ (Object Lock, a default retention); a day is enough for a local stack.
LOCAL_ANCHOR_LOCK_DAYS = 1


def _lock_anchors(s3: Any, bucket: str) -> None:
    s3.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={
            'ObjectLockEnabled': 'Enabled',
            'Rule': {'DefaultRetention': {'Mode': 'GOVERNANCE', 'Days': LOCAL_ANCHOR_LOCK_DAYS}},
        },
    )


def ensure_queues() -> None:
    """The work queues the app sends to (SQS keeps no state worth saving: pending work is re-queued at start)."""
    settings = get_settings()
    sqs = boto3_client('sqs')
    for purpose in names.QUEUES:
        sqs.create_queue(QueueName=names.queue_name(settings.stage, purpose))
