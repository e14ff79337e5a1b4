"""PP 94 discipline alerts raised by the month close, on moto: yearly TK bands across months, ten consecutive TK
working days across a month end, idempotent closes, and a correction that lowers the figures.

January 2026 (1 January a holiday) and February 2026 (no holidays) on the 5-day template. Ani is absent (no
punch at all) on 5, 6 and 7 January and on 10 February; Budi from 26 January to 6 February, ten working days
in a row. Citra is absent on two days only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.domain.models import Punch
from chalicelib.services import allowance
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import audit_length, employee_body, opd_body, phone_punch
from tests.support import Harness, Reply

ZONE = 'Asia/Jakarta'
FIRST, LAST = date(2026, 1, 1), date(2026, 2, 28)
ANI_ABSENT = {date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7), date(2026, 2, 10)}
BUDI_ABSENT = {date(2026, 1, d) for d in range(26, 31)} | {date(2026, 2, d) for d in range(2, 7)}
CITRA_ABSENT = {date(2026, 1, 20), date(2026, 2, 20)}
LISAN, TERTULIS = 'Teguran lisan (PP 94/2021)', 'Teguran tertulis (PP 94/2021)'
TIDAK_PUAS = 'Pernyataan tidak puas secara tertulis (PP 94/2021)'


@dataclass
class Office:
    hx: Harness
    ani: str
    budi: str
    citra: str


def _created(reply: Reply) -> dict[str, Any]:
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _punch(employee_id: str, day: date, hhmm: str) -> Punch:
    return phone_punch(employee_id, 'DISKOMINFO', day, hhmm, ZONE)


@pytest.fixture
def office(hx: Harness) -> Office:
    key = hx.super_key
    pemda = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': ZONE, 'province': 'Jawa Tengah'}
    assert hx.call('PUT', '/v1/pemda', key, pemda).status == 200
    _created(hx.call('POST', '/v1/opds', key, opd_body('DISKOMINFO', zone=ZONE)))
    _created(hx.call('POST', '/v1/opds', key, opd_body('DISPAR', zone=ZONE)))
    _created(hx.call('POST', '/v1/holidays', key, {'day': '2026-01-01', 'name': 'Tahun Baru', 'kind': 'national'}))
    ids = [_created(hx.call('POST', '/v1/employees', key, employee_body('DISKOMINFO', n)))['employee_id']
           for n in (1, 2, 3)]  # fmt: skip
    punches = []
    day = FIRST
    while day <= LAST:
        for employee_id, absent in zip(ids, (ANI_ABSENT, BUDI_ABSENT, CITRA_ABSENT), strict=True):
            if day.weekday() < 5 and day not in absent:
                punches += [_punch(employee_id, day, '07:20'), _punch(employee_id, day, '16:35')]
        day += timedelta(days=1)
    DynamoPunchLedger().record(punches)
    return Office(hx, *ids)


def _close(month: str) -> dict[str, Any]:
    first = date(int(month[:4]), int(month[5:]), 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    allowance.close_days(get_deps(), get_books(), first, last)
    return allowance.close_month(get_deps(), get_books(), month)


def _alerts(hx: Harness, key: str | None = None, query: str = 'year=2026') -> dict[tuple[str, str], dict[str, Any]]:
    reply = hx.call('GET', f'/v1/discipline/alerts?{query}', key or hx.super_key)
    assert reply.status == 200, reply.body
    return {(a['employee_id'], a['band']): a for a in reply.body['items']}


def test_yearly_tk_bands_and_ten_consecutive_days_raise_alerts_once_each(office: Office) -> None:
    hx = office.hx
    # When January is closed: Ani has 3 TK days, Budi 5, Citra 1
    january = _close('2026-01')
    # Then Ani gets the teguran lisan alert and Budi the teguran tertulis one (his count skipped band 3)
    assert january['discipline_alerts'] == 2
    alerts = _alerts(hx)
    assert set(alerts) == {(office.ani, 'yearly-3'), (office.budi, 'yearly-4')}
    ani = alerts[(office.ani, 'yearly-3')]
    assert (ani['sanction'], ani['reached_month'], ani['tk_days'], ani['opd_id']) == (LISAN, '2026-01', 3, 'DISKOMINFO')
    assert ani['reason'] == f'TK 3 hari dalam tahun ini (s.d. 2026-01): rekomendasi pemeriksaan ({LISAN})'
    assert alerts[(office.budi, 'yearly-4')]['sanction'] == TERTULIS
    # When January is closed again, Then nothing new is raised or audited
    audited = audit_length()
    assert _close('2026-01')['discipline_alerts'] == 0
    assert audit_length() == audited and len(_alerts(hx)) == 2

    # When February is closed: Ani reaches 4 TK days; Budi 10, ten working days in a row across the month end
    february = _close('2026-02')
    # Then Ani gets teguran tertulis, Budi the 7-10 band and the consecutive alert; January's alerts stay
    assert february['discipline_alerts'] == 3
    alerts = _alerts(hx)
    assert sorted(alerts) == sorted([
        (office.ani, 'yearly-3'), (office.ani, 'yearly-4'), (office.budi, 'yearly-4'), (office.budi, 'yearly-7'),
        (office.budi, 'consecutive'),
    ])  # fmt: skip
    assert (alerts[(office.ani, 'yearly-4')]['sanction'], alerts[(office.ani, 'yearly-4')]['reached_month']) == (
        TERTULIS, '2026-02',
    )  # fmt: skip
    assert alerts[(office.budi, 'yearly-7')]['sanction'] == TIDAK_PUAS
    consecutive = alerts[(office.budi, 'consecutive')]
    assert (consecutive['longest_tk_run'], consecutive['reached_month']) == (10, '2026-02')
    assert consecutive['sanction'].startswith('TK 10 hari berturut-turut: calon PDHTAPS')
    assert consecutive['reason'].startswith('TK 10 hari kerja berturut-turut: rekomendasi pemeriksaan')
    # And every alert shows the employee's current standing
    assert alerts[(office.ani, 'yearly-3')]['current'] == {
        'year': '2026', 'employee_id': office.ani, 'opd_id': 'DISKOMINFO', 'through_month': '2026-02', 'tk_days': 4,
        'late_days': 0, 'longest_tk_run': 3, 'bands': ['yearly-4'], 'sanction': TERTULIS,
    }  # fmt: skip
    assert (alerts[(office.ani, 'yearly-3')]['still_reached'], alerts[(office.ani, 'yearly-4')]['still_reached']) == (
        False, True,
    )  # fmt: skip
    # When February is closed again, Then nothing new
    assert _close('2026-02')['discipline_alerts'] == 0
    assert len(_alerts(hx)) == 5


def test_a_correction_that_lowers_the_count_keeps_the_alert_and_shows_the_current_band(office: Office) -> None:
    hx = office.hx
    _close('2026-01')
    _close('2026-02')
    # When Budi's 2 February turns out to be a duty trip (DL) and February is closed again
    body = {'code': 'DL', 'first': '2026-02-02', 'last': '2026-02-02', 'reference': '800/12/DL/2026'}
    assert hx.call('POST', f'/v1/employees/{office.budi}/statuses', hx.super_key, body).status == 201
    again = _close('2026-02')
    # Then nothing new is raised, the consecutive alert stays but is no longer reached: 9 TK days, runs of 5 and 4
    assert (again['revision'], again['discipline_alerts']) == (2, 0)
    alerts = _alerts(hx)
    consecutive = alerts[(office.budi, 'consecutive')]
    assert (consecutive['longest_tk_run'], consecutive['still_reached']) == (10, False)
    assert consecutive['current']['tk_days'] == 9 and consecutive['current']['longest_tk_run'] == 5
    assert consecutive['current']['bands'] == ['yearly-7']
    assert alerts[(office.budi, 'yearly-7')]['still_reached'] is True


def test_who_may_read_the_alerts(office: Office) -> None:
    hx = office.hx
    _close('2026-01')
    admin, other_admin = hx.make_key('opd_admin', 'DISKOMINFO'), hx.make_key('opd_admin', 'DISPAR')
    # An OPD's admin and an auditor read them; the admin of another OPD sees none of them
    assert len(_alerts(hx, admin)) == 2
    assert len(_alerts(hx, hx.make_key('auditor'), 'year=2026&opd=DISKOMINFO')) == 2
    assert _alerts(hx, other_admin) == {}
    assert _alerts(hx, query='year=2025') == {}
    refused = {
        'other admin on DISKOMINFO': hx.call('GET', '/v1/discipline/alerts?opd=DISKOMINFO', other_admin),
        'finance': hx.call('GET', '/v1/discipline/alerts', hx.make_key('finance')),
        'no key': hx.call('GET', '/v1/discipline/alerts'),
        'bad year': hx.call('GET', '/v1/discipline/alerts?year=26', hx.super_key),
    }
    assert {k: r.status for k, r in refused.items()} == {
        'other admin on DISKOMINFO': 403, 'finance': 403, 'no key': 401, 'bad year': 422,
    }  # fmt: skip
