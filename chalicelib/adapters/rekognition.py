"""The face engine on Amazon Rekognition.

Rekognition is not offered in ap-southeast-3, so it is called in `settings.rekognition_region` with the photo's
bytes in the request: the photos stay in the home region's bucket, and only the collection's face vectors are
kept in the Rekognition region.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.clients import boto3_client
from chalicelib.ports import DetectedFace, FaceBox, FaceComparison, FaceEngineBusy, FaceMatch
from chalicelib.settings import get_settings

_BUSY_CODES = frozenset({'ThrottlingException', 'ProvisionedThroughputExceededException', 'LimitExceededException'})
_BAD_IMAGE_MESSAGES = {
    'InvalidImageFormatException': 'the photo must be a JPEG or PNG',
    'ImageTooLargeException': 'the photo is too large for the face service (at most 5 MB and 4096 px a side)',
}
_DELETE_BATCH = 4096  # DeleteFaces' limit per call


class RekognitionFaceEngine:
    """`FaceEngine` on one Rekognition collection."""

    def __init__(self, collection_id: str, client: Any | None = None) -> None:
        self._collection_id = collection_id
        self._client = client or boto3_client('rekognition', region=get_settings().rekognition_region)
        self._yaw_sign = get_settings().rekognition_yaw_sign

    def detect(self, image: bytes) -> list[DetectedFace]:
        """Every face in the image, largest first. Raises ValueError for bytes that are not a JPEG or PNG."""
        with _translated_errors():
            reply = self._client.detect_faces(Image={'Bytes': image}, Attributes=['ALL'])
        faces = [self._on_port_scale(_detected_face(detail)) for detail in reply.get('FaceDetails', [])]
        return sorted(faces, key=lambda face: face.box.width * face.box.height, reverse=True)

    def compare(self, reference: bytes, probe: bytes) -> float | None:
        """Similarity of the largest face in `probe` to the face in `reference`; None if `probe` has no face.

        Rekognition answers a photo without a face with InvalidParameterException (or with no faces at all in
        the reply); a reference passed the quality gate at enrolment, so it is the probe that has none."""
        try:
            with _translated_errors():
                reply = self._client.compare_faces(
                    SourceImage={'Bytes': reference}, TargetImage={'Bytes': probe}, SimilarityThreshold=0
                )
        except ClientError as exc:
            if _error_code(exc) == 'InvalidParameterException':
                return None
            raise
        matches = reply.get('FaceMatches', [])
        if matches:
            # Rekognition sorts by similarity; the port asks for the largest face in the probe.
            largest = max(matches, key=lambda match: _box_area(match['Face'].get('BoundingBox', {})))
            return float(largest['Similarity'])
        # With a threshold of 0 every face in the probe should be a match: an unmatched one scored nothing.
        return 0.0 if reply.get('UnmatchedFaces') else None

    def compare_detail(self, reference: bytes, probe: bytes) -> FaceComparison:
        """One CompareFaces: the similarity of the largest face in `probe` and every face in it, read from the
        reply's compared faces (BoundingBox, Confidence, Pose and Quality; CompareFaces reports no eyes or
        sunglasses). Yaw is put on the port's sign (settings `rekognition_yaw_sign`)."""
        try:
            with _translated_errors():
                reply = self._client.compare_faces(
                    SourceImage={'Bytes': reference}, TargetImage={'Bytes': probe}, SimilarityThreshold=0
                )
        except ClientError as exc:
            if _error_code(exc) == 'InvalidParameterException':
                return FaceComparison(similarity=None, faces=())
            raise
        scored = [(float(m['Similarity']), m.get('Face', {})) for m in reply.get('FaceMatches', [])]
        scored += [(0.0, face) for face in reply.get('UnmatchedFaces', [])]
        scored.sort(key=lambda pair: _box_area(pair[1].get('BoundingBox', {})), reverse=True)
        faces = tuple(self._on_port_scale(_detected_face(face)) for _, face in scored)
        return FaceComparison(similarity=scored[0][0] if scored else None, faces=faces)

    def _on_port_scale(self, face: DetectedFace) -> DetectedFace:
        return face if face.yaw is None else replace(face, yaw=face.yaw * self._yaw_sign)

    def search(self, image: bytes, threshold: float) -> list[FaceMatch]:
        """Indexed faces at least `threshold` similar to the largest face in `image`, most similar first."""
        try:
            with _translated_errors():
                reply = self._client.search_faces_by_image(
                    CollectionId=self._collection_id, Image={'Bytes': image}, FaceMatchThreshold=threshold
                )
        except ClientError as exc:
            if _error_code(exc) == 'InvalidParameterException':  # no face in the image
                return []
            raise
        matches = [
            FaceMatch(
                face_id=match['Face']['FaceId'],
                external_id=match['Face'].get('ExternalImageId', ''),
                similarity=float(match['Similarity']),
            )
            for match in reply.get('FaceMatches', [])
        ]
        return sorted(matches, key=lambda match: match.similarity, reverse=True)

    def index(self, image: bytes, external_id: str) -> str:
        """Index the largest face in `image` under `external_id`; returns the engine's face id."""
        with _translated_errors():
            reply = self._client.index_faces(
                CollectionId=self._collection_id,
                Image={'Bytes': image},
                ExternalImageId=external_id,
                MaxFaces=1,
                QualityFilter='AUTO',
            )
        records = reply.get('FaceRecords', [])
        if not records:
            reasons = sorted({reason for face in reply.get('UnindexedFaces', []) for reason in face.get('Reasons', [])})
            raise ValueError(f'no face could be indexed ({", ".join(reasons) or "no face found"})')
        return str(records[0]['Face']['FaceId'])

    def remove(self, face_ids: Sequence[str]) -> None:
        """Forget indexed faces (an admin reset of an enrolment)."""
        for start in range(0, len(face_ids), _DELETE_BATCH):
            with _translated_errors():
                self._client.delete_faces(
                    CollectionId=self._collection_id, FaceIds=list(face_ids[start : start + _DELETE_BATCH])
                )


@contextmanager
def _translated_errors() -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        code = _error_code(exc)
        if code in _BUSY_CODES:
            raise FaceEngineBusy(code) from exc
        if code in _BAD_IMAGE_MESSAGES:
            raise ValueError(_BAD_IMAGE_MESSAGES[code]) from exc
        raise


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get('Error', {}).get('Code', ''))


def _box_area(box: dict[str, Any]) -> float:
    return float(box.get('Width', 0.0)) * float(box.get('Height', 0.0))


def _detected_face(detail: dict[str, Any]) -> DetectedFace:
    box = detail.get('BoundingBox', {})
    quality = detail.get('Quality', {})
    pose = detail.get('Pose', {})
    return DetectedFace(
        box=FaceBox(
            left=float(box.get('Left', 0.0)),
            top=float(box.get('Top', 0.0)),
            width=float(box.get('Width', 0.0)),
            height=float(box.get('Height', 0.0)),
        ),
        confidence=float(detail.get('Confidence', 0.0)),
        sharpness=_optional_float(quality.get('Sharpness')),
        brightness=_optional_float(quality.get('Brightness')),
        yaw=_optional_float(pose.get('Yaw')),
        pitch=_optional_float(pose.get('Pitch')),
        roll=_optional_float(pose.get('Roll')),
        eyes_open=_optional_bool(detail.get('EyesOpen')),
        sunglasses=_optional_bool(detail.get('Sunglasses')),
    )


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _optional_bool(attribute: dict[str, Any] | None) -> bool | None:
    if not attribute or 'Value' not in attribute:
        return None
    return bool(attribute['Value'])
