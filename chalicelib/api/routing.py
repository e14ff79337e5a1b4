"""One way to declare an API route: authentication, body limits, JSON parsing, idempotency, the one
error mapping, and the route's OpenAPI entry all come from the `route` decorator."""

from __future__ import annotations

import hashlib
import importlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Request, Response

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
from chalicelib.domain.strict import (
    BOOLEAN_VALUES,
    DATE_PATTERN,
    FIRST_DAY,
    FIRST_YEAR,
    LAST_DAY,
    LAST_YEAR,
    MONTH_PATTERN,
    YEAR_PATTERN,
    ascii_int,
    date_or_none,
    parse_int,
)
from chalicelib.observability import logger

if TYPE_CHECKING:
    from pydantic import BaseModel

    from chalicelib.domain.models import Principal
    from chalicelib.services.checkins import DeviceCaller
    from chalicelib.services.common import Deps
    from chalicelib.settings import Settings

JSON = 'application/json'
CSV = 'text/csv'
XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
# Chalice answers unlisted types itself, in its own error shape; _parse_body answers them in ours.
ACCEPTED_CONTENT_TYPES = ['*/*']
MAX_IDEMPOTENCY_KEY_LENGTH = 128
IDEMPOTENCY_KEY_PATTERN = f'^[!-~]{{1,{MAX_IDEMPOTENCY_KEY_LENGTH}}}$'
MAX_PARAM_LENGTH = 200  # ids, codes and filters; a cursor is longer
REQUEST_ID_PATTERN = r'[A-Za-z0-9_.:-]{1,128}'  # echoed in a header and the body: nothing else is echoed
MAX_CURSOR_LENGTH = 2000
MAX_INTEGER = 999_999_999  # an integer parameter declared without bounds
MAX_PAGE_SIZE = 500  # the settings' default; a stage that lowers it answers 422 above its own bound


_PATTERN_WORDS = {
    DATE_PATTERN: f'a date YYYY-MM-DD from {FIRST_DAY} to {LAST_DAY}',
    MONTH_PATTERN: f'a month YYYY-MM from {FIRST_YEAR}-01 to {LAST_YEAR}-12',
    YEAR_PATTERN: f'a year from {FIRST_YEAR} to {LAST_YEAR}',
}


CURSOR_PATTERN = f'^[A-Za-z0-9_-]{{1,{MAX_CURSOR_LENGTH}}}$'  # base64url, as the adapters write them
_STANDARD_PARAMS: dict[str, dict[str, Any]] = {
    'month': {'pattern': MONTH_PATTERN},
    'date': {'pattern': DATE_PATTERN},
    'year': {'pattern': YEAR_PATTERN, 'type': 'string'},
    'limit': {'type': 'integer', 'minimum': 1, 'maximum': MAX_PAGE_SIZE},
    'cursor': {'pattern': CURSOR_PATTERN, 'max_length': MAX_CURSOR_LENGTH},
    'dry_run': {'type': 'boolean'},
}


@dataclass(frozen=True)
class QueryParam:
    """A query (or path) parameter: its OpenAPI schema and the server's check are both read from here."""

    name: str
    description: str
    type: str = 'string'  # string, integer or boolean
    required: bool = False
    pattern: str | None = None
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = MAX_PARAM_LENGTH

    def __post_init__(self) -> None:
        # A parameter declared by its name alone gets that name's meaning (a `month` is a month everywhere).
        standard = _STANDARD_PARAMS.get(self.name)
        if standard and not (self.pattern or self.enum or self.minimum is not None or self.maximum is not None):
            for attribute, value in standard.items():
                object.__setattr__(self, attribute, value)

    @property
    def low(self) -> int:
        return 0 if self.minimum is None else self.minimum

    @property
    def high(self) -> int:
        return MAX_INTEGER if self.maximum is None else self.maximum

    def schema(self) -> dict[str, Any]:
        if self.type == 'integer':
            return {'type': 'integer', 'minimum': self.low, 'maximum': self.high}
        if self.type == 'boolean':
            return {'type': 'boolean'}
        schema: dict[str, Any] = {'type': 'string'}
        if self.enum:
            schema['enum'] = list(self.enum)
        elif self.pattern:
            schema['pattern'] = self.pattern
        else:
            schema |= {'minLength': 1, 'maxLength': self.max_length}
        return schema

    def problem(self, raw: str) -> str | None:
        """Why `raw` is not a value of this parameter, or None when it is."""
        if self.type == 'integer':
            value = ascii_int(raw, max_digits=len(str(self.high)))
            ok = value is not None and self.low <= value <= self.high
            return None if ok else f'must be an integer from {self.low} to {self.high}'
        if self.type == 'boolean':
            return None if raw in BOOLEAN_VALUES else 'must be true or false'
        if self.enum:
            return None if raw in self.enum else f'must be one of {", ".join(self.enum)}'
        if self.pattern == DATE_PATTERN:
            return None if date_or_none(raw) else f'must be {_PATTERN_WORDS[DATE_PATTERN]}'
        if self.pattern:
            words = _PATTERN_WORDS.get(self.pattern, f'text matching {self.pattern}')
            return None if re.fullmatch(self.pattern, raw, re.ASCII) else f'must be {words}'
        if not 1 <= len(raw) <= self.max_length:
            return f'must be 1-{self.max_length} characters'
        return None


