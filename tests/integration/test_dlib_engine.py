"""The embedded dlib engine on real photos of real people (tests/photos.py says where they come from)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageEnhance, ImageFilter

from chalicelib.domain.faces import QualityGate, quality_problems
from chalicelib.ports import FaceEngine
from hadir_local.dlib_faces import DlibFaceEngine
from tests import photos

ACCEPT = 95.0
EXIF_ORIENTATION = 0x0112
REVIEW = 80.0


@pytest.fixture(scope='module')
def engine() -> DlibFaceEngine:
    return DlibFaceEngine(None)


def _jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.convert('RGB').save(buffer, 'JPEG', quality=quality)
    return buffer.getvalue()


def _webp() -> bytes:
    buffer = io.BytesIO()
    Image.new('RGB', (64, 64), (200, 150, 120)).save(buffer, 'WEBP')
    return buffer.getvalue()


def _edited(photo: bytes, *, blur: float = 0.0, brightness: float = 1.0) -> bytes:
    image = Image.open(io.BytesIO(photo)).convert('RGB')
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    return _jpeg(ImageEnhance.Brightness(image).enhance(brightness))


def test_is_a_face_engine(engine: DlibFaceEngine) -> None:
    port: FaceEngine = engine

    assert port.detect(photos.no_face()) == []


def test_same_person_is_similar_enough_to_accept(engine: DlibFaceEngine) -> None:
    # Given a reference photo and a second selfie of the same person
    # When they are compared
    similarity = engine.compare(photos.person_a(), photos.person_a_again())

    # Then the similarity clears the check-in threshold
    assert similarity is not None and similarity >= ACCEPT


@pytest.mark.parametrize(
    ('reference', 'probe'),
    [
        (photos.person_a, photos.person_b),
        (photos.person_a_again, photos.person_b),
        (photos.person_a, photos.person_c),
        (photos.person_b, photos.person_c),
    ],
)
def test_different_people_fall_below_the_review_band(
    engine: DlibFaceEngine, reference: Callable[[], bytes], probe: Callable[[], bytes]
) -> None:
    similarity = engine.compare(reference(), probe())

    assert similarity is not None and similarity < REVIEW


def test_compare_with_a_photo_of_nobody_is_none(engine: DlibFaceEngine) -> None:
    assert engine.compare(photos.person_a(), photos.no_face()) is None


def test_detect_describes_a_frontal_portrait_so_it_passes_the_quality_gate(engine: DlibFaceEngine) -> None:
    [face] = engine.detect(photos.person_a())

    assert face.confidence >= 90.0
    assert 0.0 <= face.box.left < face.box.left + face.box.width <= 1.0
    assert 0.2 < face.box.height < 0.5
    assert face.sharpness is not None and face.sharpness > 50.0
    assert face.brightness is not None and 30.0 < face.brightness < 80.0
    assert all(angle is not None and abs(angle) < 15.0 for angle in (face.yaw, face.pitch, face.roll))
    assert face.eyes_open is True
    assert quality_problems([face], QualityGate()) == []


def test_detect_on_a_photo_without_a_face_is_empty(engine: DlibFaceEngine) -> None:
    assert engine.detect(photos.no_face()) == []


def test_detect_sees_a_turned_face_as_turned(engine: DlibFaceEngine) -> None:
    [face] = engine.detect(photos.person_c())

    assert face.yaw is not None and abs(face.yaw) > QualityGate().max_yaw
    assert [problem.code for problem in quality_problems([face], QualityGate())] == ['pose']


def test_detect_calls_a_blurred_photo_blurry_and_a_dim_one_dark(engine: DlibFaceEngine) -> None:
    gate = QualityGate()

    [blurred] = engine.detect(_edited(photos.person_a(), blur=4.0))
    [dim] = engine.detect(_edited(photos.person_a(), brightness=0.2))

    assert blurred.sharpness is not None and blurred.sharpness < gate.min_sharpness
    assert dim.brightness is not None and dim.brightness < gate.min_brightness


def test_search_finds_the_enrolled_person(tmp_path: Path) -> None:
    # Given three people enrolled in a persisted index
    engine = DlibFaceEngine(tmp_path / 'faces.json')
    hopper = engine.index(photos.person_a(), 'NIP-HOPPER')
    engine.index(photos.person_b(), 'NIP-COLLINS')
    engine.index(photos.person_c(), 'NIP-COELHO')

    # When another selfie of one of them is searched
    matches = engine.search(photos.person_a_again(), ACCEPT)

    # Then only that person is found
    assert [(match.face_id, match.external_id) for match in matches] == [(hopper, 'NIP-HOPPER')]
    assert matches[0].similarity >= ACCEPT
    assert engine.search(photos.no_face(), 0.0) == []


def test_the_index_survives_a_restart_and_forgets_removed_faces(tmp_path: Path) -> None:
    index_path = tmp_path / 'local' / 'faces.json'
    first_run = DlibFaceEngine(index_path)
    hopper = first_run.index(photos.person_a(), 'NIP-HOPPER')
    collins = first_run.index(photos.person_b(), 'NIP-COLLINS')
    first_run.remove([collins, 'never-indexed'])

    second_run = DlibFaceEngine(index_path)

    assert [match.face_id for match in second_run.search(photos.person_a_again(), REVIEW)] == [hopper]
    assert second_run.search(photos.person_b(), 0.0)[0].external_id == 'NIP-HOPPER'  # Collins is gone
    assert re.fullmatch('[0-9a-f]{32}', hopper)


def test_a_large_phone_photo_is_read_upright_from_its_exif_orientation(engine: DlibFaceEngine) -> None:
    # Given a 2560 x 3000 photo stored on its side, with the EXIF tag that tells viewers to turn it
    portrait = Image.open(io.BytesIO(photos.person_a())).convert('RGB')
    stored_sideways = portrait.resize((portrait.width * 5, portrait.height * 5)).rotate(90, expand=True)
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6  # turn 90 degrees clockwise to view
    buffer = io.BytesIO()
    stored_sideways.save(buffer, 'JPEG', quality=85, exif=exif.tobytes())

    # When it is detected, Then the face is found as a viewer sees it, and it is the same person
    assert len(engine.detect(buffer.getvalue())) == 1
    similarity = engine.compare(photos.person_a(), buffer.getvalue())
    assert similarity is not None and similarity >= ACCEPT


def test_a_png_is_read_like_a_jpeg(engine: DlibFaceEngine) -> None:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(photos.person_a())).save(buffer, 'PNG')

    assert len(engine.detect(buffer.getvalue())) == 1


def test_index_refuses_a_photo_without_a_face(engine: DlibFaceEngine) -> None:
    with pytest.raises(ValueError):
        engine.index(photos.no_face(), 'NIP-NOBODY')


@pytest.mark.parametrize('image', [b'', b'not a photo', b'\xff\xd8\xff\xe0 truncated', _webp()])
def test_bytes_that_are_not_a_jpeg_or_png_are_refused(engine: DlibFaceEngine, image: bytes) -> None:
    with pytest.raises(ValueError):
        engine.detect(image)
    with pytest.raises(ValueError):
        engine.compare(photos.person_a(), image)


def test_a_frame_of_the_fake_camera_video_shows_exactly_one_face(engine: DlibFaceEngine, tmp_path: Path) -> None:
    # Given the video Chromium plays as its camera, made from person A's photo
    video = photos.write_y4m_video(photos.person_a(), tmp_path / 'person_a.y4m', frames=3)

    # When a frame is captured as a JPEG, as the browser sends it
    frame = photos.read_y4m_frame(video, index=2)

    # Then it shows one face that passes the gate and matches the reference
    faces = engine.detect(frame)
    assert len(faces) == 1
    assert quality_problems(faces, QualityGate()) == []
    similarity = engine.compare(photos.person_a(), frame)
    assert similarity is not None and similarity >= ACCEPT


def test_the_video_is_a_yuv4mpeg2_file_of_the_requested_size(tmp_path: Path) -> None:
    video = photos.write_y4m_video(photos.person_b(), tmp_path / 'b.y4m', frames=2, size=(320, 240))

    header, _, body = video.read_bytes().partition(b'\n')

    assert header == b'YUV4MPEG2 W320 H240 F30:1 Ip A1:1 C420'
    assert len(body) == 2 * (len(b'FRAME\n') + 320 * 240 * 3 // 2)
    assert body.startswith(b'FRAME\n')


def test_concurrent_calls_give_the_same_answers_as_one_at_a_time() -> None:
    # Given fresh photos (so nothing is cached) compared from several threads at once
    engine = DlibFaceEngine(None)
    original = Image.open(io.BytesIO(photos.person_a()))
    probes = [_jpeg(original, quality=quality) for quality in (70, 80, 90)]

    with ThreadPoolExecutor(max_workers=len(probes)) as pool:
        together = list(pool.map(lambda probe: engine.compare(photos.person_a_again(), probe), probes))

    # Then each answer matches the one a lone call gives
    one_at_a_time = DlibFaceEngine(None)
    alone = [one_at_a_time.compare(photos.person_a_again(), probe) for probe in probes]
    assert together == pytest.approx(alone)
    assert all(similarity is not None and similarity >= ACCEPT for similarity in together)
