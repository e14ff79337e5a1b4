"""Mobile check-in end to end through the routes: activation, device signatures, face enrolment with the
duplicate search, check-in decisions, the queue for a busy face engine, the review queue and resets."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import resource_names as names
from chalicelib.adapters.clients import boto3_client
from chalicelib.services import checkins
from chalicelib.services.common import load
from chalicelib.settings import get_settings
from chalicelib.wiring import get_deps, use_face_engine
from tests.device import Phone
from tests.face_fakes import FakeFaceEngine, fake_image
from tests.integration.builders import employee_body, opd_body
from tests.support import Harness, Reply

OFFICE = {'kind': 'circle', 'name': 'Kantor Dinas', 'center': {'lat': -8.5833, 'lon': 116.1167}, 'radius_m': 100}
INSIDE = {'lat': -8.5834, 'lon': 116.1168, 'accuracy_m': 12.0}
FAR_AWAY = {'lat': -8.6000, 'lon': 116.1167, 'accuracy_m': 10.0}  # about 1.8 km south


@dataclass
class World:
    hx: Harness
    faces: FakeFaceEngine
    admin: str
    employees: list[str]
    nips: list[str]


@pytest.fixture
def world(hx: Harness) -> Iterator[World]:
    faces = FakeFaceEngine()
    use_face_engine(faces)
    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DIKES', locations=[OFFICE])).status == 201
    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DISPAR', locations=[OFFICE])).status == 201
    employees, nips = [], []
    for n, opd in ((1, 'DIKES'), (2, 'DIKES'), (3, 'DISPAR')):
        reply = hx.call('POST', '/v1/employees', hx.super_key, employee_body(opd, n))
        assert reply.status == 201, reply.body
        employees.append(reply.body['employee_id'])
        nips.append(reply.body['nip'])
    yield World(hx, faces, hx.make_key('opd_admin', 'DIKES'), employees, nips)
    use_face_engine(None)


def _b64(image: bytes) -> str:
    return base64.b64encode(image).decode()


def signed(hx: Harness, phone: Phone, method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
    query = kwargs.pop('query', None)
    extra = kwargs.pop('headers', {})
    raw, headers = phone.signed_json(method, path, body, query=query, **kwargs)
    target = path + ('?' + '&'.join(f'{k}={v}' for k, v in query.items()) if query else '')
    return hx.call(method, target, raw=raw if body is not None else None, headers={**headers, **extra})


def activate(world: World, index: int) -> Phone:
    hx = world.hx
    code = hx.call('POST', f'/v1/employees/{world.employees[index]}/activation-codes', hx.super_key)
    assert code.status == 201, code.body
    phone = Phone()
    body = {'nip': world.nips[index], 'code': code.body['code'], 'public_key': phone.public_jwk(), 'device_name': 'Uji'}
    reply = hx.call('POST', '/v1/mobile/activate', body=body)
    assert reply.status == 201, reply.body
    phone.device_id = reply.body['device_id']
    return phone


def enrol(world: World, phone: Phone, person: str) -> Reply:
    return signed(world.hx, phone, 'POST', '/v1/mobile/face', {'image': _b64(fake_image(person))})


def check_in(world: World, phone: Phone, person: str, where: dict[str, float], key: str = 'k1', **image: Any) -> Reply:
    image.setdefault('nonce', key)  # a fresh selfie per attempt; the same bytes twice is a replayed photo
    body = {'kind': 'in', 'image': _b64(fake_image(person, **image)), **where, 'client_time': '07:30'}
    return signed(world.hx, phone, 'POST', '/v1/mobile/checkins', body, headers={'Idempotency-Key': key})


def ledger_punches(employee_id: str) -> list[Any]:
    now = datetime.now(UTC)
    return get_deps().ledger.for_employee(employee_id, now - timedelta(days=1), now + timedelta(days=1))


def test_activation_enrolment_and_an_accepted_check_in_reach_the_ledger_and_the_history(world: World) -> None:
    # Given an employee activated on a phone with an enrolled face
    phone = activate(world, 0)
    assert enrol(world, phone, 'ani').status == 201
    assert signed(world.hx, phone, 'GET', '/v1/mobile/me').body['face_enrolled'] is True
    # When the employee checks in at the office with the same face
    reply = check_in(world, phone, 'ani', INSIDE)
    # Then the check-in is accepted, a phone punch is in the ledger at the server's time, and the history has it
    assert reply.status == 201, reply.body
    assert reply.body['outcome'] == 'accepted' and reply.body['distance_m'] == 0
    punches = ledger_punches(world.employees[0])
    assert [p.source.value for p in punches] == ['phone']
    assert abs((punches[0].at_utc - datetime.now(UTC)).total_seconds()) < 60
    history = signed(world.hx, phone, 'GET', '/v1/mobile/checkins')
    assert [item['checkin_id'] for item in history.body['items']] == [reply.body['checkin_id']]


def test_outside_the_geofence_is_refused_with_the_distance_and_punches_nothing(world: World) -> None:
    phone = activate(world, 0)
    enrol(world, phone, 'ani')
    reply = check_in(world, phone, 'ani', FAR_AWAY)
    assert reply.status == 201 and reply.body['outcome'] == 'refused'
    assert reply.body['reasons'][0]['code'] == 'outside_geofence'
    assert 1600 < reply.body['distance_m'] < 2000
    assert f'{reply.body["distance_m"]} m' in reply.body['reasons'][0]['message']
    assert ledger_punches(world.employees[0]) == []
    assert world.faces.calls['compare'] == 0  # no face comparison is spent on a refused position


def test_a_retry_with_the_same_idempotency_key_gets_the_same_answer_and_one_punch(world: World) -> None:
    phone = activate(world, 0)
    enrol(world, phone, 'ani')
    first = check_in(world, phone, 'ani', INSIDE, key='same')
    again = check_in(world, phone, 'ani', INSIDE, key='same')
    assert first.body == again.body
    assert len(ledger_punches(world.employees[0])) == 1


def test_the_same_face_under_a_second_nip_is_blocked_and_raises_an_alert(world: World) -> None:
    # Given Ani's face enrolled under her own NIP
    enrol(world, activate(world, 0), 'ani')
    # When the same face is enrolled from another employee's phone
    other = activate(world, 1)
    reply = enrol(world, other, 'ani')
    # Then the enrolment is refused, nothing is indexed for the second employee, and an alert is listed
    assert reply.status == 409 and reply.body['error']['code'] == 'duplicate_face'
    assert signed(world.hx, other, 'GET', '/v1/mobile/me').body['face_enrolled'] is False
    alerts = world.hx.call('GET', '/v1/alerts?opd=DIKES', world.admin).body['items']
    assert [(a['kind'], a['employee_id'], a['other_employee_id']) for a in alerts] == [
        ('duplicate_face', world.employees[1], world.employees[0])
    ]


def test_signature_failures_are_refused_with_their_own_codes(world: World) -> None:
    phone = activate(world, 0)
    stranger = Phone()
    raw, headers = phone.signed_json('GET', '/v1/mobile/me')
    assert world.hx.call('GET', '/v1/mobile/me', headers=headers).status == 200
    # A replay of exactly the same signed request
    replay = world.hx.call('GET', '/v1/mobile/me', headers=headers)
    assert (replay.status, replay.body['error']['code']) == (401, 'replayed_nonce')
    # Another key claiming this device
    forged = signed(world.hx, stranger, 'GET', '/v1/mobile/me', device_id=phone.device_id)
    assert (forged.status, forged.body['error']['code']) == (401, 'bad_signature')
    # A phone clock 5 minutes off
    stale = signed(
        world.hx, phone, 'GET', '/v1/mobile/me', timestamp_ms=int((datetime.now(UTC).timestamp() - 300) * 1000)
    )
    assert (stale.status, stale.body['error']['code']) == (401, 'stale_timestamp')
    assert 'server_time_ms' in stale.body['error']['details']
    # An unknown device, and no signature at all
    unknown = signed(world.hx, phone, 'GET', '/v1/mobile/me', device_id='dev-nothere')
    assert (unknown.status, unknown.body['error']['code']) == (401, 'unknown_device')
    bare = world.hx.call('GET', '/v1/mobile/me')
    assert (bare.status, bare.body['error']['code']) == (401, 'device_signature_missing')
    # A body changed after signing
    raw, headers = phone.signed_json('POST', '/v1/mobile/face', {'image': _b64(fake_image('ani'))})
    tampered = world.hx.call('POST', '/v1/mobile/face', raw=raw.replace(b'"image"', b'"image" '), headers=headers)
    assert (tampered.status, tampered.body['error']['code']) == (401, 'bad_signature')


def test_activation_codes_are_single_use_expire_and_lock_after_five_wrong_tries(world: World) -> None:
    hx = world.hx
    code = hx.call('POST', f'/v1/employees/{world.employees[2]}/activation-codes', hx.super_key).body['code']

    def attempt(candidate: str) -> Reply:
        return hx.call('POST', '/v1/mobile/activate', body={'nip': world.nips[2], 'code': candidate,
                                                            'public_key': Phone().public_jwk()})  # fmt: skip

    wrong = attempt('AAAA-AAAA')
    assert (wrong.status, wrong.body['error']['code']) == (401, 'activation_failed')
    assert attempt(code).status == 201
    used = attempt(code)
    assert (used.status, used.body['error']['code']) == (409, 'activation_used')
    # An expired code
    deps = get_deps()
    other = hx.call('POST', f'/v1/employees/{world.employees[1]}/activation-codes', hx.super_key).body['code']
    stored = deps.store.get(checkins.KIND_ACTIVATION, world.employees[1])
    assert stored is not None
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    deps.store.set_field(checkins.KIND_ACTIVATION, world.employees[1], 'expires_at', past)
    expired = hx.call('POST', '/v1/mobile/activate', body={'nip': world.nips[1], 'code': other,
                                                           'public_key': Phone().public_jwk()})  # fmt: skip
    assert (expired.status, expired.body['error']['code']) == (410, 'activation_expired')
    # Five wrong codes lock the NIP, even for the right code
    fresh = hx.call('POST', f'/v1/employees/{world.employees[0]}/activation-codes', hx.super_key).body['code']
    for _ in range(5):
        hx.call('POST', '/v1/mobile/activate', body={'nip': world.nips[0], 'code': 'BBBB-BBBB',
                                                     'public_key': Phone().public_jwk()})  # fmt: skip
    locked = hx.call('POST', '/v1/mobile/activate', body={'nip': world.nips[0], 'code': fresh,
                                                          'public_key': Phone().public_jwk()})  # fmt: skip
    assert (locked.status, locked.body['error']['code']) == (429, 'too_many_attempts')


def test_a_busy_face_engine_keeps_the_punch_pending_and_the_queue_verifies_it(world: World) -> None:
    # Given an enrolled employee and a face engine that refuses the next call
    phone = activate(world, 0)
    enrol(world, phone, 'ani')
    world.faces.busy_calls = 1
    # When the employee checks in
    reply = check_in(world, phone, 'ani', INSIDE)
    # Then the answer is pending, no punch yet, and a message waits in the queue
    assert reply.body['outcome'] == 'pending', reply.body
    assert ledger_punches(world.employees[0]) == []
    sqs = boto3_client('sqs')
    url = sqs.get_queue_url(QueueName=names.queue_name(get_settings().stage, names.QUEUE_FACE_CHECKS))['QueueUrl']
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)['Messages']
    assert [json.loads(m['Body']) for m in messages] == [{'checkin_id': reply.body['checkin_id']}]
    # When the queue consumer runs on that message
    event = world.hx.client.events.generate_sqs_event(
        queue_name=names.queue_name(get_settings().stage, names.QUEUE_FACE_CHECKS),
        message_bodies=[m['Body'] for m in messages],
    )  # fmt: skip
    result = world.hx.client.lambda_.invoke('verify_face_checks', event)
    # Then the check-in is accepted with the punch at its original server time
    assert json.loads(json.dumps(result.payload)) == {'accepted': 1}
    punches = ledger_punches(world.employees[0])
    assert len(punches) == 1
    assert punches[0].at_utc.isoformat().replace('+00:00', 'Z') == reply.body['at']
    history = signed(world.hx, phone, 'GET', '/v1/mobile/checkins').body['items']
    assert history[0]['outcome'] == 'accepted'
    # And a second delivery of the same message changes nothing
    assert world.hx.client.lambda_.invoke('verify_face_checks', event).payload == {'already-decided': 1}


def test_borderline_faces_wait_for_review_and_a_confirmed_manipulation_is_kept_for_the_month(world: World) -> None:
    phone = activate(world, 0)
    enrol(world, phone, 'ani')
    world.faces.similarity_overrides[('ani', 'ani-lookalike')] = 88.0
    flagged = check_in(world, phone, 'ani-lookalike', INSIDE)
    assert flagged.body['outcome'] == 'review'
    assert [r['code'] for r in flagged.body['reasons']] == ['borderline_similarity']
    queue = world.hx.call('GET', '/v1/checkins/review?opd=DIKES', world.admin)
    assert [item['checkin_id'] for item in queue.body['items']] == [flagged.body['checkin_id']]
    assert queue.body['items'][0]['selfie_url'].startswith('https://')
    assert queue.body['items'][0]['similarity'] == 88.0
    # Another OPD's admin cannot decide it
    outsider = world.hx.make_key('opd_admin', 'DISPAR')
    body = {'decision': 'reject', 'reason': 'foto orang lain', 'manipulation': True}
    denied = world.hx.call('POST', f'/v1/checkins/{flagged.body["checkin_id"]}/review', outsider, body)
    assert denied.status == 403
    decided = world.hx.call('POST', f'/v1/checkins/{flagged.body["checkin_id"]}/review', world.admin, body)
    assert decided.status == 200 and decided.body['outcome'] == 'rejected'
    month = flagged.body['local_date'][:7]  # the manipulation counts in the month of the local working date
    assert checkins.manipulation_confirmed(get_deps(), world.employees[0], month)
    assert ledger_punches(world.employees[0]) == []
    again = world.hx.call('POST', f'/v1/checkins/{flagged.body["checkin_id"]}/review', world.admin, body)
    assert (again.status, again.body['error']['code']) == (409, 'not_in_review')
    audit = world.hx.call('GET', '/v1/audit?opd=DIKES', world.hx.super_key).body['items']
    assert audit[0]['action'] == 'checkin.reject'


def test_an_approved_review_punches_at_the_check_in_time(world: World) -> None:
    phone = activate(world, 0)
    enrol(world, phone, 'ani')
    world.faces.similarity_overrides[('ani', 'ani-dim')] = 90.0
    flagged = check_in(world, phone, 'ani-dim', INSIDE)
    reply = world.hx.call('POST', f'/v1/checkins/{flagged.body["checkin_id"]}/review', world.admin,
                          {'decision': 'approve', 'reason': 'wajah sama, cahaya kurang'})  # fmt: skip
    assert reply.body['outcome'] == 'accepted'
    punches = ledger_punches(world.employees[0])
    assert [p.at_utc.isoformat().replace('+00:00', 'Z') for p in punches] == [flagged.body['at']]


def test_the_quality_gate_refuses_a_group_photo_at_enrolment_with_reasons(world: World) -> None:
    phone = activate(world, 0)
    raw_image = fake_image('ani', faces=2)
    reply = signed(world.hx, phone, 'POST', '/v1/mobile/face', {'image': _b64(raw_image)})
    assert (reply.status, reply.body['error']['code']) == (422, 'face_quality')
    assert [p['code'] for p in reply.body['error']['details']['problems']] == ['many_faces']
    not_a_photo = signed(world.hx, phone, 'POST', '/v1/mobile/face', {'image': _b64(b'GIF89a....')})
    assert (not_a_photo.status, not_a_photo.body['error']['code']) == (422, 'bad_image')
    early = check_in(world, phone, 'ani', INSIDE)
    assert (early.status, early.body['error']['code']) == (409, 'face_not_enrolled')


def test_a_reset_revokes_the_phone_and_forgets_the_face(world: World) -> None:
    phone = activate(world, 0)
    enrol(world, phone, 'ani')
    reset = world.hx.call('POST', f'/v1/employees/{world.employees[0]}/enrolment/reset', world.admin,
                          {'reason': 'ganti ponsel'})  # fmt: skip
    assert reset.status == 200, reset.body
    refused = signed(world.hx, phone, 'GET', '/v1/mobile/me')
    assert (refused.status, refused.body['error']['code']) == (401, 'device_revoked')
    assert world.faces.indexed == {}
    # The employee activates a new phone and enrols again
    new_phone = activate(world, 0)
    assert enrol(world, new_phone, 'ani').status == 201
    stored = get_deps().store.get(checkins.KIND_ENROLMENT, world.employees[0])
    assert stored is not None and load(checkins.Enrolment, stored).device_id == new_phone.device_id


def _rekognition_face() -> dict[str, Any]:
    return {
        'BoundingBox': {'Left': 0.3, 'Top': 0.2, 'Width': 0.35, 'Height': 0.45}, 'Confidence': 99.9,
        'Quality': {'Sharpness': 86.9, 'Brightness': 71.2}, 'Pose': {'Yaw': -4.5, 'Pitch': 3.2, 'Roll': 1.5},
        'EyesOpen': {'Value': True, 'Confidence': 98.0}, 'Sunglasses': {'Value': False, 'Confidence': 99.0},
    }  # fmt: skip


def test_a_throttled_rekognition_loses_no_punch(hx: Harness) -> None:
    # Given the Rekognition engine on a stubbed client, and an employee enrolled through it
    import boto3
    from botocore.stub import ANY, Stubber

    from chalicelib.adapters.rekognition import RekognitionFaceEngine

    client = boto3.client('rekognition', region_name='ap-southeast-1', aws_access_key_id='x', aws_secret_access_key='x')
    use_face_engine(RekognitionFaceEngine('hadir-test-faces', client=client))
    try:
        assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DIKES', locations=[OFFICE])).status == 201
        employee = hx.call('POST', '/v1/employees', hx.super_key, employee_body('DIKES', 1)).body
        world = World(hx, FakeFaceEngine(), hx.super_key, [employee['employee_id']], [employee['nip']])
        photo, selfie = b'\xff\xd8\xff\xe0 reference', b'\xff\xd8\xff\xe0 selfie'
        with Stubber(client) as stub:
            stub.add_response('detect_faces', {'FaceDetails': [_rekognition_face()]}, {'Image': ANY, 'Attributes': ANY})
            stub.add_response('search_faces_by_image', {'FaceMatches': []}, None)
            stub.add_response('index_faces', {'FaceRecords': [{'Face': {'FaceId': 'face-1'}}]}, None)
            phone = activate(world, 0)
            enrolled = signed(hx, phone, 'POST', '/v1/mobile/face', {'image': _b64(photo)})
            assert enrolled.status == 201, enrolled.body
            # When Rekognition throttles the check-in's first call
            stub.add_client_error('detect_faces', 'ThrottlingException', 'Rate exceeded', 400)
            body = {'kind': 'in', 'image': _b64(selfie), **INSIDE}
            reply = signed(hx, phone, 'POST', '/v1/mobile/checkins', body, headers={'Idempotency-Key': 'peak-1'})
            # Then the punch is kept as pending at its server time, not refused and not lost
            assert (reply.status, reply.body['outcome']) == (201, 'pending'), reply.body
            assert ledger_punches(employee['employee_id']) == []
            # When the queue consumer runs after the peak, with Rekognition answering again
            stub.add_response('detect_faces', {'FaceDetails': [_rekognition_face()]}, None)
            compared = {'FaceMatches': [{'Similarity': 99.2, 'Face': {}}], 'UnmatchedFaces': []}
            sent = {'SourceImage': {'Bytes': photo}, 'TargetImage': {'Bytes': selfie}, 'SimilarityThreshold': ANY}
            stub.add_response('compare_faces', compared, sent)
            sqs = boto3_client('sqs')
            queue = names.queue_name(get_settings().stage, names.QUEUE_FACE_CHECKS)
            url = sqs.get_queue_url(QueueName=queue)['QueueUrl']
            bodies = [m['Body'] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)['Messages']]
            event = hx.client.events.generate_sqs_event(queue_name=queue, message_bodies=bodies)
            assert hx.client.lambda_.invoke('verify_face_checks', event).payload == {'accepted': 1}
            stub.assert_no_pending_responses()
        # Then the punch is in the ledger at the time of the check-in, and the phone sees it accepted
        punches = ledger_punches(employee['employee_id'])
        assert [p.at_utc.isoformat().replace('+00:00', 'Z') for p in punches] == [reply.body['at']]
        history = signed(hx, phone, 'GET', '/v1/mobile/checkins').body['items']
        assert [(h['outcome'], h['similarity']) for h in history] == [('accepted', 99.2)]
    finally:
        use_face_engine(None)


def test_the_same_selfie_sent_twice_goes_to_review(world: World) -> None:
    phone = activate(world, 0)
    enrol(world, phone, 'ani')
    first = check_in(world, phone, 'ani', INSIDE, key='a', nonce='same-photo')
    second = check_in(world, phone, 'ani', INSIDE, key='b', nonce='same-photo')
    assert first.body['outcome'] == 'accepted'
    assert (second.body['outcome'], [r['code'] for r in second.body['reasons']]) == ('review', ['reused_selfie'])


def test_approved_duty_elsewhere_lets_the_employee_check_in_there_that_day_only(world: World) -> None:
    # Given an employee on approved duty (DL) at the governor's office today, recorded as a status with its place
    from zoneinfo import ZoneInfo

    phone = activate(world, 0)
    enrol(world, phone, 'ani')
    today = datetime.now(ZoneInfo('Asia/Makassar')).date()  # the OPD's zone (builders' default)
    centre = {'lat': FAR_AWAY['lat'], 'lon': FAR_AWAY['lon']}
    duty_place = {'kind': 'circle', 'name': 'Kantor Gubernur', 'center': centre, 'radius_m': 200}
    path = f'/v1/employees/{world.employees[0]}/statuses'
    approved = world.hx.call('POST', path, world.admin, {'code': 'DL', 'first': today.isoformat(),
                                                         'last': today.isoformat(), 'location': duty_place,
                                                         'reference': '800/12/DL/2026'})  # fmt: skip
    assert approved.status == 201, approved.body
    # When the employee checks in there
    reply = check_in(world, phone, 'ani', FAR_AWAY)
    # Then it is accepted against the duty place, and the status is listed and audited
    assert (reply.body['outcome'], reply.body['office'], reply.body['distance_m']) == ('accepted', 'Kantor Gubernur', 0)
    assert [s['reference'] for s in world.hx.call('GET', path, world.admin).body['items']] == ['800/12/DL/2026']
    assert world.hx.call('GET', '/v1/audit?opd=DIKES', world.hx.super_key).body['items'][0]['action'] == (
        'status.approve'
    )
    # And the duty's place is not another employee's: their check-in there is refused
    other = activate(world, 1)
    enrol(world, other, 'budi')
    refused = check_in(world, other, 'budi', FAR_AWAY)
    assert refused.body['outcome'] == 'refused'
    # And once the duty is cancelled, the place is no longer accepted for the employee either
    cancelled = world.hx.call('POST', f'/v1/statuses/{approved.body["status_id"]}/cancel', world.admin,
                              {'reason': 'dinas dibatalkan'})  # fmt: skip
    assert cancelled.status == 200, cancelled.body
    again = check_in(world, phone, 'ani', FAR_AWAY, key='k2')
    assert again.body['outcome'] == 'refused'
