"""Real photos of real people for the face engine's tests, taken from files that pinned dev packages ship
(requirements-dev.txt), so nothing is downloaded when the tests run.

- person A: Grace Hopper's portrait, matplotlib's `mpl-data/sample_data/grace_hopper.jpg` (512 x 600, frontal).
- person A again: the same portrait re-shot as a second selfie would be: framed tighter, turned 5 degrees,
  shrunk, a little brighter, saved at a lower JPEG quality. No package ships a second photo of any of these
  people, so the "same person" pair is derived and scores higher than two real sessions would.
- person B: Eileen Collins, scikit-image's `skimage/data/astronaut.png` (512 x 512, frontal, head tilted).
- person C: Luis Pedro Coelho, mahotas' `mahotas/demos/data/luispedro.jpg` (300 x 377); his face is turned
  about 35-45 degrees, past the quality gate's yaw limit: a real different face, and a real turned one.
- no face: scikit-image's `skimage/data/coffee.png`, a cup of coffee on a table.

`write_y4m_video` puts a photo into a raw video for Chromium's `--use-file-for-fake-video-capture=`.
"""

from __future__ import annotations

import importlib.util
import io
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageEnhance

_BACKGROUND_RGB = (200, 200, 200)
_PHOTO_SHARE_OF_FRAME = 0.9
_Y4M_FRAME_MARKER = b'FRAME\n'


def person_a() -> bytes:
    """Grace Hopper (matplotlib), as a JPEG."""
    return _package_file('matplotlib', 'mpl-data/sample_data/grace_hopper.jpg')


@cache
def person_a_again() -> bytes:
    """Person A in a second, derived selfie (see the module docstring), as a JPEG."""
    photo = Image.open(io.BytesIO(person_a())).convert('RGB')
    width, height = photo.size
    framed = photo.crop((int(width * 0.08), int(height * 0.05), int(width * 0.95), int(height * 0.97)))
    turned = framed.rotate(5, resample=Image.Resampling.BICUBIC, fillcolor=_BACKGROUND_RGB)
    shrunk = turned.resize((int(turned.width * 0.85), int(turned.height * 0.85)), Image.Resampling.LANCZOS)
    return _jpeg(ImageEnhance.Brightness(shrunk).enhance(1.12), quality=75)


@cache
def person_b() -> bytes:
    """Eileen Collins (scikit-image's astronaut), as a JPEG."""
    return _jpeg(Image.open(io.BytesIO(_package_file('skimage', 'data/astronaut.png'))))


def person_c() -> bytes:
    """Luis Pedro Coelho (mahotas), face turned past the pose limit, as a JPEG."""
    return _package_file('mahotas', 'demos/data/luispedro.jpg')


@cache
def no_face() -> bytes:
    """A cup of coffee (scikit-image), as a JPEG."""
    return _jpeg(Image.open(io.BytesIO(_package_file('skimage', 'data/coffee.png'))))


def write_y4m_video(jpeg: bytes, path: Path, frames: int = 30, size: tuple[int, int] = (640, 480)) -> Path:
    """Write a still YUV4MPEG2 (C420, 30 fps) video of the photo centred on a plain background."""
    width, height = size
    if width % 2 or height % 2:
        raise ValueError('4:2:0 video needs an even width and height')
    frame = Image.new('RGB', size, _BACKGROUND_RGB)
    photo = Image.open(io.BytesIO(jpeg)).convert('RGB')
    photo.thumbnail((int(width * _PHOTO_SHARE_OF_FRAME), int(height * _PHOTO_SHARE_OF_FRAME)), Image.Resampling.LANCZOS)
    frame.paste(photo, ((width - photo.width) // 2, (height - photo.height) // 2))
    planes = _rgb_to_i420(np.asarray(frame, dtype=np.uint8))
    with path.open('wb') as video:
        video.write(f'YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420\n'.encode('ascii'))
        for _ in range(frames):
            video.write(_Y4M_FRAME_MARKER)
            video.write(planes)
    return path


def read_y4m_frame(path: Path, index: int = 0) -> bytes:
    """One frame of a video written by `write_y4m_video`, as the JPEG a browser capture would send."""
    data = path.read_bytes()
    header, _, body = data.partition(b'\n')
    fields = {token[:1]: token[1:] for token in header.split(b' ')[1:]}
    width, height = int(fields[b'W']), int(fields[b'H'])
    frame_bytes = width * height * 3 // 2
    start = index * (len(_Y4M_FRAME_MARKER) + frame_bytes) + len(_Y4M_FRAME_MARKER)
    planes = np.frombuffer(body[start : start + frame_bytes], dtype=np.uint8)
    return _jpeg(Image.fromarray(_i420_to_rgb(planes, width, height)))


def _package_file(package: str, relative: str) -> bytes:
    # find_spec locates the installed package without importing it.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f'{package} is not installed: run make dev (it is pinned in requirements-dev.txt)')
    return (Path(next(iter(spec.submodule_search_locations))) / relative).read_bytes()


def _jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.convert('RGB').save(buffer, 'JPEG', quality=quality)
    return buffer.getvalue()


def _rgb_to_i420(rgb: NDArray[np.uint8]) -> bytes:
    # BT.601 with video (16-235) levels: what Chromium assumes for I420 frames.
    red, green, blue = (rgb[..., channel].astype(np.float64) / 255.0 for channel in range(3))
    luma = 16.0 + 65.481 * red + 128.553 * green + 24.966 * blue
    blue_difference = 128.0 - 37.797 * red - 74.203 * green + 112.0 * blue
    red_difference = 128.0 + 112.0 * red - 93.786 * green - 18.214 * blue
    planes = [luma] + [_halve(plane) for plane in (blue_difference, red_difference)]
    return b''.join(np.clip(np.rint(plane), 0, 255).astype(np.uint8).tobytes() for plane in planes)


def _halve(plane: NDArray[np.float64]) -> NDArray[np.float64]:
    height, width = plane.shape
    halved: NDArray[np.float64] = plane.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))
    return halved


def _i420_to_rgb(planes: NDArray[np.uint8], width: int, height: int) -> NDArray[np.uint8]:
    luma_size, chroma_size = width * height, width * height // 4
    luma = planes[:luma_size].reshape(height, width).astype(np.float64) - 16.0
    blue_difference, red_difference = (
        planes[offset : offset + chroma_size]
        .reshape(height // 2, width // 2)
        .repeat(2, axis=0)
        .repeat(2, axis=1)
        .astype(np.float64)
        - 128.0
        for offset in (luma_size, luma_size + chroma_size)
    )
    red = 1.164 * luma + 1.596 * red_difference
    green = 1.164 * luma - 0.392 * blue_difference - 0.813 * red_difference
    blue = 1.164 * luma + 2.017 * blue_difference
    return np.clip(np.rint(np.stack([red, green, blue], axis=-1)), 0, 255).astype(np.uint8)
