"""What a check-in costs and what it keeps: DynamoDB calls per request counted at botocore (one batch read, one
transaction), Rekognition calls through a stubbed client (two CompareFaces with liveness), and every conditional
guarantee of the one transaction: the nonce and the challenge used once, the Idempotency-Key's first answer, one
punch, nothing lost when Rekognition throttles."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from bench.calls import counting_calls, of_service
from chalicelib import resource_names as names
from chalicelib.adapters.clients import boto3_client
from chalicelib.adapters.rekognition import RekognitionFaceEngine
from chalicelib.domain.errors import Conflict
from chalicelib.services import checkins, liveness
from chalicelib.settings import get_settings
from chalicelib.wiring import get_deps, get_mobile, use_face_engine
from tests.device import Phone
from tests.face_fakes import FakeFaceEngine, fake_image
from tests.integration.builders import employee_body, opd_body
from tests.integration.test_checkin import INSIDE, OFFICE, World, activate, ledger_punches, signed
from tests.integration.test_liveness import TURN, _compared, challenge, enrol, required, send
from tests.support import Harness

__all__ = ['required']  # the fixture, used by name


def _b64(image: bytes) -> str:
    return base64.b64encode(image).decode()


@pytest.fixture
def world(hx: Harness, required: None) -> Iterator[World]:
    faces = FakeFaceEngine()
    use_face_engine(faces)
    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DIKES', locations=[OFFICE])).status == 201
    employee = hx.call('POST', '/v1/employees', hx.super_key, employee_body('DIKES', 1)).body
    yield World(hx, faces, hx.super_key, [employee['employee_id']], [employee['nip']])
    use_face_engine(None)


def _queue_bodies() -> list[str]:
    sqs = boto3_client('sqs')
    url = sqs.get_queue_url(QueueName=names.queue_name(get_settings().stage, names.QUEUE_FACE_CHECKS))['QueueUrl']
    return [m['Body'] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get('Messages', [])]


def _verify_queued(hx: Harness) -> Any:
    queue = names.queue_name(get_settings().stage, names.QUEUE_FACE_CHECKS)
    event = hx.client.events.generate_sqs_event(queue_name=queue, message_bodies=_queue_bodies())
    return hx.client.lambda_.invoke('verify_face_checks', event).payload


def _stubbed_rekognition() -> tuple[Any, RekognitionFaceEngine]:
    client = boto3.client('rekognition', region_name='ap-southeast-1', aws_access_key_id='x', aws_secret_access_key='x')
    return client, RekognitionFaceEngine('hadir-test-faces', client=client)


PHOTO, PHOTO_TURNED = b'\xff\xd8\xff\xe0 reference', b'\xff\xd8\xff\xe0 reference turned'


def _enrol_on_rekognition(hx: Harness, stub: Stubber, world: World) -> Phone:
    """An employee enrolled through the stubbed Rekognition (gate, liveness, duplicate search, index)."""
    phone = activate(world, 0)
    asked = challenge(world, phone, 'enrol')
    face = {**_compared(-2.0), 'EyesOpen': {'Value': True}, 'Sunglasses': {'Value': False}}
    stub.add_response('detect_faces', {'FaceDetails': [face]}, {'Image': ANY, 'Attributes': ANY})
    stub.add_response('compare_faces', {'FaceMatches': [{'Similarity': 99.0, 'Face': _compared(
        TURN[asked['direction']])}], 'UnmatchedFaces': []}, None)  # fmt: skip
    stub.add_response('search_faces_by_image', {'FaceMatches': []}, None)
    stub.add_response('index_faces', {'FaceRecords': [{'Face': {'FaceId': 'face-1'}}]}, None)
    body = {'image': _b64(PHOTO), 'liveness': {'challenge_id': asked['challenge_id'],
                                              'turned_image': _b64(PHOTO_TURNED)}}  # fmt: skip
    assert signed(hx, phone, 'POST', '/v1/mobile/face', body).status == 201
    stub.assert_no_pending_responses()
    return phone


def _compare_answer(probe: bytes, yaw: float, left: float) -> tuple[dict[str, Any], dict[str, Any]]:
    answer = {'FaceMatches': [{'Similarity': 99.3, 'Face': _compared(yaw, left)}]}
    return answer, {'SourceImage': {'Bytes': PHOTO}, 'TargetImage': {'Bytes': probe}, 'SimilarityThreshold': 0}


def test_a_live_check_in_is_one_batch_read_one_transaction_and_two_compare_faces(hx: Harness, required: None) -> None:
    # Given an employee enrolled through a stubbed Rekognition
    client, engine = _stubbed_rekognition()
    use_face_engine(engine)
    try:
        assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DIKES', locations=[OFFICE])).status == 201
        employee = hx.call('POST', '/v1/employees', hx.super_key, employee_body('DIKES', 1)).body
        world = World(hx, FakeFaceEngine(), hx.super_key, [employee['employee_id']], [employee['nip']])
        frontal, turned = b'\xff\xd8\xff\xe0 selfie', b'\xff\xd8\xff\xe0 selfie turned'
        with Stubber(client) as stub:
            phone = _enrol_on_rekognition(hx, stub, world)
            # When the employee asks for a challenge and checks in, each request counted at botocore
            with counting_calls() as asking:
                asked = challenge(world, phone)
            for probe, yaw, left in ((frontal, 1.0, 0.1), (turned, TURN[asked['direction']], 0.12)):
                stub.add_response('compare_faces', *_compare_answer(probe, yaw, left))
            with counting_calls() as checking:
                reply = send(world, phone, frontal, turned, asked['challenge_id'], 'counted')
            stub.assert_no_pending_responses()
        # Then it is accepted and punched once
        assert (reply.status, reply.body['outcome']) == (201, 'accepted'), reply.body
        assert len(ledger_punches(employee['employee_id'])) == 1
        # And the check-in read everything in one batch and wrote everything in one transaction (3 at most)
        assert of_service(checking, 'dynamodb') == {'BatchGetItem': 1, 'TransactWriteItems': 1}
        assert sum(of_service(checking, 'dynamodb').values()) <= 3
        # And Rekognition was asked twice, liveness included: the frontal and the turned frame against the reference
        assert of_service(checking, 'rekognition') == {'CompareFaces': 2}
        # And the media: the reference read, the two frames written
        assert of_service(checking, 's3') == {'GetObject': 1, 'PutObject': 2}
        # And the challenge itself: the device, then its enrolment and employee, then one transaction
        assert of_service(asking, 'dynamodb') == {'BatchGetItem': 2, 'TransactWriteItems': 1}
        assert of_service(asking, 'rekognition') == {}
    finally:
        use_face_engine(None)


def test_a_throttled_check_in_loses_nothing_and_the_queue_spends_only_the_call_left(
    hx: Harness, required: None
) -> None:
    # Given an employee enrolled through a stubbed Rekognition
    client, engine = _stubbed_rekognition()
    use_face_engine(engine)
    try:
        assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DIKES', locations=[OFFICE])).status == 201
        employee = hx.call('POST', '/v1/employees', hx.super_key, employee_body('DIKES', 1)).body
        world = World(hx, FakeFaceEngine(), hx.super_key, [employee['employee_id']], [employee['nip']])
        frontal, turned = b'\xff\xd8\xff\xe0 peak selfie', b'\xff\xd8\xff\xe0 peak selfie turned'
        with Stubber(client) as stub:
            phone = _enrol_on_rekognition(hx, stub, world)
            # When Rekognition compares the frontal frame, then throttles the turned one
            asked = challenge(world, phone)
            direction = TURN[asked['direction']]
            stub.add_response('compare_faces', *_compare_answer(frontal, 1.0, 0.1))
            stub.add_client_error('compare_faces', 'ThrottlingException', 'Rate exceeded', 400)
            with counting_calls() as checking:
                reply = send(world, phone, frontal, turned, asked['challenge_id'], 'peak')
            # Then the check-in is kept pending at its server time, in the same one transaction
            assert (reply.status, reply.body['outcome']) == (201, 'pending'), reply.body
            assert of_service(checking, 'dynamodb') == {'BatchGetItem': 1, 'TransactWriteItems': 1}
            assert ledger_punches(employee['employee_id']) == []
            kept = get_deps().store.get(liveness.KIND_LIVENESS, reply.body['checkin_id'])
            assert kept is not None and kept.data['frontal'] is not None  # the served comparison is not spent again
            # When the queue runs and Rekognition throttles again: requeued, still nothing lost
            stub.add_client_error('compare_faces', 'ThrottlingException', 'Rate exceeded', 400)
            assert _verify_queued(hx) == {'requeued': 1}
            assert ledger_punches(employee['employee_id']) == []
            # When it runs once Rekognition answers: only the turned frame is compared
            stub.add_response('compare_faces', *_compare_answer(turned, direction, 0.12))
            from chalicelib.services.checkins import verify_queued

            assert verify_queued(get_mobile(), reply.body['checkin_id']) == 'accepted'
            stub.assert_no_pending_responses()
        # Then one punch at the time of the check-in, and the phone sees it accepted
        punches = ledger_punches(employee['employee_id'])
        assert [p.at_utc.isoformat().replace('+00:00', 'Z') for p in punches] == [reply.body['at']]
        history = signed(hx, phone, 'GET', '/v1/mobile/checkins').body['items']
        assert [h['outcome'] for h in history] == ['accepted']
    finally:
        use_face_engine(None)


def test_a_replayed_check_in_request_is_refused_whatever_the_first_answer(world: World) -> None:
    # Given an enrolled employee and a check-in request signed once
    phone = activate(world, 0)
    assert enrol(world, phone).status == 201
    asked = challenge(world, phone)
    frontal = fake_image('ani', left=0.10, nonce='replayed')
    turned = fake_image('ani', yaw=TURN[asked['direction']], left=0.12, nonce='replayed-t')
    body = {'kind': 'in', 'image': _b64(frontal), **INSIDE,
            'liveness': {'challenge_id': asked['challenge_id'], 'turned_image': _b64(turned)}}  # fmt: skip
    raw, headers = phone.signed_json('POST', '/v1/mobile/checkins', body)
    first = world.hx.call('POST', '/v1/mobile/checkins', raw=raw, headers={**headers, 'Idempotency-Key': 'r1'})
    assert first.body['outcome'] == 'accepted'
    # When exactly the same signed request is sent again
    replay = world.hx.call('POST', '/v1/mobile/checkins', raw=raw, headers={**headers, 'Idempotency-Key': 'r1'})
    # Then it is refused as a replay
    assert (replay.status, replay.body['error']['code']) == (401, 'replayed_nonce')
    # And a request the service refuses (an unreadable photo) uses its nonce all the same
    bad = {**body, 'image': 'bm90IGEgcGhvdG8='}
    raw, headers = phone.signed_json('POST', '/v1/mobile/checkins', bad)
    refused = world.hx.call('POST', '/v1/mobile/checkins', raw=raw, headers=headers)
    assert (refused.status, refused.body['error']['code']) == (422, 'bad_image')
    again = world.hx.call('POST', '/v1/mobile/checkins', raw=raw, headers=headers)
    assert (again.status, again.body['error']['code']) == (401, 'replayed_nonce')
    assert len(ledger_punches(world.employees[0])) == 1


def _authenticated(world: World, phone: Phone, body: dict[str, Any], key: str) -> checkins.DeviceCaller:
    """The caller as routing authenticates a signed check-in: its first batch read done, not yet checked in."""
    raw, headers = phone.signed_json('POST', '/v1/mobile/checkins', body)
    lowered = {k.lower(): v for k, v in {**headers, 'Idempotency-Key': key}.items()}
    request = checkins.SignedRequest('POST', '/v1/mobile/checkins', {}, lowered, raw)
    return checkins.authenticate_device(get_mobile(), request)


def _live_body(world: World, phone: Phone, name: str) -> dict[str, Any]:
    asked = challenge(world, phone)
    frontal = fake_image('ani', left=0.10, nonce=name)
    turned = fake_image('ani', yaw=TURN[asked['direction']], left=0.12, nonce=f'{name}-t')
    return {'kind': 'in', 'image': _b64(frontal), **INSIDE,
            'liveness': {'challenge_id': asked['challenge_id'], 'turned_image': _b64(turned)}}  # fmt: skip


def test_two_check_ins_racing_with_one_challenge_punch_once(world: World) -> None:
    # Given two requests answering the same challenge, both past their batch read (the challenge unused in both)
    phone = activate(world, 0)
    assert enrol(world, phone).status == 201
    body = _live_body(world, phone, 'race')
    first, second = _authenticated(world, phone, body, 'a'), _authenticated(world, phone, body, 'b')
    # When both check in: the first consumes the challenge in its transaction
    assert checkins.check_in(get_mobile(), first, body, 'a')['outcome'] == 'accepted'
    # Then the second's transaction is refused as a used challenge, and it wrote nothing
    with pytest.raises(Conflict) as refused:
        checkins.check_in(get_mobile(), second, body, 'b')
    assert refused.value.code == 'challenge_used'
    assert len(ledger_punches(world.employees[0])) == 1
    history = signed(world.hx, phone, 'GET', '/v1/mobile/checkins').body['items']
    assert len(history) == 1


def test_two_copies_of_one_check_in_sent_at_once_get_one_answer_and_one_punch(world: World) -> None:
    # Given two copies of one check-in (same Idempotency-Key and body), both past their batch read
    phone = activate(world, 0)
    assert enrol(world, phone).status == 201
    body = _live_body(world, phone, 'copies')
    first, second = _authenticated(world, phone, body, 'same'), _authenticated(world, phone, body, 'same')
    # When both run to their transaction
    answers = [checkins.check_in(get_mobile(), caller, body, 'same') for caller in (first, second)]
    # Then the second gets the first's answer, and one check-in and one punch exist
    assert answers[0] == answers[1] and answers[0]['outcome'] == 'accepted'
    assert len(ledger_punches(world.employees[0])) == 1
    assert len(signed(world.hx, phone, 'GET', '/v1/mobile/checkins').body['items']) == 1


def test_a_check_in_retried_with_its_key_gets_the_first_answer_from_its_read_and_another_body_is_422(
    world: World,
) -> None:
    # Given an accepted check-in sent with Idempotency-Key k1
    phone = activate(world, 0)
    assert enrol(world, phone).status == 201
    body = _live_body(world, phone, 'retried')
    first = signed(world.hx, phone, 'POST', '/v1/mobile/checkins', body, headers={'Idempotency-Key': 'k1'})
    assert first.body['outcome'] == 'accepted'
    world.faces.calls.clear()
    # When the phone retries it (signed again) with the same key and body
    with counting_calls() as calls:
        retry = signed(world.hx, phone, 'POST', '/v1/mobile/checkins', body, headers={'Idempotency-Key': 'k1'})
    # Then it gets the first answer from its batch read, spends no face call, and only its nonce is written
    assert (retry.status, retry.body) == (201, first.body)
    assert of_service(calls, 'dynamodb') == {'BatchGetItem': 1, 'TransactWriteItems': 1}
    assert dict(world.faces.calls) == {}
    assert len(ledger_punches(world.employees[0])) == 1
    # And the same key with another body is refused, writing nothing
    other = signed(world.hx, phone, 'POST', '/v1/mobile/checkins', _live_body(world, phone, 'other'),
                   headers={'Idempotency-Key': 'k1'})  # fmt: skip
    assert (other.status, other.body['error']['code']) == (422, 'idempotency_key_reused')
    assert len(ledger_punches(world.employees[0])) == 1


def test_a_challenge_expires_through_dynamodb_ttl(world: World) -> None:
    # Given a challenge issued to a phone
    phone = activate(world, 0)
    asked = challenge(world, phone)
    # Then its item carries the TTL attribute a day after its window, and the table expires items by it
    client = boto3_client('dynamodb')
    table = get_settings().table(names.TABLE_DIRECTORY)
    item = client.get_item(TableName=table, Key={'pk': {'S': f'LIVENESS_CHALLENGE#{asked["challenge_id"]}'},
                                                 'sk': {'S': liveness.KIND_CHALLENGE}})['Item']  # fmt: skip
    window_end = datetime.fromisoformat(asked['expires_at'])
    assert int(item['expires']['N']) == int((window_end + liveness.CHALLENGE_KEPT).timestamp())
    ttl = client.describe_time_to_live(TableName=table)['TimeToLiveDescription']
    assert (ttl['TimeToLiveStatus'], ttl['AttributeName']) == ('ENABLED', 'expires')
    assert window_end > datetime.now(UTC)
