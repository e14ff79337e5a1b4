"""Requests from the phone (cuti, sakit, izin, DL): asked with the device key, approved or rejected by the OPD's
admin, audited; an approved request is the status the day close uses, and GET /v1/me/month shows it.

January 2026, a WIB office; Ani asks for sick leave on Wednesday 14 January with a photo of the doctor's note.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from chalicelib.services import allowance
from chalicelib.wiring import get_books, get_deps, use_face_engine
from tests.device import Phone
from tests.face_fakes import FakeFaceEngine
from tests.integration.builders import employee_body, opd_body
from tests.integration.test_me_month import _activate
from tests.support import Harness, Reply

ZONE = 'Asia/Jakarta'
JPEG = b'\xff\xd8\xff\xe0' + b'\x00' * 200
SICK = {'type': 'sakit', 'first': '2026-01-14', 'last': '2026-01-14', 'reason': 'Demam tinggi, istirahat dokter'}


@dataclass
class World:
    hx: Harness
    ani: str
    ani_phone: Phone
    budi_phone: Phone
    dikes_admin: str
    dishub_admin: str
    auditor: str

    def phone(self, method: str, path: str, body: Any = None, phone: Phone | None = None) -> Reply:
        raw, headers = (phone or self.ani_phone).signed_json(method, path, body)
        return self.hx.call(method, path, raw=raw if body is not None else None, headers=headers)


@pytest.fixture
def world(hx: Harness) -> Iterator[World]:
    use_face_engine(FakeFaceEngine())
    key = hx.super_key
    for opd in ('DIKES', 'DISHUB'):
        assert hx.call('POST', '/v1/opds', key, opd_body(opd, zone=ZONE)).status == 201
    ani = hx.call('POST', '/v1/employees', key, employee_body('DIKES', 1)).body
    budi = hx.call('POST', '/v1/employees', key, employee_body('DISHUB', 2)).body
    yield World(hx, ani['employee_id'], _activate(hx, ani), _activate(hx, budi), hx.make_key('opd_admin', 'DIKES'),
                hx.make_key('opd_admin', 'DISHUB'), hx.make_key('auditor'))  # fmt: skip
    use_face_engine(None)


def _ask(world: World, body: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = world.phone('POST', '/v1/mobile/requests', body or {**SICK, 'letter': base64.b64encode(JPEG).decode()})
    assert reply.status == 201, reply.body
    return dict(reply.body)


def test_phone_request_admin_approval_day_close_and_my_month(world: World) -> None:
    hx = world.hx
    # When Ani asks for sick leave with the doctor's note
    asked = _ask(world)
    assert (asked['state'], asked['code'], asked['has_letter']) == ('pending', 'S', True)
    # Then her phone lists it as pending, and the DIKES admin sees it with a link to the note
    mine = world.phone('GET', '/v1/mobile/requests').body
    assert [(r['request_id'], r['state']) for r in mine['items']] == [(asked['request_id'], 'pending')]
    listed = hx.call('GET', '/v1/leave-requests?opd=DIKES', world.dikes_admin).body
    assert [r['request_id'] for r in listed['items']] == [asked['request_id']]
    assert listed['items'][0]['employee']['employee_id'] == world.ani and listed['items'][0]['letter_url']
    # When the admin approves it with the note's number
    path = f'/v1/leave-requests/{asked["request_id"]}/approve'
    approved = hx.call('POST', path, world.dikes_admin, {'reference': 'SKD/12/I/2026'})
    assert approved.status == 200, approved.body
    status_id = approved.body['status']['status_id']
    assert (approved.body['state'], approved.body['status_id']) == ('approved', status_id)
    # Then it is an approved status of Ani's, her phone shows the request approved, and approving again is refused
    statuses = hx.call('GET', f'/v1/employees/{world.ani}/statuses', world.dikes_admin).body['items']
    assert [(s['status_id'], s['code'], s['reference']) for s in statuses] == [(status_id, 'S', 'SKD/12/I/2026')]
    assert world.phone('GET', '/v1/mobile/requests').body['items'][0]['state'] == 'approved'
    again = hx.call('POST', path, world.dikes_admin, {'reference': 'SKD/12/I/2026'})
    assert (again.status, again.body['error']['code']) == (409, 'request_decided')
    # And after the day close, her month shows 14 January as sick leave
    allowance.close_days(get_deps(), get_books(), date(2026, 1, 14), date(2026, 1, 14))
    headers = world.ani_phone.sign('GET', '/v1/me/month', query={'month': '2026-01'})
    month = hx.call('GET', '/v1/me/month?month=2026-01', headers=headers)
    day = {d['date']: d for d in month.body['days']}['2026-01-14']
    assert (day['status'], day['status_code']) == ('status', 'S')
    # And the ask and the approval are in the audit log
    actions = [e['action'] for e in hx.call('GET', '/v1/audit?limit=200', hx.super_key).body['items']]
    assert {'leave_request.ask', 'leave_request.approve', 'status.approve'} <= set(actions)


def test_a_rejection_is_audited_and_the_phone_sees_the_reason(world: World) -> None:
    asked = _ask(world)
    path = f'/v1/leave-requests/{asked["request_id"]}/reject'
    short = world.hx.call('POST', path, world.dikes_admin, {'reason': 'no'})
    assert short.status == 422
    rejected = world.hx.call('POST', path, world.dikes_admin, {'reason': 'Surat dokter tidak terbaca'})
    assert rejected.status == 200, rejected.body
    mine = world.phone('GET', '/v1/mobile/requests').body['items'][0]
    assert (mine['state'], mine['decision_note']) == ('rejected', 'Surat dokter tidak terbaca')
    assert world.hx.call('GET', f'/v1/employees/{world.ani}/statuses', world.dikes_admin).body['items'] == []
    actions = [e['action'] for e in world.hx.call('GET', '/v1/audit?limit=200', world.hx.super_key).body['items']]
    assert 'leave_request.reject' in actions


def test_roles_and_opd_scope(world: World) -> None:
    hx = world.hx
    asked = _ask(world)
    approve = f'/v1/leave-requests/{asked["request_id"]}/approve'
    # Another OPD's admin neither sees nor decides DIKES requests; the auditor reads but cannot decide
    assert hx.call('GET', '/v1/leave-requests?opd=DIKES', world.dishub_admin).status == 403
    assert hx.call('GET', '/v1/leave-requests', world.dishub_admin).body['items'] == []
    assert hx.call('POST', approve, world.dishub_admin, {'reference': 'SKD/1'}).status == 403
    assert hx.call('GET', '/v1/leave-requests?opd=DIKES', world.auditor).status == 200
    assert hx.call('POST', approve, world.auditor, {'reference': 'SKD/1'}).status == 403
    # An API key cannot ask in an employee's name, and another phone does not see Ani's requests
    assert hx.call('POST', '/v1/mobile/requests', hx.super_key, SICK).status == 401
    assert world.phone('GET', '/v1/mobile/requests', phone=world.budi_phone).body['items'] == []


def test_validation_says_what_is_wrong(world: World) -> None:
    def refused(body: dict[str, Any]) -> dict[str, Any]:
        reply = world.phone('POST', '/v1/mobile/requests', body)
        assert reply.status == 422, reply.body
        return dict(reply.body['error'])

    backwards = refused({**SICK, 'first': '2026-01-15', 'last': '2026-01-14'})
    assert any(f['path'] == 'last' for f in backwards['fields'])
    long = refused({**SICK, 'first': '2026-01-01', 'last': '2026-03-01'})
    assert any('at most 31 days' in f['message'] for f in long['fields'])
    assert refused({**SICK, 'type': 'libur'})['fields']
    assert refused({**SICK, 'reason': 'x'})['fields']
    assert refused({**SICK, 'letter': base64.b64encode(b'GIF89a' + b'\x00' * 20).decode()})['code'] == 'bad_image'
    assert refused({**SICK, 'letter': 'not base64 at all!!'})['code'] == 'bad_image'
    # The sick-leave status needs the note's number at approval
    asked = _ask(world)
    missing = world.hx.call('POST', f'/v1/leave-requests/{asked["request_id"]}/approve', world.dikes_admin, {})
    assert missing.status == 422
    assert any(f['path'] == 'reference' for f in missing.body['error']['fields'])
