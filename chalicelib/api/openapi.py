"""The OpenAPI 3 document, generated from the same registry the routes are declared with."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.api.routing import IDEMPOTENCY_KEY_PATTERN, MAX_PARAM_LENGTH, PATH_PARAMS, REGISTRY, RouteSpec

ERROR_SCHEMA = {
    'type': 'object',
    'required': ['error'],
    'properties': {
        'error': {
            'type': 'object',
            'required': ['code', 'message'],
            'properties': {
                'code': {'type': 'string'},
                'message': {'type': 'string'},
                'request_id': {'type': ['string', 'null']},
                'fields': {
                    'type': 'array',
                    'items': {
                        'type': 'object',
                        'properties': {'path': {'type': 'string'}, 'message': {'type': 'string'}},
                    },
                },
            },
        }
    },
}
ERROR_STATUSES = {
    '400': 'Malformed request (bad JSON, bad cursor)',
    '401': 'Missing, unknown or revoked API key',
    '403': 'The key may not do this, or not for this OPD',
    '404': 'No such record',
    '409': 'Conflict with the stored state',
    '413': 'Body too large',
    '410': 'No longer available (an expired activation code, a retired record)',
    '415': 'Unsupported Content-Type',
    '422': 'Invalid fields (see error.fields)',
    '429': 'Too many requests; try again later',
    '503': 'A service the request needs is busy; try again later',
}


def _body_schema(spec: RouteSpec, components: dict[str, Any]) -> dict[str, Any]:
    assert spec.body is not None
    schema = spec.body.model_json_schema(ref_template='#/components/schemas/{model}')
    for name, definition in schema.pop('$defs', {}).items():
        components[name] = definition
    for excluded in spec.body_exclude:
        schema.get('properties', {}).pop(excluded, None)
        if excluded in schema.get('required', []):
            schema['required'].remove(excluded)
    if spec.method == 'PATCH':
        schema.pop('required', None)
        schema['description'] = 'Any subset of the fields; the result is validated as a whole.'
    return schema


def _path_schema(name: str) -> dict[str, Any]:
    if name in PATH_PARAMS:
        return PATH_PARAMS[name].schema()
    return {'type': 'string', 'minLength': 1, 'maxLength': MAX_PARAM_LENGTH}


def _operation(spec: RouteSpec, components: dict[str, Any]) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {'name': name, 'in': 'path', 'required': True, 'schema': _path_schema(name)}
        for name in re.findall(r'{(\w+)}', spec.path)
    ]
    params += [
        {'name': q.name, 'in': 'query', 'required': q.required, 'description': q.description, 'schema': q.schema()}
        for q in spec.query
    ]
    if spec.idempotent:
        params.append(
            {
                'name': 'Idempotency-Key',
                'in': 'header',
                'required': False,
                'description': 'retries with the same key get the first answer',
                'schema': {'type': 'string', 'pattern': IDEMPOTENCY_KEY_PATTERN},
            }
        )
    operation: dict[str, Any] = {
        'summary': spec.summary,
        'tags': [spec.tag],
        'operationId': f'{spec.method.lower()}_{re.sub(r"[^a-z0-9]+", "_", spec.path.lower()).strip("_")}',
        'parameters': params,
        'responses': {
            str(spec.status): {'description': 'OK', 'content': {'application/json': {'schema': {'type': 'object'}}}},
            **{
                code: {
                    'description': text,
                    'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}},
                }
                for code, text in ERROR_STATUSES.items()
            },
        },
        'x-hadir-roles': list(spec.roles),
    }
    if spec.device:
        operation['security'] = [{'DeviceSignature': []}]
    elif spec.public:
        operation['security'] = []
    if spec.body is not None:
        operation['requestBody'] = {
            'required': True,
            'content': {'application/json': {'schema': _body_schema(spec, components)}},
        }
    elif spec.body_types != ('application/json',):
        operation['requestBody'] = {
            'required': True,
            'content': {t: {'schema': {'type': 'string', 'format': 'binary'}} for t in spec.body_types},
        }
    return operation


def openapi_document(title: str = 'Hadir admin API', version: str = '1.0.0') -> dict[str, Any]:
    components: dict[str, Any] = {'Error': ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for spec in REGISTRY:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, components)
    return {
        'openapi': '3.1.0',
        'info': {'title': title, 'version': version},
        'servers': [{'url': '/'}],
        'security': [{'ApiKey': []}],
        'paths': paths,
        'components': {
            'schemas': components,
            'securitySchemes': {
                'ApiKey': {'type': 'apiKey', 'in': 'header', 'name': 'X-API-Key'},
                'DeviceSignature': {
                    'type': 'apiKey',
                    'in': 'header',
                    'name': 'X-Hadir-Signature',
                    'description': 'ECDSA P-256 signature by the phone key bound at activation, with X-Hadir-Device, '
                    'X-Hadir-Timestamp and X-Hadir-Nonce; the signed text is described in docs/checkin.md',
                },
            },
        },
    }
