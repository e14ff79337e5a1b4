"""The console's Mesin, Rekap bulanan, Keuangan, Aturan & jadwal and Audit screens in a real Chromium, at a desktop
(1366x768) and a tablet (768x1024): each renders the seeded data, says so in words when there is none, and shows an
API error as a message; the finance key sees only Keuangan and downloads a file. Screenshots go to
tests/browser/artifacts/console-<screen>-<state>-<viewport>.png."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.console_support import (  # noqa: F401 - console_pemda is a fixture
    OPD_A,
    VIEWPORTS,
    ZONE,
    ConsolePemda,
    console_pemda,
    console_shot,
    go,
    nav_entries,
    open_console,
    signed_in,
)
from tests.integration.builders import bridge_body, machine_body, phone_punch

SERIAL, OTHER_SERIAL = 'AEWD2023', 'BKPS0001'
SCREENS = ('mesin', 'rekap', 'keuangan', 'aturan', 'audit')


def _ok(reply: Any) -> Any:
    assert reply.status in (200, 201, 202), reply.body
    return reply.body


def instant(minutes: int) -> str:
    """An ISO UTC instant `minutes` from now (negative: ago), as a bridge reports it."""
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat().replace('+00:00', 'Z')


def last_month(today: date) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime('%Y-%m')


def seed_screens(pemda: ConsolePemda) -> dict[str, Any]:
    """What the five screens show beyond the shared seed: a bridge with two machines (one online with a skewed
    clock, one offline), yesterday's machine summary, a proposed outage, an unmapped PIN, last month closed day by day
    and as a month (with its finance files), a regional holiday and a draft rule profile."""
    from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
    from chalicelib.events import jobs
    from chalicelib.ports import Record
    from chalicelib.services.ingest import KIND_UNMAPPED
    from chalicelib.wiring import get_deps

    today = pemda.today
    yesterday = today - timedelta(days=1)
    bridge = _ok(pemda.call('POST', '/v1/bridges', body=bridge_body('BRG-DIKES', OPD_A)))
    _ok(pemda.call('POST', '/v1/machines', body=machine_body(SERIAL, OPD_A, name='Mesin lobi', bridge_id='BRG-DIKES')))
    _ok(pemda.call('POST', '/v1/machines', body=machine_body(OTHER_SERIAL, OPD_A, name='Mesin lantai 2',
                                                             bridge_id='BRG-DIKES')))  # fmt: skip
    status = [
        {'serial': SERIAL, 'last_contact': instant(-2), 'clock_skew_seconds': 134, 'attlog_count': 5120,
         'last_punch_time': f'{today.isoformat()}T07:41:10', 'firmware': 'Ver 6.60',
         'day_counts': [{'date': yesterday.isoformat(), 'punches': 6, 'unsent': 0, 'machine': 7}]},
        {'serial': OTHER_SERIAL, 'last_contact': instant(-60 * 26), 'clock_skew_seconds': -4},
    ]  # fmt: skip
    _ok(pemda.hx.call('POST', '/v1/bridge/heartbeat', bridge['token'], {'machines': status}))
    jobs.run_machine_summary(date=yesterday.isoformat())
    _ok(pemda.call('POST', '/v1/outages', body={'opd_id': OPD_A, 'day': yesterday.isoformat(),
                                                 'reason': 'Listrik kantor padam sejak pagi'}))  # fmt: skip
    waiting = [Record(KIND_UNMAPPED, f'p-{n}', {'punch_id': f'p-{n}', 'serial': SERIAL, 'pin': '17',
                                                'local_date': (yesterday - timedelta(days=n)).isoformat()},
                      list_key=f'{SERIAL}#17#{(yesterday - timedelta(days=n)).isoformat()}#p-{n}')
               for n in range(3)]  # fmt: skip
    get_deps().store.put_many(waiting)

    # Last month: Ani on time, Budi late most days, Citra leaving early on Fridays; Dedi on duty (DL) two days.
    month = last_month(today)
    first = date.fromisoformat(f'{month}-01')
    days = [first + timedelta(days=n) for n in range(31) if (first + timedelta(days=n)).strftime('%Y-%m') == month]
    punches = []
    ids = pemda.employees
    for day in days[:-3]:
        punches += [
            phone_punch(ids['Ani'], OPD_A, day, '07:25', ZONE),
            phone_punch(ids['Ani'], OPD_A, day, '16:05', ZONE),
        ]
        late = '08:10' if day.day % 3 else '07:29'
        punches += [
            phone_punch(ids['Budi'], OPD_A, day, late, ZONE),
            phone_punch(ids['Budi'], OPD_A, day, '16:10', ZONE),
        ]
        leave = '15:20' if day.weekday() == 4 else '16:02'
        punches += [
            phone_punch(ids['Citra'], OPD_A, day, '07:15', ZONE),
            phone_punch(ids['Citra'], OPD_A, day, leave, ZONE),
        ]
    DynamoPunchLedger().record(punches)
    duty = {'code': 'DL', 'first': days[3].isoformat(), 'last': days[4].isoformat(), 'reference': '094/ST/BKPSDM/2026',
            'location': {'kind': 'circle', 'name': 'Kantor Gubernur', 'center': {'lat': -5.13, 'lon': 119.41},
                         'radius_m': 200}}  # fmt: skip
    _ok(pemda.call('POST', f'/v1/employees/{ids["Dedi"]}/statuses', body=duty))
    for day in days:
        jobs.run_close_day(date=day.isoformat())
    jobs.run_close_month(date=month)
    jobs.run_export_tpp(date=month)

    _ok(pemda.call('POST', '/v1/holidays', body={'day': f'{today.year}-08-17', 'name': 'Hari Kemerdekaan RI',
                                                  'kind': 'national'}))  # fmt: skip
    _ok(pemda.call('POST', '/v1/holidays', body={'day': f'{today.year}-04-19', 'name': 'Hari jadi kabupaten',
                                                  'kind': 'regional'}))  # fmt: skip
    draft = _ok(pemda.call('POST', '/v1/profiles', body={'from_template': 'hadir-default-asn'}))
    rules = {**draft['rules'], 'legal_basis': 'Peraturan Wali Kota Makassar Nomor 12 Tahun 2026, pasal 5'}
    _ok(pemda.call('PUT', f'/v1/profiles/{draft["profile_id"]}/versions/{draft["version"]}', body=rules))
    return {'month': month, 'profile_id': draft['profile_id']}


def wait_ready(page: Page) -> None:
    """The screen and every part of it have left their loading state."""
    page.wait_for_function("() => { const p = document.querySelector('#screen .screen-pane');"
                           " return p && p.children.length && !p.querySelector('.state-loading'); }")  # fmt: skip


def visit(page: Page, screen: str, *path: str) -> None:
    go(page, screen, *path)
    wait_ready(page)


def no_overflow(page: Page) -> None:
    """Nothing makes the page itself scroll sideways (wide tables and the month grid scroll inside their frames)."""
    wide = page.evaluate('() => document.documentElement.scrollWidth - document.documentElement.clientWidth')
    assert wide <= 1, f'the page is {wide}px wider than the window'


@pytest.fixture
def seeded(console_pemda: ConsolePemda) -> tuple[ConsolePemda, dict[str, Any]]:  # noqa: F811 - the fixture
    return console_pemda, seed_screens(console_pemda)


# ---- with data ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('viewport', ['desktop', 'tablet'])
def test_each_screen_shows_the_seeded_data(browser: Browser, seeded: tuple[ConsolePemda, dict[str, Any]],
                                           viewport: str) -> None:  # fmt: skip
    pemda, extra = seeded
    page = signed_in(open_console(browser, VIEWPORTS[viewport]), pemda, pemda.keys['super'])
    errors: list[str] = []
    page.on('pageerror', lambda exc: errors.append(str(exc)))
    page.on('console', lambda msg: errors.append(msg.text) if msg.type in ('error', 'warning') else None)
    pane = page.locator('#screen .screen-pane')

    # Mesin: both machines with their state, the skewed clock, yesterday's counts, the outage and the waiting PIN
    visit(page, 'mesin')
    page.get_by_label('OPD').select_option(OPD_A)
    wait_ready(page)
    expect(pane.get_by_text('Mesin lobi').first).to_be_visible()
    expect(pane.locator('.chip', has_text='Offline').first).to_be_visible()
    expect(pane.get_by_text('cepat 2 menit', exact=True)).to_be_visible()
    expect(pane.get_by_text('Listrik kantor padam sejak pagi')).to_be_visible()
    expect(pane.get_by_role('button', name='Petakan')).to_be_visible()
    no_overflow(page)
    console_shot(page, f'mesin-data-{viewport}', full_page=True)

    # Rekap: last month's grid with codes, the month closed in revision 1, the totals
    visit(page, 'rekap')
    page.get_by_label('Bulan').fill(extra['month'])
    page.get_by_label('Bulan').dispatch_event('change')
    wait_ready(page)
    expect(pane.get_by_text('Ditutup · revisi 1')).to_be_visible()
    grid = pane.locator('table.b-grid')
    expect(grid.get_by_text('Budi Santoso')).to_be_visible()
    expect(grid.locator('button.b-code', has_text='TL').first).to_be_visible()
    grid.locator('button.b-code', has_text='DL').first.click()
    expect(pane.locator('.b-day-detail')).to_contain_text('Dedi Kurniawan')
    expect(pane.get_by_role('button', name='Minta tutup ulang bulan ini')).to_be_visible()
    no_overflow(page)
    console_shot(page, f'rekap-data-{viewport}', full_page=True)

    # Keuangan: revision 1 with a CSV per OPD, the pemda file and the manifest, each with its SHA-256
    visit(page, 'keuangan')
    page.get_by_label('Bulan TPP').fill(extra['month'])
    page.get_by_label('Bulan TPP').dispatch_event('change')
    wait_ready(page)
    expect(pane.get_by_role('heading', name='Revisi 1')).to_be_visible()
    expect(pane.get_by_role('link', name='Unduh DIKES.csv')).to_be_visible()
    expect(pane.get_by_role('link', name='Unduh manifest.json')).to_be_visible()
    expect(pane.locator('.b-hash').first).to_be_visible()
    no_overflow(page)
    console_shot(page, f'keuangan-data-{viewport}', full_page=True)

    # Aturan: the draft profile (super may check and publish it), the week template, the holidays
    visit(page, 'aturan')
    expect(pane.locator('.chip', has_text='Draf')).to_be_visible()
    pane.get_by_role('button', name='Periksa').click()
    expect(pane.locator('.b-form-host [role=alert], .b-form-host .notice').first).to_contain_text('v1 ')
    console_shot(page, f'aturan-profil-{viewport}', full_page=True)
    pane.get_by_role('tab', name='Jadwal kerja').click()
    wait_ready(page)
    expect(pane.get_by_text('Setiap hari').first).to_be_visible()
    console_shot(page, f'aturan-jadwal-{viewport}', full_page=True)
    pane.get_by_role('tab', name='Hari libur').click()
    wait_ready(page)
    expect(pane.get_by_text('Hari Kemerdekaan RI')).to_be_visible()
    no_overflow(page)
    console_shot(page, f'aturan-libur-{viewport}', full_page=True)

    # Audit: the log, a filter by action, an entry's before/after, and the chain check
    visit(page, 'audit')
    expect(pane.locator('table.data tbody tr')).to_have_count(25)  # a page of the newest entries
    pane.get_by_label('Tindakan').select_option('outage.propose')
    expect(pane.locator('table.data tbody tr')).to_have_count(1)
    # Who acted is the key's name (its id in the tooltip and the entry), and the actor filter finds names
    expect(pane.locator('table.data tbody tr').first).to_contain_text('test super')
    pane.get_by_label('Pelaku').fill('inspektorat')
    expect(pane.get_by_text('Tidak ada entri yang cocok dengan saringan.')).to_be_visible()
    pane.get_by_label('Pelaku').fill('TEST SUP')
    expect(pane.locator('table.data tbody tr')).to_have_count(1)
    pane.locator('table.data tbody tr').first.click()
    expect(pane.get_by_text('Listrik kantor padam sejak pagi').first).to_be_visible()
    pane.get_by_role('button', name='Periksa rantai audit').click()
    expect(pane.get_by_text('Rantai utuh')).to_be_visible()
    no_overflow(page)
    console_shot(page, f'audit-data-{viewport}', full_page=True)
    assert errors == []  # no script error, no CSP violation


def test_super_confirms_an_outage_and_an_admin_maps_a_pin(
    browser: Browser, seeded: tuple[ConsolePemda, dict[str, Any]]
) -> None:
    pemda, _ = seeded
    page = signed_in(open_console(browser), pemda, pemda.keys['super'])
    pane = page.locator('#screen .screen-pane')
    visit(page, 'mesin')
    page.get_by_label('OPD').select_option(OPD_A)
    wait_ready(page)
    # When the super admin confirms the proposed outage with a reason
    pane.get_by_role('button', name='Konfirmasi').click()
    page.locator('dialog textarea').fill('Dicek langsung: PLN padam 06.00-11.00')
    page.locator('dialog').get_by_role('button', name='Konfirmasi').click()
    # Then it is confirmed, audited with that reason
    expect(pane.get_by_text('Dicek langsung: PLN padam 06.00-11.00')).to_be_visible()
    expect(pane.locator('tr', has_text='Dicek langsung').locator('.actor-name')).to_have_text('test super')  # by name
    outages = pemda.call('GET', f'/v1/outages?opd={OPD_A}').body['items']
    assert [o['state'] for o in outages] == ['confirmed']

    # When the OPD's admin maps the waiting PIN 17 to Citra
    admin = signed_in(open_console(browser), pemda, pemda.keys['opd_admin'])
    visit(admin, 'mesin')
    admin_pane = admin.locator('#screen .screen-pane')
    expect(admin_pane.get_by_role('button', name='Konfirmasi')).to_have_count(0)  # only super decides outages
    expect(admin_pane.locator('.actor-name', has_text='test super')).to_be_visible()  # who decided, by name
    admin_pane.get_by_role('button', name='Petakan').click()
    admin_pane.get_by_label('Pegawai').select_option(pemda.employees['Citra'])
    admin.evaluate('() => window.scrollTo(0, 0)')  # a full-page shot of a scrolled page repeats the sticky bar
    console_shot(admin, 'mesin-petakan-pin', full_page=True)
    admin_pane.get_by_role('button', name='Simpan pemetaan').click()
    expect(admin.locator('#flash')).to_contain_text('PIN 17 dipetakan')
    pins = pemda.call('GET', f'/v1/machines/{SERIAL}/pins').body['items']
    assert [(p['pin'], p['employee_id']) for p in pins] == [('17', pemda.employees['Citra'])]


def test_super_checks_and_publishes_a_draft_profile(
    browser: Browser, seeded: tuple[ConsolePemda, dict[str, Any]]
) -> None:
    pemda, extra = seeded
    page = signed_in(open_console(browser), pemda, pemda.keys['super'])
    pane = page.locator('#screen .screen-pane')
    visit(page, 'aturan')
    # When the super admin checks the draft, then publishes it with the regulation that set it
    pane.get_by_role('button', name='Periksa').click()
    expect(pane.get_by_text('v1 siap diterbitkan')).to_be_visible()
    pane.get_by_role('button', name='Terbitkan').click()
    page.locator('dialog textarea').fill('Perwal No. 12 Tahun 2026, ditetapkan 2 Januari 2026')
    page.locator('dialog').get_by_role('button', name='Terbitkan').click()
    # Then the version is published, with its approval note on the screen and in the API
    expect(pane.locator('.chip', has_text='Terbit')).to_be_visible()
    expect(pane.get_by_text('Perwal No. 12 Tahun 2026, ditetapkan 2 Januari 2026')).to_be_visible()
    console_shot(page, 'aturan-terbit', full_page=True)
    version = pemda.call('GET', f'/v1/profiles/{extra["profile_id"]}/versions/1').body
    note = 'Perwal No. 12 Tahun 2026, ditetapkan 2 Januari 2026'
    assert (version['state'], version['approval_note']) == ('PUBLISHED', note)
    # An auditor reads the same profiles but is offered neither action
    auditor = signed_in(open_console(browser), pemda, pemda.keys['auditor'])
    visit(auditor, 'aturan')
    expect(auditor.locator('#screen .screen-pane').get_by_role('button', name='Terbitkan')).to_have_count(0)


# ---- empty ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('viewport', ['desktop', 'tablet'])
def test_each_screen_says_when_there_is_nothing(browser: Browser, console_pemda: ConsolePemda,  # noqa: F811
                                                viewport: str) -> None:  # fmt: skip
    page = signed_in(open_console(browser, VIEWPORTS[viewport]), console_pemda, console_pemda.keys['super'])
    errors: list[str] = []
    page.on('pageerror', lambda exc: errors.append(str(exc)))
    page.on('console', lambda msg: errors.append(msg.text) if msg.type in ('error', 'warning') else None)
    pane = page.locator('#screen .screen-pane')
    visit(page, 'mesin')
    expect(pane.get_by_text('Belum ada mesin absensi yang terdaftar')).to_be_visible()
    expect(pane.get_by_text('Tidak ada gangguan mesin yang tercatat.')).to_be_visible()
    console_shot(page, f'mesin-kosong-{viewport}', full_page=True)
    visit(page, 'rekap')
    expect(pane.get_by_text('belum ditutup, jadi belum ada jumlah TPP')).to_be_visible()
    expect(pane.get_by_text('Terbuka (belum ditutup)')).to_be_visible()
    console_shot(page, f'rekap-kosong-{viewport}', full_page=True)
    visit(page, 'keuangan')
    expect(pane.get_by_text('Belum ada berkas TPP untuk')).to_be_visible()
    console_shot(page, f'keuangan-kosong-{viewport}', full_page=True)
    visit(page, 'aturan')
    expect(pane.get_by_text('Pemda belum memiliki profil aturan sendiri.')).to_be_visible()
    pane.get_by_role('tab', name='Hari libur').click()
    wait_ready(page)
    expect(pane.get_by_text('Belum ada hari libur tercatat')).to_be_visible()
    console_shot(page, f'aturan-kosong-{viewport}', full_page=True)
    # An audit log is never empty once a pemda exists: the empty answer is routed
    page.route('**/v1/audit?*', lambda route: route.fulfill(json={'items': [], 'count': 0, 'next_cursor': None}))
    visit(page, 'audit')
    expect(pane.get_by_text('Belum ada entri audit untuk pilihan ini.')).to_be_visible()
    console_shot(page, f'audit-kosong-{viewport}', full_page=True)
    assert [e for e in errors if 'status of 404' not in e] == []  # a month not closed yet is the API's 404


# ---- errors -----------------------------------------------------------------------------------------------------


def _fail(status: int, code: str, message: str) -> Any:
    def answer(route: Route) -> None:
        route.fulfill(status=status, json={'error': {'code': code, 'message': message, 'request_id': 'req-uji-1'}})

    return answer


ERROR_ROUTES = {
    'mesin': '**/v1/machines/health*',
    'rekap': '**/v1/opds/*/days?*',
    'keuangan': '**/v1/exports?*',
    'aturan': '**/v1/profiles',
    'audit': '**/v1/audit?*',
}


@pytest.mark.parametrize('viewport', ['desktop', 'tablet'])
def test_each_screen_shows_an_api_error_in_words(browser: Browser, console_pemda: ConsolePemda,  # noqa: F811
                                                 viewport: str) -> None:  # fmt: skip
    page = signed_in(open_console(browser, VIEWPORTS[viewport]), console_pemda, console_pemda.keys['super'])
    pane = page.locator('#screen .screen-pane')
    for screen, pattern in ERROR_ROUTES.items():
        page.route(pattern, _fail(500, 'internal', 'boom'))
        if screen == 'rekap':
            page.route('**/v1/opds/*/recap?*', _fail(500, 'internal', 'boom'))
        visit(page, screen)
        alert = pane.locator('[role=alert]').first
        expect(alert).to_contain_text('Terjadi kesalahan di server')
        expect(alert).to_contain_text('req-uji-1')
        console_shot(page, f'{screen}-galat-{viewport}')
    # A 403 (an OPD admin's key, another OPD) says so in words
    page.unroute('**/v1/machines/health*')
    page.route('**/v1/machines/health*', _fail(403, 'forbidden', 'this key may only act on OPD DIKES, not DISPAR'))
    visit(page, 'mesin')
    expect(pane.locator('[role=alert]').first).to_contain_text('Anda tidak berhak melihat data ini.')


# ---- finance ----------------------------------------------------------------------------------------------------


def test_finance_sees_only_keuangan_and_downloads_a_file(
    browser: Browser, seeded: tuple[ConsolePemda, dict[str, Any]]
) -> None:
    pemda, extra = seeded
    page = signed_in(open_console(browser), pemda, pemda.keys['finance'])
    assert nav_entries(page) == ['Keuangan']
    visit(page, 'keuangan')
    page.get_by_label('Bulan TPP').fill(extra['month'])
    page.get_by_label('Bulan TPP').dispatch_event('change')
    wait_ready(page)
    link = page.get_by_role('link', name='Unduh DIKES.csv')
    href = link.get_attribute('href') or ''
    assert pemda.keys['finance'] not in href and 'X-Amz-Signature' in href
    with page.expect_download() as download:
        link.click()
    body = download.value.path().read_bytes()
    listing = pemda.call('GET', f'/v1/exports?month={extra["month"]}', 'finance').body
    files = {f['name']: f for f in listing['items'][0]['files']}
    assert hashlib.sha256(body).hexdigest() == files['DIKES.csv']['sha256']
    expect(page.get_by_text(files['DIKES.csv']['sha256'])).to_be_visible()
    console_shot(page, 'keuangan-finance', full_page=True)
    # Another screen is not there for finance, even typed into the address bar
    go(page, 'audit')
    expect(page.locator('#nav a')).to_have_count(1)


# ---- loading ----------------------------------------------------------------------------------------------------

LOADING = {
    'mesin': ('**/v1/machines/health*', 'Memuat kesehatan mesin'),
    'rekap': ('**/v1/opds/*/days?*', 'Memuat rekap'),
    'keuangan': ('**/v1/exports?*', 'Memuat berkas'),
    'aturan': ('**/v1/profiles', 'Memuat profil aturan'),
    'audit': ('**/v1/audit?*', 'Memuat jejak audit'),
}


def _holder(held: list[Route]) -> Any:
    def hold(route: Route) -> None:
        held.append(route)

    return hold


def test_each_screen_says_it_is_loading_while_the_api_answers(browser: Browser, console_pemda: ConsolePemda) -> None:  # noqa: F811
    page = signed_in(open_console(browser, VIEWPORTS['tablet']), console_pemda, console_pemda.keys['super'])
    pane = page.locator('#screen .screen-pane')
    for screen, (pattern, words) in LOADING.items():
        # Given an API that has not answered yet
        held: list[Route] = []
        page.route(pattern, _holder(held))
        go(page, screen)
        # Then the screen says what it is waiting for
        expect(pane.locator('.state-loading').first).to_contain_text(words)
        if screen == 'mesin':
            console_shot(page, 'mesin-memuat-tablet')
        # And when the answer comes, the words go
        page.unroute(pattern)
        for route in held:
            route.fallback()
        wait_ready(page)
        expect(pane.locator('.state-loading')).to_have_count(0)
