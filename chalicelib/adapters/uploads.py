"""The uploads bucket: presigned PUTs for bridges, listing and reading what they sent, quarantine copies."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import resource_names as names
from chalicelib.adapters.clients import boto3_client
from chalicelib.domain.errors import PayloadTooLarge, ValidationFailed
from chalicelib.settings import get_settings

NDJSON = 'application/x-ndjson'


@dataclass(frozen=True)
class StoredObject:
    key: str
    etag: str
    size: int


class S3Uploads:
    def __init__(self, client: Any = None) -> None:
        self._client = client
        self._bucket = get_settings().bucket(names.BUCKET_UPLOADS)

    @property
    def client(self) -> Any:
        return self._client or boto3_client('s3')

    def presign_put(self, key: str, content_md5: str, expires_in: int) -> tuple[str, dict[str, str]]:
        headers = {'Content-Type': NDJSON, 'Content-Encoding': 'gzip'}
        url = self.client.generate_presigned_url(
            'put_object',
            Params={'Bucket': self._bucket, 'Key': key, 'ContentMD5': content_md5, 'ContentType': NDJSON,
                    'ContentEncoding': 'gzip'},
            ExpiresIn=expires_in,
        )  # fmt: skip
        return url, headers

    def objects(self, prefix: str, start_after: str | None = None) -> Iterator[StoredObject]:
        after = {'StartAfter': start_after} if start_after else {}
        for page in self.client.get_paginator('list_objects_v2').paginate(Bucket=self._bucket, Prefix=prefix, **after):
            for obj in page.get('Contents', []):
                yield StoredObject(obj['Key'], obj['ETag'].strip('"'), int(obj['Size']))

    def read_text(self, key: str, max_compressed: int, max_uncompressed: int) -> str:
        """The decompressed text of an upload; refuses oversized objects and decompression bombs."""
        body = self.client.get_object(Bucket=self._bucket, Key=key)['Body'].read(max_compressed + 1)
        if len(body) > max_compressed:
            raise PayloadTooLarge(f'upload {key} is larger than {max_compressed} bytes')
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
                data = stream.read(max_uncompressed + 1)
        except (OSError, EOFError) as exc:
            raise ValidationFailed(f'upload {key} is not valid gzip: {exc}') from None
        if len(data) > max_uncompressed:
            raise PayloadTooLarge(f'upload {key} decompresses to more than {max_uncompressed} bytes')
        try:
            return data.decode('utf-8')
        except UnicodeDecodeError:
            raise ValidationFailed(f'upload {key} is not UTF-8 text') from None

    def keep_in_quarantine(self, key: str, report: dict[str, Any]) -> str:
        target = f'{names.UPLOADS_PREFIX_QUARANTINE}{key}.json'
        self.client.put_object(
            Bucket=self._bucket,
            Key=target,
            Body=json.dumps(report, ensure_ascii=False).encode(),
            ContentType='application/json',
        )
        return target

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self._bucket, Key=key)
        except ClientError:
            return False
        return True
