"""The embedded face engine for `make run` and the tests: dlib's HOG face detector, its 68-landmark shape
predictor and its ResNet face descriptor, with the weights that ship inside the `face_recognition_models`
package, so nothing is downloaded at run time.

Every figure it reports is put on Rekognition's scales, so the quality gate and the check-in thresholds read
the same for both engines:

- similarity: dlib compares faces by the Euclidean distance between 128-d descriptors; dlib's own cut for
  "same person" is 0.6. The distance is mapped to 0-100 by a falling logistic through two anchors: distance
  0.5 gives 95 (the default accept threshold) and 0.6 gives 80 (the floor of the review band), so a pair
  dlib calls the same person at the edge of its cut is left to a reviewer, never accepted outright; 0.7 gives
  46 and 0.9 gives 4. Measured on the photos in tests/photos.py: a portrait against its derived second selfie
  and against a frame of the fake-camera video 0.10-0.16 (similarity 99.97-99.99); three different people,
  every pair 0.68-0.90 (similarity 3-55).
- confidence: dlib's detector score (an SVM margin, 0 at its detection cut, 1-3 for a clear frontal face)
  through a logistic, 100 / (1 + e^(-5 * score)): the cut gives 50, a score of 0.44 gives 90 (the quality
  gate's minimum), 1.0 gives 99.3.
- sharpness: the variance of the Laplacian of the face crop, resized to 96 x 96 and stretched to a standard
  deviation of 50 grey levels (so it depends neither on the photo's resolution nor on its exposure), as
  100 * (1 - e^(-variance / 300)). Measured on the three test faces: as shipped 58-99; under a Gaussian blur
  of 2 px 4-43, of 3 px 2-18 (the quality gate refuses below 20).
- brightness: the face crop's mean luma (ITU-R 601) on 0-100.
- yaw, pitch, roll: a weak-perspective fit of six landmarks (nose tip, chin, outer eye corners, mouth corners)
  to a generic 3-D face. Rough: within a few degrees near frontal; a face turned by eye about 35 degrees
  measures 42. Yaw is positive when the face turns towards the image's right, pitch when it tilts up, roll
  when the eye line rises to the right.
- eyes_open: the mean eye aspect ratio (Soukupova and Cech, 2016) of both eyes above 0.18; the open eyes of
  the test photos measure 0.30-0.34, closed eyes measure about 0.1 in the paper.
- sunglasses: None. A dark-eye-region test cannot be checked against a real photo of sunglasses here, and on
  deep-set or shadowed eyes it would refuse honest selfies.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import math
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from chalicelib.ports import DetectedFace, FaceBox, FaceComparison, FaceMatch

ACCEPT_DISTANCE = 0.5  # similarity 95
REVIEW_DISTANCE = 0.6  # dlib's same-person cut: similarity 80
_ACCEPT_SIMILARITY = 95.0
_REVIEW_SIMILARITY = 80.0
# The logistic 100 / (1 + e^((d - midpoint) / scale)) through the two anchors above.
_SIMILARITY_SCALE = (REVIEW_DISTANCE - ACCEPT_DISTANCE) / (
    math.log(100 / _REVIEW_SIMILARITY - 1) - math.log(100 / _ACCEPT_SIMILARITY - 1)
)
_SIMILARITY_MIDPOINT = ACCEPT_DISTANCE - _SIMILARITY_SCALE * math.log(100 / _ACCEPT_SIMILARITY - 1)

_CONFIDENCE_SLOPE = 5.0
_CONFIDENT_SCORE = 0.44  # confidence 90, the quality gate's minimum
_SHARPNESS_VARIANCE_SCALE = 300.0
_SHARPNESS_CROP = 96
_SHARPNESS_CONTRAST = 50.0  # grey levels of standard deviation
_EYES_OPEN_RATIO = 0.18
_MAX_SIDE = 1280  # larger photos are shrunk first: detection time grows with the pixel count
_UPSAMPLE_UP_TO_SIDE = 800  # smaller photos are searched at twice the size, so faces of ~40 px are found
_INDEX_VERSION = 1
_DESCRIPTOR_CACHE_SIZE = 256

# A generic face in millimetre-like units: x to the image's right, y up, z towards the camera.
_POSE_MODEL = np.array(
    [
        (0.0, 0.0, 0.0),  # nose tip
        (0.0, -330.0, -65.0),  # chin
        (-225.0, 170.0, -135.0),  # outer corner of the eye on the image's left
        (225.0, 170.0, -135.0),  # outer corner of the eye on the image's right
        (-150.0, -150.0, -125.0),  # mouth corners
        (150.0, -150.0, -125.0),
    ]
)
_POSE_LANDMARKS = [30, 8, 36, 45, 48, 54]
_EYES = (range(36, 42), range(42, 48))

FloatArray = NDArray[np.float64]


def distance_to_similarity(distance: float) -> float:
    """A descriptor distance on Rekognition's 0-100 similarity scale (see the module docstring)."""
    return 100.0 / (1.0 + math.exp((distance - _SIMILARITY_MIDPOINT) / _SIMILARITY_SCALE))


