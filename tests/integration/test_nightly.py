"""The hourly day close on moto: each OPD zone's day is closed once it has ended there, exactly once, with
missed nights caught up and re-close markers honoured once ripe.

One OPD in WIB (UTC+7) and one in WIT (UTC+9); Monday 12 January 2026 is a working day in both.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.domain.models import Punch
from chalicelib.services import nightly, reclose
from chalicelib.services.common import Deps
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import employee_body, opd_body, phone_punch
from tests.support import Harness

WIB, WIT = 'Asia/Jakarta', 'Asia/Jayapura'
MONDAY = date(2026, 1, 12)


def _punch(employee_id: str, opd_id: str, zone: str, day: date, hhmm: str) -> Punch:
    return phone_punch(employee_id, opd_id, day, hhmm, zone)


@pytest.fixture
def staff(hx: Harness) -> dict[str, str]:
    # Given a WIB OPD and a WIT OPD with one PNS each, who punch 07:20 and 16:35 local every weekday
    key = hx.super_key
    pemda = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': WIB, 'province': 'Jawa Tengah'}
    assert hx.call('PUT', '/v1/pemda', key, pemda).status == 200
    ids: dict[str, str] = {}
    punches: list[Punch] = []
    for n, (opd_id, zone) in enumerate((('DISKOMINFO', WIB), ('DINKES-WIT', WIT)), start=1):
        assert hx.call('POST', '/v1/opds', key, opd_body(opd_id, zone=zone)).status == 201
        reply = hx.call('POST', '/v1/employees', key, employee_body(opd_id, n))
        assert reply.status == 201, reply.body
        ids[zone] = reply.body['employee_id']
        for offset in range(5):
            day = MONDAY + timedelta(days=offset)
            punches += [_punch(ids[zone], opd_id, zone, day, hhmm) for hhmm in ('07:20', '16:35')]
    DynamoPunchLedger().record(punches)
    return ids


def _at(utc: datetime) -> Deps:
    return replace(get_deps(), clock=lambda: utc)


def _days(employee_id: str) -> list[str]:
    return sorted(r.day.local_date.isoformat() for r in get_books().records.days_in_month('2026-01')
                  if r.employee_id == employee_id)  # fmt: skip


def _run(utc: datetime) -> dict[str, Any]:
    return nightly.run_nightly(_at(utc), get_books)


def test_each_zone_closes_its_own_day_once_it_has_ended_there(staff: dict[str, str]) -> None:
    # When the job runs at 17:30 UTC on Monday: 00:30 Tuesday in WIB, 02:30 Tuesday in WIT
    first = _run(datetime(2026, 1, 12, 17, 30, tzinfo=UTC))
    # Then WIT closes Monday; WIB, not yet past 01:00, closes only the day before (Sunday: nothing owed)
    assert first['closed'] == {WIT: ['2026-01-12'], WIB: ['2026-01-11']}
    assert (_days(staff[WIT]), _days(staff[WIB])) == (['2026-01-12'], [])
    # When it runs again within the hour, nothing is due
    assert _run(datetime(2026, 1, 12, 17, 45, tzinfo=UTC))['closed'] == {}
    # When it runs at 18:05 UTC (01:05 WIB), WIB closes Monday, and Monday is a present day there
    later = _run(datetime(2026, 1, 12, 18, 5, tzinfo=UTC))
    assert later['closed'] == {WIB: ['2026-01-12']}
    assert (later['owed'], later['written']) == (1, 1)
    [monday] = [r for r in get_books().records.days_in_month('2026-01') if r.employee_id == staff[WIB]]
    assert (monday.day.codes, monday.day.deduction) == (('H',), 0)


def test_missed_nights_are_caught_up_and_never_closed_twice(staff: dict[str, str]) -> None:
    # Given Monday closed in both zones
    _run(datetime(2026, 1, 12, 18, 5, tzinfo=UTC))
    # When the job does not run again until 01:05 WIB on Friday
    report = _run(datetime(2026, 1, 15, 18, 5, tzinfo=UTC))
    # Then Tuesday to Thursday are closed in each zone, oldest first
    missed = ['2026-01-13', '2026-01-14', '2026-01-15']
    assert report['closed'] == {WIB: missed, WIT: missed}
    assert _days(staff[WIB]) == _days(staff[WIT]) == ['2026-01-12', *missed]
    # And an hour later there is nothing left to do
    assert _run(datetime(2026, 1, 15, 19, 5, tzinfo=UTC))['closed'] == {}


def test_a_re_close_marker_waits_for_its_not_before_and_is_then_handled_once(staff: dict[str, str]) -> None:
    # Given Monday closed, then a late punch marks it for a re-close not before 19:00 UTC
    _run(datetime(2026, 1, 12, 18, 5, tzinfo=UTC))
    reclose.mark_for_reclose(get_deps(), {MONDAY}, 'test', not_before=datetime(2026, 1, 12, 19, 0, tzinfo=UTC))

    def run(hour: int) -> list[str]:
        return _run(datetime(2026, 1, 12, hour, 5, tzinfo=UTC))['reclosed_days']

    # Then the 18:05 run leaves it, the 19:05 run closes it again, and the 20:05 run has nothing to do
    assert (run(18), run(19), run(20)) == ([], ['2026-01-12'], [])


def test_a_marker_written_before_the_close_of_its_day_is_answered_by_it(staff: dict[str, str]) -> None:
    # Given a punch of Monday recorded on time at 10:00 UTC, which marks Monday as every upload does
    reclose.mark_for_reclose(_at(datetime(2026, 1, 12, 10, 0, tzinfo=UTC)), {MONDAY}, 'upload on time')
    # When both zones close Monday in the 18:05 run, that close has read the punch: no second close, marker gone
    report = _run(datetime(2026, 1, 12, 18, 5, tzinfo=UTC))
    assert (report['closed'], report['reclosed_days']) == ({WIB: ['2026-01-12'], WIT: ['2026-01-12']}, [])
    assert reclose.pending_recloses(get_deps()) == []
    # And a punch that arrives after the close (18:30) has Monday closed again by the next run
    reclose.mark_for_reclose(_at(datetime(2026, 1, 12, 18, 30, tzinfo=UTC)), {MONDAY}, 'late upload')
    assert _run(datetime(2026, 1, 12, 19, 5, tzinfo=UTC))['reclosed_days'] == ['2026-01-12']
    assert reclose.pending_recloses(get_deps()) == []
