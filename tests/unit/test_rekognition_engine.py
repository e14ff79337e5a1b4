from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from chalicelib.adapters.clients import reset_clients
from chalicelib.adapters.rekognition import RekognitionFaceEngine
from chalicelib.ports import FaceEngineBusy
from chalicelib.settings import get_settings

COLLECTION = 'hadir-test-faces'
PHOTO = b'\xff\xd8\xff\xe0 a jpeg'
OTHER_PHOTO = b'\xff\xd8\xff\xe0 another jpeg'


@pytest.fixture
def rekognition() -> Any:
    return boto3.client(
        'rekognition',
        region_name='ap-southeast-1',
        aws_access_key_id='testing',
        aws_secret_access_key='testing',
    )


@pytest.fixture
def stub(rekognition: Any) -> Iterator[Stubber]:
    with Stubber(rekognition) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def engine(rekognition: Any, stub: Stubber) -> RekognitionFaceEngine:
    return RekognitionFaceEngine(COLLECTION, client=rekognition)


def _face_detail(*, left: float, size: float, confidence: float = 99.9) -> dict[str, Any]:
    return {
        'BoundingBox': {'Left': left, 'Top': 0.2, 'Width': size, 'Height': size * 1.2},
        'Confidence': confidence,
        'Quality': {'Sharpness': 86.9, 'Brightness': 71.2},
        'Pose': {'Yaw': -4.5, 'Pitch': 3.25, 'Roll': 1.5},
        'EyesOpen': {'Value': True, 'Confidence': 98.0},
        'Sunglasses': {'Value': False, 'Confidence': 99.0},
    }


def test_calls_rekognition_in_the_configured_region_by_default() -> None:
    # Given no client, When the engine is built, Then it talks to Rekognition where Rekognition is offered
    reset_clients()
    try:
        engine = RekognitionFaceEngine(COLLECTION)

        assert engine._client.meta.region_name == get_settings().rekognition_region
        assert engine._client.meta.service_model.service_name == 'rekognition'
    finally:
        reset_clients()


def test_detect_maps_every_face_largest_first(engine: RekognitionFaceEngine, stub: Stubber) -> None:
    # Given a photo with a small face listed before a large one
    stub.add_response(
        'detect_faces',
        {'FaceDetails': [_face_detail(left=0.7, size=0.1, confidence=91.0), _face_detail(left=0.2, size=0.4)]},
        {'Image': {'Bytes': PHOTO}, 'Attributes': ['ALL']},
    )

    # When it is detected
    faces = engine.detect(PHOTO)

    # Then the large face comes first, with every attribute on the port's scales
    assert [face.box.left for face in faces] == [0.2, 0.7]
    first = faces[0]
    assert (first.box.top, first.box.width) == (0.2, 0.4)
    assert first.box.height == pytest.approx(0.48)
    assert (first.confidence, first.sharpness, first.brightness) == (99.9, 86.9, 71.2)
    assert (first.yaw, first.pitch, first.roll) == (-4.5, 3.25, 1.5)
    assert (first.eyes_open, first.sunglasses) == (True, False)


def test_detect_reports_no_faces_as_an_empty_list(engine: RekognitionFaceEngine, stub: Stubber) -> None:
    stub.add_response('detect_faces', {'FaceDetails': []}, {'Image': {'Bytes': PHOTO}, 'Attributes': ['ALL']})

    assert engine.detect(PHOTO) == []


def test_detect_leaves_missing_attributes_unknown(engine: RekognitionFaceEngine, stub: Stubber) -> None:
    stub.add_response(
        'detect_faces',
        {'FaceDetails': [{'BoundingBox': {'Left': 0.1, 'Top': 0.1, 'Width': 0.3, 'Height': 0.3}, 'Confidence': 95.0}]},
    )

    [face] = engine.detect(PHOTO)

    assert (face.sharpness, face.yaw, face.eyes_open, face.sunglasses) == (None, None, None, None)


def test_compare_returns_the_similarity_of_the_largest_probe_face(engine: RekognitionFaceEngine, stub: Stubber) -> None:
    # Given a probe with a bystander who looks more alike than the (larger) person in front
    stub.add_response(
        'compare_faces',
        {
            'FaceMatches': [
                {'Similarity': 99.5, 'Face': {'BoundingBox': {'Width': 0.1, 'Height': 0.1}}},
                {'Similarity': 97.25, 'Face': {'BoundingBox': {'Width': 0.4, 'Height': 0.5}}},
            ],
            'UnmatchedFaces': [],
        },
        {'SourceImage': {'Bytes': PHOTO}, 'TargetImage': {'Bytes': OTHER_PHOTO}, 'SimilarityThreshold': 0},
    )

    # When compared, Then the largest face's similarity is the answer
    assert engine.compare(PHOTO, OTHER_PHOTO) == 97.25


def test_compare_returns_none_when_rekognition_finds_no_face(engine: RekognitionFaceEngine, stub: Stubber) -> None:
    stub.add_client_error(
        'compare_faces', 'InvalidParameterException', 'There are no faces in the image. Should be at least 1.'
    )
    stub.add_response('compare_faces', {'FaceMatches': [], 'UnmatchedFaces': []})

    assert engine.compare(PHOTO, OTHER_PHOTO) is None
    assert engine.compare(PHOTO, OTHER_PHOTO) is None


