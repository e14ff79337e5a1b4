"""Issue 12 item 6: deactivating an employee, or recording their move out of the pemda, revokes their phone at once
(not only at its next request): the device record is revoked and unbound, the revocation is audited, and the phone's
next check-in is refused with 403 `employee_inactive` and a message that says why."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.checkin import Device, Enrolment
from chalicelib.services.checkins import KIND_DEVICE, KIND_ENROLMENT
from chalicelib.services.common import load
from chalicelib.wiring import get_deps
from tests.device import Phone
from tests.integration.test_checkin import (  # noqa: F401 - world is a fixture
    INSIDE,
    World,
    activate,
    check_in,
    enrol,
    world,
)

DEACTIVATIONS = {
    'DELETE': ('DELETE', None),
    'PATCH active=false': ('PATCH', {'active': False}),
}


def _key_id(secret: str) -> str:
    return secret.split('_')[1]  # hx_<key id>_<secret>: the audit names the key by its id


def _device(phone: Phone) -> Device:
    record = get_deps().store.get(KIND_DEVICE, str(phone.device_id))
    assert record is not None
    return load(Device, record)


def _enrolment(employee_id: str) -> Enrolment:
    record = get_deps().store.get(KIND_ENROLMENT, employee_id)
    assert record is not None
    return load(Enrolment, record)


def _working_phone(setup: World) -> Phone:
    phone = activate(setup, 0)
    assert enrol(setup, phone, 'ani').status == 201
    assert check_in(setup, phone, 'ani', INSIDE, key='before').body['outcome'] == 'accepted'
    assert _device(phone).revoked_at is None
    return phone


def _assert_revoked_and_refused(setup: World, phone: Phone, actor: str) -> None:
    employee_id = setup.employees[0]
    # the device is revoked and unbound before the phone sends anything
    assert _device(phone).revoked_at is not None
    assert _enrolment(employee_id).device_id is None
    audit = setup.hx.call('GET', '/v1/audit?opd=DIKES', setup.hx.super_key).body['items']
    revocations = [e for e in audit if e['action'] == 'device.revoke']
    assert [(e['target'], e['actor_key_id'], e['before'], e['after']) for e in revocations] == [
        (f'employee/{employee_id}', actor, {'device_ids': [phone.device_id]},
         {'device_id': None, 'reason': 'employee_inactive'}),
    ]  # fmt: skip
    # and the phone's next check-in is refused, saying why
    refused = check_in(setup, phone, 'ani', INSIDE, key='after')
    assert (refused.status, refused.body['error']['code']) == (403, 'employee_inactive'), refused.body
    assert 'tidak aktif' in refused.body['error']['message']
    assert 'Hubungi admin OPD' in refused.body['error']['message']


@pytest.mark.parametrize('how', list(DEACTIVATIONS))
def test_deactivating_an_employee_revokes_the_phone_at_once(world: World, how: str) -> None:  # noqa: F811
    # Given an employee whose phone checks in
    phone = _working_phone(world)
    # When the personnel office deactivates the employee
    method, body = DEACTIVATIONS[how]
    reply = world.hx.call(method, f'/v1/employees/{world.employees[0]}', world.hx.super_key, body)
    assert reply.status == 200, reply.body
    assert reply.body['active'] is False
    # Then the device is revoked (audited by the deactivating key) and the phone is refused
    _assert_revoked_and_refused(world, phone, _key_id(world.hx.super_key))


def test_a_move_out_of_the_pemda_revokes_the_phone_at_once(world: World) -> None:  # noqa: F811
    # Given an employee whose phone checks in
    phone = _working_phone(world)
    # When the personnel office records that they left the pemda as of yesterday (BERHENTI: active false)
    yesterday = (datetime.now(ZoneInfo('Asia/Jakarta')).date() - timedelta(days=1)).isoformat()
    change = {'effective_from': yesterday, 'reason': 'BERHENTI', 'active': False, 'reference': 'SK 821/2026'}
    recorded = world.hx.call('POST', f'/v1/employees/{world.employees[0]}/changes', world.hx.super_key, change)
    assert recorded.status == 201, recorded.body
    assert recorded.body['upcoming'] is False
    # Then the device is revoked and the phone is refused
    _assert_revoked_and_refused(world, phone, _key_id(world.hx.super_key))


def test_a_reactivated_employee_activates_a_new_phone_with_a_new_code(world: World) -> None:  # noqa: F811
    # Given an employee deactivated (phone revoked) and then active again
    old_phone = _working_phone(world)
    employee = f'/v1/employees/{world.employees[0]}'
    assert world.hx.call('DELETE', employee, world.hx.super_key).status == 200
    assert world.hx.call('PATCH', employee, world.hx.super_key, {'active': True}).status == 200
    # When a new code activates a phone: the old binding does not stand in the way
    new_phone = activate(world, 0)
    # Then the new phone works and the revoked one stays refused
    assert _device(new_phone).revoked_at is None
    assert _device(old_phone).revoked_at is not None
    assert _enrolment(world.employees[0]).device_id == new_phone.device_id
    refused = check_in(world, old_phone, 'ani', INSIDE, key='old')
    assert (refused.status, refused.body['error']['code']) == (401, 'device_revoked'), refused.body
