"""Objects on S3 that are written once and never over (finance exports), and presigned downloads."""

from __future__ import annotations

import hashlib
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.clients import boto3_client
from chalicelib.domain.errors import Conflict, NotFound


class S3ObjectStore:
    def __init__(self, bucket: str, client: Any | None = None) -> None:
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or boto3_client('s3')

    def put_new(self, key: str, body: bytes, content_type: str) -> bool:
        try:
            # If-None-Match makes S3 itself refuse an overwrite, even between two concurrent writers.
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, IfNoneMatch='*')
        except ClientError as exc:
            if exc.response.get('Error', {}).get('Code') not in ('PreconditionFailed', 'ConditionalRequestConflict'):
                raise
            existing = self.client.get_object(Bucket=self.bucket, Key=key)['Body'].read()
            if hashlib.sha256(existing).digest() != hashlib.sha256(body).digest():
                raise Conflict(f's3://{self.bucket}/{key} already exists with different content') from exc
            return False
        return True

    def download_url(self, key: str, expires_seconds: int) -> str:
        url: str = self.client.generate_presigned_url(
            'get_object', Params={'Bucket': self.bucket, 'Key': key}, ExpiresIn=expires_seconds
        )
        return url

    def get(self, key: str) -> bytes:
        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)['Body'].read()
        except ClientError as exc:
            if exc.response.get('Error', {}).get('Code') in ('NoSuchKey', '404'):
                raise NotFound(f's3://{self.bucket}/{key} does not exist') from exc
            raise
        return body