@dataclass(frozen=True)
class _Models:
    detector: Any
    landmarks: Any  # 68 points: pose and eyes
    aligner: Any  # 5 points: aligns the face for the descriptor, steadier than the 68 when the box is off
    encoder: Any


# dlib's models keep per-call state inside them and are shared by every engine in the process: one call at a time.
_inference_lock = threading.Lock()
_loading_lock = threading.Lock()
_loaded: _Models | None = None


def _models() -> _Models:
    """The models, loaded on first use (about 2 s) and once per process."""
    global _loaded
    if _loaded is None:
        with _loading_lock:
            if _loaded is None:
                import dlib

                _loaded = _Models(
                    detector=dlib.get_frontal_face_detector(),
                    landmarks=dlib.shape_predictor(_weights('shape_predictor_68_face_landmarks.dat')),
                    aligner=dlib.shape_predictor(_weights('shape_predictor_5_face_landmarks.dat')),
                    encoder=dlib.face_recognition_model_v1(_weights('dlib_face_recognition_resnet_model_v1.dat')),
                )
    return _loaded


def _weights(file_name: str) -> str:
    # The files face_recognition_models' *_location() functions name, found without importing the package:
    # it imports pkg_resources, which newer setuptools no longer ships.
    spec = importlib.util.find_spec('face_recognition_models')
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError('face_recognition_models is not installed (it is pinned in requirements-dev.txt)')
    return str(Path(next(iter(spec.submodule_search_locations))) / 'models' / file_name)


@dataclass(frozen=True)
class _Found:
    rect: Any  # dlib.rectangle
    shape: Any  # dlib.full_object_detection
    score: float
    landmarks: FloatArray  # 68 x 2, pixels

    @property
    def area(self) -> int:
        return int(self.rect.width() * self.rect.height())


@dataclass
class _IndexedFace:
    external_id: str
    descriptor: FloatArray


