"""Work queues on SQS, addressed by name (the URL is looked up once per container)."""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from chalicelib.adapters.clients import boto3_client


class SqsQueue:
    def __init__(self, queue_name: str, client: Any | None = None) -> None:
        self.queue_name = queue_name
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or boto3_client('sqs')

    @cached_property
    def url(self) -> str:
        url: str = self.client.get_queue_url(QueueName=self.queue_name)['QueueUrl']
        return url

    def send(self, message: dict[str, Any], delay_seconds: int = 0) -> None:
        self.client.send_message(QueueUrl=self.url, MessageBody=json.dumps(message), DelaySeconds=delay_seconds)
