"""The liveness rules on their own: the turn, the challenge's state, and face prints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.faces import DetectedFace, FaceBox
from chalicelib.domain.liveness import (
    Challenge,
    FaceComparison,
    LivenessPolicy,
    challenge_problem,
    face_print,
    judge,
    nearest_print,
    print_distance,
)

NOW = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
POLICY = LivenessPolicy()


def face(yaw: float, left: float = 0.3, pitch: float = 0.0) -> DetectedFace:
    return DetectedFace(box=FaceBox(left, 0.2, 0.3, 0.4), confidence=99.0, yaw=yaw, pitch=pitch, roll=0.0)


def turned(yaw: float, similarity: float = 99.0) -> FaceComparison:
    return FaceComparison(similarity=similarity, faces=(face(yaw, left=0.35),))


def codes(direction: str, frontal: DetectedFace, turn: FaceComparison, same: bool = False) -> list[str]:
    verdict = judge(direction, frontal, turn, same_bytes=same, policy=POLICY)  # type: ignore[arg-type]
    return [r.code for r in (*verdict.refusals, *verdict.review)]


def test_a_turn_the_asked_way_passes_and_the_person_s_left_is_the_image_s_right() -> None:
    assert codes('left', face(2.0), turned(30.0)) == []
    assert codes('right', face(-2.0), turned(-30.0)) == []


def test_no_turn_the_wrong_way_or_not_far_enough_is_refused() -> None:
    assert codes('left', face(0.0), turned(0.0)) == ['liveness_no_turn']
    assert codes('left', face(0.0), turned(-30.0)) == ['liveness_no_turn']
    assert codes('left', face(0.0), turned(17.0)) == ['liveness_no_turn']
    # Already turned in the "frontal" frame: neither frontal nor a turn of 15 degrees more
    assert codes('left', face(20.0), turned(30.0)) == ['liveness_not_frontal', 'liveness_no_turn']


def test_one_photo_twice_no_face_or_someone_else_is_refused_and_a_borderline_turn_goes_to_review() -> None:
    assert codes('left', face(0.0), turned(30.0), same=True) == ['liveness_still']
    assert codes('left', face(0.0), FaceComparison(similarity=None, faces=())) == ['liveness_no_face']
    assert codes('left', face(0.0), turned(30.0, similarity=40.0)) == ['liveness_other_face']
    assert codes('left', face(0.0), turned(30.0, similarity=85.0)) == ['liveness_borderline']


def test_a_challenge_answers_once_its_own_device_and_purpose_within_its_window() -> None:
    window = NOW + timedelta(seconds=120)
    challenge = Challenge(challenge_id='lvc-1', device_id='dev-1', employee_id='e1', purpose='checkin',
                          direction='left', nonce='n', issued_at=NOW, expires_at=window)  # fmt: skip
    assert challenge_problem(challenge, 'dev-1', 'checkin', NOW + timedelta(seconds=119)) is None
    assert challenge_problem(challenge, 'dev-2', 'checkin', NOW) == 'other_device'
    assert challenge_problem(challenge, 'dev-1', 'enrol', NOW) == 'wrong_purpose'
    assert challenge_problem(challenge, 'dev-1', 'checkin', NOW + timedelta(seconds=121)) == 'expired'
    used = challenge.model_copy(update={'used_at': NOW})
    assert challenge_problem(used, 'dev-1', 'checkin', NOW) == 'used'


def test_face_prints_are_near_for_the_same_photo_and_apart_for_another_shot() -> None:
    reference = face_print(face(3.0, left=0.30))
    again = face_print(face(3.4, left=0.305))
    other = face_print(face(-4.0, left=0.22, pitch=6.0))
    assert reference is not None and again is not None and other is not None
    assert print_distance(reference, again) < POLICY.reused_print_distance
    assert print_distance(reference, other) > POLICY.reused_print_distance
    assert nearest_print(again, [other, reference]) == print_distance(again, reference)
    assert nearest_print(None, [reference]) is None
    assert face_print(DetectedFace(box=FaceBox(0, 0, 1, 1), confidence=99.0)) is None
