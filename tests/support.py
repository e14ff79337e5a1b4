"""Shared helpers for integration tests: a Chalice test client with a bootstrapped super key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalice.test import Client

from chalicelib.adapters import idempotency
from chalicelib.adapters.clients import reset_clients
from chalicelib.services import keys
from chalicelib.wiring import get_deps


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class Harness:
    client: Client
    super_key: str

    def call(self, method: str, path: str, key: str | None = None, body: Any = None, *, raw: bytes | str | None = None,
             headers: dict[str, str] | None = None) -> Reply:  # fmt: skip
        sent = dict(headers or {})
        if key is not None:
            sent['X-API-Key'] = key
        if body is not None:
            raw = json.dumps(body)
        if raw is not None:
            sent.setdefault('Content-Type', 'application/json')
        response = self.client.http.request(method, path, headers=sent, body=raw if raw is not None else b'')
        text = response.body.decode() if isinstance(response.body, bytes) else response.body
        return Reply(response.status_code, json.loads(text) if text else None, dict(response.headers))

    def make_key(self, role: str, opd_id: str | None = None, name: str = 'test key') -> str:
        body: dict[str, Any] = {'name': name, 'role': role}
        if opd_id:
            body['opd_id'] = opd_id
        reply = self.call('POST', '/v1/keys', self.super_key, body)
        assert reply.status == 201, reply.body
        return str(reply.body['token'])


def make_harness() -> Harness:
    get_deps.cache_clear()
    reset_clients()
    idempotency.reset_cache()
    from app import app

    token = keys.bootstrap_super_key(get_deps(), 'test super')
    return Harness(Client(app), token)
