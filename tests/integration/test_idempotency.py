"""Retry-safe POSTs: the same Idempotency-Key and body give the first answer and write once."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.clients import boto3_client
from chalicelib.adapters.dynamodb.items import IdempotencyItem
from tests.integration.builders import audit_length, bridge_body, employee_body, employee_count, machine_body, opd_body
from tests.support import Harness, Reply


def post(hx: Harness, path: str, body: dict[str, Any] | None, idem: str, key: str | None = None) -> Reply:
    return hx.call('POST', path, key or hx.super_key, body, headers={'Idempotency-Key': idem})


def idempotency_records() -> list[IdempotencyItem]:
    return list(IdempotencyItem.scan())


def test_a_retry_with_the_same_key_and_body_gets_the_first_answer_and_writes_once(hx: Harness) -> None:
    # Given an OPD and an employee posted with Idempotency-Key k1
    hx.call('POST', '/v1/opds', hx.super_key, opd_body('OPDA'))
    audit_before = audit_length()
    first = post(hx, '/v1/employees', employee_body('OPDA', 1), 'k1')
    # When the same request is retried twice
    retries = [post(hx, '/v1/employees', employee_body('OPDA', 1), 'k1') for _ in range(2)]
    # Then every answer is the first one (same server-assigned id), and one employee, one audit entry
    # and one idempotency record exist
    assert first.status == 201
    assert all((r.status, r.body) == (first.status, first.body) for r in retries)
    assert employee_count() == 1
    assert audit_length() == audit_before + 1
    assert len(idempotency_records()) == 1


def test_the_same_key_with_a_different_body_is_422_and_writes_nothing(hx: Harness) -> None:
    # Given an employee created with key k1
    hx.call('POST', '/v1/opds', hx.super_key, opd_body('OPDA'))
    post(hx, '/v1/employees', employee_body('OPDA', 1), 'k1')
    audit_before = audit_length()
    # When k1 is reused for a different employee
    reply = post(hx, '/v1/employees', employee_body('OPDA', 2), 'k1')
    # Then it is refused with its own code, and nothing was written
    assert (reply.status, reply.body['error']['code']) == (422, 'idempotency_key_reused')
    assert employee_count() == 1 and audit_length() == audit_before


def test_different_keys_are_different_requests(hx: Harness) -> None:
    # Given the same key-creation body sent under two Idempotency-Keys
    body = {'name': 'auditor BPK', 'role': 'auditor'}
    first, second = post(hx, '/v1/keys', body, 'k1'), post(hx, '/v1/keys', body, 'k2')
    # Then two keys exist
    assert (first.status, second.status) == (201, 201)
    assert first.body['key_id'] != second.body['key_id']
    listed = hx.call('GET', '/v1/keys', hx.super_key).body['items']
    assert sum(1 for k in listed if k['name'] == 'auditor BPK') == 2


def test_requests_without_a_key_are_not_deduplicated(hx: Harness) -> None:
    body = {'name': 'finance BPKAD', 'role': 'finance'}
    replies = [hx.call('POST', '/v1/keys', hx.super_key, body) for _ in range(2)]
    assert [r.status for r in replies] == [201, 201] and replies[0].body['key_id'] != replies[1].body['key_id']
    assert idempotency_records() == []


def test_the_same_key_on_two_different_resources_runs_both(hx: Harness) -> None:
    # Given two machines and an employee
    hx.call('POST', '/v1/opds', hx.super_key, opd_body('OPDA'))
    emp = hx.call('POST', '/v1/employees', hx.super_key, employee_body('OPDA', 1)).body['employee_id']
    for serial in ('CKX0001', 'CKX0002'):
        hx.call('POST', '/v1/machines', hx.super_key, machine_body(serial, 'OPDA'))
    # When the same PIN mapping is posted to each machine under the same Idempotency-Key
    mapping = {'pin': '12', 'employee_id': emp, 'valid_from': '2026-01-01'}
    replies = [post(hx, f'/v1/machines/{serial}/pins', mapping, 'same') for serial in ('CKX0001', 'CKX0002')]
    # Then each machine gets its own mapping: the key is scoped to the resource, not the route template
    assert [(r.status, r.body['serial']) for r in replies] == [(201, 'CKX0001'), (201, 'CKX0002')]
    for serial in ('CKX0001', 'CKX0002'):
        assert len(hx.call('GET', f'/v1/machines/{serial}/pins', hx.super_key).body['items']) == 1


def test_the_same_key_from_two_callers_runs_for_each(hx: Harness) -> None:
    # Given two super keys using the same Idempotency-Key for the same body
    other_super = hx.make_key('super', name='second admin')
    body = {'name': 'auditor', 'role': 'auditor'}
    mine, theirs = post(hx, '/v1/keys', body, 'k1'), post(hx, '/v1/keys', body, 'k1', key=other_super)
    # Then each caller's request ran: one caller's key never replays another's answer
    assert (mine.status, theirs.status) == (201, 201)
    assert mine.body['key_id'] != theirs.body['key_id']


def test_a_failed_request_is_not_remembered_so_a_corrected_retry_succeeds(hx: Harness) -> None:
    # Given a sub-OPD posted before its parent exists
    child = opd_body('KEL', kind='kelurahan', parent_opd_id='KEC')
    failed = post(hx, '/v1/opds', child, 'k1')
    assert failed.status == 422
    # When the parent is created and the same request is retried with the same key
    hx.call('POST', '/v1/opds', hx.super_key, opd_body('KEC', kind='kecamatan'))
    retried = post(hx, '/v1/opds', child, 'k1')
    # Then the retry runs and succeeds
    assert retried.status == 201
    assert hx.call('GET', '/v1/opds/KEL', hx.super_key).status == 200


def test_tokens_are_not_kept_in_the_idempotency_table(hx: Harness) -> None:
    # Given a key and a bridge created with Idempotency-Keys (their tokens are in the responses)
    hx.call('POST', '/v1/opds', hx.super_key, opd_body('OPDA'))
    key = post(hx, '/v1/keys', {'name': 'auditor', 'role': 'auditor'}, 'k1')
    bridge = post(hx, '/v1/bridges', bridge_body('BR-1', 'OPDA'), 'k2')
    rotated = post(hx, '/v1/bridges/BR-1/rotate-key', None, 'k3')
    tokens = [key.body['token'], bridge.body['token'], rotated.body['token']]
    # When the idempotency table is read raw, as anyone with read access to it would
    table = IdempotencyItem.Meta.table_name
    stored = str(boto3_client('dynamodb').scan(TableName=table)['Items'])
    # Then no token's secret is in it: keys are stored hashed, everywhere
    assert len(idempotency_records()) == 3
    assert not [t for t in tokens if t.split('_', 2)[2] in stored]


def test_a_retried_key_creation_returns_the_same_key_without_its_token(hx: Harness) -> None:
    # Given a key created with Idempotency-Key k1
    first = post(hx, '/v1/keys', {'name': 'auditor', 'role': 'auditor'}, 'k1')
    # When the request is retried
    retry = post(hx, '/v1/keys', {'name': 'auditor', 'role': 'auditor'}, 'k1')
    # Then it names the same key, once created, but the token is not shown a second time
    assert retry.status == 201 and retry.body['key_id'] == first.body['key_id']
    assert 'token' in first.body and 'token' not in retry.body
    assert hx.call('GET', '/v1/me/key', first.body['token']).status == 200
