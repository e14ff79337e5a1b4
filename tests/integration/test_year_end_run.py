"""A TK run across New Year through the day and month closes, on moto: exactly one consecutive alert.

December 2026 and January 2027 on the 5-day template (no holidays recorded). Ani is absent (no punch at all)
from 21 December to 5 January: 9 working days in December (21–25, 28–31) and 3 in January (1, 4, 5), a run of
12. Neither month alone reaches the consecutive band (10).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.services import allowance
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import employee_body, opd_body, phone_punch
from tests.support import Harness

ZONE = 'Asia/Jakarta'
FIRST, LAST = date(2026, 12, 1), date(2027, 1, 31)
ABSENT_FROM, ABSENT_TO = date(2026, 12, 21), date(2027, 1, 5)


def _close(month: str) -> dict[str, Any]:
    first = date(int(month[:4]), int(month[5:]), 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    allowance.close_days(get_deps(), get_books(), first, last)
    return allowance.close_month(get_deps(), get_books(), month)


def _alerts(hx: Harness, year: str) -> dict[str, dict[str, Any]]:
    reply = hx.call('GET', f'/v1/discipline/alerts?year={year}', hx.super_key)
    assert reply.status == 200, reply.body
    return {a['band']: a for a in reply.body['items']}


def test_a_tk_run_across_new_year_raises_exactly_one_consecutive_alert(hx: Harness) -> None:
    key = hx.super_key
    pemda = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': ZONE, 'province': 'Jawa Tengah'}
    assert hx.call('PUT', '/v1/pemda', key, pemda).status == 200
    assert hx.call('POST', '/v1/opds', key, opd_body('DISDUK', zone=ZONE)).status == 201
    ani = hx.call('POST', '/v1/employees', key, employee_body('DISDUK', 1)).body['employee_id']
    punches = []
    day = FIRST
    while day <= LAST:
        if day.weekday() < 5 and not ABSENT_FROM <= day <= ABSENT_TO:
            punches += [phone_punch(ani, 'DISDUK', day, t, ZONE) for t in ('07:20', '16:35')]
        day += timedelta(days=1)
    DynamoPunchLedger().record(punches)
    # When December is closed: 9 TK days in a row, below the consecutive band; 2026's yearly count is 9
    _close('2026-12')
    assert set(_alerts(hx, '2026')) == {'yearly-7'}
    # When January 2027 is closed: the run goes on for 3 days, 9 + 3 = 12 working days in a row
    january = _close('2027-01')
    alerts = _alerts(hx, '2027')
    # Then the consecutive alert is raised once, in 2027, on the run of 12; 2027's yearly count is 3
    assert january['discipline_alerts'] == 2 and set(alerts) == {'consecutive', 'yearly-3'}
    assert (alerts['consecutive']['longest_tk_run'], alerts['consecutive']['reached_month']) == (12, '2027-01')
    assert alerts['yearly-3']['tk_days'] == 3
    # And closing January again raises nothing new; December's alerts are unchanged
    assert _close('2027-01')['discipline_alerts'] == 0
    assert set(_alerts(hx, '2026')) == {'yearly-7'}
