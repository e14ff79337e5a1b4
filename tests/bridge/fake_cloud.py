"""An in-process stand-in for the Hadir cloud's bridge routes and for S3's presigned PUT, on 127.0.0.1."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

SIGNING_SECRET = b'fake-presign-secret'
MAX_OBJECT_BYTES = 16 * 1024 * 1024


class FakeCloud:
    def __init__(self, api_key: str = 'hdr_bridge01_secret', bridge_id: str = 'bridge01') -> None:
        self.api_key = api_key
        self.bridge_id = bridge_id
        self.objects: dict[str, bytes] = {}
        self.puts: Counter[str] = Counter()
        self.upload_requests: list[dict[str, Any]] = []
        self.heartbeats: list[dict[str, Any]] = []
        self.backfills: list[dict[str, str]] = []
        self.backfill_reports: list[tuple[str, dict[str, Any]]] = []
        self.unauthorized = 0
        self.known_serials: set[str] | None = None  # the machines registered to this bridge; None: any
        self.reconciled: list[dict[str, Any]] = []  # what GET /v1/bridge/uploads answers (newest first)
        self.put_delay = 0.0
        self._lock = threading.Lock()
        handler = type('FakeCloudHandler', (_Handler,), {'cloud': self})
        self.server = ThreadingHTTPServer(('127.0.0.1', 0), handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=lambda: self.server.serve_forever(poll_interval=0.1), daemon=True)

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.server.server_address[1]}'

    def start(self) -> FakeCloud:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def object_key(self, batch_id: str) -> str:
        return f'uploads/{self.bridge_id}/{batch_id}.ndjson.gz'

    def records(self) -> list[dict[str, Any]]:
        """Every NDJSON record in every stored object (objects are overwritten by key, as S3 does)."""
        with self._lock:
            bodies = list(self.objects.values())
        return [json.loads(line) for body in bodies for line in gzip.decompress(body).decode('ascii').splitlines()]

    def punches(self) -> list[dict[str, Any]]:
        return [record for record in self.records() if record['kind'] == 'punch']

    def sign(self, key: str) -> str:
        return hmac.new(SIGNING_SECRET, key.encode(), hashlib.sha256).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    cloud: FakeCloud

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _json(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _body(self) -> bytes:
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length else b''

    def _authorized(self) -> bool:
        if self.headers.get('X-API-Key') != self.cloud.api_key:
            self.cloud.unauthorized += 1
            self._json(401, {'error': 'bad key'})
            return False
        return True

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        if path == '/v1/health':
            self._json(200, {'status': 'ok'})
        elif path == '/v1/bridge/uploads' and self._authorized():
            self._json(200, {'hours': 24, 'items': self.cloud.reconciled})
        elif path == '/v1/bridge/backfills' and self._authorized():
            reported = {request_id for request_id, report in self.cloud.backfill_reports if report['state'] == 'done'}
            items = [item for item in self.cloud.backfills if item['request_id'] not in reported]
            self._json(200, {'items': items})
        elif not path.startswith('/v1/bridge/'):
            self._json(404, {'error': 'not found'})

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        body = self._body()
        if not self._authorized():
            return
        data = json.loads(body or b'{}')
        cloud = self.cloud
        if path == '/v1/bridge/upload-url':
            with cloud._lock:
                cloud.upload_requests.append(data)
            key = cloud.object_key(data['batch_id'])
            url = f'{cloud.url}/s3/{key}?X-Sig={cloud.sign(key)}&MD5={quote(data["content_md5"], safe="")}'
            headers = {'Content-Type': 'application/x-ndjson', 'Content-Encoding': 'gzip'}
            self._json(200, {'url': url, 'key': key, 'method': 'PUT', 'headers': headers, 'expires_in': 900})
        elif path == '/v1/bridge/heartbeat':
            with cloud._lock:
                cloud.heartbeats.append(data)
            serials = [str(machine.get('serial')) for machine in data.get('machines', [])]
            known = cloud.known_serials
            accepted = [serial for serial in serials if known is None or serial in known]
            ignored = [serial for serial in serials if serial not in accepted]
            self._json(200, {'accepted': accepted, 'ignored': ignored, 'received_at': '2026-01-05T00:00:00+00:00'})
        elif path.startswith('/v1/bridge/backfills/'):
            with cloud._lock:
                cloud.backfill_reports.append((path.rsplit('/', 1)[1], data))
            self._json(200, {'ok': True})
        else:
            self._json(404, {'error': 'not found'})

    def do_PUT(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        key = parts.path.removeprefix('/s3/')
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        body = self._body()
        cloud = self.cloud
        time.sleep(cloud.put_delay)
        if self.headers.get('X-API-Key'):
            self._json(400, {'error': 'the bridge key must never reach storage'})
        elif not hmac.compare_digest(query.get('X-Sig', ''), cloud.sign(key)):
            self._json(403, {'error': 'SignatureDoesNotMatch'})
        elif len(body) > MAX_OBJECT_BYTES:
            self._json(400, {'error': 'EntityTooLarge'})
        elif self.headers.get('Content-MD5') != base64.b64encode(hashlib.md5(body).digest()).decode():
            self._json(400, {'error': 'BadDigest'})
        elif self.headers.get('Content-MD5') != query.get('MD5'):
            self._json(403, {'error': 'the signed MD5 differs'})
        else:
            with cloud._lock:
                cloud.objects[key] = body
                cloud.puts[key] += 1
            self.send_response(200)
            self.send_header('ETag', f'"{hashlib.md5(body).hexdigest()}"')
            self.send_header('Content-Length', '0')
            self.end_headers()
