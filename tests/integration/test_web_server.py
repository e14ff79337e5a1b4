"""The local server of `make run` on loopback: the Chalice app under /v1/, the web app from web/, nothing else."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator

import pytest

from hadir_local.web_server import WEB_ROOT, WebDevServer, create_server


@pytest.fixture
def server(aws: None) -> Iterator[WebDevServer]:
    from app import app

    running = create_server(app, 0, WEB_ROOT)
    thread = threading.Thread(target=running.server.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server.server_close()
    thread.join(timeout=10)


def fetch(server: WebDevServer, method: str, target: str) -> tuple[int, dict[str, str], bytes]:
    # http.client sends the target as written: no client-side normalisation of '..' hides a traversal.
    connection = http.client.HTTPConnection('127.0.0.1', server.port, timeout=10)
    try:
        connection.request(method, target)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_the_api_answers_under_v1_as_chalice_local_did(server: WebDevServer) -> None:
    status, headers, body = fetch(server, 'GET', '/v1/health')
    assert status == 200 and headers['Content-Type'] == 'application/json'
    health = json.loads(body)
    assert (health['status'], health['stage'], health['checks']) == ('ok', 'test', {'directory_table': 'ok'})
    refused, _, _ = fetch(server, 'GET', '/v1/employees')
    assert refused == 401  # no API key: the app's own answer, not a static 404


def test_the_web_app_is_served_with_its_content_types(server: WebDevServer) -> None:
    expected = {
        '/': 'text/html; charset=utf-8',
        '/js/app.js': 'text/javascript; charset=utf-8',
        '/sw.js': 'text/javascript; charset=utf-8',
        '/styles.css': 'text/css; charset=utf-8',
        '/manifest.webmanifest': 'application/manifest+json',
        '/icon.svg': 'image/svg+xml',
        '/icon-192.png': 'image/png',
    }
    for target, content_type in expected.items():
        status, headers, body = fetch(server, 'GET', target)
        assert (status, headers['Content-Type']) == (200, content_type), target
        assert headers['X-Content-Type-Options'] == 'nosniff'
        assert int(headers['Content-Length']) == len(body) > 0
    _, _, index = fetch(server, 'GET', '/')
    assert b'data-testid="screen-aktivasi"' in index


def test_head_answers_the_headers_without_a_body(server: WebDevServer) -> None:
    status, headers, body = fetch(server, 'HEAD', '/js/api.js')
    assert status == 200 and body == b''
    assert int(headers['Content-Length']) == (WEB_ROOT / 'js' / 'api.js').stat().st_size


@pytest.mark.parametrize(
    'target', ['/../pyproject.toml', '/%2e%2e/pyproject.toml', '/js/%2e%2e/%2e%2e/app.py', '/..%2fapp.py', '/js/',
               '/%ff', '/nothing-here.js'],
)  # fmt: skip
def test_no_traversal_no_listing_and_missing_files_are_404(server: WebDevServer, target: str) -> None:
    status, headers, body = fetch(server, 'GET', target)
    assert (status, body) == (404, b'not found\n')
    assert headers['Content-Type'] == 'text/plain; charset=utf-8'


def test_writes_outside_the_api_are_refused(server: WebDevServer) -> None:
    status, headers, _ = fetch(server, 'POST', '/index.html')
    assert (status, headers['Allow']) == (405, 'GET, HEAD')
