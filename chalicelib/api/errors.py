"""The one mapping from DomainError to an HTTP response; every error has the same JSON shape."""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Response

from chalicelib.domain import errors as e

STATUS_BY_ERROR: dict[type[e.DomainError], int] = {
    e.MalformedRequest: 400,
    e.Unauthenticated: 401,
    e.Forbidden: 403,
    e.NotFound: 404,
    e.Conflict: 409,
    e.RequestInProgress: 409,
    e.Gone: 410,
    e.PayloadTooLarge: 413,
    e.UnsupportedMediaType: 415,
    e.ValidationFailed: 422,
    e.IdempotencyKeyReused: 422,
    e.TooManyRequests: 429,
    e.ServiceBusy: 503,
}


def status_for(error: e.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def error_body(
    code: str, message: str, request_id: str | None, fields: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {'code': code, 'message': message, 'request_id': request_id}
    if fields:
        error['fields'] = fields
    return {'error': error}


def error_response(error: e.DomainError, request_id: str | None) -> Response:
    fields = [{'path': f.path, 'message': f.message} for f in error.fields]
    body = error_body(error.code, error.message, request_id, fields)
    if error.details:
        body['error']['details'] = error.details
    return json_response(status_for(error), body, request_id)


def internal_error_response(request_id: str | None) -> Response:
    body = error_body('internal_error', 'something went wrong on our side; the request id helps us find it', request_id)
    return json_response(500, body, request_id)


def json_response(status: int, body: Any, request_id: str | None) -> Response:
    headers: dict[str, str | list[str]] = {'Content-Type': 'application/json'}
    if request_id:
        headers['X-Request-Id'] = request_id
    return Response(body=json.dumps(body, ensure_ascii=False, default=str), status_code=status, headers=headers)
