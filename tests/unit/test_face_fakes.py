"""The fake face engine keeps the port's promises, so tests built on it mean what they say."""

from __future__ import annotations

import pytest

from chalicelib.ports import FaceEngine, FaceEngineBusy
from tests.face_fakes import OTHER_PERSON_SIMILARITY, SAME_PERSON_SIMILARITY, FakeFaceEngine, fake_image


def test_is_a_face_engine() -> None:
    engine: FaceEngine = FakeFaceEngine()

    assert engine.detect(fake_image('ani')) != []


def test_detect_reports_the_photo_as_described() -> None:
    # Given a photo of a person with a bystander, turned and a little blurry
    photo = fake_image('ani', faces=2, sharpness=15.0, yaw=40.0, eyes_open=False, sunglasses=True, size=0.4)

    # When it is detected
    faces = FakeFaceEngine().detect(photo)

    # Then the person's face comes first, as described, and the bystander's is smaller
    person, bystander = faces
    assert (person.sharpness, person.yaw, person.eyes_open, person.sunglasses) == (15.0, 40.0, False, True)
    assert person.box.height == 0.4
    assert bystander.box.height < person.box.height
    assert all(0.0 <= face.box.left and face.box.left + face.box.width <= 1.0 for face in faces)
    assert all(face.confidence >= 90.0 for face in faces)


def test_detect_finds_nobody_in_a_photo_of_nobody() -> None:
    assert FakeFaceEngine().detect(fake_image(None)) == []
    assert FakeFaceEngine().detect(fake_image(None, faces=3)) == []


@pytest.mark.parametrize('image', [b'', b'\xff\xd8\xff\xe0 a real jpeg', b'\xff\xd8\xffFAKEIMG{not json'])
def test_every_method_refuses_bytes_that_are_not_a_fake_photo(image: bytes) -> None:
    engine = FakeFaceEngine()

    for call in (
        lambda: engine.detect(image),
        lambda: engine.compare(fake_image('ani'), image),
        lambda: engine.search(image, 90.0),
        lambda: engine.index(image, 'NIP-1'),
    ):
        with pytest.raises(ValueError):
            call()


def test_compare_tells_the_same_person_from_another() -> None:
    engine = FakeFaceEngine()

    assert engine.compare(fake_image('ani'), fake_image('ani', nonce='later')) == SAME_PERSON_SIMILARITY
    assert engine.compare(fake_image('ani'), fake_image('budi')) == OTHER_PERSON_SIMILARITY
    assert engine.compare(fake_image('ani'), fake_image(None)) is None


def test_similarity_overrides_apply_to_the_pair_in_either_order() -> None:
    # Given a look-alike configured for a borderline case
    engine = FakeFaceEngine(similarity_overrides={('ani', 'ani-twin'): 88.5})

    # Then compare and search report it whichever photo is the reference
    assert engine.compare(fake_image('ani'), fake_image('ani-twin')) == 88.5
    assert engine.compare(fake_image('ani-twin'), fake_image('ani')) == 88.5
    engine.index(fake_image('ani'), 'NIP-ANI')
    assert [match.similarity for match in engine.search(fake_image('ani-twin'), 80.0)] == [88.5]


def test_search_finds_indexed_faces_above_the_threshold_most_similar_first() -> None:
    # Given three enrolled employees, one of them a look-alike of the probe
    engine = FakeFaceEngine(similarity_overrides={('ani', 'citra'): 93.0})
    ani = engine.index(fake_image('ani'), 'NIP-ANI')
    engine.index(fake_image('budi'), 'NIP-BUDI')
    citra = engine.index(fake_image('citra'), 'NIP-CITRA')

    # When Ani's selfie is searched
    matches = engine.search(fake_image('ani', nonce='selfie'), 90.0)

    # Then Ani and her look-alike are found, in that order, and Budi is not
    assert [(match.face_id, match.external_id) for match in matches] == [(ani, 'NIP-ANI'), (citra, 'NIP-CITRA')]
    assert engine.search(fake_image('ani'), 95.0)[0].similarity == SAME_PERSON_SIMILARITY
    assert engine.search(fake_image(None), 0.0) == []


def test_index_gives_distinct_ids_and_refuses_a_photo_of_nobody() -> None:
    engine = FakeFaceEngine()

    first, second = engine.index(fake_image('ani'), 'NIP-ANI'), engine.index(fake_image('ani'), 'NIP-ANI')

    assert first != second
    with pytest.raises(ValueError):
        engine.index(fake_image(None), 'NIP-ANI')


def test_remove_forgets_faces_and_ignores_unknown_ids() -> None:
    engine = FakeFaceEngine()
    face_id = engine.index(fake_image('ani'), 'NIP-ANI')

    engine.remove([face_id, 'never-indexed'])

    assert engine.search(fake_image('ani'), 0.0) == []


def test_is_busy_for_the_configured_number_of_calls_then_recovers() -> None:
    # Given an engine that refuses the next two calls
    engine = FakeFaceEngine(busy_calls=2)

    # Then two calls of any kind are refused, and the third is served
    with pytest.raises(FaceEngineBusy):
        engine.detect(fake_image('ani'))
    with pytest.raises(FaceEngineBusy):
        engine.compare(fake_image('ani'), fake_image('ani'))
    assert engine.compare(fake_image('ani'), fake_image('ani')) == SAME_PERSON_SIMILARITY


def test_counts_every_call_per_method_refused_ones_included() -> None:
    engine = FakeFaceEngine(busy_calls=1)

    with pytest.raises(FaceEngineBusy):
        engine.detect(fake_image('ani'))
    engine.detect(fake_image('ani'))
    engine.compare(fake_image('ani'), fake_image('ani'))
    face_id = engine.index(fake_image('ani'), 'NIP-ANI')
    engine.search(fake_image('ani'), 90.0)
    engine.remove([face_id])

    assert engine.calls == {'detect': 2, 'compare': 1, 'index': 1, 'search': 1, 'remove': 1}


def test_equal_descriptions_are_equal_bytes_and_a_nonce_makes_them_differ() -> None:
    assert fake_image('ani') == fake_image('ani')
    assert fake_image('ani') != fake_image('ani', nonce='1')
