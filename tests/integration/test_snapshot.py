"""The local stack's persistence: what `make run` saves on exit comes back whole on the next start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chalicelib import resource_names as names
from chalicelib.adapters.clients import boto3_client
from chalicelib.adapters.dynamodb.tables import ensure_tables
from chalicelib.settings import get_settings
from hadir_local import snapshot


def _all_items(table: str) -> list[dict[str, Any]]:
    pages = boto3_client('dynamodb').get_paginator('scan').paginate(TableName=table)
    return sorted((item for page in pages for item in page['Items']), key=lambda item: str(item))


def test_a_saved_state_restores_every_item_and_object(aws: None, tmp_path: Path) -> None:
    # Given items with nested maps, lists and binary values (the day sheets' packed lines) in two tables, and an
    # object in a bucket
    settings = get_settings()
    dynamodb, s3 = boto3_client('dynamodb'), boto3_client('s3')
    directory, punches = settings.table(names.TABLE_DIRECTORY), settings.table(names.TABLE_PUNCHES)
    for n in range(60):
        dynamodb.put_item(TableName=directory, Item={
            'pk': {'S': f'employee#E{n}'}, 'sk': {'S': 'employee'}, 'version': {'N': str(n)},
            'data': {'M': {'name': {'S': f'Pegawai {n}'}, 'codes': {'L': [{'S': 'TL1'}, {'N': '2'}]},
                           'active': {'BOOL': True}, 'unit': {'NULL': True},
                           'sheet': {'L': [{'B': bytes([0, 255, n])}, {'BS': [b'\x00', bytes([n + 1])]}]}}},
            'packed': {'B': b'\x1f\x8b\x00' + bytes([n])},
        })  # fmt: skip
    dynamodb.put_item(TableName=punches, Item={'punch_id': {'S': 'M#SN1#7#2026-11-20T07:01:00'}})
    s3.put_object(Bucket=settings.bucket(names.BUCKET_UPLOADS), Key='bridges/BR1/a.ndjson.gz', Body=b'\x1f\x8b..')
    before = {directory: _all_items(directory), punches: _all_items(punches)}
    # When the state is saved, everything is dropped, and the state is restored into fresh tables
    counts = snapshot.save(tmp_path)
    for table in (directory, punches):
        dynamodb.delete_table(TableName=table)
    s3.delete_object(Bucket=settings.bucket(names.BUCKET_UPLOADS), Key='bridges/BR1/a.ndjson.gz')
    ensure_tables()
    snapshot.restore(tmp_path)
    # Then every item and object is back as it was
    assert counts[directory] == 60 and counts[punches] == 1
    assert {table: _all_items(table) for table in before} == before
    body = s3.get_object(Bucket=settings.bucket(names.BUCKET_UPLOADS), Key='bridges/BR1/a.ndjson.gz')['Body']
    assert body.read() == b'\x1f\x8b..'
