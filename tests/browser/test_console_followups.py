"""Two follow-ups of the console issue in a real Chromium, at a desktop (1366x768) and a tablet (768x1024):

- Mesin (issue 16): the DIKES admin enters the manual attendance list of yesterday's outage (who came, arrival and
  departure, the evidence); a line the API refuses is named in words; the personnel office (super) approves the list;
  once the day is closed, the listed employees are priced from the list and the unlisted one is TK.
- Tinjauan (issue 10): a check-in sent with liveness shows the turned frame beside the selfie and the enrolled face,
  the asked direction, the measured turn and similarity, and the reuse signal.

Screenshots: tests/browser/artifacts/console-followups-*.png."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Route, expect

from chalicelib.domain.liveness import FaceComparison
from tests.browser.console_support import (  # noqa: F401 - console_pemda is a fixture
    INSIDE,
    OPD_A,
    VIEWPORTS,
    ConsolePemda,
    _b64,
    _phone,
    _signed,
    console_pemda,
    console_shot,
    open_console,
    settle,
    signed_in,
)
from tests.face_fakes import FakeFaceEngine, fake_image

TURN = {'left': 30.0, 'right': -30.0}  # the engine's yaw when the person turns as asked (tests/face_fakes.py)
TURNED_SIMILARITY = 86.0


def _ok(reply: Any) -> Any:
    assert reply.status in (200, 201), reply.body
    return reply.body


def _day(pemda: ConsolePemda, name: str, day: str) -> dict[str, Any]:
    month = _ok(pemda.call('GET', f'/v1/employees/{pemda.employees[name]}/month?month={day[:7]}'))
    [found] = [d for d in month['days'] if d['date'] == day]
    return dict(found)


def _sha(photo: bytes) -> str:
    return hashlib.sha256(photo).hexdigest()


@pytest.mark.parametrize('viewport', list(VIEWPORTS))
def test_the_admin_enters_an_outage_list_super_approves_it_and_the_day_is_priced_from_it(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811 - the imported fixture
    viewport: str,
) -> None:
    from chalicelib.services import allowance
    from chalicelib.wiring import get_books, get_deps

    pemda = console_pemda
    yesterday = (pemda.today - timedelta(days=1)).isoformat()
    # Given yesterday's outage of DIKES, proposed (the machine was silent)
    outage = _ok(pemda.call('POST', '/v1/outages', body={'opd_id': OPD_A, 'day': yesterday,
                                                          'reason': 'Listrik kantor padam sejak pagi'}))  # fmt: skip
    outage_id = outage['outage_id']
    # When the DIKES admin opens Mesin and enters the day's list: Ani 07:25-16:05, Budi only arriving 07:50
    admin = signed_in(open_console(browser, VIEWPORTS[viewport]), pemda, pemda.keys['opd_admin'], 'mesin')
    admin.locator(f'button[data-outage="{outage_id}"]').click()
    form = admin.locator('.b-manual-form')
    expect(form).to_be_visible()
    expect(form.locator('select[name=employee_id] option')).to_have_count(5)  # the OPD's four, and "pilih"
    row = form.locator('tbody tr')
    row.nth(0).locator('select').select_option(pemda.employees['Ani'])
    row.nth(0).locator('input[name=arrival]').fill('07.25')  # as the paper list writes it
    row.nth(0).locator('input[name=departure]').fill('16:05')
    # A line without a time is stopped in the page, in words
    form.get_by_role('button', name='+ Tambah pegawai').click()
    row.nth(1).locator('select').select_option(pemda.employees['Budi'])
    form.locator('textarea[name=references]').fill(f'{OPD_A}-{yesterday}-daftar-hadir.jpg')
    form.get_by_role('button', name='Kirim ke BKPSDM untuk persetujuan').click()
    expect(form.get_by_role('alert')).to_contain_text('Baris 2 (Budi Santoso): isi jam datang atau jam pulang.')
    row.nth(1).locator('input[name=arrival]').fill('7.5')
    form.get_by_role('button', name='Kirim ke BKPSDM untuk persetujuan').click()
    expect(form.get_by_role('alert')).to_contain_text('Baris 2 (Budi Santoso): jam datang tidak terbaca')
    row.nth(1).locator('input[name=arrival]').fill('07.50')

    # And a line the API refuses (another OPD's employee, slipped into the request) is named by row and name
    def other_opd(route: Route) -> None:
        body = json.loads(route.request.post_data or '{}')
        body['lines'][1]['employee_id'] = pemda.employees['Eko']
        route.continue_(post_data=json.dumps(body))

    admin.route('**/v1/outages/*/manual-list', other_opd)
    form.get_by_role('button', name='Kirim ke BKPSDM untuk persetujuan').click()
    expect(form.get_by_role('alert')).to_contain_text('Baris 2 (Budi Santoso): bukan pegawai DIKES.')
    console_shot(admin, f'followups-manual-refused-{viewport}')
    admin.unroute('**/v1/outages/*/manual-list')
    form.get_by_role('button', name='Kirim ke BKPSDM untuk persetujuan').click()
    # Then the list waits for the personnel office, and the admin sees who is on it
    panel_button = admin.locator(f'button[data-outage="{outage_id}"]')
    expect(admin.locator('.b-manual-cell')).to_contain_text('Menunggu persetujuan BKPSDM')
    expect(admin.locator('.b-manual-cell')).to_contain_text('2 pegawai')
    panel_button.click()
    panel = admin.locator('.b-manual')
    expect(panel).to_contain_text('Ani Lestari')
    expect(panel).to_contain_text('Gangguan ini belum dikonfirmasi BKPSDM')  # proposed: not counted yet
    console_shot(admin, f'followups-manual-submitted-{viewport}')
    settle(admin)

    # When the personnel office confirms the outage and, in the console, approves the list with a reason
    _ok(pemda.call('POST', f'/v1/outages/{outage_id}/decision',
                   body={'decision': 'confirm', 'reason': 'Laporan PLN: padam 06.00-17.00'}))  # fmt: skip
    boss = signed_in(open_console(browser, VIEWPORTS[viewport]), pemda, pemda.keys['super'], 'mesin')
    boss.locator(f'button[data-outage="{outage_id}"]').click()
    panel = boss.locator('.b-manual')
    expect(panel).to_contain_text('Budi Santoso')
    expect(panel).to_contain_text(f'{OPD_A}-{yesterday}-daftar-hadir.jpg')
    console_shot(boss, f'followups-manual-decide-{viewport}')
    panel.get_by_role('button', name='Setujui daftar').click()
    dialog = boss.locator('dialog')
    dialog.locator('textarea').fill('Daftar bertanda tangan kepala dinas diperiksa')
    dialog.get_by_role('button', name='Setujui').click()
    expect(boss.locator('.b-manual-cell')).to_contain_text('Disetujui')
    boss.locator(f'button[data-outage="{outage_id}"]').click()
    expect(boss.locator('.b-manual')).to_contain_text('Daftar bertanda tangan kepala dinas diperiksa')
    expect(boss.locator('.b-manual-form')).to_have_count(0)  # an approved list is final
    console_shot(boss, f'followups-manual-approved-{viewport}')
    settle(boss)
    settle(admin)

    # Then, once the day is closed, Ani and Budi are priced from the list and Citra (not listed) is TK
    allowance.close_days(get_deps(), get_books(), pemda.today - timedelta(days=1), pemda.today - timedelta(days=1))
    ani, budi, citra = (_day(pemda, name, yesterday) for name in ('Ani', 'Budi', 'Citra'))
    for record in (ani, budi, citra):
        assert record['explanation'].startswith('Mesin presensi tidak berfungsi (gangguan dikonfirmasi)'), record
    assert f'daftar hadir manual {outage_id}' in ani['explanation'], ani
    assert not set(ani['codes']) - {'H'}, ani  # on time both ways
    assert ani['minutes_late'] == 0 and ani['deduction'] == 0, ani
    assert budi['minutes_late'] == 20 and budi['deduction'] > 0, budi  # 07:50, and no departure on the list
    assert 'TK' in citra['codes'], citra


@pytest.mark.parametrize('viewport', list(VIEWPORTS))
def test_a_review_item_shows_the_turned_frame_and_what_liveness_measured(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811 - the imported fixture
    viewport: str,
) -> None:
    from PIL import Image, ImageOps

    from tests.photos import person_c

    pemda = console_pemda
    faces = pemda.faces
    # Given Citra enrolled, then checking in with liveness: a frontal frame and a turned frame whose face the engine
    # is unsure about (86%), so the check-in waits for review
    enrolled = person_c()
    with Image.open(io.BytesIO(enrolled)) as image:
        frontal_out, turned_out = io.BytesIO(), io.BytesIO()
        image.convert('RGB').save(frontal_out, 'JPEG', quality=80)
        ImageOps.mirror(image.convert('RGB')).rotate(8, fillcolor=(200, 200, 200)).save(turned_out, 'JPEG', quality=85)
    frontal, turned = frontal_out.getvalue(), turned_out.getvalue()
    phone = _phone(pemda.hx, pemda.employees['Citra'], pemda.nips['Citra'])
    asked = _ok(_signed(pemda.hx, phone, '/v1/mobile/liveness', {'purpose': 'checkin'}))
    described = {
        _sha(enrolled): fake_image('citra', left=0.30, nonce='reference'),
        _sha(frontal): fake_image('citra', left=0.10, nonce='frontal'),
        _sha(turned): fake_image('citra-turning', yaw=TURN[asked['direction']], left=0.12, nonce='turned'),
    }
    known = faces._fake

    def fake(photo: bytes) -> bytes:
        return described.get(_sha(photo)) or known(photo)

    def compare_detail(reference: bytes, probe: bytes) -> FaceComparison:
        # liveness's comparisons (one engine call each, with the faces' pose) go through the same photo book
        return FakeFaceEngine.compare_detail(faces, fake(reference), fake(probe))

    faces._fake = fake  # type: ignore[method-assign,assignment]
    faces.compare_detail = compare_detail  # type: ignore[method-assign]
    faces.similarity_overrides[('citra', 'citra-turning')] = TURNED_SIMILARITY
    _ok(_signed(pemda.hx, phone, '/v1/mobile/face', {'image': _b64(enrolled)}))
    body = {'kind': 'in', 'image': _b64(frontal), **INSIDE, 'client_time': '07:51',
            'liveness': {'challenge_id': asked['challenge_id'], 'turned_image': _b64(turned)}}  # fmt: skip
    checkin = _ok(_signed(pemda.hx, phone, '/v1/mobile/checkins', body, {'Idempotency-Key': 'citra-live'}))
    assert checkin['outcome'] == 'review', checkin
    # When DIKES's admin opens Tinjauan
    page = signed_in(open_console(browser, VIEWPORTS[viewport]), pemda, pemda.keys['opd_admin'], 'tinjauan')
    item = page.locator(f'[data-checkin="{checkin["checkin_id"]}"]')
    expect(item).to_contain_text('Citra Dewi')
    # Then the turned frame is shown, loaded, between the selfie and the enrolled face
    side = {'left': 'kiri', 'right': 'kanan'}[asked['direction']]
    expect(item.locator('figcaption')).to_have_text(
        ['Swafoto saat absen', f'Saat menoleh ke {side}', 'Wajah terdaftar']
    )
    page.wait_for_function(
        f"""() => {{ const imgs = [...document.querySelectorAll('[data-checkin="{checkin['checkin_id']}"] img')];
                   return imgs.length === 3 && imgs.every(i => i.complete && i.naturalWidth > 0); }}"""
    )
    # And what liveness measured: the asked turn, the turn seen, the turned face's similarity, the reuse signal
    live = item.locator('.liveness')
    expect(live).to_contain_text(f'Menoleh ke {side}')
    expect(live).to_contain_text(f'30° ke {side}, sesuai permintaan')
    expect(live).to_contain_text('86')
    expect(live).to_contain_text('Lolos, tetapi perlu diperiksa')  # the turn was seen; its face is borderline
    expect(live).to_contain_text('Foto pernah dikirim sebelumnya')
    # The check-in without liveness (Ani's) shows its two photos only, and no liveness part
    ani = page.locator(f'[data-checkin="{pemda.flagged_checkin}"]')
    expect(ani.locator('img')).to_have_count(2)
    expect(ani.locator('.liveness')).to_have_count(0)
    item.scroll_into_view_if_needed()
    console_shot(page, f'followups-review-liveness-{viewport}')
    console_shot(page, f'followups-review-liveness-full-{viewport}', full_page=True)
    settle(page)
