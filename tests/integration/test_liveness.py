"""Liveness through the routes: the one-time head-turn challenge, the two frames judged from what the engine
measures, reused photos, at most two engine calls per check-in (fake and stubbed Rekognition), the queue for a
busy engine, and a deactivated employee's phone."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import resource_names as names
from chalicelib.adapters.clients import boto3_client
from chalicelib.services import liveness
from chalicelib.settings import get_settings
from chalicelib.wiring import get_deps, use_face_engine
from tests.device import Phone
from tests.face_fakes import FakeFaceEngine, fake_image
from tests.integration.builders import employee_body, opd_body
from tests.integration.test_checkin import INSIDE, OFFICE, World, activate, ledger_punches, signed
from tests.support import Harness, Reply

TURN = {'left': 30.0, 'right': -30.0}  # the port's yaw: positive when the face turns towards the image's right


@pytest.fixture
def required(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Liveness as deployed: required (tests/conftest.py turns it off for the tiers written before it)."""
    monkeypatch.setenv('HADIR_STAGE', get_settings().stage)
    monkeypatch.setenv('HADIR_LIVENESS_REQUIRED', 'true')
    get_settings.cache_clear()
    assert get_settings().liveness_required  # read now: inside a request the Client's stage environment applies
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def world(hx: Harness, required: None) -> Iterator[World]:
    faces = FakeFaceEngine()
    use_face_engine(faces)
    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DIKES', locations=[OFFICE])).status == 201
    employees, nips = [], []
    for n in (1, 2):
        reply = hx.call('POST', '/v1/employees', hx.super_key, employee_body('DIKES', n))
        assert reply.status == 201, reply.body
        employees.append(reply.body['employee_id'])
        nips.append(reply.body['nip'])
    yield World(hx, faces, hx.make_key('opd_admin', 'DIKES'), employees, nips)
    use_face_engine(None)


def _b64(image: bytes) -> str:
    return base64.b64encode(image).decode()


def challenge(world: World, phone: Phone, purpose: str = 'checkin') -> dict[str, Any]:
    reply = signed(world.hx, phone, 'POST', '/v1/mobile/liveness', {'purpose': purpose})
    assert reply.status == 201, reply.body
    return dict(reply.body)


REFERENCE = fake_image('ani', left=0.30, nonce='reference')


def enrol(world: World, phone: Phone, image: bytes = REFERENCE, turned: bytes | None = None) -> Reply:
    asked = challenge(world, phone, 'enrol')
    turned = turned or fake_image('ani', yaw=TURN[asked['direction']], left=0.32, nonce='enrol-turned')
    body = {'image': _b64(image), 'liveness': {'challenge_id': asked['challenge_id'], 'turned_image': _b64(turned)}}
    return signed(world.hx, phone, 'POST', '/v1/mobile/face', body)


def send(world: World, phone: Phone, frontal: bytes, turned: bytes, challenge_id: str, key: str) -> Reply:
    body = {'kind': 'in', 'image': _b64(frontal), **INSIDE,
            'liveness': {'challenge_id': challenge_id, 'turned_image': _b64(turned)}}  # fmt: skip
    return signed(world.hx, phone, 'POST', '/v1/mobile/checkins', body, headers={'Idempotency-Key': key})


def live_check_in(world: World, phone: Phone, key: str, person: str = 'ani', **frontal: Any) -> Reply:
    """What a live person does: a frontal frame, then a frame turned as the challenge asks."""
    asked = challenge(world, phone)
    frontal.setdefault('left', 0.10)
    shot = fake_image(person, nonce=f'{key}-front', **frontal)
    turned = fake_image(person, yaw=TURN[asked['direction']], left=frontal['left'] + 0.02, nonce=f'{key}-turned')
    return send(world, phone, shot, turned, asked['challenge_id'], key)


def codes(reply: Reply) -> list[str]:
    return [r['code'] for r in reply.body['reasons']]


def test_a_live_person_checks_in_with_two_engine_calls_and_no_detect(world: World) -> None:
    # Given an employee enrolled with liveness
    phone = activate(world, 0)
    assert enrol(world, phone).status == 201
    world.faces.calls.clear()
    # When they check in: a frontal frame and a frame turned the way the challenge asks
    reply = live_check_in(world, phone, 'k1')
    # Then the check-in is accepted and punched, for two comparisons with the reference and nothing else
    assert (reply.status, reply.body['outcome'], codes(reply)) == (201, 'accepted', []), reply.body
    assert dict(world.faces.calls) == {'compare_detail': 2}
    assert len(ledger_punches(world.employees[0])) == 1
    # And the turned frame and what liveness measured are kept beside the check-in for a reviewer
    kept = get_deps().store.get(liveness.KIND_LIVENESS, reply.body['checkin_id'])
    assert kept is not None and kept.data['passed'] is True
    assert kept.data['measures']['turned_yaw'] == TURN[kept.data['direction']]


