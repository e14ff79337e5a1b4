"""What a face engine reports about a photo, and the quality gate every reference selfie and check-in selfie
passes before any comparison."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FaceBox:
    """A face's bounding box as fractions of the image's width and height (Rekognition's convention)."""

    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class DetectedFace:
    """What the quality gate needs to know about one face. None means the engine cannot tell."""

    box: FaceBox
    confidence: float  # 0-100
    sharpness: float | None = None  # 0-100
    brightness: float | None = None  # 0-100
    yaw: float | None = None  # degrees
    pitch: float | None = None
    roll: float | None = None
    eyes_open: bool | None = None
    sunglasses: bool | None = None


@dataclass(frozen=True)
class FaceMatch:
    face_id: str
    external_id: str  # the employee id the face was indexed under
    similarity: float  # 0-100


@dataclass(frozen=True)
class QualityGate:
    min_face_fraction: float = 0.15  # face height as a share of the photo's height
    min_sharpness: float = 20.0
    min_brightness: float = 15.0
    max_yaw: float = 30.0
    max_pitch: float = 25.0
    max_roll: float = 25.0
    min_confidence: float = 90.0


@dataclass(frozen=True)
class Problem:
    code: str
    message: str  # Bahasa Indonesia: shown to the employee as is


def quality_problems(faces: Sequence[DetectedFace], gate: QualityGate) -> list[Problem]:
    """Why a selfie cannot be used; empty when it passes."""
    confident = [f for f in faces if f.confidence >= gate.min_confidence]
    if not confident and faces:
        # A face the detector saw but is not sure of (often 80-89 in dim or side light): say so and what helps,
        # rather than "not visible" to someone whose face is plainly on the screen. The code stays no_face.
        best = max(f.confidence for f in faces)
        return [Problem('no_face', f'Wajah terlihat, tetapi belum cukup jelas bagi sistem ({best:.0f} dari '
                                   f'{gate.min_confidence:.0f} yang dibutuhkan). Cari cahaya yang lebih terang dari '
                                   'depan (jangan membelakangi jendela atau lampu), hadapkan wajah lurus ke kamera, '
                                   'lalu coba lagi.')]  # fmt: skip
    if not confident:
        return [Problem('no_face', 'Tidak ada wajah di foto. Hadapkan wajah ke kamera dengan cahaya cukup, '
                                   'sekitar 30-40 cm dari ponsel.')]  # fmt: skip
    if len(confident) > 1:
        return [Problem('many_faces', f'Terlihat {len(confident)} wajah. Pastikan hanya Anda yang ada di foto.')]
    face = confident[0]
    problems: list[Problem] = []
    if face.box.height < gate.min_face_fraction:
        problems.append(Problem('face_too_small', 'Wajah terlalu kecil. Dekatkan kamera ke wajah.'))
    if face.sharpness is not None and face.sharpness < gate.min_sharpness:
        problems.append(Problem('blurry', 'Foto buram. Tahan ponsel tetap diam.'))
    if face.brightness is not None and face.brightness < gate.min_brightness:
        problems.append(Problem('too_dark', 'Foto terlalu gelap. Cari tempat yang lebih terang.'))
    if any(
        angle is not None and abs(angle) > limit
        for angle, limit in ((face.yaw, gate.max_yaw), (face.pitch, gate.max_pitch), (face.roll, gate.max_roll))
    ):
        problems.append(Problem('pose', 'Wajah tidak menghadap lurus ke kamera.'))
    if face.eyes_open is False:
        problems.append(Problem('eyes_closed', 'Mata tertutup. Buka mata Anda.'))
    if face.sunglasses is True:
        problems.append(Problem('sunglasses', 'Lepaskan kacamata hitam.'))
    return problems
