"""The console's Pegawai page of one employee, in a real Chromium: the employment history (OPD, type, kelas, pagu,
active, each from its date; an upcoming change marked and explained) and the hukuman disiplin decisions (level,
kind, decree and date, months, cut, corrections and withdrawals), and the forms: BKPSDM (super) records a decision,
a correction and a change; an OPD admin records a change for their own OPD but no decision; an auditor only reads.
Screenshots at 1280 wide and at a 400-wide window: tests/browser/artifacts/console-pegawai-riwayat-*.png."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.browser.console_support import (  # noqa: F401 - console_pemda is a fixture
    OPD_A,
    OPD_B,
    ConsolePemda,
    console_pemda,
    console_shot,
    go,
    open_console,
    settle,
    signed_in,
)

WIDE: dict[str, int] = {'width': 1280, 'height': 900}
NARROW: dict[str, int] = {'width': 400, 'height': 860}


def _ok(reply: Any) -> Any:
    assert reply.status in (200, 201), reply.body
    return reply.body


def _month(day: Any, shift: int = 0) -> str:
    index = day.year * 12 + day.month - 1 + shift
    return f'{index // 12:04d}-{index % 12 + 1:02d}'


def seed_history(pemda: ConsolePemda) -> dict[str, Any]:
    """Ani: promoted 20 days ago (kelas 7 -> 9, pagu 4.000.000 -> 5.500.000), an upcoming transfer to DISPAR in 10
    days; a sedang decision (HDS, 6 months from this month) corrected to 9 months."""
    ani = pemda.employees['Ani']
    today = pemda.today
    promotion = {'effective_from': (today - timedelta(days=20)).isoformat(), 'reason': 'PROMOSI',
                 'kelas_jabatan': 9, 'tpp_ceiling': 5_500_000, 'reference': '821.3/077/BKPSDM/2026'}  # fmt: skip
    _ok(pemda.call('POST', f'/v1/employees/{ani}/changes', body=promotion))
    transfer = {'effective_from': (today + timedelta(days=10)).isoformat(), 'reason': 'MUTASI', 'opd_id': OPD_B,
                'reference': '821.2/201/BKPSDM/2026', 'note': 'Rotasi jabatan fungsional'}  # fmt: skip
    upcoming = _ok(pemda.call('POST', f'/v1/employees/{ani}/changes', body=transfer))
    assert upcoming['upcoming'] is True
    decision = {'kind': 'HDS', 'decree_number': '800.1.6/117/BKPSDM/2026', 'decree_date': today.isoformat(),
                'effective_month': _month(today), 'months': 6}  # fmt: skip
    first = _ok(pemda.call('POST', f'/v1/employees/{ani}/discipline-decisions', body=decision))
    correction = {**decision, 'decree_number': '800.1.6/131/BKPSDM/2026', 'months': 9, 'corrects': first['decision_id'],
                  'note': 'Jangka waktu dikoreksi menjadi 9 bulan'}  # fmt: skip
    corrected = _ok(pemda.call('POST', f'/v1/employees/{ani}/discipline-decisions', body=correction))
    return {'ani': ani, 'transfer': transfer, 'first': first, 'corrected': corrected}


def _history(page: Page) -> Any:
    return page.locator('section.p-history')


def _decisions(page: Page) -> Any:
    return page.locator('section.p-decisions')


def test_super_sees_the_history_and_decisions_and_records_both(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811 - the imported fixture
) -> None:
    pemda = console_pemda
    seeded = seed_history(pemda)
    page = signed_in(open_console(browser, WIDE), pemda, pemda.keys['super'])
    # The search page lists the pemda's upcoming changes first: Ani's transfer, what it changes, its SK
    go(page, 'pegawai')
    upcoming = page.locator('section.p-upcoming-all')
    expect(upcoming.locator('tbody tr')).to_have_count(1)
    expect(upcoming.locator('tbody tr').first).to_contain_text('Ani Lestari')
    expect(upcoming.locator('tbody tr').first).to_contain_text('Mutasi antar-OPD')
    expect(upcoming.locator('tbody tr').first).to_contain_text('OPD Dinas Kesehatan → Dinas Pariwisata')
    expect(upcoming.locator('tbody tr').first).to_contain_text('SK 821.2/201/BKPSDM/2026')
    settle(page)
    console_shot(page, 'pegawai-akan-berlaku-wide')
    upcoming.get_by_role('link', name='Ani Lestari').click()
    settle(page)
    history, decisions = _history(page), _decisions(page)
    # The history: newest first, the upcoming transfer marked and explained, the promotion's before and after
    rows = history.locator('tbody tr')
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_class('p-upcoming')
    expect(rows.nth(0)).to_contain_text('Akan berlaku')
    expect(rows.nth(0)).to_contain_text('Mutasi antar-OPD')
    expect(rows.nth(0)).to_contain_text('SK 821.2/201/BKPSDM/2026')
    expect(rows.nth(0)).to_contain_text('Dinas Pariwisata')
    expect(rows.nth(1)).to_contain_text('Promosi')
    expect(rows.nth(1).locator('.p-diff')).to_have_count(2)  # kelas and pagu changed
    expect(rows.nth(1)).to_contain_text('5.500.000')
    expect(history.locator('.notice')).to_contain_text('akan berlaku pada')
    expect(history.locator('.notice')).to_contain_text('belum berubah')
    # Only the latest change, still upcoming, can be withdrawn
    expect(rows.nth(0).get_by_role('button', name='Batalkan')).to_have_count(1)
    expect(rows.nth(1).get_by_role('button')).to_have_count(0)
    # The directory record above keeps today's OPD until the transfer's day
    expect(page.locator('.facts').first).to_contain_text('Dinas Kesehatan')
    # The decisions: the correction in force (9 months), the corrected one struck through and saying by which SK
    drows = decisions.locator('tbody tr')
    expect(drows).to_have_count(2)
    expect(drows.nth(0)).to_contain_text('800.1.6/131/BKPSDM/2026')
    expect(drows.nth(0)).to_contain_text('9 bulan')
    expect(drows.nth(0)).to_contain_text('25% dari TPP')
    expect(drows.nth(0)).to_contain_text('Berlaku')
    expect(drows.nth(0)).to_contain_text('Mengoreksi SK 800.1.6/117/BKPSDM/2026')
    expect(drows.nth(0)).to_contain_text('Sedang')
    expect(drows.nth(1)).to_have_class('p-struck')
    expect(drows.nth(1)).to_contain_text('Dikoreksi')
    expect(drows.nth(1)).to_contain_text('oleh SK 800.1.6/131/BKPSDM/2026')
    expect(drows.nth(1).get_by_role('button')).to_have_count(0)
    expect(decisions.locator('.notice')).to_contain_text('HDS: potongan 25% dari TPP')
    console_shot(page, 'pegawai-riwayat-wide', full_page=True)

    # When BKPSDM records a teguran tertulis: an empty form is refused in words first
    decisions.get_by_role('button', name='Catat keputusan').click()
    form = decisions.locator('form.p-form')
    form.get_by_role('button', name='Simpan keputusan').click()
    expect(form.locator('.state-error')).to_contain_text('Pilih hukuman.')
    form.get_by_label('Hukuman').select_option('HDR2')
    expect(form.get_by_label('Jangka waktu')).to_be_disabled()
    expect(form.locator('.p-summary')).to_contain_text('tidak memotong TPP')
    form.get_by_label('Nomor SK').fill('800.1.6/140/BKPSDM/2026')
    form.get_by_label('Tanggal SK').fill(pemda.today.isoformat())
    form.get_by_label('Bulan berlaku').fill(_month(pemda.today))
    console_shot(page, 'pegawai-keputusan-form-wide')
    form.get_by_role('button', name='Simpan keputusan').click()
    expect(drows).to_have_count(3)
    expect(drows.nth(0)).to_contain_text('HDR2')
    expect(drows.nth(0)).to_contain_text('Tanpa potongan')
    expect(drows.nth(0)).to_contain_text('Tercatat')
    settle(page)
    listed = _ok(pemda.call('GET', f'/v1/employees/{seeded["ani"]}/discipline-decisions'))
    assert [(d['kind'], d['months'], d['cut_bp'], d['in_force']) for d in listed['items']] == [
        ('HDS', 6, 2500, False), ('HDS', 9, 2500, True), ('HDR2', 0, 0, True),
    ]  # fmt: skip

    # When BKPSDM corrects the teguran tertulis into a pernyataan tidak puas: the form starts from the decision
    drows.filter(has_text='800.1.6/140/BKPSDM/2026').first.get_by_role('button', name='Koreksi').click()
    form = decisions.locator('form.p-form')
    expect(form).to_contain_text('Koreksi menggantikan seluruh isi SK 800.1.6/140/BKPSDM/2026')
    expect(form.get_by_label('Hukuman')).to_have_value('HDR2')
    form.get_by_label('Hukuman').select_option('HDR3')
    form.get_by_label('Nomor SK').fill('800.1.6/141/BKPSDM/2026')
    form.get_by_label('Tanggal SK').fill(pemda.today.isoformat())
    form.get_by_role('button', name='Simpan koreksi').click()
    expect(drows).to_have_count(4)
    expect(drows.nth(0)).to_contain_text('HDR3')
    expect(drows.nth(0)).to_contain_text('Mengoreksi SK 800.1.6/140/BKPSDM/2026')
    expect(drows.filter(has_text='oleh SK 800.1.6/141/BKPSDM/2026')).to_contain_text('Dikoreksi')

    # When BKPSDM withdraws the HDS from the console: the withdrawal is its own row, the HDS is struck
    drows.filter(has_text='800.1.6/131/BKPSDM/2026').first.get_by_role('button', name='Cabut').click()
    form = decisions.locator('form.p-form')
    expect(form).to_contain_text('Mencabut HDS (SK 800.1.6/131/BKPSDM/2026)')
    form.get_by_label('Nomor SK pencabutan').fill('800.1.6/150/BKPSDM/2026')
    form.get_by_label('Tanggal SK').fill(pemda.today.isoformat())
    form.get_by_role('button', name='Cabut keputusan').click()
    expect(drows).to_have_count(5)
    expect(drows.nth(0)).to_contain_text('Pencabutan')
    expect(drows.nth(0)).to_contain_text('Mencabut SK 800.1.6/131/BKPSDM/2026')
    expect(drows.filter(has_text='oleh SK 800.1.6/150/BKPSDM/2026')).to_contain_text('Dicabut')
    expect(decisions.locator('.notice')).to_have_count(0)  # nothing cuts the TPP any more

    # When BKPSDM records Eko's transfer from DISPAR to DIKES, effective today: applied at once
    go(page, 'pegawai', pemda.employees['Eko'])
    settle(page)
    history = _history(page)
    expect(history).to_contain_text('Belum ada perubahan tercatat.')
    history.get_by_role('button', name='Catat perubahan').click()
    form = history.locator('form.p-form')
    form.get_by_role('button', name='Simpan perubahan').click()
    expect(form.locator('.state-error')).to_contain_text('Pilih jenis perubahan.')
    expect(form.locator('.state-error')).to_contain_text('Belum ada yang berubah')
    form.get_by_label('Jenis perubahan').select_option('MUTASI')
    form.get_by_label('Berlaku mulai (TMT)').fill(pemda.today.isoformat())
    form.get_by_label('OPD').select_option(OPD_A)
    form.get_by_label('Nomor SK').fill('821.2/210/BKPSDM/2026')
    console_shot(page, 'pegawai-perubahan-form-wide')
    form.get_by_role('button', name='Simpan perubahan').click()
    expect(_history(page).locator('tbody tr')).to_have_count(1)
    expect(_history(page).locator('tbody tr').first).to_contain_text('Dinas Kesehatan')
    expect(_history(page).locator('tbody tr').first).not_to_contain_text('Akan berlaku')
    expect(page.locator('.facts').first).to_contain_text('Dinas Kesehatan')
    settle(page)
    assert _ok(pemda.call('GET', f'/v1/employees/{pemda.employees["Eko"]}'))['opd_id'] == OPD_A

    # And a change the API refuses (before the latest change) shows the API's field error in the form
    _history(page).get_by_role('button', name='Catat perubahan').click()
    form = _history(page).locator('form.p-form')
    form.get_by_label('Jenis perubahan').select_option('PROMOSI')
    form.get_by_label('Berlaku mulai (TMT)').fill((pemda.today - timedelta(days=3)).isoformat())
    form.get_by_label('Kelas jabatan').fill('8')
    form.get_by_role('button', name='Simpan perubahan').click()
    expect(form.locator('.state-error')).to_contain_text('effective_from')
    expect(form.locator('.state-error')).to_contain_text('record changes in order')


def test_an_opd_admin_records_a_pensiun_ahead_and_reads_decisions(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811 - the imported fixture
) -> None:
    pemda = console_pemda
    seed_history(pemda)
    page = signed_in(open_console(browser, NARROW), pemda, pemda.keys['opd_admin'])
    # Their search page lists who leaves their OPD (Ani's transfer to DISPAR), as cards on a narrow window
    go(page, 'pegawai')
    expect(page.locator('section.p-upcoming-all tbody tr')).to_have_count(1)
    expect(page.locator('section.p-upcoming-all')).to_contain_text('Ani Lestari')
    assert page.evaluate('document.documentElement.scrollWidth') <= NARROW['width']
    settle(page)
    console_shot(page, 'pegawai-akan-berlaku-narrow', full_page=True)
    go(page, 'pegawai', pemda.employees['Budi'])
    settle(page)
    # The header (role, the OPD's name, Keluar) keeps to a 400-wide window: the page never scrolls sideways
    assert page.evaluate('document.documentElement.scrollWidth') <= NARROW['width']
    # The OPD admin sees the decisions section without a form (decisions are BKPSDM's)
    expect(_decisions(page)).to_contain_text('Tidak ada keputusan hukuman disiplin.')
    expect(_decisions(page).get_by_role('button')).to_have_count(0)
    # When they record Budi's pensiun from the 1st of a month ahead: the OPD cannot be changed here
    history = _history(page)
    history.get_by_role('button', name='Catat perubahan').click()
    form = history.locator('form.p-form')
    expect(form.get_by_label('OPD')).to_be_disabled()
    form.get_by_label('Jenis perubahan').select_option('PENSIUN')
    expect(form.get_by_label('Keadaan')).to_have_value('false')
    ahead = (pemda.today.replace(day=1) + timedelta(days=62)).replace(day=1)
    form.get_by_label('Berlaku mulai (TMT)').fill(ahead.isoformat())
    form.get_by_label('Nomor SK').fill('SK BKN 00123/2026')
    console_shot(page, 'pegawai-perubahan-form-narrow', full_page=True)
    form.get_by_role('button', name='Simpan perubahan').click()
    rows = _history(page).locator('tbody tr')
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text('Akan berlaku')
    expect(rows.first).to_contain_text('Pensiun')
    expect(_history(page).locator('.notice')).to_contain_text('akan berlaku pada')
    # And Budi is still active today
    expect(page.locator('.review-head')).to_contain_text('Aktif')
    settle(page)
    assert _ok(pemda.call('GET', f'/v1/employees/{pemda.employees["Budi"]}'))['active'] is True
    console_shot(page, 'pegawai-riwayat-narrow', full_page=True)

    # When the pensiun's decree is withdrawn by BKN: the OPD admin withdraws the change, saying why (an empty reason
    # is refused in words first); it leaves the history and nothing is applied on its day
    rows.first.get_by_role('button', name='Batalkan').click()
    form = _history(page).locator('form.p-form')
    expect(form).to_contain_text('Pensiun yang akan berlaku')
    expect(form).to_contain_text('(SK BKN 00123/2026)')
    form.get_by_role('button', name='Batalkan perubahan').click()
    expect(form.locator('.state-error')).to_contain_text('Isi alasan pembatalan')
    form.get_by_label('Alasan pembatalan').fill('SK pensiun ditarik BKN')
    assert page.evaluate('document.documentElement.scrollWidth') <= NARROW['width']
    console_shot(page, 'pegawai-batalkan-form-narrow', full_page=True)
    form.get_by_role('button', name='Batalkan perubahan').click()
    expect(_history(page)).to_contain_text('Belum ada perubahan tercatat.')
    expect(_history(page).locator('.notice')).to_have_count(0)
    settle(page)
    assert _ok(pemda.call('GET', f'/v1/employees/{pemda.employees["Budi"]}/changes'))['items'] == []
    # And Ani's upcoming transfer out of their OPD is BKPSDM's to withdraw: the OPD admin is not offered it
    go(page, 'pegawai', pemda.employees['Ani'])
    settle(page)
    expect(_history(page).locator('tbody tr').first).to_contain_text('Akan berlaku')
    expect(_history(page).get_by_role('button', name='Batalkan')).to_have_count(0)

    # Ani's page at the narrow width, as the auditor (reads both, records neither)
    auditor = signed_in(open_console(browser, NARROW), pemda, pemda.keys['auditor'])
    go(auditor, 'pegawai', pemda.employees['Ani'])
    settle(auditor)
    expect(_decisions(auditor).locator('tbody tr')).to_have_count(2)
    expect(auditor.get_by_role('button', name='Catat perubahan')).to_have_count(0)
    expect(auditor.get_by_role('button', name='Catat keputusan')).to_have_count(0)
    expect(auditor.get_by_role('button', name='Koreksi')).to_have_count(0)
    expect(auditor.get_by_role('button', name='Batalkan')).to_have_count(0)  # Ani's upcoming transfer stays
    _decisions(auditor).scroll_into_view_if_needed()
    console_shot(auditor, 'pegawai-keputusan-narrow-auditor', full_page=True)


def test_a_tkk_appointed_pppk_from_the_console_needs_the_new_nip(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811 - the imported fixture
) -> None:
    from tests.integration.builders import employee_body

    pemda = console_pemda
    tkk = {
        'name': 'Fajar Nugroho',
        'employee_type': 'TKK',
        'nik': '7371011503850009',
        'kelas_jabatan': 1,
        'jabatan': 'Pengelola Layanan',
        'tpp_ceiling': 2_100_000,
    }
    body = {**employee_body(OPD_B, 9, **tkk), 'nip': None}
    fajar = _ok(pemda.call('POST', '/v1/employees', body=body))['employee_id']
    page = signed_in(open_console(browser, WIDE), pemda, pemda.keys['super'])
    go(page, 'pegawai', fajar)
    settle(page)
    history = _history(page)
    history.get_by_role('button', name='Catat perubahan').click()
    form = history.locator('form.p-form')
    # The NIP field appears only when the type leaves TKK
    expect(form.get_by_label('NIP / NI PPPK baru')).to_be_hidden()
    expect(form.get_by_label('Honorarium (Rp)')).to_have_value('2100000')
    form.get_by_label('Jenis perubahan').select_option('TMT')
    form.get_by_label('Jenis pegawai').select_option('PPPK')
    expect(form.get_by_label('NIP / NI PPPK baru')).to_be_visible()
    form.get_by_label('Berlaku mulai (TMT)').fill(pemda.today.isoformat())
    form.get_by_label('Kelas jabatan').fill('7')
    form.get_by_label('Pagu TPP (Rp)').fill('4200000')
    form.get_by_role('button', name='Simpan perubahan').click()
    expect(form.locator('.state-error')).to_contain_text('Isi NIP / NI PPPK baru: 18 angka.')
    form.get_by_label('NIP / NI PPPK baru').fill('199001012024212001')
    form.get_by_role('button', name='Simpan perubahan').click()
    row = _history(page).locator('tbody tr').first
    expect(row).to_contain_text('NIP baru 199001012024212001')
    expect(row).to_contain_text('TKK / honorer')
    expect(row).to_contain_text('PPPK')
    expect(page.locator('.review-head')).to_contain_text('PPPK')
    settle(page)
    now = _ok(pemda.call('GET', f'/v1/employees/{fajar}'))
    assert (now['employee_type'], now['nip'], now['tpp_ceiling']) == ('PPPK', '199001012024212001', 4_200_000)
