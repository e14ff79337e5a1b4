"""The mobile web app in a real Chromium: the whole flow against the real API on moto, request signing checked
against the contract (docs/checkin.md) in Python, and the honest messages with a routed API."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from playwright.sync_api import Browser, BrowserContext, Geolocation, Page, Route, expect

from tests.browser.conftest import OFFICE, PHONE, SCRIPTED_CAMERA, Camera, Pemda, shared_face, shot

INSIDE: Geolocation = {'latitude': -5.1478, 'longitude': 119.4328, 'accuracy': 10}
OUTSIDE: Geolocation = {'latitude': -5.1405, 'longitude': 119.4327, 'accuracy': 8}  # 800 m north of the centre
FIXED_NONCE = base64.urlsafe_b64encode(bytes(range(16))).decode().rstrip('=')
EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()
SLOW_MS = 90_000  # the dlib engine loads its models on the first face
LIVENESS_MS = 15_000  # the head-turn step: a steady second, then a three-second turn

READ_DEVICE = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open('hadir');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const get = open.result.transaction('kv').objectStore('kv').get('device');
    get.onsuccess = () => {
      const d = get.result;
      const key = d && d.keyPair.privateKey;
      resolve(d ? {deviceId: d.deviceId, type: key.type, curve: key.algorithm.namedCurve, extractable: key.extractable,
                   usages: key.usages} : null);
    };
  };
})"""


# --- the contract, written again in Python ---------------------------------------------------------------


def canonical_text(method: str, path: str, query: dict[str, str], timestamp: str, nonce: str, body: bytes) -> bytes:
    query_line = '&'.join(f'{quote(k, safe="")}={quote(v, safe="")}' for k, v in sorted(query.items()))
    lines = ['HADIR-DEVICE-V1', method.upper(), path, query_line, timestamp, nonce, hashlib.sha256(body).hexdigest()]
    return '\n'.join(lines).encode()


def b64url_decode(text: str) -> bytes:
    assert re.fullmatch(r'[A-Za-z0-9_-]+', text), f'not base64url without padding: {text!r}'
    return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))


def verify(public_key: ec.EllipticCurvePublicKey, text: bytes, signature: str) -> None:
    """Raises InvalidSignature unless `signature` is the raw r‖s ECDSA P-256/SHA-256 signature of `text`."""
    raw = b64url_decode(signature)
    assert len(raw) == 64, 'WebCrypto signs with the raw 64-byte r‖s'
    der = encode_dss_signature(int.from_bytes(raw[:32], 'big'), int.from_bytes(raw[32:], 'big'))
    public_key.verify(der, text, ec.ECDSA(hashes.SHA256()))


def public_key_of(jwk: dict[str, str]) -> ec.EllipticCurvePublicKey:
    assert (jwk['kty'], jwk['crv'], 'd' in jwk) == ('EC', 'P-256', False)
    x, y = (int.from_bytes(b64url_decode(jwk[c]), 'big') for c in ('x', 'y'))
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def private_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    numbers = key.private_numbers()

    def b64(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes(32, 'big')).decode().rstrip('=')

    public = numbers.public_numbers
    return {'kty': 'EC', 'crv': 'P-256', 'x': b64(public.x), 'y': b64(public.y), 'd': b64(numbers.private_value),
            'ext': True}  # fmt: skip


def metres_outside(point: Geolocation, office: dict[str, Any]) -> float:
    lat1, lon1 = math.radians(point['latitude']), math.radians(point['longitude'])
    lat2, lon2 = math.radians(office['center']['lat']), math.radians(office['center']['lon'])
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h)) - float(office['radius_m'])


# --- a routed API for the message tests ---------------------------------------------------------------------

ABORT = 'abort'
Reply = tuple[int, Any] | str


@dataclass
class Sent:
    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeApi:
    """Answers the page's /v1/ requests from canned replies (the last one repeats) and keeps what it sent."""

    replies: dict[str, list[Reply]]
    sent: list[Sent] = field(default_factory=list)

    def attach(self, page: Page) -> FakeApi:
        page.route('**/v1/**', self._answer)
        return self

    def _answer(self, route: Route) -> None:
        request = route.request
        url = urlsplit(request.url)
        self.sent.append(Sent(request.method, url.path, url.query, request.headers, request.post_data_buffer or b''))
        queue = self.replies.get(f'{request.method} {url.path}')
        if not queue:
            route.fulfill(status=599, json={'error': {'code': 'unexpected', 'message': f'{request.method} {url.path}'}})
            return
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(reply, str):
            route.abort('internetdisconnected')
        else:
            status, body = reply
            route.fulfill(status=status, json=body)

    def to(self, method: str, path: str) -> list[Sent]:
        return [s for s in self.sent if (s.method, s.path) == (method, path)]