def test_a_still_photo_held_to_the_camera_is_refused(world: World) -> None:
    # Given an enrolled employee, and a colleague holding up one photo of them for both frames
    phone = activate(world, 0)
    enrol(world, phone)
    asked = challenge(world, phone)
    photo = fake_image('ani', left=0.2, nonce='printed')
    # When it is sent as the frontal and the turned frame (same bytes), or re-shot with the same pose
    same = send(world, phone, photo, photo, asked['challenge_id'], 'still-1')
    again = challenge(world, phone)
    other_bytes = fake_image('ani', left=0.21, nonce='printed-2')
    reshot = send(world, phone, photo, other_bytes, again['challenge_id'], 'still-2')
    # Then both are refused with an honest reason, and nothing is punched
    assert (same.body['outcome'], codes(same)) == ('refused', ['liveness_still'])
    assert (reshot.body['outcome'], codes(reshot)) == ('refused', ['liveness_no_turn', 'reused_selfie'])
    assert 'tolehkan kepala' in reshot.body['reasons'][0]['message']
    assert ledger_punches(world.employees[0]) == []


def test_a_turn_the_wrong_way_or_a_photo_already_turned_is_refused(world: World) -> None:
    phone = activate(world, 0)
    enrol(world, phone)
    # A turn the other way than asked
    asked = challenge(world, phone)
    wrong = -TURN[asked['direction']]
    reply = send(world, phone, fake_image('ani', left=0.1, nonce='w1'),
                 fake_image('ani', yaw=wrong, left=0.12, nonce='w2'), asked['challenge_id'], 'wrong')  # fmt: skip
    assert (reply.body['outcome'], codes(reply)) == ('refused', ['liveness_no_turn'])
    # Two photos both turned the asked way (a profile photo as the "frontal" one)
    asked = challenge(world, phone)
    turned = TURN[asked['direction']]
    both = send(world, phone, fake_image('ani', yaw=turned * 0.9, left=0.1, nonce='t1'),
                fake_image('ani', yaw=turned, left=0.12, nonce='t2'), asked['challenge_id'], 'both')  # fmt: skip
    assert both.body['outcome'] == 'refused'
    assert set(codes(both)) >= {'liveness_not_frontal', 'liveness_no_turn'} or 'pose' in codes(both)


def test_someone_else_in_the_turned_frame_is_refused(world: World) -> None:
    phone = activate(world, 0)
    enrol(world, phone)
    asked = challenge(world, phone)
    colleague = fake_image('budi', yaw=TURN[asked['direction']], nonce='o2')
    reply = send(world, phone, fake_image('ani', left=0.1, nonce='o1'), colleague, asked['challenge_id'], 'other')
    assert (reply.body['outcome'], codes(reply)) == ('refused', ['liveness_other_face'])


def test_the_enrolment_photo_sent_again_is_flagged_byte_for_byte_or_re_encoded(world: World) -> None:
    phone = activate(world, 0)
    enrol(world, phone)
    # When the enrolment photo itself is the frontal frame (with a real turn after it)
    asked = challenge(world, phone)
    turned = fake_image('ani', yaw=TURN[asked['direction']], left=0.4, nonce='r-turn')
    same = send(world, phone, REFERENCE, turned, asked['challenge_id'], 'replay-1')
    # Or the enrolment photo re-encoded (other bytes, the same face in the same place and pose)
    asked = challenge(world, phone)
    turned = fake_image('ani', yaw=TURN[asked['direction']], left=0.4, nonce='r-turn-2')
    recoded = send(world, phone, fake_image('ani', left=0.30, nonce='re-encoded'), turned, asked['challenge_id'], 'r2')
    # Then both wait for review, saying what was reused
    assert (same.body['outcome'], codes(same)) == ('review', ['reused_selfie'])
    assert same.body['reasons'][0]['message'] == 'Foto ini sama persis dengan foto wajah terdaftar.'
    assert (recoded.body['outcome'], codes(recoded)) == ('review', ['reused_selfie'])
    assert recoded.body['reasons'][0]['message'] == 'Foto ini hampir sama persis dengan foto wajah terdaftar.'
    # And a still of the enrolment photo for both frames is refused and flagged
    asked = challenge(world, phone)
    still = send(world, phone, REFERENCE, REFERENCE, asked['challenge_id'], 'replay-3')
    assert (still.body['outcome'], codes(still)) == ('refused', ['liveness_still', 'reused_selfie'])


