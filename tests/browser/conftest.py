"""Real-browser tests: Debian's Chromium, driven by Playwright, against the local web server in this process.

The API behind the server is the real Chalice app on moto (the integration tier's `aws`/`hx` fixtures) with the
offline dlib face engine; the fake camera plays a photo from tests/photos.py, or is scripted by the test to show
photos of the shared face set (a frontal photo, then a turned one when the app asks for the turn).
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from chalice.app import Chalice
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from hadir_local.web_server import WEB_ROOT, create_server
from tests.integration.builders import employee_body, opd_body
from tests.integration.conftest import aws, hx  # noqa: F401 - the integration tier's moto world, reused as is
from tests.support import Harness

CHROMIUM = Path('/usr/bin/chromium')
ARTIFACTS = Path(__file__).resolve().parent / 'artifacts'
ZONE = 'Asia/Makassar'
OFFICE = {'kind': 'circle', 'name': 'Kantor Dinas Kesehatan', 'center': {'lat': -5.1477, 'lon': 119.4327},
          'radius_m': 100}  # fmt: skip
# A phone: Chromium's mobile emulation at a Pixel-sized viewport, Indonesian locale, the OPD's zone.
PHONE: dict[str, Any] = {
    'viewport': {'width': 412, 'height': 860},
    'device_scale_factor': 2,
    'is_mobile': True,
    'has_touch': True,
    'locale': 'id-ID',
    'timezone_id': ZONE,
    'user_agent': 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) '
    'Chrome/156.0.0.0 Mobile Safari/537.36',
}


@dataclass
class Pemda:
    url: str
    hx: Harness
    employee_id: str
    nip: str
    name: str

    def activation_code(self) -> str:
        reply = self.hx.call('POST', f'/v1/employees/{self.employee_id}/activation-codes', self.hx.super_key)
        assert reply.status == 201, reply.body
        return str(reply.body['code'])


@contextmanager
def serving(app: Chalice) -> Iterator[str]:
    """The web app and `app`'s API on a free loopback port, in a thread, for the length of the block."""
    server = create_server(app, 0, WEB_ROOT)
    thread = threading.Thread(target=server.server.serve_forever, name='hadir-web', daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server.server_close()
        thread.join(timeout=10)


def shot(page: Page, name: str) -> Path:
    """Keep what the phone's screen shows now under tests/browser/artifacts/ (test artifacts; git ignores them)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f'{name}.png'
    page.screenshot(path=str(path))
    return path


@pytest.fixture(scope='session')
def playwright() -> Iterator[Playwright]:
    assert CHROMIUM.exists(), f'{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)'
    with sync_playwright() as pw:
        yield pw


def _launch(pw: Playwright, *args: str) -> Browser:
    return pw.chromium.launch(executable_path=str(CHROMIUM), args=['--use-fake-device-for-media-stream', *args])


@pytest.fixture
def browser(playwright: Playwright) -> Iterator[Browser]:
    """A browser whose camera and location follow the context's permissions (no auto-accepted prompts)."""
    launched = _launch(playwright)
    yield launched
    launched.close()


@pytest.fixture(scope='session')
def face_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.photos import person_a, write_y4m_video

    return write_y4m_video(person_a(), tmp_path_factory.mktemp('camera') / 'person-a.y4m')


@pytest.fixture
def camera_browser(playwright: Playwright, face_video: Path) -> Iterator[Browser]:
    """A browser whose front camera films person A."""
    launched = _launch(playwright, '--use-fake-ui-for-media-stream', f'--use-file-for-fake-video-capture={face_video}')
    yield launched
    launched.close()


SHARED_FACES = Path(__file__).resolve().parents[3] / 'shared' / 'faces'

# A camera the test holds: getUserMedia answers with a canvas stream that shows the photo the test puts up
# (window.__camera.show), mirrored on request, with a few pixels of sensor noise so no two frames are the same
# bytes, as with a real camera. The app cannot tell it from a camera: it reads frames from a <video> as always.
SCRIPTED_CAMERA = """(() => {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 480;
  const ctx = canvas.getContext('2d');
  const shown = { image: null, mirror: false };
  let tick = 0;
  function draw() {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#c8c8c8';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const image = shown.image;
    if (image) {
      const scale = Math.min(canvas.width / image.naturalWidth, canvas.height / image.naturalHeight);
      const w = image.naturalWidth * scale;
      const h = image.naturalHeight * scale;
      if (shown.mirror) ctx.setTransform(-1, 0, 0, 1, canvas.width, 0);
      ctx.drawImage(image, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
      ctx.setTransform(1, 0, 0, 1, 0, 0);
    }
    tick += 1;
    for (let i = 0; i < 6; i += 1) {
      ctx.fillStyle = `rgb(${(tick * 37 + i * 11) % 256}, ${(tick * 17) % 256}, ${(i * 53) % 256})`;
      ctx.fillRect(2 + i, 2 + (tick % 4), 1, 1);
    }
  }
  setInterval(draw, 40);
  window.__camera = {
    show: async (url, mirror = false) => {
      const image = new Image();
      image.src = url;
      await image.decode();
      shown.image = image;
      shown.mirror = mirror;
      draw();
    },
  };
  navigator.mediaDevices.getUserMedia = async () => canvas.captureStream(25);
})();"""


def shared_face(name: str) -> Path:
    """A photo of the shared public face set (read in place, never copied into the repository)."""
    path = SHARED_FACES / name
    # CI clones the project with ../shared beside it: a missing photo is a broken set-up, never a reason to skip.
    assert path.exists(), f'{path} is missing: the shared face set belongs at {SHARED_FACES}'
    return path


def data_url(path: Path) -> str:
    kind = 'png' if path.suffix.lower() == '.png' else 'jpeg'
    return f'data:image/{kind};base64,' + base64.b64encode(path.read_bytes()).decode()


class Camera:
    """The scripted camera of one page."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def show(self, photo: Path, mirror: bool = False) -> None:
        self.page.evaluate('([url, mirror]) => window.__camera.show(url, mirror)', [data_url(photo), mirror])


@pytest.fixture
def scripted_browser(playwright: Playwright) -> Iterator[Browser]:
    """A browser whose camera is the page's scripted camera (see SCRIPTED_CAMERA)."""
    launched = _launch(playwright, '--use-fake-ui-for-media-stream')
    yield launched
    launched.close()


@pytest.fixture
def static_site() -> Iterator[str]:
    """The web app on loopback in front of an API with no routes (tests route /v1/ themselves)."""
    with serving(Chalice(app_name='hadir-web-only')) as url:
        yield url


@pytest.fixture
def pemda(hx: Harness) -> Iterator[Pemda]:  # noqa: F811 - the imported fixture
    """One OPD with a circle office, one employee with a NIP, the dlib face engine, the whole app on loopback."""
    from app import app
    from chalicelib.wiring import use_face_engine
    from hadir_local.dlib_faces import DlibFaceEngine

    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DIKES', zone=ZONE, locations=[OFFICE])).status == 201
    employee = hx.call('POST', '/v1/employees', hx.super_key, employee_body('DIKES', 1, name='Ani Lestari'))
    assert employee.status == 201, employee.body
    use_face_engine(DlibFaceEngine(None))
    try:
        with serving(app) as url:
            yield Pemda(url, hx, employee.body['employee_id'], employee.body['nip'], employee.body['name'])
    finally:
        use_face_engine(None)


@pytest.fixture
def page_errors() -> Callable[[Page], list[str]]:
    """Attach to a page; the returned list collects uncaught script errors and console errors."""

    def attach(page: Page) -> list[str]:
        errors: list[str] = []
        page.on('pageerror', lambda exc: errors.append(f'pageerror: {exc}'))
        page.on('console', lambda msg: errors.append(f'console: {msg.text}') if msg.type == 'error' else None)
        return errors

    return attach
