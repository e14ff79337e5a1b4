"""Face prints as stored: one string of seven numbers, read back within the precision the reuse check needs, and
the maps earlier versions stored still read."""

from __future__ import annotations

from chalicelib.domain.liveness import FacePrint, print_distance, stored_print


def test_a_print_stored_as_text_reads_back_within_a_hundredth() -> None:
    # Given a print with angles in degrees and a box in fractions of the frame
    original = FacePrint(yaw=-23.4567, pitch=3.21, roll=0.5, left=0.30512, top=0.2, width=0.35, height=0.45678)
    # When it is stored as text and read back
    text = original.as_text()
    # Then it is one short string, and it reads back far closer than the reuse limit of 3
    assert ' ' in text and len(text) < 60
    assert print_distance(stored_print(text), original) < 0.01


def test_a_print_stored_as_a_map_still_reads() -> None:
    original = FacePrint(yaw=12.0, pitch=-1.0, roll=2.0, left=0.1, top=0.2, width=0.3, height=0.4)
    assert stored_print(original.as_dict()) == original