EMPLOYEE = {'employee_id': 'emp-1', 'nip': '198503012010011001', 'name': 'Ani Lestari', 'opd_id': 'DIKES',
            'opd_name': 'Dinas Kesehatan'}  # fmt: skip


def activated(face_enrolled: bool = True) -> Reply:
    return 201, {'device_id': 'dev-uji', 'employee': EMPLOYEE, 'face_enrolled': face_enrolled}


def me(face_enrolled: bool = True) -> Reply:
    return 200, {'employee': EMPLOYEE, 'device': {'device_id': 'dev-uji', 'activated_at': '2026-11-02T00:00:00Z'},
                 'face_enrolled': face_enrolled, 'offices': [OFFICE], 'max_accuracy_m': 50,
                 'server_time_ms': int(time.time() * 1000)}  # fmt: skip


def challenge(direction: str = 'left', purpose: str = 'checkin') -> Reply:
    return 201, {'challenge_id': f'lvc-{purpose}', 'purpose': purpose, 'direction': direction,
                 'instruction': 'Tolehkan kepala', 'expires_at': '2099-01-01T00:00:00+00:00',
                 'window_seconds': 120}  # fmt: skip


def error(status: int, code: str, message: str = '', **details: Any) -> Reply:
    return status, {'error': {'code': code, 'message': message, 'request_id': 'req-1', 'details': details}}


def phone(browser: Browser, permissions: list[str], **options: Any) -> BrowserContext:
    # Service workers blocked: page.route does not see requests a service worker answers.
    return browser.new_context(**PHONE, permissions=permissions, service_workers='block', **options)


def activate(page: Page, url: str, nip: str = EMPLOYEE['nip'], code: str = 'K7M2-QX9D') -> None:
    page.goto(url + '/')
    expect(page.get_by_test_id('screen-aktivasi')).to_be_visible()
    page.get_by_test_id('input-nip').fill(nip)
    page.get_by_test_id('input-code').fill(code)
    page.get_by_test_id('btn-activate').click()


def real_errors(errors: list[str]) -> list[str]:
    # An HTTP error status is logged by Chromium as a console error; those are expected answers here.
    return [e for e in errors if 'Failed to load resource' not in e]


# --- signing --------------------------------------------------------------------------------------------


def test_the_signing_function_signs_the_contracts_canonical_text(static_site: str, browser: Browser) -> None:
    # Given a P-256 key made in Python, imported into the page, and fixed time, nonce, query and body
    key = ec.generate_private_key(ec.SECP256R1())
    body = '{"kind":"in","note":"presensi pagi é ✓"}'
    query = {'month': '2026-11', 'b': 'x y/é&*'}
    page = browser.new_page()
    page.goto(static_site + '/')
    # When web/js/api.js signs the request in the page
    signed = page.evaluate(
        """async ({jwk, body, query, nonce}) => {
            const api = await import('./js/api.js');
            const algorithm = {name: 'ECDSA', namedCurve: 'P-256'};
            const key = await crypto.subtle.importKey('jwk', jwk, algorithm, false, ['sign']);
            const bytes = new TextEncoder().encode(body);
            const [method, path, timestamp] = ['post', '/v1/mobile/checkins', '1764459062000'];
            const text = api.canonicalText({method, path, query: api.canonicalQuery(query), timestamp, nonce,
                                            bodyHash: await api.sha256Hex(bytes)});
            const headers = await api.signRequest(key, 'dev-uji', {method, path, query, body: bytes, timestamp, nonce});
            return {headers, text};
        }""",
        {'jwk': private_jwk(key), 'body': body, 'query': query, 'nonce': FIXED_NONCE},
    )
    # Then the text is the contract's seven lines, and the signature verifies over it in Python
    expected = canonical_text('POST', '/v1/mobile/checkins', query, '1764459062000', FIXED_NONCE, body.encode())
    assert signed['text'].encode() == expected
    assert expected.decode().split('\n')[:6] == [
        'HADIR-DEVICE-V1', 'POST', '/v1/mobile/checkins', 'b=x%20y%2F%C3%A9%26%2A&month=2026-11', '1764459062000',
        'AAECAwQFBgcICQoLDA0ODw',
    ]  # fmt: skip
    headers = signed['headers']
    assert {k: v for k, v in headers.items() if k != 'X-Hadir-Signature'} == {
        'X-Hadir-Device': 'dev-uji', 'X-Hadir-Timestamp': '1764459062000', 'X-Hadir-Nonce': FIXED_NONCE}  # fmt: skip
    verify(key.public_key(), expected, headers['X-Hadir-Signature'])


