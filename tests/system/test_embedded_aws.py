"""`make run`'s embedded AWS (hadir_local/embedded_aws.py) on loopback: moto's server, one request at a time.

Issue 13 item 4: tracebacks ("dictionary changed size during iteration") filled the newcomer's console. Their cause:
moto is not thread-safe, and a TransactWriteItems deep-copies its table while another thread's writes change it.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from hadir_local.embedded_aws import EmbeddedAws, service_of

REGION = 'ap-southeast-3'
# No retry: a 500 from the server must surface here, not be hidden by botocore's retries.
NO_RETRY = Config(retries={'total_max_attempts': 1, 'mode': 'standard'}, read_timeout=60)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Aws:
    port: int
    log: Path
    table: str  # moto's state outlives a server in this process: each test has its own table

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=f'http://127.0.0.1:{self.port}', region_name=REGION,
                            config=NO_RETRY, aws_access_key_id='local', aws_secret_access_key='local')  # fmt: skip


@pytest.fixture
def aws(tmp_path: Path) -> Iterator[Aws]:
    embedded = Aws(_free_port(), tmp_path / 'embedded-aws.log', f'embedded-aws-{uuid.uuid4().hex[:8]}')
    server = EmbeddedAws(embedded.port, embedded.log)
    server.start()
    try:
        embedded.client('dynamodb').create_table(
            TableName=embedded.table, KeySchema=[{'AttributeName': 'pk', 'KeyType': 'HASH'}],
            AttributeDefinitions=[{'AttributeName': 'pk', 'AttributeType': 'S'}], BillingMode='PAY_PER_REQUEST',
        )  # fmt: skip
        yield embedded
    finally:
        server.stop()


def _in_threads(*work: Callable[[], None]) -> list[BaseException]:
    failures: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_transactions_beside_concurrent_writes_all_succeed_and_log_nothing(aws: Aws) -> None:
    client, log, table = aws.client, aws.log, aws.table

    def batch_writes(name: str) -> Callable[[], None]:
        def write() -> None:
            db = client('dynamodb')
            for start in range(0, 1500, 25):
                items = [{'PutRequest': {'Item': {'pk': {'S': f'{name}-{n}'}, 'v': {'S': 'x' * 40}}}}
                         for n in range(start, start + 25)]  # fmt: skip
                db.batch_write_item(RequestItems={table: items})

        return write

    def transactions() -> None:
        db = client('dynamodb')
        for n in range(80):
            db.transact_write_items(TransactItems=[{'Put': {'TableName': table, 'Item': {'pk': {'S': f'tx-{n}'}}}}])

    # Given two threads writing batches while a third commits transactions on the same table (the demo history,
    # the API and the scheduler of `make run`); When they all run at once, with no retry
    failures = _in_threads(batch_writes('a'), batch_writes('b'), transactions)
    # Then every request succeeded, every item is there, and the server had no error to log
    assert failures == []
    assert client('dynamodb').scan(TableName=table, Select='COUNT')['Count'] == 1500 * 2 + 80
    assert 'Error on request' not in (log.read_text() if log.exists() else '')


def test_an_sqs_long_poll_does_not_hold_the_other_services(aws: Aws) -> None:
    client = aws.client
    sqs = client('sqs')
    url = sqs.create_queue(QueueName=aws.table)['QueueUrl']
    received: list[int] = []

    def poll() -> None:
        reply = client('sqs').receive_message(QueueUrl=url, WaitTimeSeconds=20, MaxNumberOfMessages=1)
        received.append(len(reply.get('Messages', [])))

    # Given the face-check consumer waiting on an empty queue (a long poll of up to 20 s)
    poller = threading.Thread(target=poll)
    poller.start()
    # When the API writes to DynamoDB meanwhile
    client('dynamodb').put_item(TableName=aws.table, Item={'pk': {'S': 'while-polling'}})
    # Then the write was answered while the poll still waits; a message then ends the poll
    assert poller.is_alive()
    sqs.send_message(QueueUrl=url, MessageBody='{}')
    poller.join()
    assert received == [1]


def test_the_service_of_a_request_is_read_from_its_signature() -> None:
    header = ('AWS4-HMAC-SHA256 Credential=local/20261207/ap-southeast-3/dynamodb/aws4_request, '
              'SignedHeaders=host;x-amz-date, Signature=abc')  # fmt: skip
    presigned = (
        'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=local%2F20261207%2Fap-southeast-3%2Fs3%2Faws4_request'  # noqa: E501
    )
    assert service_of({'HTTP_AUTHORIZATION': header}) == 'dynamodb'
    assert service_of({'HTTP_AUTHORIZATION': header.replace('/dynamodb/', '/sqs/')}) == 'sqs'
    assert service_of({'QUERY_STRING': presigned}) == 's3'
    assert service_of({'QUERY_STRING': 'list-type=2'}) is None
