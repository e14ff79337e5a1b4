"""The bridge's view of the Hadir cloud: a small port and its HTTPS adapter (stdlib only).

Endpoints (relative to ``[cloud] url``; every call but the presigned PUT carries ``X-API-Key``):

- ``POST /v1/bridge/upload-url`` → a presigned PUT for one batch
- ``PUT <presigned url>`` with ``Content-MD5`` (and exactly the headers the cloud asked for)
- ``POST /v1/bridge/heartbeat``
- ``GET /v1/bridge/backfills`` → pending backfill requests for this bridge's machines
- ``POST /v1/bridge/backfills/{request_id}`` → progress of one request
- ``GET /v1/bridge/uploads`` → this bridge's uploads of the last 24 hours, with their rejected lines (doctor)
- ``GET /v1/health`` (doctor only)
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

USER_AGENT = 'hadir-bridge/0.1'


class CloudError(RuntimeError):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class UploadTarget:
    url: str
    key: str
    headers: dict[str, str]


@dataclass(frozen=True)
class BackfillRequest:
    request_id: str
    serial: str
    start: str  # machine-local wall clock, YYYY-MM-DD hh:mm:ss
    end: str


class CloudClient(Protocol):
    """What the bridge needs from the cloud. Tests pass a fake or a wrapper that fails on purpose."""

    def upload_url(self, *, batch_id: str, content_md5: str, content_length: int, record_count: int) -> UploadTarget:
        """Ask for a presigned PUT for one batch; the key must depend only on the bridge and ``batch_id``."""
        ...

    def put_object(self, target: UploadTarget, body: bytes, content_md5: str) -> None:
        """PUT the gzip body to the presigned URL; return only once storage confirmed it (2xx)."""
        ...

    def heartbeat(self, payload: dict[str, Any]) -> None: ...

    def backfill_requests(self) -> list[BackfillRequest]: ...

    def report_backfill(
        self, request_id: str, state: str, detail: str | None, counts: Mapping[str, int] | None = None
    ) -> None: ...

    def health(self) -> dict[str, Any]: ...


class HttpCloudClient:
    def __init__(self, base_url: str, api_key: str, timeout: float = 30.0, put_timeout: float = 300.0) -> None:
        self.base_url = base_url.rstrip('/')
        self._key = api_key
        self.timeout = timeout
        self.put_timeout = put_timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None, auth: bool = True) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {'User-Agent': USER_AGENT, 'Accept': 'application/json'}
        if data is not None:
            headers['Content-Type'] = 'application/json'
        if auth:
            headers['X-API-Key'] = self._key
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode('utf-8', 'replace')
            raise CloudError(f'{method} {path}: HTTP {exc.code} {detail}', exc.code) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise CloudError(f'{method} {path}: {exc}') from exc
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise CloudError(f'{method} {path}: the answer is not JSON') from exc

    def upload_url(self, *, batch_id: str, content_md5: str, content_length: int, record_count: int) -> UploadTarget:
        answer = self._call(
            'POST',
            '/v1/bridge/upload-url',
            {
                'batch_id': batch_id,
                'content_md5': content_md5,
                'content_length': content_length,
                'record_count': record_count,
                'content_type': 'application/x-ndjson',
                'content_encoding': 'gzip',
            },
        )
        if (
            not isinstance(answer, dict)
            or not isinstance(answer.get('url'), str)
            or not isinstance(answer.get('key'), str)
        ):
            raise CloudError('upload-url: the answer lacks url and key')
        headers = answer.get('headers') or {}
        return UploadTarget(answer['url'], answer['key'], {str(k): str(v) for k, v in dict(headers).items()})

    def put_object(self, target: UploadTarget, body: bytes, content_md5: str) -> None:
        # The presigned URL is the credential: the bridge key is never sent to storage.
        headers = {'User-Agent': USER_AGENT, **target.headers, 'Content-MD5': content_md5}
        request = urllib.request.Request(target.url, data=body, method='PUT', headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.put_timeout) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode('utf-8', 'replace')
            raise CloudError(f'PUT {target.key}: HTTP {exc.code} {detail}', exc.code) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise CloudError(f'PUT {target.key}: {exc}') from exc
        if not 200 <= status < 300:
            raise CloudError(f'PUT {target.key}: HTTP {status}', status)

    def heartbeat(self, payload: dict[str, Any]) -> None:
        self.check_in(payload)

    def check_in(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A heartbeat whose answer is read: the machines the cloud ``accepted`` as this bridge's, and those it
        ``ignored`` (unknown, or another bridge's: their punches would be rejected)."""
        answer = self._call('POST', '/v1/bridge/heartbeat', payload)
        return answer if isinstance(answer, dict) else {}

    def recent_uploads(self) -> list[dict[str, Any]]:
        """This bridge's uploads the cloud reconciled in the last 24 hours, newest first, with counts and rejects."""
        answer = self._call('GET', '/v1/bridge/uploads')
        items = answer.get('items', []) if isinstance(answer, dict) else []
        return [item for item in items if isinstance(item, dict)]

    def backfill_requests(self) -> list[BackfillRequest]:
        answer = self._call('GET', '/v1/bridge/backfills')
        items = answer.get('items', []) if isinstance(answer, dict) else []
        requests: list[BackfillRequest] = []
        for item in items:
            try:
                requests.append(
                    BackfillRequest(str(item['request_id']), str(item['serial']), str(item['start']), str(item['end']))
                )
            except (KeyError, TypeError):
                continue
        return requests

    def report_backfill(
        self, request_id: str, state: str, detail: str | None, counts: Mapping[str, int] | None = None
    ) -> None:
        """``counts``: what the steps did (``resent`` spooled punches, ``pulled`` new ones, the machine's
        ``device_return`` code), each kept by the cloud beside the others."""
        quoted = urllib.parse.quote(request_id, safe='')
        self._call('POST', f'/v1/bridge/backfills/{quoted}', {'state': state, 'detail': detail, **(counts or {})})

    def health(self) -> dict[str, Any]:
        answer = self._call('GET', '/v1/health', auth=False)
        return answer if isinstance(answer, dict) else {}
