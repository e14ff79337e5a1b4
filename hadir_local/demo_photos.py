"""Drawn stand-ins for the demo's face photos: the repository ships no photo of a real person, yet the review queue
(Tinjauan) shows a selfie beside the enrolled face. A portrait is drawn with Pillow from a few numbers, so the same
numbers give the same bytes (the demo stays deterministic) and nobody mistakes it for a real photo ("CONTOH")."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 240, 300
_SKIN, _HAIR, _SHIRT = (214, 170, 132), (52, 38, 30), (40, 92, 140)
_LABEL = 'CONTOH'


def portrait(*, background: tuple[int, int, int], shade: float = 1.0, turn: int = 0) -> bytes:
    """A PNG of a drawn head and shoulders: `shade` darkens or lightens it (a dim room), `turn` shifts the face's
    features sideways in pixels (a head not quite facing the camera)."""
    image = Image.new('RGB', (WIDTH, HEIGHT), background)
    draw = ImageDraw.Draw(image)
    centre = WIDTH // 2
    draw.ellipse((centre - 95, 230, centre + 95, 380), fill=_SHIRT)  # shoulders
    draw.rectangle((centre - 22, 200, centre + 22, 245), fill=_SKIN)  # neck
    draw.ellipse((centre - 66, 48, centre + 66, 222), fill=_SKIN)  # face
    draw.chord((centre - 70, 36, centre + 70, 150), 180, 360, fill=_HAIR)  # hair
    eyes_x = centre + turn
    for side in (-1, 1):
        x = eyes_x + side * 26
        draw.ellipse((x - 9, 118, x + 9, 130), fill=(250, 250, 250))
        draw.ellipse((x - 4, 120, x + 4, 128), fill=(40, 30, 25))
        draw.line((x - 12, 108, x + 12, 106 - side), fill=_HAIR, width=4)  # brows
    draw.line((eyes_x, 130, eyes_x - 6, 164, eyes_x + 4, 166), fill=(170, 120, 90), width=3)  # nose
    draw.arc((eyes_x - 24, 164, eyes_x + 24, 196), 20, 160, fill=(150, 60, 60), width=4)  # mouth
    draw.text((8, HEIGHT - 18), _LABEL, fill=(255, 255, 255))
    if shade != 1.0:
        image = image.point(lambda value: max(0, min(255, round(value * shade))))
    out = io.BytesIO()
    image.save(out, format='PNG', optimize=False)
    return out.getvalue()