def test_every_request_is_signed_over_the_bytes_sent_and_a_retry_reuses_its_idempotency_key(
    static_site: str, browser: Browser, page_errors: Callable[[Page], list[str]]
) -> None:
    # Given a routed API whose first check-in POST is lost on the way
    context = phone(browser, ['camera', 'geolocation'], geolocation=INSIDE)
    page = context.new_page()
    errors = page_errors(page)
    accepted = {'checkin_id': 'chk-1', 'kind': 'in', 'at': '2026-11-30T00:31:03Z', 'local_time': '08:31',
                'outcome': 'accepted', 'reasons': [], 'distance_m': 0, 'office': OFFICE['name']}  # fmt: skip
    api = FakeApi({
        'POST /v1/mobile/activate': [activated()], 'GET /v1/mobile/me': [me()],
        'POST /v1/mobile/liveness': [challenge()],
        'POST /v1/mobile/checkins': [ABORT, (201, accepted)], 'GET /v1/mobile/checkins': [(200, {'items': [], 'days': [
            {'date': '2026-11-27', 'status': 'late', 'code': 'TL1', 'explanation': 'Terlambat 12 menit.'}]})],
    }).attach(page)  # fmt: skip
    # When the employee activates, checks in, taps retry, and opens Riwayat
    activate(page, static_site)
    expect(page.get_by_test_id('screen-presensi')).to_be_visible()
    expect(page.get_by_test_id('camera-status')).to_have_attribute('data-state', 'ready')
    expect(page.get_by_test_id('location-status')).to_have_attribute('data-state', 'ok')
    page.get_by_test_id('btn-masuk').click()
    result = page.get_by_test_id('checkin-result')
    expect(page.get_by_test_id('liveness-guide')).to_have_attribute('data-step', 'turn', timeout=LIVENESS_MS)
    expect(page.get_by_test_id('liveness-guide')).to_contain_text('Tolehkan kepala ke KIRI Anda')
    expect(result).to_have_attribute('data-outcome', 'error', timeout=LIVENESS_MS)
    expect(page.get_by_test_id('result-outcome')).to_have_text('Belum terkirim')
    shot(page, 'pesan-01-belum-terkirim')
    page.get_by_test_id('btn-retry').click()
    expect(result).to_have_attribute('data-outcome', 'accepted')
    page.get_by_test_id('nav-riwayat').click()
    expect(page.get_by_test_id('history-status')).to_have_text('Belum ada presensi bulan ini.')
    expect(page.get_by_test_id('history-day')).to_have_text(re.compile(r'^Jum, 27 Nov\s*TL1\s*Terlambat 12 menit\.$'))
    # Then activation registered a P-256 public key only, and every later request verifies under it
    activation = api.to('POST', '/v1/mobile/activate')[0]
    registered = activation.json()
    assert set(registered) == {'nip', 'code', 'device_name', 'public_key'}
    assert registered['device_name'] == 'Chrome di Android'
    public_key = public_key_of(registered['public_key'])
    assert 'x-hadir-signature' not in activation.headers
    signed = [s for s in api.sent if s.path != '/v1/mobile/activate']
    assert [(s.method, s.path) for s in signed if s.path not in ('/v1/mobile/me', '/v1/mobile/today')] == [
        ('POST', '/v1/mobile/liveness'), ('POST', '/v1/mobile/checkins'), ('POST', '/v1/mobile/checkins'),
        ('GET', '/v1/mobile/checkins')]  # fmt: skip
    assert api.to('POST', '/v1/mobile/liveness')[0].json() == {'purpose': 'checkin'}
    for s in signed:
        query = dict(parse_qsl(s.raw_query))
        text = canonical_text(s.method, s.path, query, s.headers['x-hadir-timestamp'], s.headers['x-hadir-nonce'],
                              s.body)  # fmt: skip
        verify(public_key, text, s.headers['x-hadir-signature'])
        assert s.headers['x-hadir-device'] == 'dev-uji'
        assert len(b64url_decode(s.headers['x-hadir-nonce'])) == 16 and len(s.headers['x-hadir-nonce']) == 22
        assert abs(int(s.headers['x-hadir-timestamp']) - time.time() * 1000) < 60_000
    assert len({s.headers['x-hadir-nonce'] for s in signed}) == len(signed)
    history = api.to('GET', '/v1/mobile/checkins')[0]
    assert re.fullmatch(r'month=\d{4}-\d{2}', history.raw_query) and history.body == b''
    assert hashlib.sha256(history.body).hexdigest() == EMPTY_SHA256
    # And the retry is the same attempt: same Idempotency-Key, same body bytes
    first, retry = api.to('POST', '/v1/mobile/checkins')
    assert first.headers['idempotency-key'] == retry.headers['idempotency-key']
    assert re.fullmatch(r'[0-9a-f-]{36}', first.headers['idempotency-key'])
    assert first.body == retry.body
    sent = first.json()
    assert set(sent) == {'kind', 'image', 'lat', 'lon', 'accuracy_m', 'client_time', 'liveness'}
    assert sent['liveness']['challenge_id'] == 'lvc-checkin'
    assert base64.b64decode(sent['liveness']['turned_image'])[:3] == b'\xff\xd8\xff'
    assert len(first.body) < 2 * 1024 * 1024  # both frames fit the route's body limit
    assert (sent['kind'], sent['lat'], sent['lon'], sent['accuracy_m']) == ('in', -5.1478, 119.4328, 10)
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00', sent['client_time'])  # WITA
    assert base64.b64decode(sent['image'])[:3] == b'\xff\xd8\xff'  # a JPEG
    assert real_errors(errors) == []
    context.close()


