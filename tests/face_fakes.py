"""An in-memory `FaceEngine` for the check-in services' tests: deterministic, and honest to the port.

A fake photo is a JPEG start-of-image marker and `b'FAKEIMG'` (so the API takes it for a JPEG), followed by
JSON saying who is in it and how the photo looks (`fake_image`);
any other bytes are refused as a real engine refuses a file that is not a photo.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.ports import DetectedFace, FaceBox, FaceComparison, FaceEngineBusy, FaceMatch

FAKE_IMAGE_MAGIC = b'\xff\xd8\xffFAKEIMG'
SAME_PERSON_SIMILARITY = 99.0
OTHER_PERSON_SIMILARITY = 10.0
_BYSTANDER_SCALE = 0.5  # extra faces are smaller than the person's own, so the person's is the largest


def fake_image(
    person: str | None,
    *,
    faces: int = 1,
    sharpness: float = 90.0,
    brightness: float = 60.0,
    yaw: float = 0.0,
    pitch: float = 0.0,
    roll: float = 0.0,
    eyes_open: bool = True,
    sunglasses: bool = False,
    size: float = 0.3,
    left: float = 0.05,
    nonce: str = '',
) -> bytes:
    """A fake photo of `person` (None: nobody) for `FakeFaceEngine`.

    `faces` counts every face in it: the person's (of height `size`, a fraction of the photo) and smaller
    strangers', the person's `left` of the photo's width from the left edge (a new shot frames the face
    elsewhere: liveness's face print tells a replay by it). `nonce` makes two otherwise equal photos different
    bytes (a fresh selfie, not a replay).
    """
    description = {
        'person': person,
        'faces': faces if person is not None else 0,
        'sharpness': sharpness,
        'brightness': brightness,
        'yaw': yaw,
        'pitch': pitch,
        'roll': roll,
        'eyes_open': eyes_open,
        'sunglasses': sunglasses,
        'size': size,
        'left': left,
        'nonce': nonce,
    }
    return FAKE_IMAGE_MAGIC + json.dumps(description, sort_keys=True).encode('utf-8')


@dataclass
class FakeFaceEngine:
    """`FaceEngine` in memory.

    compare gives SAME_PERSON_SIMILARITY for the same person, OTHER_PERSON_SIMILARITY otherwise, unless
    `similarity_overrides` names the pair (either order). `busy_calls` makes that many next calls raise
    FaceEngineBusy (after `calls_before_busy` served ones); `calls` counts every call per method, refused ones included.
    """

    similarity_overrides: dict[tuple[str, str], float] = field(default_factory=dict)
    busy_calls: int = 0
    calls_before_busy: int = 0  # that many calls are served before the busy ones start
    calls: Counter[str] = field(default_factory=Counter)
    indexed: dict[str, tuple[str, str]] = field(default_factory=dict)  # face id -> (external id, person)
    _next_face: int = field(default=0, init=False, repr=False)

    def detect(self, image: bytes) -> list[DetectedFace]:
        """Every face in the image, largest first. Raises ValueError for bytes that are not a fake photo."""
        self._called('detect')
        return _faces(_parse(image))

    def compare(self, reference: bytes, probe: bytes) -> float | None:
        """Similarity of the person in `probe` to the person in `reference`; None if either shows nobody."""
        self._called('compare')
        reference_person, probe_person = _parse(reference)['person'], _parse(probe)['person']
        if reference_person is None or probe_person is None:
            return None
        return self.similarity(reference_person, probe_person)

    def compare_detail(self, reference: bytes, probe: bytes) -> FaceComparison:
        """compare, with the probe's faces as detect describes them: one call, as Rekognition's CompareFaces."""
        self._called('compare_detail')
        reference_person, description = _parse(reference)['person'], _parse(probe)
        faces = tuple(_faces(description))
        if reference_person is None or description['person'] is None:
            return FaceComparison(similarity=None, faces=faces)
        return FaceComparison(similarity=self.similarity(reference_person, description['person']), faces=faces)

    def search(self, image: bytes, threshold: float) -> list[FaceMatch]:
        """Indexed faces at least `threshold` similar to the person in `image`, most similar first."""
        self._called('search')
        person = _parse(image)['person']
        if person is None:
            return []
        matches = [
            FaceMatch(face_id=face_id, external_id=external_id, similarity=similarity)
            for face_id, (external_id, indexed_person) in self.indexed.items()
            if (similarity := self.similarity(indexed_person, person)) >= threshold
        ]
        return sorted(matches, key=lambda match: match.similarity, reverse=True)

    def index(self, image: bytes, external_id: str) -> str:
        """Index the person in `image` under `external_id`; ValueError if the photo shows nobody."""
        self._called('index')
        person = _parse(image)['person']
        if person is None:
            raise ValueError('no face to index in the photo')
        self._next_face += 1
        face_id = str(uuid.UUID(int=self._next_face))
        self.indexed[face_id] = (external_id, person)
        return face_id

    def remove(self, face_ids: Sequence[str]) -> None:
        """Forget indexed faces; unknown ids are ignored."""
        self._called('remove')
        for face_id in face_ids:
            self.indexed.pop(face_id, None)

    def similarity(self, first: str, second: str) -> float:
        """What compare reports for two people."""
        for pair in ((first, second), (second, first)):
            if pair in self.similarity_overrides:
                return self.similarity_overrides[pair]
        return SAME_PERSON_SIMILARITY if first == second else OTHER_PERSON_SIMILARITY

    def _called(self, method: str) -> None:
        self.calls[method] += 1
        if self.calls_before_busy > 0:
            self.calls_before_busy -= 1
        elif self.busy_calls > 0:
            self.busy_calls -= 1
            raise FaceEngineBusy(f'fake engine refused {method}')


def _parse(image: bytes) -> dict[str, Any]:
    if not image.startswith(FAKE_IMAGE_MAGIC):
        raise ValueError('not a photo (fake photos start with a JPEG marker and FAKEIMG; see fake_image)')
    try:
        description: dict[str, Any] = json.loads(image[len(FAKE_IMAGE_MAGIC) :])
    except ValueError as exc:
        raise ValueError('a damaged fake photo') from exc
    return description


def _faces(description: dict[str, Any]) -> list[DetectedFace]:
    faces = []
    for position in range(description['faces']):
        height = description['size'] * (1.0 if position == 0 else _BYSTANDER_SCALE)
        width = height * 0.75
        faces.append(
            DetectedFace(
                box=FaceBox(
                    left=min(description.get('left', 0.05) + 0.3 * position, 1.0 - width),
                    top=0.2,
                    width=width,
                    height=height,
                ),
                confidence=99.9,
                sharpness=description['sharpness'],
                brightness=description['brightness'],
                yaw=description['yaw'] if position == 0 else 0.0,
                pitch=description['pitch'] if position == 0 else 0.0,
                roll=description['roll'] if position == 0 else 0.0,
                eyes_open=description['eyes_open'] if position == 0 else True,
                sunglasses=description['sunglasses'] if position == 0 else False,
            )
        )
    return faces