def test_an_earlier_selfie_sent_again_is_flagged(world: World) -> None:
    phone = activate(world, 0)
    enrol(world, phone)
    first = live_check_in(world, phone, 'day-1', left=0.12)
    assert first.body['outcome'] == 'accepted'
    # The same frontal frame again, re-encoded (same print), with a fresh turn
    again = live_check_in(world, phone, 'day-2', left=0.12)
    assert (again.body['outcome'], codes(again)) == ('review', ['reused_selfie'])
    assert again.body['reasons'][0]['message'] == 'Foto ini hampir sama persis dengan foto presensi sebelumnya.'
    # A new shot (the face elsewhere in the frame) is not
    assert live_check_in(world, phone, 'day-3', left=0.2).body['outcome'] == 'accepted'


def test_a_challenge_is_single_use_bound_to_its_device_and_expires(world: World) -> None:
    phone, other = activate(world, 0), activate(world, 1)
    enrol(world, phone)
    asked = challenge(world, phone)
    front, turned = fake_image('ani', left=0.1, nonce='c1'), fake_image('ani', yaw=TURN[asked['direction']], nonce='c2')
    assert send(world, phone, front, turned, asked['challenge_id'], 'once').body['outcome'] == 'accepted'
    # The same attempt retried with its key gets the same answer; a new attempt with the challenge is refused
    assert send(world, phone, front, turned, asked['challenge_id'], 'once').body['outcome'] == 'accepted'
    reused = send(world, phone, front, turned, asked['challenge_id'], 'twice')
    assert (reused.status, reused.body['error']['code']) == (409, 'challenge_used')
    # Another phone cannot answer this phone's challenge
    fresh = challenge(world, phone)
    stolen = send(world, other, front, turned, fresh['challenge_id'], 'stolen')
    assert stolen.body['error']['code'] in ('challenge_unknown', 'face_not_enrolled')
    # An enrolment challenge does not answer a check-in, and a challenge past its window is refused
    for_enrol = challenge(world, phone, 'enrol')
    assert send(world, phone, front, turned, for_enrol['challenge_id'], 'purpose').body['error']['code'] == (
        'challenge_unknown'
    )
    late = challenge(world, phone)
    store = get_deps().store
    stored = store.get(liveness.KIND_CHALLENGE, late['challenge_id'])
    assert stored is not None
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    store.put_many([replace(stored, data={**stored.data, 'expires_at': past})])
    expired = send(world, phone, front, turned, late['challenge_id'], 'late')
    assert (expired.status, expired.body['error']['code']) == (410, 'challenge_expired')
    # The challenge is bound to the nonce of the request that asked for it
    assert stored.data['nonce'] and stored.data['device_id'] == phone.device_id


def test_the_direction_is_drawn_at_random(world: World) -> None:
    phone = activate(world, 0)
    directions = {challenge(world, phone)['direction'] for _ in range(16)}
    assert directions == {'left', 'right'}


def test_check_in_and_enrolment_without_liveness_frames_are_refused_when_required(world: World) -> None:
    phone = activate(world, 0)
    bare = signed(world.hx, phone, 'POST', '/v1/mobile/face', {'image': _b64(REFERENCE)})
    assert (bare.status, bare.body['error']['code']) == (422, 'liveness_required')
    assert enrol(world, phone).status == 201
    body = {'kind': 'in', 'image': _b64(fake_image('ani', nonce='x')), **INSIDE}
    reply = signed(world.hx, phone, 'POST', '/v1/mobile/checkins', body, headers={'Idempotency-Key': 'bare'})
    assert (reply.status, reply.body['error']['code']) == (422, 'liveness_required')


def test_enrolment_without_a_turn_is_refused_with_the_reason(world: World) -> None:
    phone = activate(world, 0)
    reply = enrol(world, phone, turned=fake_image('ani', left=0.31, nonce='no-turn'))
    assert (reply.status, reply.body['error']['code']) == (422, 'liveness_failed')
    assert [p['code'] for p in reply.body['error']['details']['problems']] == ['liveness_no_turn']
    assert enrol(world, phone).status == 201


