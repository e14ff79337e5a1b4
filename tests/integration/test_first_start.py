"""The first hour of a pemda (and of the local demo): no empty month reaches finance."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chalicelib.services import month_end
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import employee_body, opd_body
from tests.support import Harness

PEMDA = {'name': 'Kabupaten Baru', 'code': 'KAB-BARU', 'zone': 'Asia/Jakarta', 'province': 'Jawa Tengah',
         'tpp_close_day': 2, 'tpp_export_day': 2}  # fmt: skip


def test_the_scheduler_never_closes_a_month_without_a_closed_day(hx: Harness) -> None:
    # Given a pemda with staff but no day closed yet, on 3 February 03:00 WIB (past the close and export days)
    assert hx.call('PUT', '/v1/pemda', hx.super_key, PEMDA).status == 200
    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DISKOMINFO')).status == 201
    assert hx.call('POST', '/v1/employees', hx.super_key, employee_body('DISKOMINFO', 1)).status == 201
    deps = replace(get_deps(), clock=lambda: datetime(2026, 2, 3, 3, 0, tzinfo=UTC) - timedelta(hours=7))
    # When the hourly month-end jobs run
    closed = month_end.scheduled_close(deps, get_books())
    exported = month_end.scheduled_export(deps, get_books())
    # Then January is skipped with the reason, no revision exists, and no file is written
    assert closed['skipped'] == 'no closed day in this month yet: no revision written'
    assert closed['employees'] == 0
    assert get_books().records.revisions('2026-01') == []
    assert exported['skipped'] == 'the month has not been closed'
    listing = hx.call('GET', '/v1/exports?month=2026-01', hx.super_key)
    assert listing.status == 200 and listing.body['items'] == []