class DlibFaceEngine:
    """The face engine behind the local stack and the tests; thread-safe, models loaded once per process."""

    def __init__(self, index_path: Path | None = None) -> None:
        self._index_path = index_path
        self._index_lock = threading.Lock()
        # Reference photos are compared again at every check-in: keep their descriptors.
        self._descriptor_lock = threading.Lock()
        self._descriptors: OrderedDict[bytes, FloatArray | None] = OrderedDict()
        self._faces: dict[str, _IndexedFace] = self._load_index()

    def detect(self, image: bytes) -> list[DetectedFace]:
        """Every face in the image, largest first. Raises ValueError for bytes that are not a JPEG or PNG."""
        pixels = _decode(image)
        found = self._find_faces(pixels)
        height, width = pixels.shape[:2]
        grey = _luma(pixels)
        return [_describe(face, grey, width, height) for face in found]

    def compare(self, reference: bytes, probe: bytes) -> float | None:
        """Similarity of the largest face in `probe` to the face in `reference`; None if either has no face
        (Rekognition answers both cases alike)."""
        reference_descriptor = self._largest_descriptor(reference)
        probe_descriptor = self._largest_descriptor(probe)
        if reference_descriptor is None or probe_descriptor is None:
            return None
        return distance_to_similarity(float(np.linalg.norm(reference_descriptor - probe_descriptor)))

    def compare_detail(self, reference: bytes, probe: bytes) -> FaceComparison:
        """compare and detect in one: the similarity of the largest face in `probe`, and every face in it (pose
        from the 68 landmarks, as detect reports it)."""
        faces = tuple(self.detect(probe))
        if not faces:
            return FaceComparison(similarity=None, faces=())
        return FaceComparison(similarity=self.compare(reference, probe), faces=faces)

    def search(self, image: bytes, threshold: float) -> list[FaceMatch]:
        """Indexed faces at least `threshold` similar to the largest face in `image`, most similar first."""
        descriptor = self._largest_descriptor(image)
        if descriptor is None:
            return []
        with self._index_lock:
            indexed = list(self._faces.items())
        matches = [
            FaceMatch(face_id=face_id, external_id=face.external_id, similarity=similarity)
            for face_id, face in indexed
            if (similarity := distance_to_similarity(float(np.linalg.norm(face.descriptor - descriptor)))) >= threshold
        ]
        return sorted(matches, key=lambda match: match.similarity, reverse=True)

    def index(self, image: bytes, external_id: str) -> str:
        """Index the largest face in `image` under `external_id`; returns the engine's face id."""
        descriptor = self._largest_descriptor(image)
        if descriptor is None:
            raise ValueError('no face to index in the photo')
        face_id = secrets.token_hex(16)
        with self._index_lock:
            self._faces[face_id] = _IndexedFace(external_id=external_id, descriptor=descriptor)
            self._save_index()
        return face_id

    def remove(self, face_ids: Sequence[str]) -> None:
        """Forget indexed faces; unknown ids are ignored, as Rekognition does."""
        with self._index_lock:
            removed = [self._faces.pop(face_id, None) for face_id in face_ids]
            if any(face is not None for face in removed):
                self._save_index()

    def _find_faces(self, pixels: NDArray[np.uint8]) -> list[_Found]:
        models = _models()
        upsample = 1 if max(pixels.shape[:2]) <= _UPSAMPLE_UP_TO_SIDE else 0
        with _inference_lock:
            rects, scores, _ = models.detector.run(pixels, upsample, 0.0)
            shapes = [models.landmarks(pixels, rect) for rect in rects]
        found = [
            _Found(
                rect=rect,
                shape=shape,
                score=float(score),
                landmarks=np.array([(point.x, point.y) for point in shape.parts()], dtype=np.float64),
            )
            for rect, shape, score in zip(rects, shapes, scores, strict=True)
        ]
        return sorted(found, key=lambda face: (face.area, face.score), reverse=True)

    def _largest_descriptor(self, image: bytes) -> FloatArray | None:
        key = hashlib.sha256(image).digest()
        with self._descriptor_lock:
            if key in self._descriptors:
                self._descriptors.move_to_end(key)
                return self._descriptors[key]
        pixels = _decode(image)
        found = self._find_faces(pixels)
        # A low-scoring detection (a badge, a pattern) must not stand in for the person's own face.
        confident = [face for face in found if face.score >= _CONFIDENT_SCORE] or found
        descriptor = None
        if confident:
            models = _models()
            with _inference_lock:
                aligned = models.aligner(pixels, confident[0].rect)
                computed = models.encoder.compute_face_descriptor(pixels, aligned)
            descriptor = np.array(computed, dtype=np.float64)
        with self._descriptor_lock:
            self._descriptors[key] = descriptor
            while len(self._descriptors) > _DESCRIPTOR_CACHE_SIZE:
                self._descriptors.popitem(last=False)
        return descriptor

    def _load_index(self) -> dict[str, _IndexedFace]:
        if self._index_path is None or not self._index_path.exists():
            return {}
        stored = json.loads(self._index_path.read_text(encoding='utf-8'))
        return {
            face['face_id']: _IndexedFace(
                external_id=face['external_id'], descriptor=np.array(face['descriptor'], dtype=np.float64)
            )
            for face in stored['faces']
        }

    def _save_index(self) -> None:
        if self._index_path is None:
            return
        stored = {
            'version': _INDEX_VERSION,
            'faces': [
                {'face_id': face_id, 'external_id': face.external_id, 'descriptor': face.descriptor.tolist()}
                for face_id, face in self._faces.items()
            ],
        }
        self._index_path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash mid-write never leaves half an index behind.
        partial = self._index_path.with_name(self._index_path.name + '.partial')
        partial.write_text(json.dumps(stored), encoding='utf-8')
        os.replace(partial, self._index_path)