# --- honest messages -------------------------------------------------------------------------------------


def test_a_wrong_phone_clock_is_named_with_its_difference_and_the_attempt_can_be_retried(
    static_site: str, browser: Browser
) -> None:
    # Given a server whose clock is five minutes behind the phone
    context = phone(browser, ['camera', 'geolocation'], geolocation=INSIDE)
    page = context.new_page()
    server_time = int(time.time() * 1000) - 5 * 60_000
    stale = error(401, 'stale_timestamp', 'stale', server_time_ms=server_time)
    api = FakeApi({'POST /v1/mobile/activate': [activated()], 'GET /v1/mobile/me': [stale],
                   'POST /v1/mobile/liveness': [challenge()],
                   'POST /v1/mobile/checkins': [stale]}).attach(page)  # fmt: skip
    # When the employee activates and checks in
    activate(page, static_site)
    expect(page.get_by_test_id('camera-status')).to_have_attribute('data-state', 'ready')
    page.get_by_test_id('btn-masuk').click()
    # Then the banner and the result say the phone's clock is 5 minutes fast, and a retry is offered
    expect(page.get_by_test_id('app-message')).to_contain_text('Jam di ponsel Anda lebih cepat 5 menit')
    expect(page.get_by_test_id('result-detail')).to_contain_text(
        'lebih cepat 5 menit dari jam server', timeout=LIVENESS_MS
    )
    expect(page.get_by_test_id('btn-retry')).to_be_visible()
    shot(page, 'pesan-02-jam-ponsel-salah')
    assert len(api.to('POST', '/v1/mobile/checkins')) == 1
    context.close()


def test_a_revoked_device_is_forgotten_and_the_app_asks_for_activation_again(
    static_site: str, browser: Browser
) -> None:
    # Given a phone whose device an admin has reset
    context = phone(browser, ['camera', 'geolocation'], geolocation=INSIDE)
    page = context.new_page()
    FakeApi({'POST /v1/mobile/activate': [activated()],
             'GET /v1/mobile/me': [error(401, 'device_revoked', 'revoked')]}).attach(page)  # fmt: skip
    # When the app asks the server who it is
    activate(page, static_site)
    # Then it is back on Aktivasi with the reason, and the stored key is gone even after a reload
    expect(page.get_by_test_id('screen-aktivasi')).to_be_visible()
    expect(page.get_by_test_id('app-message')).to_contain_text('tidak lagi terdaftar')
    shot(page, 'pesan-03-perangkat-dicabut')
    assert page.evaluate(READ_DEVICE) is None
    page.reload()
    expect(page.get_by_test_id('screen-aktivasi')).to_be_visible()
    expect(page.get_by_test_id('nav')).to_be_hidden()
    context.close()


