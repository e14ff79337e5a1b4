"""The local server of `make run`: the API under /v1/ through Chalice's local gateway, the web app from web/.

In the cloud CloudFront serves web/ from S3 and API Gateway the API, on one origin; this server keeps that shape on
loopback so the web app's default API base (its own origin) works unchanged. As deployed, an unknown /v1/ route
(or a method a route does not have) answers `404 not_found` in the API's one error shape (API Gateway's gateway
responses do the same, infra/stacks/api.py), and every file goes out with a strict Content-Security-Policy.
"""

from __future__ import annotations

import functools
import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalChalice, LocalDevServer, RouteMatcher

from chalicelib.api.errors import error_body

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
# The screens load only their own scripts, styles and data (DESIGN §13: no inline script or style, no other
# origin). Images may also be data: and blob: (a selfie preview) and https: (the presigned S3 links of
# selfies); the phone's camera is a MediaStream on a <video>, which no directive governs.
CSP_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob: https:{extra_images}",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
)


def content_security_policy(image_origins: tuple[str, ...] = ()) -> str:
    """The policy of every static file; `image_origins` adds where images also come from (the embedded AWS)."""
    extra = ''.join(f' {origin}' for origin in image_origins)
    return '; '.join(CSP_DIRECTIVES).replace('{extra_images}', extra)


def static_headers(path: Path, length: int, image_origins: tuple[str, ...] = ()) -> dict[str, str]:
    return {
        'Content-Type': content_type(path),
        'Content-Length': str(length),
        # Always revalidate: a developer's edit must show on the next load (the service worker has its own cache).
        'Cache-Control': 'no-cache',
        'Content-Security-Policy': content_security_policy(image_origins),
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
    }


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


def api_route_exists(app: Chalice, method: str, target: str) -> bool:
    """True when `app` has a route for `target` (a request target under /v1/) with `method`."""
    try:
        matched = RouteMatcher(list(app.routes)).match_route(target)
    except ValueError:
        return False
    return method in app.routes[matched.route]


class _Handler(ChaliceRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: Any, *, app_object: Chalice, config: Config,
                 web_root: Path, image_origins: tuple[str, ...]) -> None:  # fmt: skip
        # Set before the base __init__: BaseHTTPRequestHandler handles the request inside its constructor.
        self.web_root = web_root
        self.app_object = app_object
        self.image_origins = image_origins
        super().__init__(request, client_address, server, app_object, config)

    def _route(self) -> None:
        if is_api_path(self.path):
            if api_route_exists(self.app_object, self.command, self.path):
                self._generic_handle()
            else:
                self._send_not_found_json()
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
        path = urlsplit(self.path).path
        if found.name == 'index.html' and not path.endswith(('/', '/index.html')):
            # /admin is the console's folder: its relative links (js/console.js) need the slash.
            self._send_plain(301, 'moved\n', {'Location': path + '/'})
            return
        body = found.read_bytes()
        self.send_response(200)
        for name, value in static_headers(found, len(body), self.image_origins).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def _send_not_found_json(self) -> None:
        # The request body is read (and dropped) so a kept-alive connection stays in step.
        self._parse_payload()
        request_id = str(uuid.uuid4())
        path = urlsplit(self.path).path
        message = f'there is no {self.command} {path} in this API; see /v1/openapi.json'
        body = json.dumps(error_body('not_found', message, request_id)).encode()
        self.send_response(404)
        for name, value in {'Content-Type': 'application/json', 'Content-Length': str(len(body)),
                            'X-Request-Id': request_id, 'X-Content-Type-Options': 'nosniff'}.items():  # fmt: skip
            self.send_header(name, value)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def _send_plain(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header('Content-Type', 'text/plain; charset=utf-8')
        self.send_header('Content-Length', str(len(body)))
        self.send_header('X-Content-Type-Options', 'nosniff')
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)


class WebDevServer(LocalDevServer):
    """Chalice's LocalDevServer with the web app beside the API; `port` is the bound port (0 picks a free one)."""

    def __init__(self, app: Chalice, config: Config, port: int, web_root: Path,
                 image_origins: tuple[str, ...] = ()) -> None:  # fmt: skip
        handler: Any = functools.partial(_Handler, web_root=web_root, image_origins=image_origins)
        super().__init__(app, config, HOST, port, handler_cls=handler)
        self.port = int(self.server.server_address[1])
        self.web_root = web_root

    @property
    def url(self) -> str:
        return f'http://{HOST}:{self.port}'


def create_server(
    app: Chalice, port: int, web_root: Path = WEB_ROOT, image_origins: tuple[str, ...] = ()
) -> WebDevServer:
    """Serve `app` under /v1/ and the files of `web_root` elsewhere, on 127.0.0.1:`port`. `image_origins` are
    allowed as image sources beside the page's own (locally, the embedded AWS that presigned selfie links name).

    Use it as chalice.local.create_local_server's result: `server.server.serve_forever()`, then `server.shutdown()`
    from another thread.
    """
    if not isinstance(app, LocalChalice):
        # As create_local_server does, current_request becomes thread-local (the server is threaded); a class of
        # its own per app, where Chalice re-bases one shared class.
        app.__class__ = type('LocalHadirChalice', (LocalChalice, app.__class__), {})
    config = Config.create(chalice_stage='local', app_name=app.app_name)
    return WebDevServer(app, config, port, web_root, image_origins)
