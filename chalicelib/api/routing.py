"""One way to declare an API route: authentication, body limits, JSON parsing, idempotency, the one
error mapping, and the route's OpenAPI entry all come from the `route` decorator."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel

from chalicelib.adapters import idempotency
from chalicelib.api.errors import error_response, internal_error_response, json_response
from chalicelib.domain.errors import (
    DomainError,
    FieldIssue,
    Forbidden,
    MalformedRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from chalicelib.domain.models import Principal
from chalicelib.observability import logger
from chalicelib.services import checkins, keys
from chalicelib.services.checkins import DeviceCaller
from chalicelib.services.common import Deps
from chalicelib.settings import Settings, get_settings
from chalicelib.wiring import get_deps, get_mobile

JSON = 'application/json'
CSV = 'text/csv'
XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
# Chalice answers unlisted types itself, in its own error shape; _parse_body answers them in ours.
ACCEPTED_CONTENT_TYPES = ['*/*']
MAX_IDEMPOTENCY_KEY_LENGTH = 128


@dataclass(frozen=True)
class QueryParam:
    name: str
    description: str
    type: str = 'string'


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    summary: str
    tag: str
    roles: tuple[str, ...]
    body: type[BaseModel] | None = None
    body_exclude: tuple[str, ...] = ()
    body_types: tuple[str, ...] = (JSON,)
    query: tuple[QueryParam, ...] = ()
    status: int = 200
    public: bool = False
    idempotent: bool = False
    paginated: bool = False
    device: bool = False  # signed by an activated phone's key instead of an API key (docs/checkin.md)
    max_body_bytes: int | None = None  # instead of the JSON or import limit of the settings


REGISTRY: list[RouteSpec] = []
PAGINATION = (
    QueryParam('limit', 'page size (1-500, default 50)', 'integer'),
    QueryParam('cursor', 'next_cursor from the previous page'),
)


@dataclass
class Ctx:
    """What a view function receives."""

    request: Request
    params: dict[str, str]
    deps: Deps
    settings: Settings
    principal_or_none: Principal | None
    body: dict[str, Any] = field(default_factory=dict)
    raw_body: bytes = b''
    content_type: str = JSON
    caller_or_none: DeviceCaller | None = None

    @property
    def principal(self) -> Principal:
        assert self.principal_or_none is not None
        return self.principal_or_none

    @property
    def caller(self) -> DeviceCaller:
        assert self.caller_or_none is not None
        return self.caller_or_none

    def query(self, name: str) -> str | None:
        params: dict[str, str] = dict(self.request.query_params or {})
        return params.get(name) or None

    @property
    def limit(self) -> int:
        raw = self.query('limit')
        if raw is None:
            return self.settings.default_page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.settings.max_page_size:
            raise ValidationFailed(
                'limit is out of range',
                fields=(FieldIssue('query.limit', f'must be an integer from 1 to {self.settings.max_page_size}'),),
            )
        return int(raw)

    @property
    def cursor(self) -> str | None:
        return self.query('cursor')


def page(items: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    return {'items': items, 'count': len(items), 'next_cursor': next_cursor}


def request_id_of(request: Request) -> str:
    context = request.context or {}
    return str(context.get('requestId') or request.headers.get('x-request-id') or uuid.uuid4())


def _content_type(request: Request) -> str:
    return (request.headers.get('content-type') or JSON).split(';')[0].strip().lower()


def _raw_body(request: Request, spec: RouteSpec, settings: Settings) -> bytes:
    raw = request.raw_body or b''
    if isinstance(raw, str):
        raw = raw.encode()
    limit = spec.max_body_bytes or (
        settings.max_import_body_bytes if spec.body_types != (JSON,) else settings.max_json_body_bytes
    )
    if len(raw) > limit:
        raise PayloadTooLarge(f'request body is {len(raw)} bytes; the limit for this endpoint is {limit}')
    return raw


def _parse_body(request: Request, spec: RouteSpec, settings: Settings) -> tuple[dict[str, Any], bytes, str]:
    raw = _raw_body(request, spec, settings)
    content_type = _content_type(request)
    if spec.method in ('GET', 'DELETE') or (spec.body is None and spec.body_types == (JSON,)):
        return {}, raw, content_type
    if content_type not in spec.body_types:
        raise UnsupportedMediaType(
            f'Content-Type {content_type} is not accepted here; use one of {", ".join(spec.body_types)}'
        )
    if content_type != JSON:
        return {}, raw, content_type
    if not raw.strip():
        raise MalformedRequest('request body is empty; a JSON object is expected')
    try:
        parsed = json.loads(raw)
    except UnicodeDecodeError:
        raise MalformedRequest('request body is not UTF-8 text') from None
    except json.JSONDecodeError as exc:
        raise MalformedRequest(
            f'request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}'
        ) from None
    if not isinstance(parsed, dict):
        raise MalformedRequest(f'request body must be a JSON object, not {type(parsed).__name__}')
    return parsed, raw, content_type


def _idempotency_key(request: Request) -> str | None:
    key: str | None = request.headers.get('idempotency-key')
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH or not key.isprintable():
        raise MalformedRequest(f'Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY_LENGTH} printable characters')
    return key


View = Callable[[Ctx], Any]


def route(
    bp: Blueprint,
    path: str,
    method: str,
    *,
    summary: str,
    tag: str,
    roles: tuple[str, ...] = (),
    body: type[BaseModel] | None = None,
    body_exclude: tuple[str, ...] = (),
    body_types: tuple[str, ...] = (JSON,),
    query: tuple[QueryParam, ...] = (),
    status: int = 200,
    public: bool = False,
    idempotent: bool = False,
    paginated: bool = False,
    device: bool = False,
    max_body_bytes: int | None = None,
) -> Callable[[View], View]:
    spec = RouteSpec(
        method, path, summary, tag, roles, body, body_exclude, body_types, query + (PAGINATION if paginated else ()),
        status, public, idempotent, paginated, device, max_body_bytes,
    )  # fmt: skip
    REGISTRY.append(spec)

    def decorator(view: View) -> View:
        def chalice_view(**params: str) -> Response:
            request = bp.current_request
            request_id = request_id_of(request)
            try:
                return _handle(view, spec, request, params, request_id)
            except DomainError as error:
                logger.info('request refused', extra={'code': error.code, 'path': spec.path, 'reason': error.message})
                return error_response(error, request_id)
            except Exception:
                logger.exception('unhandled error', extra={'path': spec.path})
                return internal_error_response(request_id)

        chalice_view.__name__ = view.__name__
        bp.route(path, methods=[method], content_types=ACCEPTED_CONTENT_TYPES)(chalice_view)
        return view

    return decorator


def _handle(view: View, spec: RouteSpec, request: Request, params: dict[str, str], request_id: str) -> Response:
    settings = get_settings()
    deps = get_deps()
    principal = None
    if not spec.public and not spec.device:
        principal = keys.authenticate(deps, request.headers.get('x-api-key'), settings.key_last_used_resolution_seconds)
        logger.append_keys(key_id=principal.key_id, role=principal.role.value)
        if principal.role.value not in spec.roles:
            # Refused before the body is read: a caller without the role learns nothing about its request.
            raise Forbidden(f'role {principal.role} may not call {spec.method} {spec.path}')
    caller = None
    if spec.device:
        # The signature is checked before the body is parsed: an unsigned caller learns nothing of its request.
        raw_bytes = _raw_body(request, spec, settings)
        signed = checkins.SignedRequest(
            spec.method, spec.path.format_map(params), dict(request.query_params or {}),
            {k.lower(): v for k, v in request.headers.items()}, raw_bytes,
        )  # fmt: skip
        caller = checkins.authenticate_device(get_mobile(), signed)
        logger.append_keys(device_id=caller.device.device_id, employee_id=caller.employee.employee_id)
    body, raw, content_type = _parse_body(request, spec, settings)
    ctx = Ctx(request, params, deps, settings, principal, body, raw, content_type, caller)
    key = _idempotency_key(request) if spec.idempotent else None
    actor = principal.key_id if principal else caller.device.device_id if caller else None
    if key is None or actor is None:
        return json_response(spec.status, view(ctx), request_id)
    # request.path is the route template; the key must be scoped to the resource actually addressed.
    scope = f'{actor}:{spec.method} {spec.path.format_map(params)}'
    payload = body if content_type == JSON else {'sha256': _sha256(raw), 'query': dict(request.query_params or {})}
    shown_once: dict[str, Any] = {}

    def operation() -> dict[str, Any]:
        answer = view(ctx)
        if isinstance(answer, dict) and 'token' in answer:
            # A key's token is shown once and stored nowhere, so the remembered answer leaves it out.
            shown_once['token'] = answer.pop('token')
        return {'status': spec.status, 'body': answer}

    result = idempotency.run_once(scope, key, payload, operation, request.lambda_context)
    answer = {**result['body'], **shown_once} if shown_once else result['body']
    return json_response(int(result['status']), answer, request_id)


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
