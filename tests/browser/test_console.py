"""The console (web/admin/) in a real Chromium against the real API on moto: sign-in per role and its menu, the
scope of an OPD admin, sign-out, and the screens Hari ini, Tinjauan, Pegawai and Status with their data, empty and
error states, including the review of a flagged check-in from the browser. Screenshots: tests/browser/artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect

from tests.browser.console_support import (
    NAV,
    OPD_A,
    OPD_B,
    TABLET,
    VIEWPORTS,
    ConsolePemda,
    console_pemda,  # noqa: F401 - a fixture
    console_shot,
    go,
    nav_entries,
    open_console,
    settle,
    signed_in,
)

KEY_STORAGE = 'hadir.console.key'
ALL_SCREENS = ['hari-ini', 'tinjauan', 'pegawai', 'status', 'mesin', 'rekap', 'aturan', 'keuangan', 'audit']


def pane(page: Page) -> Locator:
    return page.locator('#screen .screen-pane')


def photos_loaded(page: Page, scope: str) -> list[bool]:
    """For every <img> under `scope`: did it load a real picture?"""
    return page.eval_on_selector_all(f'{scope} img', 'imgs => imgs.map(i => i.complete && i.naturalWidth > 0)')


# --- sign-in, menus, scope, sign-out -----------------------------------------------------------------------


@pytest.mark.parametrize('viewport', ['desktop', 'tablet'])
def test_each_role_signs_in_and_sees_exactly_its_screens(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811 - the imported fixture
    viewport: str,
    page_errors: Callable[[Page], list[str]],
) -> None:
    for role, expected in NAV.items():
        # Given a fresh browser tab (its own sessionStorage), when the role's key is pasted
        page = open_console(browser, VIEWPORTS[viewport])
        errors = page_errors(page)
        if role == 'super':
            page.goto(console_pemda.console)
            console_shot(page, f'signin-{viewport}')
        signed_in(page, console_pemda, console_pemda.keys[role])
        # Then the menu lists exactly that role's screens, the header names the pemda and the role, and the first
        # screen is open
        assert nav_entries(page) == expected
        expect(page.locator('#who-role')).not_to_be_empty()
        if role == 'opd_admin':
            expect(page.locator('#who-opd')).to_have_text('Dinas Kesehatan')
        if role != 'finance':
            expect(page.locator('#pemda-name')).to_have_text('Pemerintah Kota Makassar')
        expect(page.locator('#screen-title')).to_have_text(expected[0])
        expect(page.locator('#nav a[aria-current="page"]')).to_have_text(expected[0])
        # And a screen outside the role's menu, typed into the address bar, is not shown
        if role in ('finance', 'opd_admin'):
            go(page, 'audit')
            expect(pane(page)).to_contain_text('tidak tersedia untuk peran Anda')
        console_shot(page, f'home-{role}-{viewport}')
        assert errors == [], errors
        page.context.close()


def test_an_opd_admin_cannot_reach_another_opds_data(browser: Browser, console_pemda: ConsolePemda) -> None:  # noqa: F811
    # Given DIKES's admin, when they open an employee of DISPAR by its address
    page = signed_in(open_console(browser), console_pemda, console_pemda.keys['opd_admin'])
    go(page, 'pegawai', console_pemda.employees['Eko'])
    # Then the API's 403 is shown in words, and nothing of the employee
    expect(pane(page).get_by_role('alert')).to_contain_text('Anda tidak berhak melihat data ini')
    expect(pane(page)).not_to_contain_text('Eko Prasetyo')
    console_shot(page, 'pegawai-403-opd_admin')
    # And the OPD picker offers no other OPD: the key's own is fixed
    go(page, 'hari-ini')
    expect(page.locator('.opd-fixed')).to_contain_text('Dinas Kesehatan')
    expect(page.locator('select.opd-select')).to_have_count(0)
    expect(pane(page)).not_to_contain_text('Eko Prasetyo')


def test_an_unknown_key_is_refused_in_words_and_not_kept(browser: Browser, console_pemda: ConsolePemda) -> None:  # noqa: F811
    page = open_console(browser)
    page.goto(console_pemda.console)
    page.get_by_label('Kunci API').fill('hdr_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb')
    page.get_by_role('button', name='Masuk').click()
    expect(page.locator('#signin-error')).to_contain_text('Kunci API tidak dikenal atau sudah dicabut')
    assert page.evaluate(f'sessionStorage.getItem("{KEY_STORAGE}")') is None
    assert 'hdr_' not in page.url
    console_shot(page, 'signin-refused')


def test_keluar_forgets_the_key(browser: Browser, console_pemda: ConsolePemda) -> None:  # noqa: F811
    # Given a signed-in super admin
    page = signed_in(open_console(browser, TABLET), console_pemda, console_pemda.keys['super'], 'pegawai')
    key = console_pemda.keys['super']
    assert page.evaluate(f'sessionStorage.getItem("{KEY_STORAGE}")') == key
    assert page.evaluate('localStorage.length') == 0
    assert key not in page.url
    # And a reload keeps them signed in (the tab's sessionStorage)
    page.reload()
    expect(page.locator('#nav a').first).to_be_visible()
    # When they press Keluar
    page.get_by_role('button', name='Keluar').click()
    # Then the key is gone from the tab, the sign-in page is back, and a reload does not bring the console back
    expect(page.locator('#signin')).to_be_visible()
    assert page.evaluate('sessionStorage.length') == 0
    assert page.evaluate('localStorage.length') == 0
    assert page.url.endswith('/admin/')
    page.reload()
    expect(page.locator('#signin')).to_be_visible()
    expect(page.locator('#app')).to_be_hidden()


def test_a_key_revoked_while_the_console_is_open_sends_the_person_back_to_sign_in(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811
) -> None:
    page = signed_in(open_console(browser), console_pemda, console_pemda.keys['auditor'], 'pegawai')
    settle(page)
    # The key is named in the menu's foot (its code in the tooltip)
    expect(page.locator('#nav-foot')).to_have_text('Kunci: Inspektorat')
    key_id = page.evaluate('() => document.getElementById("nav-foot").title').split()[-1]
    assert console_pemda.call('DELETE', f'/v1/keys/{key_id}').status == 200
    go(page, 'status')
    expect(page.locator('#signin-error')).to_contain_text('Kunci API tidak dikenal atau sudah dicabut')
    assert page.evaluate('sessionStorage.length') == 0


# --- Hari ini ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize('viewport', ['desktop', 'tablet'])
def test_hari_ini_shows_who_is_in_late_missing_and_on_leave(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811
    viewport: str,
) -> None:
    # Given DIKES today: Budi 07.20, Citra 07.52 (shift 07.30), Ani only a check-in waiting for review, Dedi on leave
    page = signed_in(open_console(browser, VIEWPORTS[viewport]), console_pemda, console_pemda.keys['opd_admin'])
    board = page.locator('.today-board')
    expect(board).to_be_visible()
    rows = board.locator('tbody tr')
    expect(rows).to_have_count(4)
    # Then each is shown with their state, times and the leave's letter
    expect(rows.filter(has_text='Budi Santoso')).to_contain_text('07.20')
    expect(rows.filter(has_text='Budi Santoso')).to_contain_text('Hadir')
    expect(rows.filter(has_text='Citra Dewi')).to_contain_text('Terlambat')
    expect(rows.filter(has_text='Citra Dewi')).to_contain_text('22 menit')
    expect(rows.filter(has_text='Ani Lestari')).to_contain_text('Belum absen')
    expect(rows.filter(has_text='Dedi Kurniawan')).to_contain_text('Cuti')
    expect(rows.filter(has_text='Dedi Kurniawan')).to_contain_text('851/117/BKPSDM/2026')
    expect(board.locator('[data-count="late"] .value')).to_have_text('1')
    expect(board.locator('[data-count="no_punch"] .value')).to_have_text('1')
    console_shot(page, f'hari-ini-opd-{viewport}')
    # When the "Terlambat" card is picked, only the late are listed
    board.locator('[data-count="late"]').click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text('Citra Dewi')


def test_hari_ini_for_super_summarises_every_opd_and_opens_one(browser: Browser, console_pemda: ConsolePemda) -> None:  # noqa: F811
    page = signed_in(open_console(browser), console_pemda, console_pemda.keys['super'])
    summary = pane(page).locator('table.data tbody tr')
    expect(summary).to_have_count(2)
    expect(summary.filter(has_text='Dinas Kesehatan')).to_be_visible()
    expect(summary.filter(has_text='Dinas Pariwisata')).to_be_visible()
    console_shot(page, 'hari-ini-super-summary-desktop')
    # When the DISPAR row is picked: its board, where Eko has no punch yet
    summary.filter(has_text='Dinas Pariwisata').click()
    expect(page.locator('.today-board tbody tr')).to_have_count(1)
    expect(page.locator('.today-board tbody tr').first).to_contain_text('Eko Prasetyo')
    expect(page.locator('select.opd-select')).to_have_value(OPD_B)


def test_hari_ini_shows_an_api_failure_in_its_pane_only(browser: Browser, console_pemda: ConsolePemda) -> None:  # noqa: F811
    page = open_console(browser)
    page.route(
        f'**/v1/opds/{OPD_A}/today',
        lambda route: route.fulfill(
            status=500, json={'error': {'code': 'internal', 'message': 'boom', 'request_id': 'req-123'}}
        ),
    )
    signed_in(page, console_pemda, console_pemda.keys['opd_admin'])
    alert = pane(page).get_by_role('alert')
    expect(alert).to_contain_text('Terjadi kesalahan di server')
    expect(alert).to_contain_text('req-123')
    console_shot(page, 'hari-ini-error')
    # The rest of the console still works
    go(page, 'pegawai')
    expect(pane(page).locator('table.data tbody tr')).to_have_count(4)


def test_a_screen_whose_file_fails_shows_the_error_in_its_own_pane(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811
) -> None:
    page = open_console(browser)
    page.route('**/admin/js/screens/mesin.js', lambda route: route.fulfill(status=404, body='not found'))
    signed_in(page, console_pemda, console_pemda.keys['super'], 'mesin')
    expect(pane(page).get_by_role('alert')).to_contain_text('Layar "Mesin" belum tersedia atau gagal dimuat')
    expect(page.locator('#nav a')).to_have_count(9)
    go(page, 'status')
    expect(pane(page)).to_contain_text('Dedi Kurniawan')


def test_hari_ini_shows_its_loading_state_and_a_lost_connection_in_words(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811
) -> None:
    # Given an answer that has not come yet: the pane says it is loading
    page = open_console(browser)
    held: list[Route] = []
    page.route(f'**/v1/opds/{OPD_A}/today', lambda route: held.append(route))
    signed_in(page, console_pemda, console_pemda.keys['opd_admin'])
    expect(pane(page).locator('.state-loading')).to_contain_text('Memuat')
    console_shot(page, 'hari-ini-loading')
    # When the connection is lost instead, the pane says so in words, and "Muat ulang" tries again
    for _ in range(200):  # the loading state shows before the board's request reaches the route
        if held:
            break
        page.wait_for_timeout(50)
    assert held, 'the today board never asked the API'
    held[0].abort('internetdisconnected')
    expect(pane(page).get_by_role('alert')).to_contain_text('Tidak dapat terhubung ke server')
    page.unroute(f'**/v1/opds/{OPD_A}/today')
    page.get_by_role('button', name='Muat ulang').click()
    expect(page.locator('.today-board tbody tr')).to_have_count(4)


def test_hari_ini_says_when_nobody_is_expected(browser: Browser, console_pemda: ConsolePemda) -> None:  # noqa: F811
    page = open_console(browser)
    empty = {
        'opd_id': OPD_A,
        'opd_name': 'Dinas Kesehatan',
        'zone': 'Asia/Makassar',
        'date': '2026-12-06',
        'as_of': '2026-12-06T02:00:00+00:00',
        'items': [],
        'counts': {'total': 0, 'present': 0, 'late': 0, 'no_punch': 0, 'on_status': 0, 'by_status': {}, 'off': 4},
    }
    page.route(f'**/v1/opds/{OPD_A}/today', lambda route: route.fulfill(json=empty))
    signed_in(page, console_pemda, console_pemda.keys['opd_admin'])
    expect(pane(page)).to_contain_text('Tidak ada pegawai yang wajib hadir hari ini')
    console_shot(page, 'hari-ini-empty')


# --- Tinjauan ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize('viewport', ['desktop', 'tablet'])
def test_a_flagged_check_in_is_shown_with_both_photos_and_rejected_as_manipulation(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811
    viewport: str,
) -> None:
    # Given Ani's check-in, flagged at 88% similarity
    page = signed_in(open_console(browser, VIEWPORTS[viewport]), console_pemda, console_pemda.keys['opd_admin'],
                     'tinjauan')  # fmt: skip
    item = page.locator(f'[data-checkin="{console_pemda.flagged_checkin}"]')
    expect(item).to_be_visible()
    # Then it shows both photos (really loaded), the similarity, the place, the GPS accuracy and the signal
    expect(item.locator('img')).to_have_count(2)
    page.wait_for_function(
        f"""() => [...document.querySelectorAll('[data-checkin="{console_pemda.flagged_checkin}"] img')]
                 .every(i => i.complete && i.naturalWidth > 0)"""
    )
    expect(item).to_contain_text('Ani Lestari')
    expect(item).to_contain_text('88')
    expect(item).to_contain_text('Di dalam area Kantor Dinas Kesehatan')
    expect(item).to_contain_text('± 12 m')
    expect(item.locator('.signals li')).not_to_have_count(0)
    expect(item.locator('.recent')).not_to_contain_text('Memuat')
    console_shot(page, f'tinjauan-{viewport}')
    # When the admin rejects it as manipulation, with a reason
    item.get_by_role('button', name='Tolak: manipulasi').click()
    dialog = page.locator('dialog')
    expect(dialog).to_be_visible()
    console_shot(page, f'tinjauan-dialog-{viewport}')
    dialog.get_by_role('button', name='Tolak: manipulasi').click()
    expect(dialog.locator('.field-error')).to_contain_text('minimal 5')
    dialog.get_by_label('Alasan').fill('Foto dari layar ponsel lain')
    dialog.get_by_role('button', name='Tolak: manipulasi').click()
    # Then it leaves the queue, and the API has it rejected as a manipulation (audited, alerted)
    expect(item).to_have_count(0)
    expect(pane(page)).to_contain_text('Semua absensi sudah ditinjau')
    settle(page)
    rejected = console_pemda.call('GET', f'/v1/checkins/review?opd={OPD_A}&state=rejected').body['items']
    assert [(c['checkin_id'], c['review_reason']) for c in rejected] == [
        (console_pemda.flagged_checkin, 'Foto dari layar ponsel lain')
    ]
    alerts = console_pemda.call('GET', f'/v1/alerts?opd={OPD_A}').body['items']
    assert 'manipulation' in [a['kind'] for a in alerts]
    audit = console_pemda.call('GET', f'/v1/audit?opd={OPD_A}').body['items']
    assert audit[0]['action'] == 'checkin.reject'


def test_an_auditor_sees_the_queue_without_the_decisions(browser: Browser, console_pemda: ConsolePemda) -> None:  # noqa: F811
    page = signed_in(open_console(browser), console_pemda, console_pemda.keys['auditor'], 'tinjauan')
    item = page.locator(f'[data-checkin="{console_pemda.flagged_checkin}"]')
    expect(item).to_be_visible()
    expect(item.get_by_role('button')).to_have_count(0)
    expect(pane(page)).to_contain_text('hanya dapat melihat')


def test_super_resolves_a_duplicate_face_alert_as_different_people(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811
) -> None:
    page = signed_in(open_console(browser), console_pemda, console_pemda.keys['super'], 'tinjauan')
    page.get_by_role('tab', name='Peringatan kecurangan').click()
    card = page.locator('[data-alert]').filter(has_text='Wajah ganda')
    expect(card).to_have_count(1)
    expect(card).to_contain_text('Budi Santoso')
    expect(card).to_contain_text('Ani Lestari')
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-alert] img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    assert photos_loaded(page, '[data-alert]') == [True, True]
    console_shot(page, 'tinjauan-peringatan')
    card.get_by_role('button', name='Orang berbeda: izinkan pendaftaran').click()
    page.locator('dialog').get_by_label('Alasan').fill('Kembar identik, diperiksa langsung oleh BKPSDM')
    page.locator('dialog').get_by_role('button', name='Tandai orang berbeda').click()
    expect(page.locator('[data-alert]').filter(has_text='Wajah ganda')).to_contain_text('orang yang berbeda')
    settle(page)
    alert = console_pemda.call('GET', f'/v1/alerts?opd={OPD_A}').body['items'][0]
    assert alert['resolution'] == 'different_people'


def test_the_review_queue_says_when_it_is_empty(browser: Browser, console_pemda: ConsolePemda) -> None:  # noqa: F811
    page = open_console(browser)
    page.route(
        '**/v1/checkins/review**', lambda route: route.fulfill(json={'items': [], 'count': 0, 'next_cursor': None})
    )
    signed_in(page, console_pemda, console_pemda.keys['opd_admin'], 'tinjauan')
    expect(pane(page)).to_contain_text('Tidak ada absensi yang perlu ditinjau')
    console_shot(page, 'tinjauan-empty')


# --- Pegawai -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize('viewport', ['desktop', 'tablet'])
def test_pegawai_search_by_name_and_nip_and_an_employees_page(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811
    viewport: str,
) -> None:
    page = signed_in(open_console(browser, VIEWPORTS[viewport]), console_pemda, console_pemda.keys['super'],
                     'pegawai')  # fmt: skip
    results = pane(page).locator('.results table.data tbody tr')
    expect(results).to_have_count(5)  # every OPD
    console_shot(page, f'pegawai-list-{viewport}')
    # By part of a name
    search = page.get_by_label('Cari nama, NIP atau ID pegawai')
    search.fill('lest')
    search.press('Enter')
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text('Ani Lestari')
    # By NIP prefix
    search.fill(console_pemda.nips['Citra'])
    search.press('Enter')
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text('Citra Dewi')
    # Nothing found
    search.fill('zzzz')
    search.press('Enter')
    expect(pane(page)).to_contain_text('Tidak ada pegawai yang cocok dengan "zzzz"')
    console_shot(page, f'pegawai-empty-{viewport}')
    # Ani's page: data, phone and face, schedule, statuses, month
    search.fill('Ani')
    search.press('Enter')
    results.first.click()
    expect(page.locator('#screen-title')).to_have_text('Ani Lestari')
    expect(pane(page)).to_contain_text(console_pemda.nips['Ani'])
    expect(pane(page)).to_contain_text('Rp 4.000.000')
    expect(pane(page).locator('.enrolment')).to_contain_text('Samsung A14')
    expect(pane(page).locator('.enrolment')).to_contain_text('Terdaftar')
    expect(pane(page)).to_contain_text('Setiap hari')
    expect(pane(page).locator('.month')).not_to_contain_text('Memuat')
    console_shot(page, f'pegawai-detail-{viewport}', full_page=True)
    # Ani has a phone: no new activation code until a reset; Citra has none and gets one, shown once
    expect(page.get_by_role('button', name='Buat kode aktivasi baru')).to_have_count(0)
    expect(page.get_by_role('button', name='Reset ponsel dan wajah')).to_be_visible()
    go(page, 'pegawai', console_pemda.employees['Citra'])
    expect(pane(page).locator('.enrolment')).to_contain_text('Belum ada ponsel')
    page.get_by_role('button', name='Buat kode aktivasi baru').click()
    expect(pane(page).locator('.activation-code .code')).to_have_text(re.compile(r'\S{4,}'))
    console_shot(page, f'pegawai-activation-{viewport}')


def test_an_employees_month_lists_closed_days(browser: Browser, console_pemda: ConsolePemda) -> None:  # noqa: F811
    page = open_console(browser)
    month = {
        'employee_id': 'x',
        'name': 'Ani Lestari',
        'opd_id': OPD_A,
        'month': '2026-11',
        'closed': True,
        'revision': 1,
        'closed_at': '2026-12-02T01:00:00+00:00',
        'statuses': [],
        'schedule': {
            'kind': 'WEEKLY',
            'template': '5HK',
            'template_name': 'Lima hari kerja',
            'source': 'opd_default',
            'today_shift': {'code': '5HK', 'start': '2026-12-07T07:30:00', 'end': '2026-12-07T16:00:00'},
        },
        'days': [
            {
                'date': '2026-11-02',
                'status': 'present',
                'codes': ['TL1'],
                'status_code': None,
                'first_in': '2026-11-02T07:45:00',
                'last_out': '2026-11-02T16:05:00',
                'minutes_late': 15,
                'minutes_early': 0,
                'deduction': 50,
                'deduction_text': '0,5%',
                'explanation': 'Terlambat 15 menit (TL1): potongan 0,5%',
            },
            {
                'date': '2026-11-03',
                'status': 'absent',
                'codes': ['TK'],
                'status_code': None,
                'first_in': None,
                'last_out': None,
                'minutes_late': None,
                'minutes_early': None,
                'deduction': 300,
                'deduction_text': '3%',
                'explanation': 'Tanpa keterangan (TK)',
            },
        ],
    }
    page.route('**/v1/employees/*/month**', lambda route: route.fulfill(json=month))
    signed_in(page, console_pemda, console_pemda.keys['opd_admin'], 'pegawai')
    go(page, 'pegawai', console_pemda.employees['Ani'])
    days = pane(page).locator('.month table.data tbody tr')
    expect(days).to_have_count(2)
    expect(days.first).to_contain_text('TL1')
    expect(days.first).to_contain_text('Terlambat 15 menit (TL1): potongan 0,5%')
    expect(days.nth(1).locator('.chip-bad')).to_have_text('TK')
    expect(pane(page)).to_contain_text('sudah ditutup (revisi 1')
    console_shot(page, 'pegawai-month-closed', full_page=True)


# --- Status ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('viewport', ['desktop', 'tablet'])
def test_status_lists_the_month_records_a_duty_with_its_letter_and_cancels_it(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811
    viewport: str,
) -> None:
    page = signed_in(open_console(browser, VIEWPORTS[viewport]), console_pemda, console_pemda.keys['opd_admin'],
                     'status')  # fmt: skip
    rows = pane(page).locator('table.data tbody tr')
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text('Dedi Kurniawan')
    expect(rows.first).to_contain_text('851/117/BKPSDM/2026')
    console_shot(page, f'status-list-{viewport}')
    # When a DL is entered without its letter number and with the end before the start, the form says so
    page.get_by_role('button', name='Catat status baru').click()
    form = page.locator('form.status-form')
    form.get_by_label('Pegawai').select_option(console_pemda.employees['Budi'])
    form.get_by_label('Jenis status').select_option('DL')
    today = console_pemda.today.isoformat()
    form.get_by_label('Tanggal mulai').fill(today)
    form.get_by_label('Tanggal selesai').fill('2020-01-01')
    form.get_by_role('button', name='Simpan status').click()
    expect(form.get_by_role('alert')).to_contain_text('Tanggal selesai tidak boleh sebelum tanggal mulai')
    expect(form.get_by_role('alert')).to_contain_text('DL memerlukan nomor surat tugas')
    console_shot(page, f'status-form-invalid-{viewport}', full_page=True)
    # And once it is right, it is recorded and listed
    form.get_by_label('Tanggal selesai').fill(today)
    form.get_by_label('Nomor surat').fill('094/ST/DIKES/2026')
    form.get_by_label('Nama tempat').fill('Kantor Gubernur')
    form.get_by_label('Lintang').fill('-5.1355')
    form.get_by_label('Bujur').fill('119.4120')
    form.get_by_role('button', name='Simpan status').click()
    expect(form).to_have_count(0)
    budi = rows.filter(has_text='Budi Santoso')
    expect(budi).to_contain_text('094/ST/DIKES/2026')
    expect(budi).to_contain_text('Kantor Gubernur')
    # And cancelled with a reason
    budi.get_by_role('button', name='Batalkan').click()
    page.locator('dialog').get_by_label('Alasan pembatalan').fill('Perjalanan dinas ditunda')
    page.locator('dialog').get_by_role('button', name='Batalkan status').click()
    expect(rows.filter(has_text='Budi Santoso')).to_have_count(0)
    settle(page)
    cancelled = console_pemda.call('GET', f'/v1/employees/{console_pemda.employees["Budi"]}/statuses').body['items']
    assert [(s['code'], s.get('cancel_reason')) for s in cancelled] == [('DL', 'Perjalanan dinas ditunda')]


def test_status_shows_the_apis_refusal_of_an_overlap(browser: Browser, console_pemda: ConsolePemda) -> None:  # noqa: F811
    page = signed_in(open_console(browser), console_pemda, console_pemda.keys['super'], 'status')
    page.locator('select.opd-select').select_option(OPD_A)
    page.get_by_role('button', name='Catat status baru').click()
    form = page.locator('form.status-form')
    form.get_by_label('Pegawai').select_option(console_pemda.employees['Dedi'])
    form.get_by_label('Jenis status').select_option('IZ')
    form.get_by_role('button', name='Simpan status').click()
    expect(form.get_by_role('alert')).to_contain_text('Pada tanggal itu pegawai sudah memiliki status lain')


def test_status_for_an_auditor_is_read_only_and_empty_months_say_so(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811
) -> None:
    page = signed_in(open_console(browser), console_pemda, console_pemda.keys['auditor'], 'status')
    expect(page.get_by_role('button', name='Catat status baru')).to_have_count(0)
    expect(page.locator('.toolbar')).not_to_contain_text('null')
    expect(pane(page).get_by_role('button', name='Batalkan')).to_have_count(0)
    page.locator('select.opd-select').select_option(OPD_B)
    expect(pane(page)).to_contain_text('Tidak ada status di Dinas Pariwisata')
    console_shot(page, 'status-empty-auditor')


# --- every screen, for the eye -----------------------------------------------------------------------------


@pytest.mark.parametrize('viewport', ['desktop', 'tablet'])
def test_every_screen_renders_for_super_without_script_errors(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811
    viewport: str,
    page_errors: Callable[[Page], list[str]],
) -> None:
    page = open_console(browser, VIEWPORTS[viewport])
    errors = page_errors(page)
    signed_in(page, console_pemda, console_pemda.keys['super'])
    leaks = {}
    for screen in ALL_SCREENS:
        go(page, screen)
        expect(page.locator('#screen-title')).not_to_be_empty()
        page.wait_for_timeout(300)  # photos and secondary requests
        console_shot(page, f'screen-{screen}-{viewport}')
        # No programming value reaches the page as words
        text = pane(page).inner_text()
        leaks[screen] = [word for word in ('null', 'undefined', 'NaN', '[object ') if word in text]
    assert {screen: words for screen, words in leaks.items() if words} == {}
    assert [e for e in errors if 'Failed to load resource' not in e] == [], errors
