"""Tinjauan's way out for a face in the band below the duplicate threshold (issue 12 item 3), in a real Chromium.

Eko (DISPAR) enrols a face the engine finds 85% like Ani's enrolled one: below the blocking threshold (90), above the
review floor (80), so the enrolment goes through and a `possible_duplicate_face` alert is raised. The console names
it "Mungkin wajah yang sama" with the score, shows both faces, lets only super resolve it as different people
(audited), and an auditor sees it without the button.

Screenshots: tests/browser/artifacts/console-duplicate-band-*.png."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.console_support import (  # noqa: F401 - console_pemda is a fixture
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
from tests.photos import person_b

BAND_SIMILARITY = 85.0
POSSIBLE = '[data-alert][data-kind="possible_duplicate_face"]'


def _enrol_eko_like_ani(pemda: ConsolePemda) -> None:
    pemda.faces.learn(person_b(), 'eko')
    pemda.faces.similarity_overrides[('eko', 'ani')] = BAND_SIMILARITY
    eko = _phone(pemda.hx, pemda.employees['Eko'], pemda.nips['Eko'])
    enrolled = _signed(pemda.hx, eko, '/v1/mobile/face', {'image': _b64(person_b())})
    assert enrolled.status in (200, 201), enrolled.body


def _open_alerts(browser: Browser, pemda: ConsolePemda, role: str, viewport: str = 'desktop') -> Page:
    page = signed_in(open_console(browser, VIEWPORTS[viewport]), pemda, pemda.keys[role], 'tinjauan')
    page.get_by_role('tab', name='Peringatan kecurangan').click()
    expect(page.locator(POSSIBLE)).to_have_count(1)
    page.wait_for_function(
        f"() => [...document.querySelectorAll('{POSSIBLE} img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    return page


@pytest.mark.parametrize('viewport', ['desktop', 'tablet'])
def test_super_resolves_a_possible_duplicate_face_as_different_people(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811 - the imported fixture
    viewport: str,
    page_errors: Callable[[Page], list[str]],
) -> None:
    # Given Eko enrolled with a face 85% like Ani's: enrolled, and a possible_duplicate_face alert raised
    _enrol_eko_like_ani(console_pemda)
    alerts = console_pemda.call('GET', '/v1/alerts').body['items']
    possible = [a for a in alerts if a['kind'] == 'possible_duplicate_face']
    assert [(a['employee_id'], a['other_employee_id'], a['similarity']) for a in possible] == [
        (console_pemda.employees['Eko'], console_pemda.employees['Ani'], BAND_SIMILARITY)
    ]

    # When super opens the fraud alerts
    page = _open_alerts(browser, console_pemda, 'super', viewport)
    errors = page_errors(page)
    card = page.locator(POSSIBLE)

    # Then the alert is labelled with its score, names both employees and shows both faces
    expect(card.get_by_role('heading')).to_have_text('Mungkin wajah yang sama (85%)')
    expect(card).to_contain_text('Eko Prasetyo')
    expect(card).to_contain_text('Ani Lestari')
    expect(card).to_contain_text('di bawah batas blokir')
    expect(card.locator('figcaption')).to_have_text(['Wajah yang baru didaftarkan', 'Wajah terdaftar pegawai lain'])
    assert card.locator('img').evaluate_all('imgs => imgs.map(i => i.naturalWidth > 0)') == [True, True]
    # and the blocked duplicate keeps its own label beside it
    expect(page.locator('[data-alert][data-kind="duplicate_face"] h2')).to_have_text('Wajah ganda')
    # (a full-page shot would paint the tablet's sticky header over the first card: keep the viewport there)
    card.scroll_into_view_if_needed()
    console_shot(page, f'duplicate-band-{viewport}', full_page=viewport == 'desktop')

    # When super resolves it as different people
    card.get_by_role('button', name='Orang berbeda: tutup peringatan').click()
    page.locator('dialog').get_by_label('Alasan').fill('Dua orang berbeda, diperiksa langsung oleh BKPSDM')
    page.locator('dialog').get_by_role('button', name='Tandai orang berbeda').click()

    # Then the card says so, the button is gone, and the API and the audit log agree
    expect(page.locator(POSSIBLE)).to_contain_text('Diselesaikan: orang yang berbeda')
    expect(page.locator(POSSIBLE).get_by_role('button')).to_have_count(0)
    page.locator(POSSIBLE).scroll_into_view_if_needed()
    console_shot(page, f'duplicate-band-{viewport}-resolved', full_page=viewport == 'desktop')
    settle(page)
    alerts = {a['alert_id']: a for a in console_pemda.call('GET', '/v1/alerts').body['items']}
    resolved = alerts[possible[0]['alert_id']]
    assert resolved['resolution'] == 'different_people'
    assert resolved['resolution_reason'] == 'Dua orang berbeda, diperiksa langsung oleh BKPSDM'
    audit = console_pemda.call('GET', '/v1/audit').body['items']
    assert [e['target'] for e in audit if e['action'] == 'alert.resolve'] == [f'alert/{possible[0]["alert_id"]}']
    assert errors == []


def test_an_auditor_sees_the_possible_duplicate_without_the_resolve_button(
    browser: Browser,
    console_pemda: ConsolePemda,  # noqa: F811
) -> None:
    # Given the possible duplicate; When the auditor opens the alerts
    _enrol_eko_like_ani(console_pemda)
    page = _open_alerts(browser, console_pemda, 'auditor')

    # Then it is labelled and shows both faces, but cannot be resolved
    card = page.locator(POSSIBLE)
    expect(card.get_by_role('heading')).to_have_text('Mungkin wajah yang sama (85%)')
    expect(card.get_by_role('button')).to_have_count(0)
    expect(card).to_contain_text('Belum diselesaikan')
