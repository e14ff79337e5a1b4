"""Finance's notice that a month's files are ready: an SNS topic deployed (e-mail subscribed in infra/), the
process's own output locally, where `make run` shows it in its log (no topic, no mail server to pretend)."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from chalicelib.adapters.clients import boto3_client
from chalicelib.ports import FilesReady

SUBJECT_LIMIT = 100  # SNS refuses a longer e-mail subject


class SnsFinanceNotices:
    def __init__(self, topic_arn: str, client: Any | None = None) -> None:
        self.topic_arn = topic_arn
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or boto3_client('sns')

    def files_ready(self, notice: FilesReady) -> None:
        self.client.publish(
            TopicArn=self.topic_arn,
            Subject=notice.subject[:SUBJECT_LIMIT],
            Message=notice.message,
            MessageAttributes={
                'month': {'DataType': 'String', 'StringValue': notice.month},
                'revision': {'DataType': 'Number', 'StringValue': str(notice.revision)},
            },
        )


class PrintedFinanceNotices:
    """One JSON line per notice on stdout: the local stack's log (`make run`)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out

    def files_ready(self, notice: FilesReady) -> None:
        line = {'finance_notice': notice.subject, 'month': notice.month, 'revision': notice.revision,
                'link': notice.link}  # fmt: skip
        print(json.dumps(line, ensure_ascii=False), file=self._out or sys.stdout, flush=True)