def test_refused_camera_and_location_permissions_are_explained(static_site: str, browser: Browser) -> None:
    # Given a phone that granted neither the camera nor the location
    context = phone(browser, [])
    page = context.new_page()
    FakeApi({'POST /v1/mobile/activate': [activated()], 'GET /v1/mobile/me': [me()]}).attach(page)
    # When the employee opens Presensi and taps Masuk
    activate(page, static_site)
    expect(page.get_by_test_id('screen-presensi')).to_be_visible()
    # Then both refusals are named with what to do, and nothing is sent
    expect(page.get_by_test_id('camera-status')).to_contain_text('Izin kamera ditolak')
    expect(page.get_by_test_id('location-status')).to_contain_text('Izin lokasi ditolak')
    page.get_by_test_id('btn-masuk').click()
    expect(page.get_by_test_id('result-outcome')).to_have_text('Kamera belum siap')
    expect(page.get_by_test_id('result-detail')).to_contain_text('Izin kamera ditolak')
    shot(page, 'pesan-04-izin-ditolak')
    context.close()


def test_face_quality_problems_from_the_server_are_listed(static_site: str, browser: Browser) -> None:
    # Given an employee not yet enrolled, and a server that finds two problems in the photo
    context = phone(browser, ['camera'])
    page = context.new_page()
    problems = [{'code': 'too_dark', 'message': 'Foto terlalu gelap.'},
                {'code': 'many_faces', 'message': 'Ada lebih dari satu wajah.'}]  # fmt: skip
    quality = error(422, 'face_quality', 'quality', problems=problems)
    replies = {'POST /v1/mobile/activate': [activated(face_enrolled=False)],
               'GET /v1/mobile/me': [me(face_enrolled=False)], 'POST /v1/mobile/face': [quality],
               'POST /v1/mobile/liveness': [challenge('right', 'enrol')]}  # fmt: skip
    api = FakeApi(replies).attach(page)
    # When the employee takes the reference photo
    activate(page, static_site)
    expect(page.get_by_test_id('screen-wajah')).to_be_visible()
    expect(page.get_by_test_id('nav-wajah')).to_be_visible()  # in place of Presensi until the face is enrolled
    expect(page.get_by_test_id('nav-presensi')).to_be_hidden()
    expect(page.get_by_test_id('camera-status-wajah')).to_have_attribute('data-state', 'ready')
    page.get_by_test_id('btn-capture-face').click()
    # Then each problem is listed, and the app stays on Rekam wajah
    expect(page.get_by_test_id('liveness-guide-wajah')).to_contain_text('KANAN', timeout=LIVENESS_MS)
    expect(page.get_by_test_id('face-problems').locator('li')).to_have_text(
        ['Foto terlalu gelap.', 'Ada lebih dari satu wajah.'], timeout=LIVENESS_MS)  # fmt: skip
    expect(page.get_by_test_id('face-snapshot')).to_be_visible()
    shot(page, 'pesan-05-kualitas-wajah')
    enrolment = api.to('POST', '/v1/mobile/face')[0].json()
    assert base64.b64decode(enrolment['image'])[:3] == b'\xff\xd8\xff'
    assert enrolment['liveness']['challenge_id'] == 'lvc-enrol'
    assert api.to('POST', '/v1/mobile/liveness')[0].json() == {'purpose': 'enrol'}
    expect(page.get_by_test_id('screen-wajah')).to_be_visible()
    context.close()


def test_the_app_opens_offline_from_its_cache_and_says_presensi_needs_a_connection(
    static_site: str, browser: Browser, page_errors: Callable[[Page], list[str]]
) -> None:
    # Given the app opened once online, its service worker in control
    context = browser.new_context(**PHONE)
    page = context.new_page()
    errors = page_errors(page)
    page.goto(static_site + '/')
    page.wait_for_function('() => navigator.serviceWorker.controller !== null')  # a function: no eval under the CSP
    expect(page.get_by_test_id('net-status')).to_have_text('Daring')
    # When the phone loses its connection and the app is opened again
    context.set_offline(True)
    page.reload()
    # Then the app opens from its cache and says, honestly, that it is offline and what needs a connection
    expect(page.get_by_test_id('screen-aktivasi')).to_be_visible()
    expect(page.get_by_test_id('net-status')).to_have_text('Luring')
    expect(page.get_by_test_id('app-message')).to_contain_text('presensi, aktivasi dan rekam wajah membutuhkan koneksi')
    page.get_by_test_id('input-nip').fill(EMPLOYEE['nip'])
    page.get_by_test_id('input-code').fill('K7M2-QX9D')
    page.get_by_test_id('btn-activate').click()
    expect(page.get_by_test_id('activation-error')).to_contain_text('Tidak ada koneksi internet')
    shot(page, 'pesan-06-luring')
    assert real_errors(errors) == []
    context.close()


