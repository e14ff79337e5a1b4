"""GET /v1/mobile/today: the employee's day so far on the phone (the "Hari ini" card and the Pulang confirmation).

A WITA office (Asia/Makassar) on the default five-day week: Monday 12 January 2026 is 07:30-16:00, 1 January a
holiday. The clock is fixed through the Mobile the route reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.services import my_day
from chalicelib.wiring import get_mobile, use_face_engine
from tests.device import Phone
from tests.face_fakes import FakeFaceEngine
from tests.integration.builders import employee_body, opd_body, phone_punch
from tests.integration.test_me_month import _activate
from tests.support import Harness

ZONE = 'Asia/Makassar'
CARD = my_day.my_day
PATH = '/v1/mobile/today'


@dataclass
class World:
    hx: Harness
    ani: str
    phone: Phone
    monkeypatch: pytest.MonkeyPatch

    def at(self, utc: datetime) -> None:
        # Only the card reads the fixed clock: the device signature is checked against the real one
        fixed = replace(get_mobile(), deps=replace(get_mobile().deps, clock=lambda: utc))
        self.monkeypatch.setattr(my_day, 'my_day', lambda _mobile, profiles, caller: CARD(fixed, profiles, caller))

    def today(self) -> dict[str, Any]:
        reply = self.hx.call('GET', PATH, headers=self.phone.sign('GET', PATH))
        assert reply.status == 200, reply.body
        return dict(reply.body)


@pytest.fixture
def world(hx: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    use_face_engine(FakeFaceEngine())
    key = hx.super_key
    assert hx.call('POST', '/v1/opds', key, opd_body('DIKES', zone=ZONE)).status == 201
    holiday = {'day': '2026-01-01', 'name': 'Tahun Baru', 'kind': 'national'}
    assert hx.call('POST', '/v1/holidays', key, holiday).status == 201
    ani = hx.call('POST', '/v1/employees', key, employee_body('DIKES', 1)).body
    yield World(hx, ani['employee_id'], _activate(hx, ani), monkeypatch)
    use_face_engine(None)


def test_before_check_in_the_card_counts_the_minutes_late_so_far_in_the_offices_zone(world: World) -> None:
    # 09:05 WITA (01:05 UTC) on Monday 12 January, nothing punched yet
    world.at(datetime(2026, 1, 12, 1, 5, tzinfo=UTC))
    day = world.today()
    assert (day['date'], day['now'], day['zone'], day['zone_name']) == (
        '2026-01-12', '2026-01-12T09:05:00', ZONE, 'WITA',
    )  # fmt: skip
    assert (day['shift']['start'], day['shift']['end']) == ('2026-01-12T07:30', '2026-01-12T16:00')
    assert (day['check_in'], day['check_out'], day['late_so_far'], day['leave_now']) == (None, None, 95, None)
    assert day['holiday'] is None and day['status'] is None


def test_after_check_in_the_card_shows_the_arrival_and_what_leaving_now_costs(world: World) -> None:
    DynamoPunchLedger().record([phone_punch(world.ani, 'DIKES', date(2026, 1, 12), '07:50', ZONE)])
    # 14:00 WITA: two hours before the end of the shift
    world.at(datetime(2026, 1, 12, 6, 0, tzinfo=UTC))
    day = world.today()
    assert (day['check_in'], day['check_out'], day['minutes_late'], day['late_so_far']) == (
        '2026-01-12T07:50:00', None, 20, None,
    )  # fmt: skip
    leave = day['leave_now']
    assert leave['minutes_early'] == 120
    assert leave['code'].startswith('PSW') and leave['deduction_text'].endswith('%')
    # After 16:00 leaving costs nothing
    world.at(datetime(2026, 1, 12, 8, 5, tzinfo=UTC))
    assert world.today()['leave_now'] is None


def test_a_holiday_owes_no_shift(world: World) -> None:
    world.at(datetime(2026, 1, 1, 2, 0, tzinfo=UTC))
    day = world.today()
    assert (day['shift'], day['late_so_far']) == (None, None)
    assert day['holiday'] == {'name': 'Tahun Baru', 'kind': 'national'}


def test_the_route_is_signed_by_the_device(world: World) -> None:
    assert world.hx.call('GET', PATH).status == 401
    assert world.hx.call('GET', PATH, world.hx.super_key).status == 401