def _decode(image: bytes) -> NDArray[np.uint8]:
    try:
        with Image.open(io.BytesIO(image)) as opened:
            if opened.format not in ('JPEG', 'PNG'):
                raise ValueError(f'the photo must be a JPEG or PNG, not {opened.format}')
            upright = ImageOps.exif_transpose(opened).convert('RGB')
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValueError('the bytes are not a readable JPEG or PNG photo') from exc
    if max(upright.size) > _MAX_SIDE:
        upright.thumbnail((_MAX_SIDE, _MAX_SIDE), Image.Resampling.LANCZOS)
    return np.asarray(upright, dtype=np.uint8)


def _luma(pixels: NDArray[np.uint8]) -> FloatArray:
    rgb = pixels.astype(np.float64)
    luma: FloatArray = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    return luma


def _describe(face: _Found, grey: FloatArray, width: int, height: int) -> DetectedFace:
    left, top = max(face.rect.left(), 0), max(face.rect.top(), 0)
    right, bottom = min(face.rect.right() + 1, width), min(face.rect.bottom() + 1, height)
    crop = grey[top:bottom, left:right]
    yaw, pitch, roll = _pose(face.landmarks)
    return DetectedFace(
        box=FaceBox(left=left / width, top=top / height, width=(right - left) / width, height=(bottom - top) / height),
        confidence=100.0 / (1.0 + math.exp(-_CONFIDENCE_SLOPE * face.score)),
        sharpness=_sharpness(crop),
        brightness=float(crop.mean()) / 255.0 * 100.0 if crop.size else None,
        yaw=yaw,
        pitch=pitch,
        roll=roll,
        eyes_open=_eye_aspect_ratio(face.landmarks) > _EYES_OPEN_RATIO,
        sunglasses=None,
    )


def _sharpness(crop: FloatArray) -> float | None:
    if crop.shape[0] < 3 or crop.shape[1] < 3:
        return None
    resized = Image.fromarray(crop.astype(np.float32)).resize(
        (_SHARPNESS_CROP, _SHARPNESS_CROP), Image.Resampling.BILINEAR
    )
    grey = np.asarray(resized, dtype=np.float64)
    # Stretch to a fixed contrast, so a dim face is not called blurry as well as dark.
    grey = (grey - grey.mean()) / (grey.std() + 1e-6) * _SHARPNESS_CONTRAST
    laplacian = grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4.0 * grey[1:-1, 1:-1]
    return 100.0 * (1.0 - math.exp(-float(laplacian.var()) / _SHARPNESS_VARIANCE_SCALE))


def _pose(landmarks: FloatArray) -> tuple[float, float, float]:
    image_points = landmarks[_POSE_LANDMARKS] * np.array([1.0, -1.0])  # y up, like the model
    model = _POSE_MODEL - _POSE_MODEL.mean(axis=0)
    projected = image_points - image_points.mean(axis=0)
    # Weak perspective: projected ~ model @ affine, affine being the first two rows of a scaled rotation.
    affine, *_ = np.linalg.lstsq(model, projected, rcond=None)
    first, second = affine[:, 0] / np.linalg.norm(affine[:, 0]), affine[:, 1] / np.linalg.norm(affine[:, 1])
    rows = np.stack([first, second, np.cross(first, second)])
    left_vectors, _, right_vectors = np.linalg.svd(rows)
    rotation = left_vectors @ right_vectors  # the nearest true rotation
    if np.linalg.det(rotation) < 0:
        rotation = left_vectors @ np.diag([1.0, 1.0, -1.0]) @ right_vectors
    forward = rotation[:, 2]  # where the face's nose points, in camera axes
    yaw = math.degrees(math.atan2(forward[0], forward[2]))
    pitch = math.degrees(math.atan2(forward[1], math.hypot(forward[0], forward[2])))
    roll = math.degrees(math.atan2(rotation[1, 0], rotation[0, 0]))
    return yaw, pitch, roll


def _eye_aspect_ratio(landmarks: FloatArray) -> float:
    ratios = []
    for eye in _EYES:
        p1, p2, p3, p4, p5, p6 = (landmarks[index] for index in eye)
        width = float(np.linalg.norm(p1 - p4))
        opening = float(np.linalg.norm(p2 - p6) + np.linalg.norm(p3 - p5))
        ratios.append(opening / (2.0 * width) if width else 0.0)
    return sum(ratios) / len(ratios)