def month_param(description: str, *, name: str = 'month', required: bool = False) -> QueryParam:
    return QueryParam(name, description, required=required, pattern=MONTH_PATTERN)


def date_param(description: str, *, name: str = 'date', required: bool = False) -> QueryParam:
    return QueryParam(name, description, required=required, pattern=DATE_PATTERN)


def year_param(description: str, *, name: str = 'year', required: bool = False) -> QueryParam:
    return QueryParam(name, description, required=required, pattern=YEAR_PATTERN)


def flag_param(name: str, description: str) -> QueryParam:
    return QueryParam(name, description, 'boolean')


def load_model(reference: type[BaseModel] | str) -> type[BaseModel]:
    """The model a route's body names by import path ('chalicelib.services.checkins:CheckinBody'), or the model given.

    By path, so declaring a route imports no service: the first request or the OpenAPI document loads it (the
    Lambda's cold import, docs/deploy.md).
    """
    if not isinstance(reference, str):
        return reference
    module, _, name = reference.partition(':')
    model: type[BaseModel] = getattr(importlib.import_module(module), name)
    return model


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    summary: str
    tag: str
    roles: tuple[str, ...]
    body_ref: type[BaseModel] | str | None = None
    body_exclude: tuple[str, ...] = ()
    body_types: tuple[str, ...] = (JSON,)
    query: tuple[QueryParam, ...] = ()
    status: int = 200
    public: bool = False
    idempotent: bool = False
    paginated: bool = False
    device: bool = False  # signed by an activated phone's key instead of an API key (docs/checkin.md)
    max_body_bytes: int | None = None  # instead of the JSON or import limit of the settings
    own_idempotency: bool = False  # the view keeps the Idempotency-Key in its own transaction (a check-in)

    @property
    def body(self) -> type[BaseModel] | None:
        return None if self.body_ref is None else load_model(self.body_ref)


REGISTRY: list[RouteSpec] = []
PAGINATION = (
    QueryParam('limit', f'page size (1-{MAX_PAGE_SIZE}, default 50)', 'integer', minimum=1, maximum=MAX_PAGE_SIZE),
    QueryParam('cursor', 'next_cursor from the previous page'),
)
# Path segments that are not ids, by name: the same name means the same kind of value on every route.
PATH_PARAMS = {
    'month': month_param('YYYY-MM'),
    'year': year_param('YYYY'),
    'day': date_param('YYYY-MM-DD', name='day'),
    'valid_from': date_param('YYYY-MM-DD', name='valid_from'),
    'kind': QueryParam('kind', 'the kind of holiday', enum=('national', 'cuti_bersama', 'regional')),
}


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
    idempotency_key: str | None = None  # given to a view that keeps it itself (RouteSpec.own_idempotency)

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

    def flag(self, name: str) -> bool:
        """A boolean query parameter (already checked against its declaration): absent is false."""
        return self.query(name) == 'true'

    @property
    def limit(self) -> int:
        raw = self.query('limit')
        if raw is None:
            return self.settings.default_page_size
        return parse_int(raw, 'query.limit', minimum=1, maximum=self.settings.max_page_size)

    @property
    def cursor(self) -> str | None:
        return self.query('cursor')


