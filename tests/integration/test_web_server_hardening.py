"""The local server answers as the deployed one does (issue 11, item 6): an unknown /v1/ route is `404 not_found`
in the API's one error shape, not Chalice's `403 Missing Authentication Token`; every static file carries a
strict Content-Security-Policy, nosniff and no-referrer; and /admin/ serves the console."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator

import pytest

from hadir_local.web_server import WEB_ROOT, WebDevServer, create_server

AWS_ORIGIN = 'http://127.0.0.1:4566'
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https: http://127.0.0.1:4566; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


@pytest.fixture
def server(aws: None) -> Iterator[WebDevServer]:
    from app import app

    running = create_server(app, 0, WEB_ROOT, image_origins=(AWS_ORIGIN,))
    thread = threading.Thread(target=running.server.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server.server_close()
    thread.join(timeout=10)


def fetch(
    server: WebDevServer, method: str, target: str, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection('127.0.0.1', server.port, timeout=10)
    try:
        connection.request(method, target, body=body)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ('method', 'target'),
    [('GET', '/v1/nothing'), ('GET', '/v1'), ('POST', '/v1/employees/e1/nothing'), ('PUT', '/v1/keys'),
     ('DELETE', '/v1/health'), ('OPTIONS', '/v1/employees')],
)  # fmt: skip
def test_an_unknown_api_route_is_404_not_found_in_the_one_error_shape(
    server: WebDevServer, method: str, target: str
) -> None:
    # When a route (or a method of a route) the API does not have is called
    status, headers, body = fetch(server, method, target, b'{}' if method in ('POST', 'PUT') else None)
    # Then it is 404 with the API's error body, its request id in the header
    assert (status, headers['Content-Type']) == (404, 'application/json')
    error = json.loads(body)['error']
    assert error['code'] == 'not_found' and error['request_id'] == headers['X-Request-Id']
    assert '/v1/openapi.json' in error['message']


def test_known_routes_still_reach_the_app(server: WebDevServer) -> None:
    assert fetch(server, 'GET', '/v1/health')[0] == 200
    assert fetch(server, 'GET', '/v1/employees/')[0] == 401  # the trailing slash is the same route, as in API Gateway
    status, _, body = fetch(server, 'GET', '/v1/opds/DINKES')
    assert (status, json.loads(body)['error']['code']) == (401, 'unauthenticated')


@pytest.mark.parametrize('target', ['/', '/js/app.js', '/styles.css', '/manifest.webmanifest', '/sw.js', '/admin/'])
def test_every_static_file_carries_the_strict_policy(server: WebDevServer, target: str) -> None:
    status, headers, _ = fetch(server, 'GET', target)
    assert status == 200, target
    assert headers['Content-Security-Policy'] == POLICY
    assert (headers['X-Content-Type-Options'], headers['Referrer-Policy']) == ('nosniff', 'no-referrer')


def test_admin_serves_the_console_and_the_bare_folder_redirects_to_it(server: WebDevServer) -> None:
    status, headers, body = fetch(server, 'GET', '/admin/')
    assert (status, headers['Content-Type']) == (200, 'text/html; charset=utf-8')
    assert body == (WEB_ROOT / 'admin' / 'index.html').read_bytes()
    status, headers, _ = fetch(server, 'GET', '/admin')
    assert (status, headers['Location']) == (301, '/admin/')