# --- the whole flow against the real API -------------------------------------------------------------------


# Alex Lacamoire in the shared face set: two frontal shots and one turned (towards the image's right, so the
# person's own left; mirrored it answers a turn to the right).
ENROLMENT_PHOTO, CHECKIN_PHOTO, TURNED_PHOTO = 'alex_lacamoire_2.jpg', 'alex_lacamoire_3.jpg', 'alex_lacamoire_1.png'


def live_step(page: Page, camera: Camera, button: str, guide: str, frontal: str, turned: str | None) -> str:
    """What a person does in front of the phone: `frontal` faces the camera when the button is pressed, then,
    when the app asks for the turn, `turned` (mirrored if the challenge asks for the other side) or nothing new
    (a still photo). Returns the direction asked."""
    camera.show(shared_face(frontal))
    page.get_by_test_id(button).click()
    shown = page.get_by_test_id(guide)
    if button == 'btn-pulang':  # before the end of the shift Pulang asks first (test_phone_month); the person goes on
        page.wait_for_function(f'() => document.getElementById("confirm-early").open'
                               f' || document.querySelector(\'[data-testid="{guide}"]\').hidden === false',
                               timeout=SLOW_MS)  # fmt: skip
        if page.get_by_test_id('confirm-early').is_visible():
            page.get_by_test_id('btn-early-go').click()
    expect(shown).to_have_attribute('data-step', 'turn', timeout=SLOW_MS)
    direction = str(shown.get_attribute('data-direction'))
    if turned is not None:
        camera.show(shared_face(turned), mirror=direction == 'right')
    return direction


def enrolled_phone(pemda: Pemda, browser: Browser, name: str) -> tuple[BrowserContext, Page, Camera]:
    """A phone activated and enrolled with a live sequence (the enrolment photo, then the turn)."""
    context = browser.new_context(**PHONE, geolocation=INSIDE, permissions=['geolocation', 'camera'])
    context.add_init_script(SCRIPTED_CAMERA)
    page = context.new_page()
    camera = Camera(page)
    page.goto(pemda.url + '/')
    page.get_by_test_id('input-nip').fill(pemda.nip)
    page.get_by_test_id('input-code').fill(pemda.activation_code())
    page.get_by_test_id('btn-activate').click()
    expect(page.get_by_test_id('screen-wajah')).to_be_visible()
    expect(page.get_by_test_id('camera-status-wajah')).to_have_attribute('data-state', 'ready')
    live_step(page, camera, 'btn-capture-face', 'liveness-guide-wajah', ENROLMENT_PHOTO, TURNED_PHOTO)
    shot(page, f'{name}-rekam-wajah-menoleh')
    expect(page.get_by_test_id('screen-presensi')).to_be_visible(timeout=SLOW_MS)
    expect(page.get_by_test_id('app-message')).to_contain_text('Wajah tersimpan')
    expect(page.get_by_test_id('camera-status')).to_have_attribute('data-state', 'ready')
    return context, page, camera


