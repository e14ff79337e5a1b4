"""The phone's own day and month in a real Chromium, at a 360-wide and a 412-wide phone: the Hari ini card, the
Pulang confirmation before an early check-out, Bulan ini against the real API after a day and month close, and
labels that fit. Screenshots go to tests/browser/artifacts/ (phone-*.png)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.services import allowance
from chalicelib.wiring import get_books, get_deps
from tests.browser.conftest import PHONE, ZONE, Pemda, shared_face, shot
from tests.browser.console_support import (
    VIEWPORTS,
    ConsolePemda,
    _b64,
    _phone,
    _signed,
    console_pemda,  # noqa: F401 - a fixture
    console_shot,
    open_console,
    settle,
    signed_in,
)
from tests.browser.test_web_app import EMPLOYEE, FakeApi, Reply, activate, activated, me, real_errors
from tests.integration.builders import phone_punch

WIDTHS = [360, 412]
LONG_NAME = 'Dr. Hj. Andi Sitti Nurhalizah Mappanyukki, S.Kep., M.Kes.'


def phone_at(browser: Browser, width: int, permissions: list[str] | None = None) -> BrowserContext:
    options: dict[str, Any] = {**PHONE, 'viewport': {'width': width, 'height': 800}}
    return browser.new_context(**options, permissions=permissions or [], service_workers='block')


def hhmm(moment: datetime) -> str:
    return moment.strftime('%H.%M')


def office_now() -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(ZONE)).replace(tzinfo=None, microsecond=0)


def today_reply(start: datetime, end: datetime, check_in: str | None, late: int | None, **extra: Any) -> Reply:
    now = office_now()
    return 200, {
        'date': now.date().isoformat(), 'now': now.isoformat(), 'zone': ZONE, 'zone_name': 'WITA',
        'opd_name': 'Dinas Kesehatan', 'holiday': None, 'status': None,
        'shift': {'code': '5HK', 'start': start.isoformat(timespec='minutes'), 'end': end.isoformat(timespec='minutes'),
                  'grace_minutes': 0},
        'check_in': check_in, 'check_out': None, 'minutes_late': late, 'late_so_far': None, 'leave_now': None,
        'phone_checkins': [], 'server_time_ms': int(datetime.now(UTC).timestamp() * 1000), **extra,
    }  # fmt: skip


def overflowing(page: Page, selector: str) -> list[str]:
    """Texts of the visible elements under `selector` that are cut, or whose text runs onto a second line."""
    script = """nodes => nodes.filter(n => n.offsetParent !== null).filter(n => {
        const range = document.createRange();
        range.selectNodeContents(n);
        const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
        return n.scrollWidth > n.clientWidth + 1 || tops.size > 1;
    }).map(n => n.textContent.trim())"""
    return list(page.eval_on_selector_all(selector, script))


@pytest.mark.parametrize('width', WIDTHS)
def test_hari_ini_shows_the_schedule_the_arrival_and_the_offices_time_and_the_labels_fit(
    static_site: str, browser: Browser, width: int, page_errors: Callable[[Page], list[str]]
) -> None:
    # Given an enrolled phone of an employee with a long name, who checked in 20 minutes late today
    employee = {**EMPLOYEE, 'name': LONG_NAME}
    now = office_now()
    start, end = now - timedelta(hours=2), now + timedelta(hours=3)
    check_in = (start + timedelta(minutes=20)).isoformat(timespec='seconds')
    profile = me()
    profile[1]['employee'] = employee  # type: ignore[index]
    api = FakeApi({'POST /v1/mobile/activate': [(201, {'device_id': 'dev-uji', 'employee': employee,
                                                       'face_enrolled': True})],
                   'GET /v1/mobile/me': [profile],
                   'GET /v1/mobile/today': [today_reply(start, end, check_in, 20)]})  # fmt: skip
    context = phone_at(browser, width)
    page = context.new_page()
    errors = page_errors(page)
    api.attach(page)
    # When the phone is activated and opens Presensi
    activate(page, static_site)
    card = page.get_by_test_id('today-card')
    expect(card).to_be_visible()
    # Then the card says the schedule, the arrival with its lateness and the time with its zone
    expect(page.get_by_test_id('today-schedule')).to_have_text(f'Jadwal {hhmm(start)}–{hhmm(end)}\u00a0WITA')
    expect(page.get_by_test_id('today-in')).to_have_text(
        f'Masuk {hhmm(start + timedelta(minutes=20))}\u00a0WITA · terlambat 20 menit'
    )
    expect(page.get_by_test_id('today-out')).to_contain_text('Belum presensi pulang')
    clock = page.get_by_test_id('today-clock')
    expect(clock).to_have_text(re.compile(r'^\d\d\.\d\d\u00a0WITA$'))
    shown = clock.inner_text()[:5]
    assert shown in {hhmm(office_now() - timedelta(minutes=m)) for m in (0, 1)}, shown  # the office's clock
    # And the long name is shown whole (wrapped, not cut), and no tab label wraps or is cut
    name = page.locator('.who-name')
    expect(name).to_have_text(LONG_NAME)
    assert name.evaluate('n => n.scrollWidth <= n.clientWidth')
    assert overflowing(page, '.tabs a') == []
    assert page.evaluate('document.documentElement.scrollWidth') <= width
    shot(page, f'phone-hari-ini-{width}')
    assert real_errors(errors) == []
    context.close()


def test_before_enrolment_the_rekam_wajah_tab_fits_on_one_line(static_site: str, browser: Browser) -> None:
    api = FakeApi({'POST /v1/mobile/activate': [activated(face_enrolled=False)],
                   'GET /v1/mobile/me': [me(face_enrolled=False)]})  # fmt: skip
    context = phone_at(browser, 360)
    page = context.new_page()
    api.attach(page)
    activate(page, static_site)
    tab = page.get_by_test_id('nav-wajah')
    expect(tab).to_be_visible()
    expect(page.get_by_test_id('nav-presensi')).to_be_hidden()
    assert overflowing(page, '.tabs a') == []
    box = tab.bounding_box()
    assert box is not None and box['height'] < 70
    shot(page, 'phone-tabs-wajah-360')
    context.close()


@pytest.mark.parametrize('width', WIDTHS)
def test_an_early_pulang_asks_first_saying_how_early_and_what_it_costs(
    static_site: str, browser: Browser, width: int
) -> None:
    # Given an employee who arrived on time and whose shift ends in two hours (PSW4, 1,5 %)
    now = office_now()
    start, end = now - timedelta(hours=6), now + timedelta(hours=2)
    leave = {'minutes_early': 120, 'code': 'PSW4', 'deduction_text': '1,50%'}
    early = today_reply(start, end, start.isoformat(timespec='seconds'), 0, leave_now=leave)
    api = FakeApi({'POST /v1/mobile/activate': [activated()], 'GET /v1/mobile/me': [me()],
                   'GET /v1/mobile/today': [early]})  # fmt: skip
    context = phone_at(browser, width)
    page = context.new_page()
    api.attach(page)
    activate(page, static_site)
    expect(page.get_by_test_id('today-card')).to_be_visible()
    # When Pulang is pressed
    page.get_by_test_id('btn-pulang').click()
    # Then the app asks, with the minutes early, the end of the shift and the cost, before doing anything else
    dialog = page.get_by_test_id('confirm-early')
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id('early-text')).to_have_text(
        f'Jam pulang Anda {end.strftime("%H.%M")}\u00a0WITA. Pulang sekarang berarti 2 jam lebih awal: tercatat PSW4 '
        'dengan potongan 1,50% untuk hari ini.'
    )
    shot(page, f'phone-pulang-awal-{width}')
    # When the employee cancels, nothing is sent and no camera step starts
    page.get_by_test_id('btn-early-cancel').click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id('checkin-result')).to_be_hidden()
    assert api.to('POST', '/v1/mobile/liveness') == [] and api.to('POST', '/v1/mobile/checkins') == []
    # When Pulang is pressed again and confirmed, the check-out goes on (here: the camera was not allowed)
    page.get_by_test_id('btn-pulang').click()
    page.get_by_test_id('btn-early-go').click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id('result-outcome')).to_have_text('Kamera belum siap')
    context.close()


def test_pulang_after_the_end_of_the_shift_asks_nothing(static_site: str, browser: Browser) -> None:
    now = office_now()
    day = today_reply(now - timedelta(hours=9), now - timedelta(minutes=5), now.isoformat(), 0)
    api = FakeApi({'POST /v1/mobile/activate': [activated()], 'GET /v1/mobile/me': [me()],
                   'GET /v1/mobile/today': [day]})  # fmt: skip
    context = phone_at(browser, 360)
    page = context.new_page()
    api.attach(page)
    activate(page, static_site)
    expect(page.get_by_test_id('today-card')).to_be_visible()
    page.get_by_test_id('btn-pulang').click()
    expect(page.get_by_test_id('result-outcome')).to_have_text('Kamera belum siap')
    expect(page.get_by_test_id('confirm-early')).to_be_hidden()
    context.close()


def _previous_month(today: date) -> tuple[str, list[date]]:
    last = today.replace(day=1) - timedelta(days=1)
    first = last.replace(day=1)
    return f'{first:%Y-%m}', [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.mark.parametrize('width', WIDTHS)
def test_bulan_ini_shows_last_months_days_codes_deductions_and_tpp_from_the_real_api(
    pemda: Pemda, browser: Browser, width: int, page_errors: Callable[[Page], list[str]]
) -> None:
    # Given last month closed for Ani: every weekday present, one 45 minutes late, one absent, score 90
    month, days = _previous_month(office_now().date())
    workdays = [d for d in days if d.weekday() < 5]
    late_day, absent_day = workdays[3], workdays[5]
    punches = []
    for day in (d for d in workdays if d != absent_day):
        punches.append(phone_punch(pemda.employee_id, 'DIKES', day, '08:15' if day == late_day else '07:20', ZONE))
        punches.append(phone_punch(pemda.employee_id, 'DIKES', day, '16:45', ZONE))
    DynamoPunchLedger().record(punches)
    allowance.close_days(get_deps(), get_books(), days[0], days[-1])
    scores = {'scores': [{'employee_id': pemda.employee_id, 'score': 90}]}
    assert pemda.hx.call('PUT', f'/v1/scores/{month}', pemda.hx.super_key, scores).status == 200
    allowance.close_month(get_deps(), get_books(), month)
    # When Ani activates her phone and opens Bulan ini, then goes one month back
    context = phone_at(browser, width)
    page = context.new_page()
    errors = page_errors(page)
    activate(page, pemda.url, nip=pemda.nip, code=pemda.activation_code())
    expect(page.get_by_test_id('screen-wajah')).to_be_visible()
    page.get_by_test_id('nav-bulan').click()
    expect(page.get_by_test_id('screen-bulan')).to_be_visible()
    expect(page.get_by_test_id('btn-month-next')).to_be_disabled()
    expect(page.get_by_test_id('month-tpp')).to_contain_text('Bulan belum ditutup')
    page.get_by_test_id('btn-month-prev').click()
    # Then last month's days are listed with their codes, reasons and deductions, and the month's TPP
    expect(page.get_by_test_id('month-tpp')).to_contain_text('Sudah ditutup')
    rows = page.get_by_test_id('month-day')
    expect(rows).to_have_count(len(workdays))
    late = page.locator(f'[data-date="{late_day.isoformat()}"]')
    expect(late).to_have_attribute('data-codes', 'TL2')
    expect(late).to_contain_text('Terlambat 45 menit')
    expect(late).to_contain_text('08.15–16.45\u00a0WITA')
    expect(late.get_by_test_id('month-day-cut')).to_contain_text('Rp')
    expect(page.locator(f'[data-date="{absent_day.isoformat()}"]')).to_have_attribute('data-codes', 'TK')
    expect(page.get_by_test_id('month-tpp-amount')).to_contain_text('Rp')
    expect(page.get_by_test_id('btn-month-next')).to_be_enabled()
    assert page.evaluate('document.documentElement.scrollWidth') <= width
    shot(page, f'phone-bulan-ini-{width}')
    page.get_by_test_id('month-tpp').scroll_into_view_if_needed()
    page.screenshot(path=str(shot(page, f'phone-bulan-ini-full-{width}')), full_page=True)
    assert real_errors(errors) == []
    context.close()


def test_ajukan_sends_a_sick_leave_with_the_letters_photo_and_shows_its_state(
    pemda: Pemda, browser: Browser, page_errors: Callable[[Page], list[str]]
) -> None:
    # Given Ani's activated phone at 360 wide
    context = phone_at(browser, 360)
    page = context.new_page()
    errors = page_errors(page)
    activate(page, pemda.url, nip=pemda.nip, code=pemda.activation_code())
    expect(page.get_by_test_id('screen-wajah')).to_be_visible()
    # When she opens Ajukan from Bulan ini and sends a reason too short
    page.get_by_test_id('nav-bulan').click()
    page.get_by_test_id('link-ajukan').click()
    expect(page.get_by_test_id('screen-ajukan')).to_be_visible()
    expect(page.get_by_test_id('requests-status')).to_have_text('Belum ada pengajuan.')
    today = office_now().date()
    page.get_by_test_id('input-type').select_option('sakit')
    page.get_by_test_id('input-first').fill(today.isoformat())
    page.get_by_test_id('input-last').fill((today - timedelta(days=1)).isoformat())
    page.get_by_test_id('input-reason').fill('Demam')
    page.get_by_test_id('btn-ajukan').click()
    # Then the app says what to fix, before sending anything
    expect(page.get_by_test_id('ajukan-error')).to_contain_text('Tanggal selesai tidak boleh sebelum tanggal mulai')
    # When the dates are right and the doctor's note is photographed
    page.get_by_test_id('input-last').fill(today.isoformat())
    page.get_by_test_id('input-reason').fill('Demam tinggi, istirahat dua hari')
    page.get_by_test_id('input-letter').set_input_files(str(shared_face('alex_lacamoire_2.jpg')))
    page.get_by_test_id('btn-ajukan').click()
    # Then the request is listed as waiting for approval
    expect(page.get_by_test_id('ajukan-done')).to_be_visible()
    item = page.get_by_test_id('request-item')
    expect(item).to_have_count(1)
    expect(item).to_have_attribute('data-state', 'pending')
    expect(item).to_contain_text('Sakit (dengan surat dokter)')
    expect(item).to_contain_text('Menunggu persetujuan')
    shot(page, 'phone-ajukan-terkirim-360')
    assert page.evaluate('document.documentElement.scrollWidth') <= 360  # the form fits: nothing widens the page
    # When the OPD's admin approves it with the note's number, and Ani opens Ajukan again
    listed = pemda.hx.call('GET', '/v1/leave-requests?opd=DIKES', pemda.hx.super_key).body['items']
    assert listed[0]['has_letter'] and listed[0]['letter_url']
    approve = f'/v1/leave-requests/{listed[0]["request_id"]}/approve'
    assert pemda.hx.call('POST', approve, pemda.hx.super_key, {'reference': 'SKD/7/XII/2026'}).status == 200
    page.get_by_test_id('nav-bulan').click()
    page.get_by_test_id('link-ajukan').click()
    # Then it shows approved
    expect(page.get_by_test_id('request-item')).to_have_attribute('data-state', 'approved')
    expect(page.get_by_test_id('request-item')).to_contain_text('Disetujui')
    shot(page, 'phone-ajukan-disetujui-360')
    assert real_errors(errors) == []
    context.close()


def test_the_console_approves_and_rejects_requests_from_phones(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811
) -> None:
    # Given two requests from Citra's phone: a sick leave with the doctor's note, and an izin
    hx = console_pemda.hx
    phone = _phone(hx, console_pemda.employees['Citra'], console_pemda.nips['Citra'])
    day = (console_pemda.today + timedelta(days=7)).isoformat()
    later = (console_pemda.today + timedelta(days=8)).isoformat()
    sick = {'type': 'sakit', 'first': day, 'last': day, 'reason': 'Demam tinggi, surat dokter terlampir',
            'letter': _b64(shared_face('alex_lacamoire_2.jpg').read_bytes())}  # fmt: skip
    izin = {'type': 'izin', 'first': later, 'last': later, 'reason': 'Mengurus akta kelahiran anak'}
    assert _signed(hx, phone, '/v1/mobile/requests', sick).status == 201
    assert _signed(hx, phone, '/v1/mobile/requests', izin).status == 201
    # When the OPD's admin opens Status
    page = signed_in(open_console(browser, VIEWPORTS['desktop']), console_pemda, console_pemda.keys['opd_admin'],
                     'status')  # fmt: skip
    section = page.locator('section', has_text='Permintaan dari ponsel')
    rows = section.locator('table.data tbody tr')
    expect(rows).to_have_count(2)
    sick_row = rows.filter(has_text='Sakit (surat dokter)')
    expect(sick_row).to_contain_text('Citra Dewi')
    expect(sick_row.get_by_role('link', name='Lihat foto surat')).to_have_count(1)
    console_shot(page, 'status-permintaan-ponsel', full_page=True)
    # And approves the sick leave without the note's number, then with it
    sick_row.get_by_role('button', name='Setujui').click()
    page.locator('dialog').get_by_role('button', name='Setujui').click()
    expect(section.get_by_role('alert')).to_contain_text('reference')
    sick_row.get_by_role('button', name='Setujui').click()
    page.locator('dialog').get_by_label('Nomor surat').fill('445/SKD/XII/2026')
    page.locator('dialog').get_by_role('button', name='Setujui').click()
    expect(rows).to_have_count(1)
    # And rejects the izin with a reason
    rows.first.get_by_role('button', name='Tolak').click()
    page.locator('dialog').get_by_label('Alasan penolakan').fill('Ajukan lewat atasan langsung dulu')
    page.locator('dialog').get_by_role('button', name='Tolak permintaan').click()
    expect(section).to_contain_text('Tidak ada permintaan yang menunggu persetujuan.')
    settle(page)
    # Then Citra's phone sees one approved, one rejected with the reason; the approval is a status
    mine = hx.call('GET', '/v1/mobile/requests', headers=phone.sign('GET', '/v1/mobile/requests')).body['items']
    assert sorted((r['type'], r['state']) for r in mine) == [('izin', 'rejected'), ('sakit', 'approved')]
    statuses = console_pemda.call('GET', f'/v1/employees/{console_pemda.employees["Citra"]}/statuses').body['items']
    assert [(s['code'], s['reference']) for s in statuses] == [('S', '445/SKD/XII/2026')]