def test_a_busy_engine_keeps_the_live_check_in_pending_and_the_queue_judges_its_liveness(world: World) -> None:
    phone = activate(world, 0)
    enrol(world, phone)
    world.faces.busy_calls = 1
    # A still photo sent while the engine is busy: pending, not yet judged
    asked = challenge(world, phone)
    photo = fake_image('ani', left=0.15, nonce='busy')
    pending = send(world, phone, photo, fake_image('ani', left=0.16, nonce='busy-2'), asked['challenge_id'], 'busy')
    assert pending.body['outcome'] == 'pending'
    # When the queue verifies it: its liveness is judged from the kept frames, and it is refused
    sqs = boto3_client('sqs')
    queue = names.queue_name(get_settings().stage, names.QUEUE_FACE_CHECKS)
    url = sqs.get_queue_url(QueueName=queue)['QueueUrl']
    bodies = [m['Body'] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)['Messages']]
    event = world.hx.client.events.generate_sqs_event(queue_name=queue, message_bodies=bodies)
    assert world.hx.client.lambda_.invoke('verify_face_checks', event).payload == {'refused': 1}
    history = signed(world.hx, phone, 'GET', '/v1/mobile/checkins').body['items']
    assert [(h['outcome'], [r['code'] for r in h['reasons']]) for h in history] == [('refused', ['liveness_no_turn'])]


def test_a_check_in_throttled_after_its_first_call_costs_the_queue_one_call_not_two(world: World) -> None:
    # Given an enrolled employee, and an engine that serves one call and then throttles one
    phone = activate(world, 0)
    enrol(world, phone)
    world.faces.calls.clear()
    world.faces.calls_before_busy, world.faces.busy_calls = 1, 1
    # When a live check-in arrives: the frontal frame is compared, the turned frame is throttled
    assert live_check_in(world, phone, 'half').body['outcome'] == 'pending'
    # Then the queue compares only the turned frame, and the check-in is accepted
    sqs = boto3_client('sqs')
    queue = names.queue_name(get_settings().stage, names.QUEUE_FACE_CHECKS)
    url = sqs.get_queue_url(QueueName=queue)['QueueUrl']
    bodies = [m['Body'] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)['Messages']]
    event = world.hx.client.events.generate_sqs_event(queue_name=queue, message_bodies=bodies)
    assert world.hx.client.lambda_.invoke('verify_face_checks', event).payload == {'accepted': 1}
    assert dict(world.faces.calls) == {'compare_detail': 3}  # served: 1 + 1 in the queue; 1 refused
    assert len(ledger_punches(world.employees[0])) == 1


def test_a_deactivated_employees_phone_stops_working(world: World) -> None:
    # Given an enrolled employee whose phone works
    phone = activate(world, 0)
    enrol(world, phone)
    assert live_check_in(world, phone, 'before').body['outcome'] == 'accepted'
    # When the personnel office deactivates the employee (also what a transfer out of the pemda does)
    assert world.hx.call('DELETE', f'/v1/employees/{world.employees[0]}', world.hx.super_key).status == 200
    # Then every device route answers 403 with a clear message, the first request and every one after
    requests: list[tuple[str, str, dict[str, Any] | None]] = [
        ('/v1/mobile/me', 'GET', None),
        ('/v1/mobile/liveness', 'POST', {}),
        ('/v1/mobile/me', 'GET', None),
    ]
    for path, method, sent in requests:
        reply = signed(world.hx, phone, method, path, sent)
        assert (reply.status, reply.body['error']['code']) == (403, 'employee_inactive'), reply.body
        assert 'tidak aktif' in reply.body['error']['message']
    body = {'kind': 'in', 'image': _b64(fake_image('ani', nonce='after')), **INSIDE}
    after = signed(world.hx, phone, 'POST', '/v1/mobile/checkins', body, headers={'Idempotency-Key': 'after'})
    assert (after.status, after.body['error']['code']) == (403, 'employee_inactive')
    # And the device is revoked (audited), so reactivating the employee does not bring the old phone back
    state = world.hx.call('GET', f'/v1/employees/{world.employees[0]}/enrolment', world.hx.super_key)
    assert state.status == 200 and state.body['device'] is None
    assert len(ledger_punches(world.employees[0])) == 1


# ---- Rekognition through a stubbed client: the calls a check-in spends -------------------------------------------


def _compared(yaw: float, left: float = 0.3) -> dict[str, Any]:
    return {
        'BoundingBox': {'Left': left, 'Top': 0.2, 'Width': 0.35, 'Height': 0.45}, 'Confidence': 99.9,
        'Quality': {'Sharpness': 86.9, 'Brightness': 71.2}, 'Pose': {'Yaw': yaw, 'Pitch': 3.2, 'Roll': 1.5},
    }  # fmt: skip