def test_compare_scores_an_unmatched_face_as_zero(engine: RekognitionFaceEngine, stub: Stubber) -> None:
    stub.add_response('compare_faces', {'FaceMatches': [], 'UnmatchedFaces': [{'Confidence': 99.0}]})

    assert engine.compare(PHOTO, OTHER_PHOTO) == 0.0


def test_search_returns_matches_most_similar_first(engine: RekognitionFaceEngine, stub: Stubber) -> None:
    stub.add_response(
        'search_faces_by_image',
        {
            'FaceMatches': [
                {'Similarity': 91.0, 'Face': {'FaceId': 'face-2', 'ExternalImageId': '198001012005011002'}},
                {'Similarity': 99.1, 'Face': {'FaceId': 'face-1', 'ExternalImageId': '198001012005011001'}},
            ]
        },
        {'CollectionId': COLLECTION, 'Image': {'Bytes': PHOTO}, 'FaceMatchThreshold': 90.0},
    )

    matches = engine.search(PHOTO, 90.0)

    assert [(match.face_id, match.external_id, match.similarity) for match in matches] == [
        ('face-1', '198001012005011001', 99.1),
        ('face-2', '198001012005011002', 91.0),
    ]


def test_search_finds_nothing_in_a_photo_without_a_face(engine: RekognitionFaceEngine, stub: Stubber) -> None:
    stub.add_client_error(
        'search_faces_by_image',
        'InvalidParameterException',
        'There are no faces in the image. Should be at least 1.',
    )

    assert engine.search(PHOTO, 90.0) == []


def test_index_stores_one_face_under_the_external_id(engine: RekognitionFaceEngine, stub: Stubber) -> None:
    stub.add_response(
        'index_faces',
        {'FaceRecords': [{'Face': {'FaceId': '0f6c2b1e-7d1a-4b9e-9a51-0c3b9d0e4a11'}}], 'UnindexedFaces': []},
        {
            'CollectionId': COLLECTION,
            'Image': {'Bytes': PHOTO},
            'ExternalImageId': '198001012005011001',
            'MaxFaces': 1,
            'QualityFilter': 'AUTO',
        },
    )

    assert engine.index(PHOTO, '198001012005011001') == '0f6c2b1e-7d1a-4b9e-9a51-0c3b9d0e4a11'


def test_index_refuses_a_photo_nothing_could_be_indexed_from(engine: RekognitionFaceEngine, stub: Stubber) -> None:
    stub.add_response(
        'index_faces', {'FaceRecords': [], 'UnindexedFaces': [{'Reasons': ['LOW_SHARPNESS', 'LOW_BRIGHTNESS']}]}
    )

    with pytest.raises(ValueError, match='LOW_BRIGHTNESS, LOW_SHARPNESS'):
        engine.index(PHOTO, '198001012005011001')


def test_remove_deletes_the_faces(engine: RekognitionFaceEngine, stub: Stubber) -> None:
    stub.add_response(
        'delete_faces',
        {'DeletedFaces': ['face-1', 'face-2']},
        {'CollectionId': COLLECTION, 'FaceIds': ['face-1', 'face-2']},
    )

    engine.remove(['face-1', 'face-2'])


def test_remove_of_nothing_calls_nothing(engine: RekognitionFaceEngine) -> None:
    engine.remove([])


@pytest.mark.parametrize(
    'code', ['ThrottlingException', 'ProvisionedThroughputExceededException', 'LimitExceededException']
)
@pytest.mark.parametrize(
    ('method', 'operation', 'arguments'),
    [
        ('detect', 'detect_faces', (PHOTO,)),
        ('compare', 'compare_faces', (PHOTO, OTHER_PHOTO)),
        ('search', 'search_faces_by_image', (PHOTO, 95.0)),
        ('index', 'index_faces', (PHOTO, '198001012005011001')),
        ('remove', 'delete_faces', (['face-1'],)),
    ],
)
def test_throttling_means_the_engine_is_busy(
    engine: RekognitionFaceEngine, stub: Stubber, code: str, method: str, operation: str, arguments: tuple[Any, ...]
) -> None:
    stub.add_client_error(operation, code, 'Slow down', http_status_code=400)

    with pytest.raises(FaceEngineBusy):
        getattr(engine, method)(*arguments)


@pytest.mark.parametrize(
    ('code', 'message'),
    [('InvalidImageFormatException', 'JPEG or PNG'), ('ImageTooLargeException', 'too large')],
)
def test_a_photo_rekognition_cannot_read_is_a_value_error(
    engine: RekognitionFaceEngine, stub: Stubber, code: str, message: str
) -> None:
    stub.add_client_error('detect_faces', code, 'Request has invalid image format')

    with pytest.raises(ValueError, match=message):
        engine.detect(b'GIF89a not a jpeg')


def test_other_errors_are_not_hidden(engine: RekognitionFaceEngine, stub: Stubber) -> None:
    stub.add_client_error('index_faces', 'ResourceNotFoundException', 'The collection does not exist')

    with pytest.raises(ClientError, match='ResourceNotFoundException'):
        engine.index(PHOTO, '198001012005011001')