def test_a_live_sequence_enrols_checks_in_and_a_refusal_outside_the_office(
    pemda: Pemda, scripted_browser: Browser, page_errors: Callable[[Page], list[str]]
) -> None:
    context = scripted_browser.new_context(**PHONE, geolocation=INSIDE, permissions=['geolocation', 'camera'])
    context.add_init_script(SCRIPTED_CAMERA)
    page = context.new_page()
    camera = Camera(page)
    errors = page_errors(page)
    # Given a fresh phone: the app asks for activation
    page.goto(pemda.url + '/')
    expect(page.get_by_test_id('screen-aktivasi')).to_be_visible()
    shot(page, 'alur-01-aktivasi')
    # When the employee activates with the NIP and a code from the admin
    page.get_by_test_id('input-nip').fill(pemda.nip)
    page.get_by_test_id('input-code').fill(pemda.activation_code())
    page.get_by_test_id('btn-activate').click()
    # Then the phone holds a non-extractable P-256 signing key, and the app asks for the reference face
    expect(page.get_by_test_id('screen-wajah')).to_be_visible()
    expect(page.get_by_test_id('employee-name')).to_contain_text(pemda.name)
    device = page.evaluate(READ_DEVICE)
    assert device['deviceId'].startswith('dev-')
    assert (device['type'], device['curve'], device['extractable'], device['usages']) == (
        'private', 'P-256', False, ['sign'])  # fmt: skip
    expect(page.get_by_test_id('camera-status-wajah')).to_have_attribute('data-state', 'ready')
    camera.show(shared_face(ENROLMENT_PHOTO))
    shot(page, 'alur-02-rekam-wajah')
    # When the employee takes the reference photo and turns the head as the app asks
    direction = live_step(page, camera, 'btn-capture-face', 'liveness-guide-wajah', ENROLMENT_PHOTO, TURNED_PHOTO)
    side = {'left': 'KIRI', 'right': 'KANAN'}[direction]
    expect(page.get_by_test_id('liveness-guide-wajah')).to_contain_text(f'Tolehkan kepala ke {side} Anda')
    shot(page, 'alur-03-rekam-wajah-menoleh')
    # Then the face is enrolled and Presensi opens with the camera and a good location fix
    expect(page.get_by_test_id('screen-presensi')).to_be_visible(timeout=SLOW_MS)
    expect(page.get_by_test_id('app-message')).to_contain_text('Wajah tersimpan')
    expect(page.get_by_test_id('camera-status')).to_have_attribute('data-state', 'ready')
    expect(page.get_by_test_id('location-status')).to_contain_text(f'akurasi ±10 m. Anda di area {OFFICE["name"]}')
    shot(page, 'alur-04-presensi')
    # When the employee checks in at the office: another frontal shot, then the turn the challenge asks
    live_step(page, camera, 'btn-masuk', 'liveness-guide', CHECKIN_PHOTO, TURNED_PHOTO)
    shot(page, 'alur-05-presensi-menoleh')
    # Then the check-in is accepted
    result = page.get_by_test_id('checkin-result')
    expect(result).to_have_attribute('data-outcome', 'accepted', timeout=SLOW_MS)
    expect(page.get_by_test_id('result-outcome')).to_have_text('Presensi masuk diterima')
    expect(page.get_by_test_id('result-distance')).to_have_text(f'Jarak ke {OFFICE["name"]}: 0\u00a0m')
    shot(page, 'alur-06-diterima')
    # And Riwayat shows it
    page.get_by_test_id('nav-riwayat').click()
    items = page.get_by_test_id('history-item')
    expect(items).to_have_count(1)
    expect(items.first).to_have_attribute('data-outcome', 'accepted')
    expect(items.first).to_contain_text('Masuk')
    expect(items.first).to_contain_text('Diterima')
    shot(page, 'alur-07-riwayat')
    # When the phone is 700 m outside the office and the employee checks out
    context.set_geolocation(OUTSIDE)
    page.get_by_test_id('nav-presensi').click()
    expect(page.get_by_test_id('location-status')).to_contain_text(f'dari {OFFICE["name"]}')
    expect(page.get_by_test_id('camera-status')).to_have_attribute('data-state', 'ready')
    live_step(page, camera, 'btn-pulang', 'liveness-guide', CHECKIN_PHOTO, TURNED_PHOTO)
    # Then it is refused, with the reason and the distance to the office
    expect(result).to_have_attribute('data-outcome', 'refused', timeout=SLOW_MS)
    expect(page.get_by_test_id('result-outcome')).to_have_text('Presensi pulang ditolak')
    expect(page.get_by_test_id('result-reasons').locator('li[data-code="outside_geofence"]')).to_have_count(1)
    distance = page.get_by_test_id('result-distance')
    expect(distance).to_have_text(re.compile(rf'^Jarak ke {OFFICE["name"]}: \d+\u00a0m$'))  # the unit never alone
    shown = int(re.findall(r'(\d+)\u00a0m$', distance.inner_text())[0])
    assert abs(shown - metres_outside(OUTSIDE, OFFICE)) < 25
    shot(page, 'alur-08-ditolak-di-luar-kantor')
    # And Riwayat lists both, the refusal first
    page.get_by_test_id('nav-riwayat').click()
    expect(items).to_have_count(2)
    expect(items.first).to_have_attribute('data-outcome', 'refused')
    expect(items.nth(1)).to_have_attribute('data-outcome', 'accepted')
    shot(page, 'alur-09-riwayat-dua')
    assert real_errors(errors) == []
    context.close()


