"""Each kind of bad request gets its own status and code in the one error shape, and writes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.integration.builders import audit_length, employee_body, employee_count, nip, nip_owner, opd_body
from tests.support import Harness, Reply


@dataclass(frozen=True)
class State:
    employees: int
    audit: int


@pytest.fixture
def opd(hx: Harness) -> str:
    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('OPDA')).status == 201
    return 'OPDA'


@pytest.fixture
def unchanged(hx: Harness, opd: str) -> Iterator[None]:
    """Asserts, after the test, that no employee and no audit entry was added."""
    before = State(employee_count(), audit_length())
    yield
    assert State(employee_count(), audit_length()) == before


def assert_error(reply: Reply, status: int, code: str) -> dict[str, Any]:
    assert (reply.status, reply.body['error']['code']) == (status, code), reply.body
    error: dict[str, Any] = reply.body['error']
    assert error['message'] and error['request_id'] == reply.headers['X-Request-Id']
    assert set(error) <= {'code', 'message', 'request_id', 'fields', 'details'}
    return error


def field_paths(error: dict[str, Any]) -> list[str]:
    return [f['path'] for f in error.get('fields', [])]


def test_malformed_nip_is_422_on_the_nip_field_and_writes_nothing(hx: Harness, opd: str, unchanged: None) -> None:
    # Given a body whose NIP has an impossible birth date
    body = employee_body(opd, 1, nip='198502302010011001')
    # When it is posted
    error = assert_error(hx.call('POST', '/v1/employees', hx.super_key, body), 422, 'validation_failed')
    # Then the error points at nip and says why, and the NIP is not claimed
    assert error['fields'] == [{'path': 'nip', 'message': 'NIP digits 1-8 are not a valid birth date: 19850230'}]
    assert nip_owner('198502302010011001') is None


def test_unknown_opd_is_422_on_the_opd_id_field_and_claims_no_nip(hx: Harness, opd: str, unchanged: None) -> None:
    # Given a valid employee naming an OPD that does not exist
    body = employee_body('NOPE', 1)
    # When it is posted
    error = assert_error(hx.call('POST', '/v1/employees', hx.super_key, body), 422, 'validation_failed')
    # Then the error points at opd_id, and the NIP stays free
    assert field_paths(error) == ['opd_id'] and 'NOPE' in error['message']
    assert nip_owner(nip(1)) is None


def test_duplicate_nip_is_409_and_the_first_employee_keeps_it(hx: Harness, opd: str) -> None:
    # Given an employee holding NIP 1
    first = hx.call('POST', '/v1/employees', hx.super_key, employee_body(opd, 1))
    before = State(employee_count(), audit_length())
    # When another employee is posted with the same NIP
    reply = hx.call('POST', '/v1/employees', hx.super_key, employee_body(opd, 1, name='Orang Lain'))
    # Then it is a conflict naming the NIP, and nothing was added
    error = assert_error(reply, 409, 'conflict')
    assert nip(1) in error['message']
    assert State(employee_count(), audit_length()) == before
    assert nip_owner(nip(1)) == first.body['employee_id']


def test_duplicate_nik_with_a_fresh_nip_leaves_no_half_claimed_nip(hx: Harness, opd: str) -> None:
    # Given an employee who also has a NIK on file
    nik = '7371011503850001'
    assert hx.call('POST', '/v1/employees', hx.super_key, employee_body(opd, 1, nik=nik)).status == 201
    before = State(employee_count(), audit_length())
    # When another employee with a new NIP but the same NIK is posted
    reply = hx.call('POST', '/v1/employees', hx.super_key, employee_body(opd, 2, nik=nik))
    # Then it is refused as a whole: the new NIP was not claimed either
    assert 'NIK' in assert_error(reply, 409, 'conflict')['message']
    assert State(employee_count(), audit_length()) == before
    assert nip_owner(nip(2)) is None


def test_changing_a_nip_to_one_already_taken_is_409_and_changes_nothing(hx: Harness, opd: str) -> None:
    # Given two employees with NIPs 1 and 2
    first = hx.call('POST', '/v1/employees', hx.super_key, employee_body(opd, 1)).body
    hx.call('POST', '/v1/employees', hx.super_key, employee_body(opd, 2))
    audit_before = audit_length()
    # When the first is given the second's NIP
    reply = hx.call('PATCH', f'/v1/employees/{first["employee_id"]}', hx.super_key, {'nip': nip(2), 'name': 'X Y'})
    # Then it is a conflict, the first keeps its NIP and name, and both guards stay with their owners
    assert_error(reply, 409, 'conflict')
    stored = hx.call('GET', f'/v1/employees/{first["employee_id"]}', hx.super_key).body
    assert (stored['nip'], stored['name'], stored['version']) == (nip(1), first['name'], 0)
    assert nip_owner(nip(1)) == first['employee_id']
    assert nip_owner(nip(2)) != first['employee_id']
    assert audit_length() == audit_before


def test_body_over_the_limit_is_413_before_anything_is_parsed(hx: Harness, opd: str, unchanged: None) -> None:
    # Given an otherwise valid employee padded past the 64 KiB JSON limit
    body = employee_body(opd, 1, unit='x' * 70_000)
    # When it is posted; Then it is too large, and its NIP is not claimed
    error = assert_error(hx.call('POST', '/v1/employees', hx.super_key, body), 413, 'payload_too_large')
    assert '65536' in error['message']
    assert nip_owner(nip(1)) is None


BAD_JSON: list[tuple[str | bytes, str]] = [
    ('{"name": "Budi",', 'not valid JSON'),
    ("{'name': 'Budi'}", 'not valid JSON'),
    ('', 'empty'),
    (b'{"name": "\xff"}', 'not UTF-8'),
]


def test_bad_json_is_400_malformed_request(hx: Harness, opd: str, unchanged: None) -> None:
    # Given bodies that are not parseable JSON; When each is posted; Then each is a 400 saying why
    for raw, message in BAD_JSON:
        reply = hx.call('POST', '/v1/employees', hx.super_key, raw=raw)
        assert message in assert_error(reply, 400, 'malformed_request')['message'], raw


def test_a_json_body_that_is_not_an_object_is_400(hx: Harness, opd: str, unchanged: None) -> None:
    for raw in ('[{"name": "Budi"}]', '"Budi"', '42', 'null'):
        reply = hx.call('POST', '/v1/employees', hx.super_key, raw=raw)
        assert 'must be a JSON object' in assert_error(reply, 400, 'malformed_request')['message'], raw


def test_a_wrong_content_type_is_415_in_the_one_error_shape(hx: Harness, opd: str, unchanged: None) -> None:
    # Given a valid employee sent with Content-Types the route does not take
    raw = json.dumps(employee_body(opd, 1))
    for content_type in ('text/plain', 'application/xml', 'multipart/form-data; boundary=x'):
        # When it is posted; Then the API (not the framework) answers, in its own shape
        reply = hx.call('POST', '/v1/employees', hx.super_key, raw=raw, headers={'Content-Type': content_type})
        assert 'application/json' in assert_error(reply, 415, 'unsupported_media_type')['message'], content_type
    assert nip_owner(nip(1)) is None


def test_json_with_a_charset_parameter_is_accepted(hx: Harness, opd: str) -> None:
    reply = hx.call('POST', '/v1/employees', hx.super_key, employee_body(opd, 1),
                    headers={'Content-Type': 'application/json; charset=utf-8'})  # fmt: skip
    assert reply.status == 201


def test_an_unknown_field_is_422_on_that_field(hx: Harness, opd: str, unchanged: None) -> None:
    reply = hx.call('POST', '/v1/employees', hx.super_key, employee_body(opd, 1, gaji_pokok=3_000_000))
    error = assert_error(reply, 422, 'validation_failed')
    assert error['fields'] == [{'path': 'gaji_pokok', 'message': 'Extra inputs are not permitted'}]
    assert nip_owner(nip(1)) is None


def test_several_invalid_fields_are_reported_together_with_nested_paths(hx: Harness) -> None:
    # Given an OPD whose zone, and whose first location's radius, are invalid
    body = opd_body('OPDA', zone='Europe/Paris', locations=[
        {'kind': 'circle', 'name': 'Kantor', 'center': {'lat': -5.1, 'lon': 119.4}, 'radius_m': 1},
    ])  # fmt: skip
    # When it is posted; Then both problems are listed by their paths
    error = assert_error(hx.call('POST', '/v1/opds', hx.super_key, body), 422, 'validation_failed')
    assert set(field_paths(error)) == {'zone', 'locations.0.circle.radius_m'}


def test_server_managed_fields_cannot_be_set(hx: Harness, opd: str) -> None:
    # Given an employee
    emp = hx.call('POST', '/v1/employees', hx.super_key, employee_body(opd, 1)).body
    audit_before = audit_length()
    # When a client tries to choose an id, or to set the version or the id on a patch
    chosen_id = hx.call('POST', '/v1/employees', hx.super_key, {**employee_body(opd, 2), 'employee_id': 'emp-mine'})
    versioned = hx.call('PATCH', f'/v1/employees/{emp["employee_id"]}', hx.super_key, {'version': 7})
    renamed = hx.call('PATCH', f'/v1/employees/{emp["employee_id"]}', hx.super_key, {'employee_id': 'emp-x'})
    # Then each is refused on that field, and nothing changed
    for reply, field in ((chosen_id, 'employee_id'), (versioned, 'version'), (renamed, 'employee_id')):
        assert field_paths(assert_error(reply, 422, 'validation_failed')) == [field]
    assert (employee_count(), audit_length(), nip_owner(nip(2))) == (1, audit_before, None)
    assert hx.call('GET', f'/v1/employees/{emp["employee_id"]}', hx.super_key).body['version'] == 0


def test_an_unknown_id_is_404(hx: Harness) -> None:
    for path in ('/v1/employees/emp-nope', '/v1/machines/NOPE1234', '/v1/opds/NOPE', '/v1/bridges/NOPE',
                 '/v1/keys/aaaaaaaaaaaaa', '/v1/machines/NOPE1234/pins'):  # fmt: skip
        assert 'does not exist' in assert_error(hx.call('GET', path, hx.super_key), 404, 'not_found')['message']


def test_patching_an_unknown_employee_is_404_and_creates_nothing(hx: Harness, opd: str, unchanged: None) -> None:
    reply = hx.call('PATCH', '/v1/employees/emp-nope', hx.super_key, {'name': 'Hantu'})
    assert_error(reply, 404, 'not_found')


def test_a_cursor_the_api_did_not_issue_is_400(hx: Harness) -> None:
    for cursor in ('garbage!', 'eyJhIjogMX0', 'W10'):  # junk, {"a": 1}, []
        reply = hx.call('GET', f'/v1/employees?cursor={cursor}', hx.super_key)
        assert assert_error(reply, 400, 'malformed_request')['message'] == 'cursor is not one this API issued'


def test_a_page_size_out_of_range_is_422_on_query_limit(hx: Harness) -> None:
    for limit in ('0', '501', '-1', 'ten', '1.5'):
        error = assert_error(hx.call('GET', f'/v1/employees?limit={limit}', hx.super_key), 422, 'validation_failed')
        assert field_paths(error) == ['query.limit'], limit


def test_an_idempotency_key_that_is_too_long_is_400(hx: Harness, opd: str, unchanged: None) -> None:
    reply = hx.call(
        'POST', '/v1/employees', hx.super_key, employee_body(opd, 1), headers={'Idempotency-Key': 'k' * 129}
    )
    assert 'Idempotency-Key' in assert_error(reply, 400, 'malformed_request')['message']
