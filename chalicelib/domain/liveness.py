"""Liveness: a person in front of the phone, not a photo held up to it.

The server issues a one-time challenge (turn the head to the left or to the right, drawn at random) bound to the
device and to the nonce of the request that asked for it, valid for a short window and consumed once. The phone
sends two frames: one facing the camera and one turned as asked. The server decides from the frames alone, as the
face engine reads them:

- the frontal frame faces the camera (|yaw| at most `max_frontal_yaw`);
- the turned frame is turned the asked way by at least `min_turn_yaw`, and at least `min_turn_change` further
  than the frontal frame (a photo already turned does not pass as a turn);
- the turned frame shows the enrolled person (similarity to the reference; the frontal frame is judged by the
  check-in rules);
- the two frames are not one photo sent twice (byte hashes differ and their face prints are apart);
- the answer arrives inside the window (the server's clocks, never the phone's).

Direction: the challenge names the person's own left or right. A front camera's frame (not the mirrored
preview) shows the person as others see them, so turning to one's own left turns the face towards the image's
right. The port's yaw is positive towards the image's right (see hadir_local/dlib_faces.py); the Rekognition
adapter maps its own sign onto it (settings `rekognition_yaw_sign`).

A face print is the face's pose and box in the frame. The same photo sent again at its size lands within a
fraction of a degree and of a percent; re-encoded and resized, within a few; two shots of a hand-held phone
rarely come that close (measured figures in docs/checkin.md). It flags, for review, the enrolment photo or an
earlier selfie replayed with different bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from chalicelib.domain.checkin import Reason, reason
from chalicelib.domain.faces import DetectedFace
from chalicelib.domain.models import Frozen

Direction = Literal['left', 'right']
Purpose = Literal['enrol', 'checkin']
DIRECTIONS: tuple[Direction, Direction] = ('left', 'right')
# The person's left turns the face towards the image's right: positive yaw on the port's scale.
_IMAGE_SIGN: dict[Direction, int] = {'left': 1, 'right': -1}
INSTRUCTION: dict[Direction, str] = {
    'left': 'Tolehkan kepala ke KIRI Anda',
    'right': 'Tolehkan kepala ke KANAN Anda',
}
_SIDE: dict[Direction, str] = {'left': 'kiri', 'right': 'kanan'}


class Challenge(Frozen):
    challenge_id: str
    device_id: str
    employee_id: str
    purpose: Purpose
    direction: Direction
    nonce: str  # the X-Hadir-Nonce of the signed request that asked for it
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    used_by: str | None = None  # the check-in (or 'enrol') that consumed it
    version: int = 0


def challenge_id(random_id: str, employee_id: str, opd_id: str) -> str:
    """A challenge's id names the employee and the OPD it was issued for, so that the check-in answering it can read
    the employee's records and the office in the same batch as the device (docs/data-model.md). The id is the
    record's key: an id with other names in it names no challenge."""
    return f'{random_id}.{employee_id}.{opd_id}'


def named_in_challenge(challenge: str) -> tuple[str, str] | None:
    """The (employee id, OPD id) a challenge id names, or None for an id of another shape."""
    parts = challenge.split('.')
    return (parts[1], parts[2]) if len(parts) == 3 and all(parts) else None


@dataclass(frozen=True)
class LivenessPolicy:
    window: timedelta = timedelta(seconds=120)
    max_frontal_yaw: float = 15.0
    min_turn_yaw: float = 18.0
    min_turn_change: float = 15.0
    turn_review_similarity: float = 80.0  # below: the turned frame is someone else
    turn_match_similarity: float = 90.0  # from review to here: the turned frame goes to review
    # Below: the same photo again (degrees / percent of the frame). Measured with dlib on the shared face set:
    # re-encoded or resized copies 0.3-9.6 (52 of 69 below 3), distinct shots of one person 15 and more.
    reused_print_distance: float = 3.0


@dataclass(frozen=True)
class FaceComparison:
    """What one comparison of a probe photo with the reference tells: the similarity of the probe's largest face,
    and every face found in the probe (largest first) with its pose, box and quality."""

    similarity: float | None
    faces: tuple[DetectedFace, ...]

    @property
    def face(self) -> DetectedFace | None:
        return self.faces[0] if self.faces else None


@dataclass(frozen=True)
class FacePrint:
    yaw: float
    pitch: float
    roll: float
    left: float
    top: float
    width: float
    height: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in self.__dict__.items()}

    def as_text(self) -> str:
        """The print as stored: seven numbers in one string (one attribute, not a map of seven, in every read)."""
        return ' '.join(f'{v:.4g}' for v in self.__dict__.values())


def face_print(face: DetectedFace | None) -> FacePrint | None:
    if face is None or face.yaw is None or face.pitch is None or face.roll is None:
        return None
    box = face.box
    return FacePrint(face.yaw, face.pitch, face.roll, box.left, box.top, box.width, box.height)


