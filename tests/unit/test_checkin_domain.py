"""The pure parts of mobile check-in: request signatures, the geofence, the quality gate and the decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import device_auth
from chalicelib.domain.checkin import (
    CheckinPolicy,
    Evidence,
    Fix,
    Outcome,
    decide,
    distance_to_office,
    nearest_office,
    travel_speed_kmh,
)
from chalicelib.domain.faces import DetectedFace, FaceBox, QualityGate, quality_problems
from chalicelib.domain.models import CircleLocation, Point, PolygonLocation
from tests.device import Phone

NOW = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)
POLICY = CheckinPolicy()
CIRCLE = CircleLocation(name='Kantor Bupati', center=Point(lat=-6.2, lon=106.8), radius_m=100)
# A square of about 220 m a side around (-6.3, 106.9)
SQUARE = PolygonLocation(name='Puskesmas', vertices=(
    Point(lat=-6.301, lon=106.899), Point(lat=-6.301, lon=106.901), Point(lat=-6.299, lon=106.901),
    Point(lat=-6.299, lon=106.899)))  # fmt: skip


def test_a_signature_made_like_webcrypto_verifies_and_any_change_breaks_it() -> None:
    phone = Phone()
    headers = phone.sign('POST', '/v1/mobile/checkins', b'{"kind":"in"}', timestamp_ms=1, nonce='n' * 22)
    text = device_auth.signed_text('POST', '/v1/mobile/checkins', {}, '1', 'n' * 22, b'{"kind":"in"}')
    assert text.split(b'\n')[0] == b'HADIR-DEVICE-V1' and len(text.split(b'\n')) == 7
    assert device_auth.signature_is_valid(phone.public_jwk(), text, headers['X-Hadir-Signature'])
    for changed in (text.replace(b'POST', b'GET'), text.replace(b'checkins', b'face'), text + b'x'):
        assert not device_auth.signature_is_valid(phone.public_jwk(), changed, headers['X-Hadir-Signature'])
    assert not device_auth.signature_is_valid(Phone().public_jwk(), text, headers['X-Hadir-Signature'])
    assert not device_auth.signature_is_valid(phone.public_jwk(), text, 'not-base64!')


def test_query_parameters_are_signed_in_sorted_order() -> None:
    one = device_auth.signed_text('GET', '/v1/x', {'b': '2', 'a': '1 1'}, '1', 'n' * 22, b'')
    two = device_auth.signed_text('GET', '/v1/x', {'a': '1 1', 'b': '2'}, '1', 'n' * 22, b'')
    assert one == two and b'\na=1%201&b=2\n' in one


@pytest.mark.parametrize(
    ('jwk', 'message'),
    [
        ({'kty': 'RSA'}, 'EC P-256'),
        ({'kty': 'EC', 'crv': 'P-256', 'x': 'AA', 'y': 'AA'}, '32 bytes'),
        ({'kty': 'EC', 'crv': 'P-256', 'x': 'A' * 43, 'y': 'A' * 43}, 'not a point'),
        ({**Phone().public_jwk(), 'd': 'secret'}, 'private key'),
    ],
)
def test_public_keys_that_are_not_a_p256_public_point_are_refused(jwk: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        device_auth.public_key_from_jwk(jwk)


def test_timestamps_beyond_two_minutes_either_way_are_stale() -> None:
    ms = int(NOW.timestamp() * 1000)
    device_auth.check_freshness(str(ms - 119_000), 'n' * 22, NOW)
    device_auth.check_freshness(str(ms + 119_000), 'n' * 22, NOW)
    for off in (-121_000, 121_000):
        with pytest.raises(device_auth.DeviceAuthError) as refused:
            device_auth.check_freshness(str(ms + off), 'n' * 22, NOW)
        assert refused.value.code == 'stale_timestamp'
    with pytest.raises(device_auth.DeviceAuthError):
        device_auth.check_freshness(str(ms), 'short', NOW)


def test_distances_to_circles_and_polygons() -> None:
    assert distance_to_office(-6.2, 106.8, CIRCLE) == 0
    # 0.01 degree of latitude is about 1,112 m; minus the 100 m radius
    assert distance_to_office(-6.21, 106.8, CIRCLE) == pytest.approx(1012, abs=2)
    assert distance_to_office(-6.3, 106.9, SQUARE) == 0
    # 0.001 degree south of the southern edge: about 111 m
    assert distance_to_office(-6.302, 106.9, SQUARE) == pytest.approx(111, abs=2)
    assert nearest_office(-6.302, 106.9, [CIRCLE, SQUARE]) == ('Puskesmas', pytest.approx(111, abs=2))
    assert nearest_office(0, 0, []) is None


def _face(**changes: object) -> DetectedFace:
    values: dict[str, object] = {'box': FaceBox(0.3, 0.2, 0.35, 0.45), 'confidence': 99.9, 'sharpness': 80.0,
                                 'brightness': 60.0, 'yaw': 3.0, 'pitch': 2.0, 'roll': 1.0, 'eyes_open': True,
                                 'sunglasses': False}  # fmt: skip
    values.update(changes)
    return DetectedFace(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ('faces', 'codes'),
    [
        ([_face()], []),
        ([], ['no_face']),
        ([_face(confidence=40.0)], ['no_face']),
        ([_face(), _face()], ['many_faces']),
        ([_face(box=FaceBox(0.4, 0.4, 0.05, 0.08))], ['face_too_small']),
        ([_face(sharpness=5.0)], ['blurry']),
        ([_face(brightness=3.0)], ['too_dark']),
        ([_face(yaw=45.0)], ['pose']),
        ([_face(eyes_open=False, sunglasses=True)], ['eyes_closed', 'sunglasses']),
        ([_face(sharpness=None, eyes_open=None, sunglasses=None)], []),
    ],
)
def test_the_quality_gate_names_every_problem(faces: list[DetectedFace], codes: list[str]) -> None:
    problems = quality_problems(faces, QualityGate())
    assert [p.code for p in problems] == codes
    assert all(p.message for p in problems)


def _evidence(**changes: object) -> Evidence:
    values: dict[str, object] = {'distance_m': 0.0, 'office': 'Kantor', 'accuracy_m': 10.0, 'similarity': 99.0,
                                 'face_checked': True}  # fmt: skip
    values.update(changes)
    return Evidence(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ('changes', 'outcome', 'codes'),
    [
        ({}, Outcome.ACCEPTED, []),
        ({'distance_m': 500.0}, Outcome.REFUSED, ['outside_geofence']),
        ({'distance_m': 30.0, 'accuracy_m': 40.0}, Outcome.REVIEW, ['location_uncertain']),
        ({'accuracy_m': 150.0}, Outcome.REFUSED, ['poor_accuracy']),
        ({'accuracy_m': 70.0}, Outcome.REVIEW, ['poor_accuracy']),
        ({'distance_m': None}, Outcome.REFUSED, ['no_office']),
        ({'similarity': 95.0}, Outcome.ACCEPTED, []),
        ({'similarity': 94.9}, Outcome.REVIEW, ['borderline_similarity']),
        ({'similarity': 80.0}, Outcome.REVIEW, ['borderline_similarity']),
        ({'similarity': 79.9}, Outcome.REFUSED, ['face_mismatch']),
        ({'similarity': None}, Outcome.REFUSED, ['no_face']),
        ({'selfie_seen_before': True}, Outcome.REVIEW, ['reused_selfie']),
        ({'speed_kmh': 400.0}, Outcome.REVIEW, ['impossible_travel']),
        ({'face_checked': False, 'similarity': None}, Outcome.PENDING, ['face_queued']),
        ({'face_checked': False, 'similarity': None, 'selfie_seen_before': True}, Outcome.PENDING,
         ['face_queued', 'reused_selfie']),
    ],
)  # fmt: skip
def test_each_signal_gives_its_outcome(changes: dict[str, object], outcome: Outcome, codes: list[str]) -> None:
    decided, reasons = decide(_evidence(**changes), POLICY)
    assert decided is outcome
    assert [r.code for r in reasons] == codes


def test_the_refusal_for_distance_names_the_distance_and_the_office() -> None:
    _, reasons = decide(_evidence(distance_m=812.4, office='Kantor Bupati'), POLICY)
    assert reasons[0].message == 'Anda berada 812 m dari kantor terdekat (Kantor Bupati).'


def test_travel_speed_ignores_gps_jitter_and_flags_jumps() -> None:
    before = Fix(lat=-6.2, lon=106.8, at=NOW - timedelta(minutes=10))
    assert travel_speed_kmh(None, -6.2, 106.8, NOW, POLICY) is None
    assert travel_speed_kmh(before, -6.2005, 106.8, NOW, POLICY) is None  # 55 m
    # About 111 km in 10 minutes: 667 km/h
    assert travel_speed_kmh(before, -7.2, 106.8, NOW, POLICY) == pytest.approx(667, rel=0.01)