def page(items: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    return {'items': items, 'count': len(items), 'next_cursor': next_cursor}


def request_id_of(request: Request) -> str:
    """API Gateway's request id; locally the caller's X-Request-Id when it is a plain token, else a new one."""
    context = request.context or {}
    given = request.headers.get('x-request-id') or ''
    own = given if re.fullmatch(REQUEST_ID_PATTERN, given, re.ASCII) else None
    return str(context.get('requestId') or own or uuid.uuid4())


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
    if spec.method in ('GET', 'DELETE') or (spec.body_ref is None and spec.body_types == (JSON,)):
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
    if spec.body_ref is not None:
        _check_json_types(spec, raw)
    return parsed, raw, content_type


def _check_params(spec: RouteSpec, request: Request, params: dict[str, str]) -> None:
    """The path and query parameters against their declarations, every problem reported at once."""
    issues = [
        FieldIssue(name, problem)
        for name, raw in params.items()
        if name in PATH_PARAMS and (problem := PATH_PARAMS[name].problem(raw))
    ]
    given: dict[str, str] = dict(request.query_params or {})
    for param in spec.query:
        raw = given.get(param.name)
        if raw is None:
            if param.required:
                issues.append(FieldIssue(f'query.{param.name}', f'is required: {param.description}'))
        elif problem := param.problem(raw):
            if param.name == 'cursor':  # opaque: one this API did not write, as the adapters answer it
                raise MalformedRequest('cursor is not one this API issued')
            issues.append(FieldIssue(f'query.{param.name}', problem))
    if issues:
        raise ValidationFailed('invalid parameters: ' + '; '.join(f'{i.path} {i.message}' for i in issues),
                               fields=tuple(issues))  # fmt: skip


# Errors pydantic's lax mode would have coerced away: `true` as 1, 1700000000 as a date, "5" as 5. Other errors are
# the service's to report (with the stored record in hand for a PATCH).
_STRICT_ONLY_ERRORS = ('_type', '_parsing', 'date_from_datetime_inexact', 'date_from_datetime_parsing')


def _integral(error: Any) -> bool:
    """`7.0` for an integer: JSON Schema counts it an integer (and pydantic's lax mode reads it as 7)."""
    value = error['input']
    return bool(error['type'] == 'int_type' and isinstance(value, float) and value.is_integer())


def _check_json_types(spec: RouteSpec, raw: bytes) -> None:
    """Each field of a JSON body is of the JSON type its schema declares: no number read from `true`, no date
    from a number. The service then validates the body as usual."""
    model = spec.body
    assert model is not None
    strict = _errors(model, raw, strict=True)
    if not strict:
        return
    # What lax mode refuses too is the service's to report, in its words (with the stored record for a PATCH).
    lax = {tuple(err['loc']) for err in _errors(model, raw, strict=False)}
    issues = tuple(
        FieldIssue('.'.join(str(part) for part in err['loc']) or 'body', err['msg'])
        for err in strict
        if tuple(err['loc']) not in lax
        and err['type'].endswith(_STRICT_ONLY_ERRORS)
        and err['type'] != 'model_type'
        and not _integral(err)
    )
    if issues:
        raise ValidationFailed('the request has fields of the wrong type', fields=issues)


def _errors(model: type[BaseModel], raw: bytes, *, strict: bool) -> list[Any]:
    from pydantic import ValidationError

    try:
        model.model_validate_json(raw, strict=strict)
    except ValidationError as exc:
        return list(exc.errors())
    return []


def _idempotency_key(request: Request) -> str | None:
    key: str | None = request.headers.get('idempotency-key')
    if key is None:
        return None
    if not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key, re.ASCII):
        raise MalformedRequest(
            f'Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters (a UUID will do)'
        )
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
    body: type[BaseModel] | str | None = None,
    body_exclude: tuple[str, ...] = (),
    body_types: tuple[str, ...] = (JSON,),
    query: tuple[QueryParam, ...] = (),
    status: int = 200,
    public: bool = False,
    idempotent: bool = False,
    paginated: bool = False,
    device: bool = False,
    max_body_bytes: int | None = None,
    own_idempotency: bool = False,
) -> Callable[[View], View]:
    spec = RouteSpec(
        method, path, summary, tag, roles, body, body_exclude, body_types, query + (PAGINATION if paginated else ()),
        status, public, idempotent, paginated, device, max_body_bytes, own_idempotency,
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
    # Imported by the first request, not by `import app`: the services, the adapters and boto3.
    from chalicelib.adapters import idempotency
    from chalicelib.services import checkins, keys
    from chalicelib.settings import get_settings
    from chalicelib.wiring import get_deps, get_mobile

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
    _check_params(spec, request, params)
    body, raw, content_type = _parse_body(request, spec, settings)
    key = _idempotency_key(request) if spec.idempotent else None
    ctx = Ctx(request, params, deps, settings, principal, body, raw, content_type, caller,
              key if spec.own_idempotency else None)  # fmt: skip
    actor = principal.key_id if principal else caller.device.device_id if caller else None
    if key is None or actor is None or spec.own_idempotency:
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
