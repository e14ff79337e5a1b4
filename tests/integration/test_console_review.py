"""What the console's review screen (Tinjauan) reads and does: a flagged check-in with both photos, the
employee and their recent check-ins, rejection as manipulation, and duplicate-face alerts with both photos
that a super admin resolves as different people so the blocked enrolment proceeds."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib.settings import get_settings
from chalicelib.wiring import get_mobile, use_face_engine
from tests.face_fakes import FakeFaceEngine
from tests.integration.builders import employee_body, opd_body
from tests.integration.test_checkin import INSIDE, OFFICE, World, activate, check_in, enrol, signed
from tests.support import Harness


@pytest.fixture
def desk(hx: Harness) -> Iterator[World]:
    faces = FakeFaceEngine()
    use_face_engine(faces)
    for opd in ('DIKES', 'DISPAR'):
        assert hx.call('POST', '/v1/opds', hx.super_key, opd_body(opd, locations=[OFFICE])).status == 201
    employees, nips = [], []
    for n, opd in ((1, 'DIKES'), (2, 'DIKES'), (3, 'DISPAR')):
        reply = hx.call('POST', '/v1/employees', hx.super_key, employee_body(opd, n))
        assert reply.status == 201, reply.body
        employees.append(reply.body['employee_id'])
        nips.append(reply.body['nip'])
    yield World(hx, faces, hx.make_key('opd_admin', 'DIKES'), employees, nips)
    use_face_engine(None)


def _short_lived(url: str) -> str:
    """The path of a presigned GET link, after checking that it expires."""
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    assert 'X-Amz-Expires' in query or 'Expires' in query, url
    if 'X-Amz-Expires' in query:
        assert int(query['X-Amz-Expires'][0]) == get_settings().selfie_link_seconds
    return parsed.path


def test_review_item_has_both_photos_the_employee_and_recent_checkins(desk: World) -> None:
    # Given Ani enrolled, one accepted check-in, then one borderline check-in waiting for review
    phone = activate(desk, 0)
    assert enrol(desk, phone, 'ani').status == 201
    accepted = check_in(desk, phone, 'ani', INSIDE, key='k1')
    desk.faces.similarity_overrides[('ani', 'ani-lookalike')] = 88.0
    flagged = check_in(desk, phone, 'ani-lookalike', INSIDE, key='k2')
    assert (accepted.body['outcome'], flagged.body['outcome']) == ('accepted', 'review')
    # When the DIKES admin opens the review queue
    queue = desk.hx.call('GET', '/v1/checkins/review?opd=DIKES', desk.admin)
    # Then the item carries the selfie and the enrolled reference photo as short-lived links, and the employee
    assert queue.status == 200, queue.body
    [item] = queue.body['items']
    assert item['checkin_id'] == flagged.body['checkin_id']
    assert (item['similarity'], item['distance_m'], item['accuracy_m']) == (88.0, 0, INSIDE['accuracy_m'])
    assert [r['code'] for r in item['reasons']] == ['borderline_similarity']
    assert item['employee'] == {'employee_id': desk.employees[0], 'nip': desk.nips[0], 'name': 'Pegawai 1',
                                'opd_id': 'DIKES'}  # fmt: skip
    assert _short_lived(item['selfie_url']).endswith(item['selfie_key'])
    assert f'/faces/{desk.employees[0]}/' in _short_lived(item['reference_url'])
    # And the employee's recent check-ins are listed newest first, for the reviewer to compare
    recent = desk.hx.call('GET', f'/v1/employees/{desk.employees[0]}/checkins?limit=5', desk.admin)
    assert recent.status == 200, recent.body
    assert [c['checkin_id'] for c in recent.body['items']] == [flagged.body['checkin_id'], accepted.body['checkin_id']]
    assert recent.body['items'][1]['outcome'] == 'accepted' and recent.body['items'][0]['accuracy_m'] == 12.0
    assert desk.hx.call('GET', f'/v1/employees/{desk.employees[0]}/checkins?limit=1', desk.admin).body['count'] == 1
    # And another OPD's admin reads neither
    outsider = desk.hx.make_key('opd_admin', 'DISPAR')
    assert desk.hx.call('GET', f'/v1/employees/{desk.employees[0]}/checkins', outsider).status == 403
    assert desk.hx.call('GET', '/v1/checkins/review?opd=DIKES', outsider).status == 403


def test_reject_as_manipulation_with_a_reason_is_audited_and_alerts_with_both_photos(desk: World) -> None:
    # Given a flagged check-in of Ani
    phone = activate(desk, 0)
    enrol(desk, phone, 'ani')
    desk.faces.similarity_overrides[('ani', 'ani-lookalike')] = 88.0
    flagged = check_in(desk, phone, 'ani-lookalike', INSIDE)
    # When the DIKES admin rejects it as manipulation, with the reason
    body = {'decision': 'reject', 'reason': 'foto dari layar ponsel lain', 'manipulation': True}
    decided = desk.hx.call('POST', f'/v1/checkins/{flagged.body["checkin_id"]}/review', desk.admin, body)
    # Then it is rejected with the reason, and the manipulation alert shows the selfie beside the enrolled face
    assert decided.status == 200, decided.body
    assert (decided.body['outcome'], decided.body['review_reason']) == ('rejected', 'foto dari layar ponsel lain')
    [alert] = desk.hx.call('GET', '/v1/alerts?opd=DIKES', desk.admin).body['items']
    assert alert['kind'] == 'manipulation' and alert['checkin_id'] == flagged.body['checkin_id']
    assert decided.body['selfie_key'] in alert['photo_url']
    assert f'faces/{desk.employees[0]}/' in alert['other_photo_url']
    audit = desk.hx.call('GET', '/v1/audit?opd=DIKES', desk.hx.super_key).body['items']
    assert (audit[0]['action'], audit[0]['after']['manipulation']) == ('checkin.reject', True)


def test_a_duplicate_face_alert_resolved_as_different_people_lets_the_enrolment_proceed(desk: World) -> None:
    # Given Ani enrolled, and her twin Ana (another employee) blocked at enrolment as a duplicate face
    enrol(desk, activate(desk, 0), 'ani')
    desk.faces.similarity_overrides[('ani', 'ana')] = 96.0
    twin = activate(desk, 1)
    blocked = enrol(desk, twin, 'ana')
    assert (blocked.status, blocked.body['error']['code']) == (409, 'duplicate_face')
    alert_id = blocked.body['error']['details']['alert_id']
    # When the console lists the alert
    [alert] = desk.hx.call('GET', '/v1/alerts?opd=DIKES', desk.admin).body['items']
    # Then both photos are there: the blocked enrolment photo and the other employee's enrolled face
    assert alert['alert_id'] == alert_id and alert['resolution'] is None
    assert alert['photo_key'] in alert['photo_url'] and b'"person": "ana"' in get_mobile().media.get(alert['photo_key'])
    assert f'faces/{desk.employees[0]}/' in alert['other_photo_url']
    # And an OPD admin may not resolve it, nor may the super admin without a reason
    decision = {'decision': 'different_people', 'reason': 'kembar identik, dicek langsung oleh BKPSDM'}
    assert desk.hx.call('POST', f'/v1/alerts/{alert_id}/resolve', desk.admin, decision).status == 403
    no_reason = desk.hx.call('POST', f'/v1/alerts/{alert_id}/resolve', desk.hx.super_key,
                             {'decision': 'different_people'})  # fmt: skip
    assert no_reason.status == 422
    # When the super admin resolves it as different people
    resolved = desk.hx.call('POST', f'/v1/alerts/{alert_id}/resolve', desk.hx.super_key, decision)
    # Then the alert keeps the decision, it is audited, and Ana's enrolment now goes through
    assert resolved.status == 200, resolved.body
    assert (resolved.body['resolution'], resolved.body['resolution_reason']) == ('different_people', decision['reason'])
    audit = desk.hx.call('GET', '/v1/audit?opd=DIKES', desk.hx.super_key).body['items']
    assert (audit[0]['action'], audit[0]['target']) == ('alert.resolve', f'alert/{alert_id}')
    assert enrol(desk, twin, 'ana').status == 201
    assert signed(desk.hx, twin, 'GET', '/v1/mobile/me').body['face_enrolled'] is True
    # And the same alert cannot be resolved twice
    again = desk.hx.call('POST', f'/v1/alerts/{alert_id}/resolve', desk.hx.super_key, decision)
    assert (again.status, again.body['error']['code']) == (409, 'already_resolved')


def test_a_manipulation_alert_cannot_be_resolved_and_a_third_face_is_still_blocked(desk: World) -> None:
    # Given Ani and Ana cleared as different people, and Ani's face also enrolled... by a third employee's phone
    enrol(desk, activate(desk, 0), 'ani')
    desk.faces.similarity_overrides[('ani', 'ana')] = 96.0
    blocked = enrol(desk, activate(desk, 1), 'ana')
    alert_id = blocked.body['error']['details']['alert_id']
    decision = {'decision': 'different_people', 'reason': 'kembar identik, dicek langsung'}
    assert desk.hx.call('POST', f'/v1/alerts/{alert_id}/resolve', desk.hx.super_key, decision).status == 200
    # When Ani's own face is enrolled from the DISPAR employee's phone
    third = enrol(desk, activate(desk, 2), 'ani')
    # Then it is still blocked: the clearance covers only the pair judged
    assert (third.status, third.body['error']['code']) == (409, 'duplicate_face')
    # And an unknown alert is a 404
    assert desk.hx.call('POST', '/v1/alerts/alr-nope/resolve', desk.hx.super_key, decision).status == 404


def test_enrolment_state_for_the_employee_page(desk: World) -> None:
    # Given Ani activated and enrolled, and Budi with a pending activation code
    phone = activate(desk, 0)
    enrol(desk, phone, 'ani')
    assert desk.hx.call('POST', f'/v1/employees/{desk.employees[1]}/activation-codes', desk.admin).status == 201
    # When the console reads both
    ani = desk.hx.call('GET', f'/v1/employees/{desk.employees[0]}/enrolment', desk.admin)
    budi = desk.hx.call('GET', f'/v1/employees/{desk.employees[1]}/enrolment', desk.admin)
    # Then Ani has her phone and face with a reference link, Budi a pending code and no phone
    assert ani.status == 200, ani.body
    assert ani.body['device']['device_id'] == phone.device_id and ani.body['face_enrolled'] is True
    assert f'faces/{desk.employees[0]}/' in ani.body['reference_url']
    assert (budi.body['device'], budi.body['face_enrolled'], budi.body['activation_code_pending']) == (
        None,
        False,
        True,
    )
    outsider = desk.hx.make_key('opd_admin', 'DISPAR')
    assert desk.hx.call('GET', f'/v1/employees/{desk.employees[0]}/enrolment', outsider).status == 403
