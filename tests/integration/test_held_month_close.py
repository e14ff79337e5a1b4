"""A month close run right after the day closes of the month (one job) prices the month from what the day close
holds; it must give exactly the records the month close reading the day sheets on its own gives (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from chalicelib.adapters.dynamodb import allowance as adapter
from chalicelib.adapters.dynamodb.allowance_items import AllowanceItem
from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.services import allowance
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import closed_day, employee_body, opd_body, phone_punch
from tests.support import Harness

WIB = 'Asia/Jakarta'
JANUARY = [date(2026, 1, 1) + timedelta(days=n) for n in range(31)]
MONDAY, TUESDAY = date(2026, 1, 12), date(2026, 1, 13)
STAFF = [f'emp-{n:03d}' for n in range(40)]


@pytest.fixture
def records(aws: None) -> Iterator[adapter.DynamoAllowanceRecords]:
    yield adapter.DynamoAllowanceRecords()


def test_a_kept_change_carries_the_dates_records_as_stored_and_the_held_month_read_adds_only_older_records(
    records: adapter.DynamoAllowanceRecords,
) -> None:
    # Given Monday closed for everyone, and a record stored before day sheets (its own item in the sharded index)
    records.replace_day(MONDAY, STAFF, [closed_day(e, MONDAY) for e in STAFF])
    old = closed_day('emp-old', TUESDAY, 20)
    AllowanceItem(pk=adapter.employee_pk(old.employee_id), sk=adapter.day_sk(TUESDAY), kind=adapter.KIND_DAY,
                  month_pk=adapter.days_index_pk('2026-01', adapter.day_shard(old.employee_id)),
                  month_sk=f'{old.employee_id}#{TUESDAY.isoformat()}', body=old.model_dump_json()).save()  # fmt: skip
    # When a close of the first ten (one late, one no longer owed) keeps what it leaves
    closed = [closed_day(STAFF[0], MONDAY, 15)] + [closed_day(e, MONDAY) for e in STAFF[2:10]]
    change = records.replace_day(MONDAY, STAFF[:10], closed, keep=True)
    # Then the change carries every record of the date as stored now, the other thirty included
    expected = [closed_day(STAFF[0], MONDAY, 15)] + [closed_day(e, MONDAY) for e in STAFF[2:]]
    assert (change.written, change.removed) == ([STAFF[0]], [STAFF[1]])
    assert change.stored == expected
    # And the month read with what is held gives what the month read on its own gives, the older record too
    held = change.stored + records.replace_day(TUESDAY, [], [], keep=True).stored
    assert records.days_in_month('2026-01', held) == records.days_in_month('2026-01')
    assert old in records.days_in_month('2026-01', held)
    # And without keep the change carries nothing more
    assert records.replace_day(MONDAY, STAFF[:10], closed).stored == []


def test_the_month_priced_from_the_held_days_is_the_month_read_back_on_its_own(hx: Harness) -> None:
    # Given three PNS of one OPD punching all January, one absent on the 14th, the month day-closed, and then
    # one of them leaving (their days stay, but they are no longer among the staff a day close reads)
    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DISKOMINFO', zone=WIB)).status == 201
    staff = [hx.call('POST', '/v1/employees', hx.super_key, employee_body('DISKOMINFO', n)).body['employee_id']
             for n in (1, 2, 3)]  # fmt: skip
    worked = [d for d in JANUARY if d.weekday() < 5 and d != date(2026, 1, 1)]
    punches = [
        phone_punch(e, 'DISKOMINFO', d, t, WIB)
        for e in staff
        for d in worked
        if not (e == staff[1] and d == date(2026, 1, 14))
        for t in ('07:20', '16:35')
    ]
    DynamoPunchLedger().record(punches)
    deps, books = get_deps(), get_books()
    allowance.close_days(deps, books, JANUARY[0], JANUARY[-1])
    assert hx.call('DELETE', f'/v1/employees/{staff[2]}', hx.super_key).status == 200
    # When the month is closed again day by day and then priced in the same job from what the day close holds
    held = allowance.HeldDays()
    allowance.close_days(deps, books, JANUARY[0], JANUARY[-1], held=held)
    priced = allowance.close_month(deps, books, '2026-01', held=held)
    # Then the held month has every employee's days, the one who left included, and all three are priced
    month = held.month('2026-01')
    assert month is not None and {r.employee_id for r in month} == set(staff)
    assert (priced['employees'], priced['revision'], priced['changed']) == (3, 1, True)
    # And the month close reading the day sheets and the employees on its own finds the very same records
    again = allowance.close_month(deps, books, '2026-01')
    assert (again['revision'], again['changed'], again['tpp_bruto']) == (1, False, priced['tpp_bruto'])
    # And a job that closed only part of the month holds no month: the month close reads it
    assert allowance.HeldDays(dates={JANUARY[4]: []}).month('2026-01') is None
