"""The console (web/admin/) in a real Chromium: a seeded pemda, the keys of every console role, and helpers to sign
in, open a screen and keep a screenshot. Shared by every console test module:

    from tests.browser.console_support import DESKTOP, TABLET, ConsolePemda, console_pemda, open_console, signed_in

`console_pemda` is a pytest fixture (import it into the test module); it needs the `hx` fixture, which
tests/browser/conftest.py provides. What it seeds, relative to today in the OPDs' zone (WITA):

- OPD A `DIKES` (Dinas Kesehatan, an office geofence) and OPD B `DISPAR` (Dinas Pariwisata), both on a seven-day
  07.30-16.00 week template, so every day of the week is a working day and the tests do not depend on the weekday.
- DIKES: Ani Lestari (a phone, an enrolled face, and today's check-in flagged for review: the face engine scored
  her second selfie 88%), Budi Santoso (on time today: 07.20 and, after his enrolment was blocked because his face
  is Ani's, a `duplicate_face` alert), Citra Dewi (late today: 07.52), Dedi Kurniawan (annual leave, CT, today and
  tomorrow). DISPAR: Eko Prasetyo (no punch yet).
- The pemda: Pemerintah Kota Makassar. Keys: `super`, `opd_admin` (DIKES), `auditor`, `finance`.

The photos are real JPEGs (tests/photos.py), so the browser shows them; the face engine is `PhotoFaceEngine`, which
knows who is in each photo. The page gets the photos from presigned S3 links: `serve_s3(page)` answers those links
from the moto S3 the API wrote them to.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.browser.conftest import serving, shot
from tests.device import Phone
from tests.face_fakes import FakeFaceEngine, fake_image
from tests.integration.builders import employee_body, opd_body, phone_punch
from tests.support import Harness, Reply

DESKTOP: dict[str, int] = {'width': 1366, 'height': 768}
TABLET: dict[str, int] = {'width': 768, 'height': 1024}
VIEWPORTS = {'desktop': DESKTOP, 'tablet': TABLET}
ZONE = 'Asia/Makassar'
OPD_A, OPD_B = 'DIKES', 'DISPAR'
OFFICE = {'kind': 'circle', 'name': 'Kantor Dinas Kesehatan', 'center': {'lat': -5.1477, 'lon': 119.4327},
          'radius_m': 100}  # fmt: skip
INSIDE = {'lat': -5.1478, 'lon': 119.4328, 'accuracy_m': 12.0}
EVERY_DAY_TEMPLATE = 'SETIAP'
PEMDA = {'name': 'Pemerintah Kota Makassar', 'code': '7371', 'zone': ZONE, 'province': 'Sulawesi Selatan'}
BORDERLINE_SIMILARITY = 88.0
# The nav entries each role must see, in order (web/admin/js/screens.js).
NAV: dict[str, list[str]] = {
    'super': ['Hari ini', 'Tinjauan', 'Pegawai', 'Status', 'Mesin', 'Rekap bulanan', 'Aturan & jadwal', 'Keuangan',
              'Audit'],
    'opd_admin': ['Hari ini', 'Tinjauan', 'Pegawai', 'Status', 'Mesin', 'Rekap bulanan', 'Aturan & jadwal'],
    'auditor': ['Hari ini', 'Tinjauan', 'Pegawai', 'Status', 'Mesin', 'Rekap bulanan', 'Aturan & jadwal', 'Keuangan',
                'Audit'],
    'finance': ['Keuangan'],
}  # fmt: skip


@dataclass
class PhotoFaceEngine(FakeFaceEngine):
    """FakeFaceEngine over real photos: `people` names the person in each photo (by its bytes). Photos it does not
    know are refused as a real engine refuses a file that is not a photo."""

    people: dict[str, str] = field(default_factory=dict)  # sha256 of the photo -> person

    def learn(self, photo: bytes, person: str) -> bytes:
        self.people[hashlib.sha256(photo).hexdigest()] = person
        return photo

    def _fake(self, image: bytes) -> bytes:
        person = self.people.get(hashlib.sha256(image).hexdigest())
        if person is None:
            raise ValueError('PhotoFaceEngine does not know this photo (learn it first)')
        return fake_image(person)

    def detect(self, image: bytes) -> Any:
        return super().detect(self._fake(image))

    def compare(self, reference: bytes, probe: bytes) -> float | None:
        return super().compare(self._fake(reference), self._fake(probe))

    def search(self, image: bytes, threshold: float) -> Any:
        return super().search(self._fake(image), threshold)

    def index(self, image: bytes, external_id: str) -> str:
        return super().index(self._fake(image), external_id)


@dataclass
class ConsolePemda:
    """The seeded pemda on loopback. `keys` by role; `employees` by first name -> employee id."""

    url: str
    hx: Harness
    today: date
    keys: dict[str, str]
    employees: dict[str, str]
    nips: dict[str, str]
    flagged_checkin: str
    leave_status: str
    faces: PhotoFaceEngine

    @property
    def console(self) -> str:
        return f'{self.url}/admin/'

    def call(self, method: str, path: str, role: str = 'super', body: Any = None) -> Reply:
        """The API as `role`, straight from the test (call settle(page) first while a page is open)."""
        return self.hx.call(method, path, self.keys[role], body)


def _created(reply: Reply) -> Any:
    assert reply.status in (200, 201), reply.body
    return reply.body


def _b64(image: bytes) -> str:
    return base64.b64encode(image).decode()


def _signed(hx: Harness, phone: Phone, path: str, body: Any, headers: dict[str, str] | None = None) -> Reply:
    raw, signed = phone.signed_json('POST', path, body)
    return hx.call('POST', path, raw=raw, headers={**signed, **(headers or {})})


def _phone(hx: Harness, employee_id: str, nip: str) -> Phone:
    code = _created(hx.call('POST', f'/v1/employees/{employee_id}/activation-codes', hx.super_key))['code']
    phone = Phone()
    body = {'nip': nip, 'code': code, 'public_key': phone.public_jwk(), 'device_name': 'Samsung A14'}
    phone.device_id = _created(hx.call('POST', '/v1/mobile/activate', body=body))['device_id']
    return phone


def seed(hx: Harness, faces: PhotoFaceEngine) -> dict[str, Any]:
    """Write the pemda described in the module docstring through the API (and today's machine-free punches
    straight into the ledger). Returns what the tests refer to."""
    from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
    from tests.photos import person_a, person_a_again

    today = datetime.now(ZoneInfo(ZONE)).date()
    su = hx.super_key
    _created(hx.call('PUT', '/v1/pemda', su, PEMDA))
    _created(hx.call('POST', '/v1/opds', su, opd_body(OPD_A, name='Dinas Kesehatan', zone=ZONE, locations=[OFFICE])))
    _created(hx.call('POST', '/v1/opds', su, opd_body(OPD_B, name='Dinas Pariwisata', zone=ZONE)))
    week = [{'weekday': d, 'start': '07:30', 'end': '16:00'} for d in range(7)]
    _created(hx.call('POST', '/v1/schedule-templates', su, {'code': EVERY_DAY_TEMPLATE, 'name': 'Setiap hari',
                                                             'days': week}))  # fmt: skip
    since = (today - timedelta(days=40)).isoformat()
    for opd in (OPD_A, OPD_B):
        _created(hx.call('POST', '/v1/schedule-assignments', su,
                         {'opd_id': opd, 'template_code': EVERY_DAY_TEMPLATE, 'valid_from': since}))  # fmt: skip
    people = [('Ani', 'Ani Lestari', OPD_A), ('Budi', 'Budi Santoso', OPD_A), ('Citra', 'Citra Dewi', OPD_A),
              ('Dedi', 'Dedi Kurniawan', OPD_A), ('Eko', 'Eko Prasetyo', OPD_B)]  # fmt: skip
    employees, nips = {}, {}
    for n, (first, name, opd) in enumerate(people, start=1):
        body = _created(hx.call('POST', '/v1/employees', su, employee_body(opd, n, name=name)))
        employees[first], nips[first] = body['employee_id'], body['nip']

    # Ani: enrolled, then a second selfie the engine is unsure about -> waiting for review
    enrolled, selfie = faces.learn(person_a(), 'ani'), faces.learn(person_a_again(), 'ani-again')
    faces.similarity_overrides[('ani', 'ani-again')] = BORDERLINE_SIMILARITY
    ani = _phone(hx, employees['Ani'], nips['Ani'])
    _created(_signed(hx, ani, '/v1/mobile/face', {'image': _b64(enrolled)}))
    check = {'kind': 'in', 'image': _b64(selfie), **INSIDE, 'client_time': '07:41'}
    flagged = _created(_signed(hx, ani, '/v1/mobile/checkins', check, {'Idempotency-Key': 'ani-today-in'}))
    assert flagged['outcome'] == 'review', flagged
    # Budi: his enrolment photo is Ani's face -> blocked, a duplicate_face alert
    faces.learn(person_a(), 'ani')
    budi = _phone(hx, employees['Budi'], nips['Budi'])
    blocked = _signed(hx, budi, '/v1/mobile/face', {'image': _b64(person_a())})
    assert blocked.status == 409, blocked.body
    # Today's punches: Budi on time, Citra late
    DynamoPunchLedger().record([
        phone_punch(employees['Budi'], OPD_A, today, '07:20', ZONE),
        phone_punch(employees['Citra'], OPD_A, today, '07:52', ZONE),
    ])  # fmt: skip
    leave = {'code': 'CT', 'first': today.isoformat(), 'last': (today + timedelta(days=1)).isoformat(),
             'reference': '851/117/BKPSDM/2026', 'note': 'Cuti tahunan keluarga'}  # fmt: skip
    status = _created(hx.call('POST', f'/v1/employees/{employees["Dedi"]}/statuses', su, leave))
    keys = {
        'super': su,
        'opd_admin': hx.make_key('opd_admin', OPD_A, name='Admin Dinas Kesehatan'),
        'auditor': hx.make_key('auditor', name='Inspektorat'),
        'finance': hx.make_key('finance', name='BPKAD'),
    }
    return {'today': today, 'keys': keys, 'employees': employees, 'nips': nips,
            'flagged_checkin': flagged['checkin_id'], 'leave_status': status['status_id']}  # fmt: skip


@pytest.fixture
def console_pemda(hx: Harness) -> Iterator[ConsolePemda]:
    """The seeded pemda (module docstring) with the whole app and web/ on a free loopback port."""
    from app import app
    from chalicelib.wiring import use_face_engine

    faces = PhotoFaceEngine()
    use_face_engine(faces)
    try:
        seeded = seed(hx, faces)
        with serving(app) as url:
            yield ConsolePemda(url=url, hx=hx, faces=faces, **seeded)
    finally:
        use_face_engine(None)


# ---- the browser side ---------------------------------------------------------------------------------------


def serve_s3(page: Page | BrowserContext) -> None:
    """Answer the presigned S3 links the API hands out (photos, files) from the moto S3 behind it, as S3 would."""
    from chalicelib.adapters.clients import boto3_client

    def answer(route: Route) -> None:
        url = urlsplit(route.request.url)
        host = url.hostname or ''
        path = unquote(url.path).lstrip('/')
        if host.startswith('s3.') or host == 's3.amazonaws.com':  # path style: /bucket/key
            bucket, _, key = path.partition('/')
        else:  # virtual-hosted style: bucket.s3[.region].amazonaws.com/key
            bucket, key = host.split('.s3', 1)[0], path
        try:
            got = boto3_client('s3').get_object(Bucket=bucket, Key=key)
        except Exception:  # noqa: BLE001 - any miss is S3's 404 to the page
            route.fulfill(status=404, body='NoSuchKey')
            return
        route.fulfill(status=200, body=got['Body'].read(), content_type=got.get('ContentType') or 'image/jpeg')

    page.route('https://**amazonaws.com/**', answer)


def open_console(browser: Browser, viewport: dict[str, int] = DESKTOP) -> Page:
    """A new page (its own context: its own sessionStorage) at `viewport`, Indonesian locale, the OPDs' zone, with
    the S3 links answered."""
    context = browser.new_context(viewport=viewport, locale='id-ID', timezone_id=ZONE)  # type: ignore[arg-type]
    serve_s3(context)
    return context.new_page()


def signed_in(page: Page, pemda_or_url: ConsolePemda | str, key: str, screen: str | None = None) -> Page:
    """Open the console, paste `key`, press Masuk and wait for the menu; then open `screen` (an id) if given."""
    base = pemda_or_url.console if isinstance(pemda_or_url, ConsolePemda) else pemda_or_url.rstrip('/') + '/admin/'
    page.goto(base)
    page.get_by_label('Kunci API').fill(key)
    page.get_by_role('button', name='Masuk').click()
    expect(page.locator('#app')).to_be_visible()
    expect(page.locator('#nav a').first).to_be_visible()
    if screen:
        go(page, screen)
    return page


def go(page: Page, screen: str, *path: str) -> None:
    """Navigate to #/<screen>/<path...> and wait until the screen's pane has left its loading state."""
    target = '#/' + '/'.join([screen, *path])
    page.evaluate('(hash) => { window.location.hash = hash; }', target)
    page.wait_for_function(
        "() => { const p = document.querySelector('#screen .screen-pane');"
        " return p && !p.querySelector(':scope > .state-loading'); }"
    )


def settle(page: Page) -> None:
    """Wait until the page has no request in flight. Call it before the test itself calls the API (pemda.call):
    moto in this process is not thread-safe, and a write racing the server thread's request can fail inside moto."""
    page.wait_for_load_state('networkidle')


def nav_entries(page: Page) -> list[str]:
    return [text.strip() for text in page.locator('#nav a').all_inner_texts()]


def console_shot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Keep what the console shows under tests/browser/artifacts/console-<name>.png."""
    if full_page:
        from tests.browser.conftest import ARTIFACTS

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        # From the top: a page captured while scrolled draws the sticky header across the middle of the image.
        page.evaluate('window.scrollTo(0, 0)')
        page.screenshot(path=str(ARTIFACTS / f'console-{name}.png'), full_page=True)
    else:
        shot(page, f'console-{name}')