def print_from_dict(data: dict[str, float]) -> FacePrint:
    return FacePrint(**{k: float(data[k]) for k in ('yaw', 'pitch', 'roll', 'left', 'top', 'width', 'height')})


def stored_print(stored: str | dict[str, float]) -> FacePrint:
    """A print as stored: the text of `FacePrint.as_text`, or the map earlier versions wrote."""
    if isinstance(stored, dict):
        return print_from_dict(stored)
    yaw, pitch, roll, left, top, width, height = (float(part) for part in stored.split())
    return FacePrint(yaw, pitch, roll, left, top, width, height)


def print_distance(a: FacePrint, b: FacePrint) -> float:
    """The largest difference between two prints: angles in degrees, box edges in percent of the frame."""
    angles = (abs(a.yaw - b.yaw), abs(a.pitch - b.pitch), abs(a.roll - b.roll))
    box = (abs(a.left - b.left), abs(a.top - b.top), abs(a.width - b.width), abs(a.height - b.height))
    return max(*angles, *(100.0 * d for d in box))


def nearest_print(probe: FacePrint | None, seen: Sequence[FacePrint]) -> float | None:
    if probe is None or not seen:
        return None
    return min(print_distance(probe, other) for other in seen)


def challenge_problem(challenge: Challenge, device_id: str, purpose: Purpose, now: datetime) -> str | None:
    """Why this challenge cannot be answered now by this device ('other_device', 'wrong_purpose', 'used',
    'expired'), or None."""
    if challenge.device_id != device_id:
        return 'other_device'
    if challenge.purpose != purpose:
        return 'wrong_purpose'
    if challenge.used_at is not None:
        return 'used'
    if now > challenge.expires_at:
        return 'expired'
    return None


@dataclass(frozen=True)
class Verdict:
    """Refusals (the attempt does not count), review signals (an admin looks), and the measures kept as evidence."""

    refusals: tuple[Reason, ...]
    review: tuple[Reason, ...]
    measures: dict[str, float | str | None]

    @property
    def passed(self) -> bool:
        return not self.refusals


def judge(
    direction: Direction,
    frontal: DetectedFace | None,
    turned: FaceComparison,
    *,
    same_bytes: bool,
    policy: LivenessPolicy,
) -> Verdict:
    """The liveness decision from what the engine measured in the two frames."""
    measures: dict[str, float | str | None] = {
        'direction': direction,
        'frontal_yaw': None if frontal is None or frontal.yaw is None else round(frontal.yaw, 1),
        'turned_yaw': None,
        'turned_similarity': None if turned.similarity is None else round(turned.similarity, 1),
    }
    side = _SIDE[direction]
    if same_bytes:
        still = reason('liveness_still', 'Kedua foto sama persis: gerakan kepala tidak terlihat. '
                       'Arahkan kamera ke wajah Anda sendiri, lalu ikuti petunjuknya.')  # fmt: skip
        return Verdict((still,), (), measures)
    face = turned.face
    if face is None or turned.similarity is None:
        return Verdict((reason('liveness_no_face', f'Wajah tidak terlihat saat menoleh ke {side}. Tolehkan kepala '
                               'pelan-pelan dan tetap di dalam bingkai.'),), (), measures)  # fmt: skip
    if turned.similarity < policy.turn_review_similarity:
        return Verdict((reason('liveness_other_face', 'Wajah pada foto menoleh bukan wajah yang terdaftar.'),), (),
                       measures)  # fmt: skip
    refusals: list[Reason] = []
    if frontal is not None and frontal.yaw is not None and abs(frontal.yaw) > policy.max_frontal_yaw:
        refusals.append(reason('liveness_not_frontal', 'Foto pertama harus menghadap lurus ke kamera.'))
    turn = None if face.yaw is None else face.yaw * _IMAGE_SIGN[direction]
    measures['turned_yaw'] = None if face.yaw is None else round(face.yaw, 1)
    start = 0.0 if frontal is None or frontal.yaw is None else frontal.yaw * _IMAGE_SIGN[direction]
    if turn is None or turn < policy.min_turn_yaw or turn - start < policy.min_turn_change:
        refusals.append(reason('liveness_no_turn', f'Kepala tidak terlihat menoleh ke {side}. Saat diminta, tolehkan '
                               f'kepala ke {side} Anda sampai pipi terlihat, lalu tahan sebentar.'))  # fmt: skip
    review: list[Reason] = []
    if not refusals and turned.similarity < policy.turn_match_similarity:
        review.append(reason('liveness_borderline', f'Kemiripan wajah saat menoleh {turned.similarity:.1f}%.'))
    return Verdict(tuple(refusals), tuple(review), measures)


def reused_reason(kind: Literal['bytes', 'print'], of_reference: bool) -> Reason:
    """A frontal frame seen before: the enrolment photo or an earlier selfie sent again."""
    what = 'foto wajah terdaftar' if of_reference else 'foto presensi sebelumnya'
    how = 'sama persis dengan' if kind == 'bytes' else 'hampir sama persis dengan'
    return reason('reused_selfie', f'Foto ini {how} {what}.')
