"""The local server of `make run`: the API under /v1/ through Chalice's local gateway, the web app from web/.

In the cloud CloudFront serves web/ from S3 and API Gateway the API, on one origin; this server keeps that shape on
loopback so the web app's default API base (its own origin) works unchanged.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalChalice, LocalDevServer

WEB_ROOT = Path(__file__).resolve().parents[1] / 'web'
HOST = '127.0.0.1'

CONTENT_TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.json': 'application/json',
    '.webmanifest': 'application/manifest+json',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.jpg': 'image/jpeg',
    '.jpeg': 'image/jpeg',
    '.webp': 'image/webp',
    '.ico': 'image/x-icon',
    '.woff2': 'font/woff2',
    '.txt': 'text/plain; charset=utf-8',
}
DEFAULT_CONTENT_TYPE = 'application/octet-stream'


def is_api_path(target: str) -> bool:
    """True for request targets the Chalice app answers: /v1 and everything under it."""
    path = urlsplit(target).path
    return path == '/v1' or path.startswith('/v1/')


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), DEFAULT_CONTENT_TYPE)


def resolve_static(web_root: Path, target: str) -> Path | None:
    """The file under `web_root` that a request target names, or None (404) for anything else.

    Directories answer with their index.html and never with a listing. Dot segments, hidden names, encoded
    separators and symlinks that lead out of the root are all refused.
    """
    raw = urlsplit(target).path
    decoded = unquote(raw, errors='strict')
    if not decoded.startswith('/') or '\\' in decoded or '\x00' in decoded:
        return None
    segments = [s for s in decoded.split('/') if s]
    if any(s in ('.', '..') or s.startswith('.') for s in segments):
        return None
    root = web_root.resolve()
    candidate = root.joinpath(*segments).resolve() if segments else root
    if not candidate.is_relative_to(root):
        return None
    if candidate.is_dir():
        candidate = candidate / 'index.html'
    return candidate if candidate.is_file() else None


class _Handler(ChaliceRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: Any, *, app_object: Chalice, config: Config,
                 web_root: Path) -> None:  # fmt: skip
        # Set before the base __init__: BaseHTTPRequestHandler handles the request inside its constructor.
        self.web_root = web_root
        super().__init__(request, client_address, server, app_object, config)

    def _route(self) -> None:
        if is_api_path(self.path):
            self._generic_handle()
        elif self.command in ('GET', 'HEAD'):
            self._send_static()
        else:
            self._send_plain(405, 'method not allowed\n', {'Allow': 'GET, HEAD'})

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _route

    def _send_static(self) -> None:
        try:
            found = resolve_static(self.web_root, self.path)
        except UnicodeDecodeError:
            found = None
        if found is None:
            self._send_plain(404, 'not found\n')
            return
        body = found.read_bytes()
        self.send_response(200)
        self.send_header('Content-Type', content_type(found))
        self.send_header('Content-Length', str(len(body)))
        # Always revalidate: a developer's edit must show on the next load (the service worker has its own cache).
        self.send_header('Cache-Control', 'no-cache')
        self.send_header('X-Content-Type-Options', 'nosniff')
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def _send_plain(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header('Content-Type', 'text/plain; charset=utf-8')
        self.send_header('Content-Length', str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)


class WebDevServer(LocalDevServer):
    """Chalice's LocalDevServer with the web app beside the API; `port` is the bound port (0 picks a free one)."""

    def __init__(self, app: Chalice, config: Config, port: int, web_root: Path) -> None:
        handler: Any = functools.partial(_Handler, web_root=web_root)
        super().__init__(app, config, HOST, port, handler_cls=handler)
        self.port = int(self.server.server_address[1])
        self.web_root = web_root

    @property
    def url(self) -> str:
        return f'http://{HOST}:{self.port}'


def create_server(app: Chalice, port: int, web_root: Path = WEB_ROOT) -> WebDevServer:
    """Serve `app` under /v1/ and the files of `web_root` elsewhere, on 127.0.0.1:`port`.

    Use it as chalice.local.create_local_server's result: `server.server.serve_forever()`, then `server.shutdown()`
    from another thread.
    """
    if not isinstance(app, LocalChalice):
        # As create_local_server does, current_request becomes thread-local (the server is threaded); a class of
        # its own per app, where Chalice re-bases one shared class.
        app.__class__ = type('LocalHadirChalice', (LocalChalice, app.__class__), {})
    return WebDevServer(app, Config.create(chalice_stage='local', app_name=app.app_name), port, web_root)
