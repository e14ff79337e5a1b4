"""The console (web/admin/) in a real Chromium against the real API on moto: sign-in per role, the menus, the
scope of an OPD admin, sign-out, and the four screens Hari ini, Tinjauan, Pegawai and Status."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.console_support import (  # noqa: F401 - console_pemda is a fixture
    NAV,
    VIEWPORTS,
    ConsolePemda,
    console_pemda,
    console_shot,
    nav_entries,
    open_console,
    signed_in,
)


@pytest.mark.parametrize('viewport', ['desktop', 'tablet'])
def test_each_role_signs_in_and_sees_exactly_its_screens(
    browser: Browser, console_pemda: ConsolePemda, viewport: str
) -> None:
    for role, expected in NAV.items():
        # Given a fresh browser tab, when the role's key is pasted
        page = open_console(browser, VIEWPORTS[viewport])
        signed_in(page, console_pemda, console_pemda.keys[role])
        # Then the menu lists exactly that role's screens
        assert nav_entries(page) == expected
        console_shot(page, f'home-{role}-{viewport}')
        page.context.close()