def test_a_still_photo_as_the_camera_is_refused_with_what_to_do(pemda: Pemda, scripted_browser: Browser) -> None:
    # Given an enrolled phone, and a photo of the employee held still in front of the camera
    context, page, camera = enrolled_phone(pemda, scripted_browser, 'foto-diam')
    # When "the employee" checks in: the photo does not turn when the app asks
    live_step(page, camera, 'btn-masuk', 'liveness-guide', CHECKIN_PHOTO, None)
    # Then the check-in is refused, saying the head was not seen turning and what to do
    expect(page.get_by_test_id('checkin-result')).to_have_attribute('data-outcome', 'refused', timeout=SLOW_MS)
    reason = page.get_by_test_id('result-reasons').locator('li[data-code="liveness_no_turn"]')
    expect(reason).to_contain_text('Kepala tidak terlihat menoleh')
    shot(page, 'liveness-01-foto-diam-ditolak')
    context.close()


def test_the_enrolment_photo_replayed_is_flagged(pemda: Pemda, scripted_browser: Browser) -> None:
    # Given an enrolled phone
    context, page, camera = enrolled_phone(pemda, scripted_browser, 'foto-acuan')
    # When the enrolment photo is shown again as the frontal frame, with a turn after it
    live_step(page, camera, 'btn-masuk', 'liveness-guide', ENROLMENT_PHOTO, TURNED_PHOTO)
    # Then the check-in waits for review, saying the photo is the enrolment photo again
    expect(page.get_by_test_id('checkin-result')).to_have_attribute('data-outcome', 'review', timeout=SLOW_MS)
    reason = page.get_by_test_id('result-reasons').locator('li[data-code="reused_selfie"]')
    expect(reason).to_have_text('Foto ini hampir sama persis dengan foto wajah terdaftar.')
    shot(page, 'liveness-02-foto-acuan-diulang')
    context.close()


def test_the_challenge_of_one_attempt_cannot_be_reused(pemda: Pemda, scripted_browser: Browser) -> None:
    # Given a check-in just accepted, and the body the phone sent for it
    context, page, camera = enrolled_phone(pemda, scripted_browser, 'tantangan')
    with page.expect_request(lambda r: r.method == 'POST' and r.url.endswith('/v1/mobile/checkins')) as sent:
        live_step(page, camera, 'btn-masuk', 'liveness-guide', CHECKIN_PHOTO, TURNED_PHOTO)
    expect(page.get_by_test_id('checkin-result')).to_have_attribute('data-outcome', 'accepted', timeout=SLOW_MS)
    body = json.loads(sent.value.post_data or '{}')
    # When the same frames and challenge are sent again as a new attempt (freshly signed, a new Idempotency-Key)
    code = page.evaluate(
        """async (body) => {
            const { request } = await import('./js/api.js');
            const { loadDevice } = await import('./js/store.js');
            try {
              await request('POST', '/v1/mobile/checkins', { body, device: await loadDevice(),
                                                              idempotencyKey: crypto.randomUUID() });
              return 'accepted';
            } catch (err) {
              return err.code;
            }
        }""",
        body,
    )
    # Then the server refuses it: a challenge answers one attempt only
    assert code == 'challenge_used'
    context.close()


def test_a_deactivated_employees_phone_says_so_and_asks_for_the_admin(static_site: str, browser: Browser) -> None:
    # Given a phone whose employee the personnel office has deactivated
    context = phone(browser, ['camera', 'geolocation'], geolocation=INSIDE)
    page = context.new_page()
    message = ('Akun pegawai Anda tidak aktif (dinonaktifkan atau pindah ke luar pemda), jadi ponsel ini tidak bisa '
               'dipakai untuk presensi lagi. Hubungi admin OPD Anda.')  # fmt: skip
    inactive = error(403, 'employee_inactive', message)
    FakeApi({'POST /v1/mobile/activate': [activated()], 'GET /v1/mobile/me': [inactive]}).attach(page)
    # When the app asks the server who it is
    activate(page, static_site)
    # Then it is back on Aktivasi with the server's reason, and the stored key is gone
    expect(page.get_by_test_id('screen-aktivasi')).to_be_visible()
    expect(page.get_by_test_id('app-message')).to_contain_text('Akun pegawai Anda tidak aktif')
    shot(page, 'pesan-07-pegawai-nonaktif')
    assert page.evaluate(READ_DEVICE) is None
    context.close()
