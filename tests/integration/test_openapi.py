"""The published OpenAPI document and the routes the app serves are the same set, and the document is valid."""

from __future__ import annotations

import re
from typing import Any

from openapi_spec_validator import validate

from chalicelib.api.routing import REGISTRY
from tests.support import Harness

METHODS = {'get', 'put', 'post', 'patch', 'delete'}


def served_routes() -> set[tuple[str, str]]:
    from app import app

    return {(method, path) for path, methods in app.routes.items() for method in methods}


def documented_routes(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in doc['paths'].items() for method in ops if method in METHODS}


def test_the_document_is_served_without_a_key(hx: Harness) -> None:
    reply = hx.call('GET', '/v1/openapi.json')
    assert reply.status == 200 and reply.body['openapi'].startswith('3.')


def test_every_served_route_is_documented_and_every_documented_route_is_served(hx: Harness) -> None:
    # Given the app's routing table and the served document
    doc = hx.call('GET', '/v1/openapi.json').body
    # When both are reduced to (method, path) pairs
    served, documented = served_routes(), documented_routes(doc)
    # Then they are the same set
    assert served - documented == set(), 'served but not documented'
    assert documented - served == set(), 'documented but not served'
    assert len(served) == len(REGISTRY)


def test_the_document_is_a_valid_openapi_description(hx: Harness) -> None:
    validate(hx.call('GET', '/v1/openapi.json').body)


def test_each_operation_declares_its_path_parameters_roles_and_the_error_shape(hx: Harness) -> None:
    doc = hx.call('GET', '/v1/openapi.json').body
    specs = {(s.method, s.path): s for s in REGISTRY}
    for path, ops in doc['paths'].items():
        for method, op in ops.items():
            spec = specs[(method.upper(), path)]
            declared = {p['name'] for p in op['parameters'] if p['in'] == 'path'}
            assert declared == set(re.findall(r'{(\w+)}', path)), (method, path)
            assert op['x-hadir-roles'] == list(spec.roles)
            assert op['responses']['422']['content']['application/json']['schema'] == {
                '$ref': '#/components/schemas/Error'
            }
            if spec.device:
                assert op['security'] == [{'DeviceSignature': []}], (method, path)
            else:
                assert ('security' in op and op['security'] == []) is spec.public
            has_key_header = any(p['name'] == 'Idempotency-Key' for p in op['parameters'])
            assert has_key_header is spec.idempotent, (method, path)


def test_request_bodies_leave_out_server_managed_fields(hx: Harness) -> None:
    doc = hx.call('GET', '/v1/openapi.json').body
    employee = doc['paths']['/v1/employees']['post']['requestBody']['content']['application/json']['schema']
    patch = doc['paths']['/v1/employees/{employee_id}']['patch']['requestBody']['content']['application/json']['schema']
    assert 'employee_id' not in employee['properties'] and 'version' not in employee['properties']
    assert {'nip', 'name', 'opd_id'} <= set(employee['properties']) and 'opd_id' in employee['required']
    assert 'required' not in patch