def test_a_live_check_in_on_rekognition_spends_two_compare_faces_and_nothing_else(hx: Harness, required: None) -> None:
    import boto3
    from botocore.stub import ANY, Stubber

    from chalicelib.adapters.rekognition import RekognitionFaceEngine

    client = boto3.client('rekognition', region_name='ap-southeast-1', aws_access_key_id='x', aws_secret_access_key='x')
    use_face_engine(RekognitionFaceEngine('hadir-test-faces', client=client))
    try:
        assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DIKES', locations=[OFFICE])).status == 201
        employee = hx.call('POST', '/v1/employees', hx.super_key, employee_body('DIKES', 1)).body
        world = World(hx, FakeFaceEngine(), hx.super_key, [employee['employee_id']], [employee['nip']])
        photo, turned_photo = b'\xff\xd8\xff\xe0 reference', b'\xff\xd8\xff\xe0 reference turned'
        frontal, turned = b'\xff\xd8\xff\xe0 selfie', b'\xff\xd8\xff\xe0 selfie turned'
        phone = activate(world, 0)
        with Stubber(client) as stub:
            # Enrolment: quality gate, liveness (the turned frame against the frontal one), duplicate search, index
            asked = challenge(world, phone, 'enrol')
            face = {**_compared(-2.0), 'EyesOpen': {'Value': True}, 'Sunglasses': {'Value': False}}
            stub.add_response('detect_faces', {'FaceDetails': [face]}, {'Image': ANY, 'Attributes': ANY})
            stub.add_response('compare_faces', {'FaceMatches': [{'Similarity': 99.0, 'Face': _compared(
                TURN[asked['direction']])}], 'UnmatchedFaces': []}, None)  # fmt: skip
            stub.add_response('search_faces_by_image', {'FaceMatches': []}, None)
            stub.add_response('index_faces', {'FaceRecords': [{'Face': {'FaceId': 'face-1'}}]}, None)
            body = {'image': _b64(photo), 'liveness': {'challenge_id': asked['challenge_id'],
                                                      'turned_image': _b64(turned_photo)}}  # fmt: skip
            enrolled = signed(hx, phone, 'POST', '/v1/mobile/face', body)
            assert enrolled.status == 201, enrolled.body
            stub.assert_no_pending_responses()
            # When the employee checks in: two CompareFaces against the reference, the frontal frame then the turned
            asked = challenge(world, phone)
            for probe, yaw, left in ((frontal, 1.0, 0.1), (turned, TURN[asked['direction']], 0.12)):
                reply_faces = {'FaceMatches': [{'Similarity': 99.3, 'Face': _compared(yaw, left)}]}
                expected = {'SourceImage': {'Bytes': photo}, 'TargetImage': {'Bytes': probe}, 'SimilarityThreshold': 0}
                stub.add_response('compare_faces', reply_faces, expected)
            reply = send(world, phone, frontal, turned, asked['challenge_id'], 'stubbed')
            # Then it is accepted, and the stub saw exactly those two calls (no DetectFaces)
            stub.assert_no_pending_responses()
            assert (reply.body['outcome'], reply.body['similarity']) == ('accepted', 99.3), reply.body
    finally:
        use_face_engine(None)


def test_the_review_queue_shows_the_turned_frame_and_what_liveness_measured(world: World) -> None:
    # Given an enrolled employee whose turned frame the engine is unsure about (85%: to review)
    phone = activate(world, 0)
    assert enrol(world, phone).status == 201
    world.faces.similarity_overrides[('ani', 'ani-turning')] = 85.0
    asked = challenge(world, phone)
    frontal = fake_image('ani', left=0.10, nonce='q-front')
    turned = fake_image('ani-turning', yaw=TURN[asked['direction']], left=0.12, nonce='q-turned')
    reply = send(world, phone, frontal, turned, asked['challenge_id'], 'q1')
    assert (reply.body['outcome'], codes(reply)) == ('review', ['liveness_borderline']), reply.body
    # When the DIKES admin opens the review queue
    queue = world.hx.call('GET', '/v1/checkins/review?opd=DIKES', world.admin)
    # Then the item carries the asked direction, the measures and a short-lived link to the turned frame
    assert queue.status == 200, queue.body
    [item] = queue.body['items']
    live = item['liveness']
    assert (live['direction'], live['passed']) == (asked['direction'], True)
    assert live['measures']['turned_yaw'] == TURN[asked['direction']]
    assert live['measures']['turned_similarity'] == 85.0
    url = live['turned_url']
    assert f'{reply.body["checkin_id"]}-turned.jpg' in url
    assert str(get_settings().selfie_link_seconds) in url  # X-Amz-Expires: the selfie link's expiry
    key = f'selfies/{item["local_date"]}/{item["checkin_id"]}-turned.jpg'
    kept = boto3_client('s3').get_object(Bucket=get_settings().bucket(names.BUCKET_MEDIA), Key=key)['Body'].read()
    assert kept == turned
