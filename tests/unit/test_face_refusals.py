"""Honest refusals (issue 12, liveness item 5): a face the detector saw but was unsure of is not told "no face";
the message says what the person can do, and the code stays ``no_face`` for the review queue and the metrics."""

from __future__ import annotations

from chalicelib.domain.faces import DetectedFace, FaceBox, QualityGate, quality_problems


def _face(confidence: float) -> DetectedFace:
    return DetectedFace(box=FaceBox(0.3, 0.2, 0.35, 0.45), confidence=confidence, sharpness=80.0, brightness=60.0,
                        yaw=3.0, pitch=2.0, roll=1.0, eyes_open=True, sunglasses=False)  # fmt: skip


def test_a_visible_face_below_the_confidence_gate_is_told_what_helps() -> None:
    [problem] = quality_problems([_face(87.0)], QualityGate())
    assert problem.code == 'no_face'
    assert problem.message.startswith('Wajah terlihat, tetapi belum cukup jelas bagi sistem (87 dari 90')
    assert 'cahaya yang lebih terang' in problem.message and 'hadapkan wajah lurus' in problem.message


def test_no_face_at_all_says_so() -> None:
    [problem] = quality_problems([], QualityGate())
    assert (problem.code, problem.message.split('.')[0]) == ('no_face', 'Tidak ada wajah di foto')
