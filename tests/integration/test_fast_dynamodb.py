"""The local stack's plain-JSON answers to DynamoDB item reads (hadir_local.fast_dynamodb) are the answers moto's
own serializer gives: every attribute type, nested maps and lists, binary and sets, paging keys, missing items."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import serialize

from hadir_local import fast_dynamodb

TABLE = 'fast-json-check'
ITEM: dict[str, Any] = {
    'pk': {'S': 'EMP#1'}, 'sk': {'S': 'DAY#2026-01-12'}, 'gsi': {'S': 'G'},
    'n': {'N': '12.50'}, 'b': {'B': b'\x00\x01zlib\xff'}, 'ss': {'SS': ['a', 'b']}, 'ns': {'NS': ['1', '2']},
    'bs': {'BS': [b'\x01', b'\x02']}, 'null': {'NULL': True}, 'flag': {'BOOL': False},
    'm': {'M': {'name': {'S': 'Ani Lestari'}, 'nested': {'L': [{'N': '1'}, {'S': 'x'}, {'M': {}}]}}},
    'l': {'L': []}, 'unicode': {'S': 'Kantor — 7.30 ✓'},
}  # fmt: skip


@pytest.fixture
def client() -> Iterator[Any]:
    saved = serialize.SERVICE_SPECIFIC_SERIALIZERS.get('dynamodb')
    with mock_aws():
        ddb = boto3.client('dynamodb', region_name='ap-southeast-3')
        ddb.create_table(
            TableName=TABLE, BillingMode='PAY_PER_REQUEST',
            KeySchema=[{'AttributeName': 'pk', 'KeyType': 'HASH'}, {'AttributeName': 'sk', 'KeyType': 'RANGE'}],
            AttributeDefinitions=[{'AttributeName': a, 'AttributeType': 'S'} for a in ('pk', 'sk', 'gsi')],
            GlobalSecondaryIndexes=[{'IndexName': 'by_gsi', 'KeySchema': [{'AttributeName': 'gsi', 'KeyType': 'HASH'}],
                                     'Projection': {'ProjectionType': 'ALL'}}],
        )  # fmt: skip
        for n in range(5):
            ddb.put_item(TableName=TABLE, Item={**ITEM, 'sk': {'S': f'DAY#2026-01-1{n}'}})
        yield ddb
    if saved is None:
        serialize.SERVICE_SPECIFIC_SERIALIZERS.pop('dynamodb', None)
    else:
        serialize.SERVICE_SPECIFIC_SERIALIZERS['dynamodb'] = saved


def _both(call: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    serialize.SERVICE_SPECIFIC_SERIALIZERS.pop('dynamodb', None)
    generic = call()
    fast_dynamodb.install()
    fast = call()
    serialize.SERVICE_SPECIFIC_SERIALIZERS.pop('dynamodb', None)
    for answer in (generic, fast):
        answer.pop('ResponseMetadata')
    return generic, fast


def test_item_reads_answer_as_moto_does(client: Any) -> None:
    key = {'pk': ITEM['pk'], 'sk': ITEM['sk']}
    calls: dict[str, Callable[[], dict[str, Any]]] = {
        'get': lambda: client.get_item(TableName=TABLE, Key={'pk': ITEM['pk'], 'sk': {'S': 'DAY#2026-01-10'}}),
        'get missing': lambda: client.get_item(TableName=TABLE, Key=key),
        'batch get': lambda: client.batch_get_item(RequestItems={TABLE: {'Keys': [
            {'pk': ITEM['pk'], 'sk': {'S': f'DAY#2026-01-1{n}'}} for n in (0, 3, 9)]}}),
        'query page': lambda: client.query(TableName=TABLE, KeyConditionExpression='pk = :p', Limit=2,
                                           ExpressionAttributeValues={':p': ITEM['pk']}),
        'query index': lambda: client.query(TableName=TABLE, IndexName='by_gsi', KeyConditionExpression='gsi = :g',
                                            ExpressionAttributeValues={':g': {'S': 'G'}}),
        'query projected': lambda: client.query(TableName=TABLE, KeyConditionExpression='pk = :p',
                                                ProjectionExpression='sk, m.#n, b',
                                                ExpressionAttributeNames={'#n': 'name'},
                                                ExpressionAttributeValues={':p': ITEM['pk']}),
        'query count': lambda: client.query(TableName=TABLE, KeyConditionExpression='pk = :p', Select='COUNT',
                                            ExpressionAttributeValues={':p': ITEM['pk']}),
        'scan': lambda: client.scan(TableName=TABLE, Limit=3),
        'capacity': lambda: client.query(TableName=TABLE, KeyConditionExpression='pk = :p',
                                         ReturnConsumedCapacity='TOTAL', ExpressionAttributeValues={':p': ITEM['pk']}),
        'batch capacity': lambda: client.batch_get_item(ReturnConsumedCapacity='INDEXES', RequestItems={
            TABLE: {'Keys': [{'pk': ITEM['pk'], 'sk': {'S': 'DAY#2026-01-11'}}]}}),
    }  # fmt: skip
    for name, call in calls.items():
        generic, fast = _both(call)
        assert fast == generic, name
    # And an error is still moto's own
    serialize.SERVICE_SPECIFIC_SERIALIZERS.pop('dynamodb', None)
    fast_dynamodb.install()
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.query(
            TableName='missing', KeyConditionExpression='pk = :p', ExpressionAttributeValues={':p': ITEM['pk']}
        )
