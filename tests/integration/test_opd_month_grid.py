"""The OPD month grid reads day records by date (the day sheets), not one key per employee and date: the same
records as the per-employee items, only the wanted employees', and a date closed before sheets existed is read
from the employees' own items."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from chalicelib.adapters.dynamodb import allowance as adapter
from chalicelib.adapters.dynamodb.allowance_items import AllowanceItem
from tests.integration.builders import closed_day

MONDAY, TUESDAY, WEDNESDAY = date(2026, 1, 12), date(2026, 1, 13), date(2026, 1, 14)
MINE = [f'emp-a{n:02d}' for n in range(20)]
OTHERS = [f'emp-b{n:02d}' for n in range(20)]


@pytest.fixture
def records(aws: None) -> Iterator[adapter.DynamoAllowanceRecords]:
    yield adapter.DynamoAllowanceRecords()


def test_days_of_reads_the_dates_sheets_for_the_wanted_employees_only(
    records: adapter.DynamoAllowanceRecords,
) -> None:
    # Given Monday closed for both OPDs' staff, Tuesday for mine only, one of mine changed since
    records.put_days([closed_day(e, MONDAY, n) for n, e in enumerate(MINE + OTHERS)])
    records.replace_day(TUESDAY, MINE, [closed_day(e, TUESDAY) for e in MINE])
    records.put_days([closed_day(MINE[3], MONDAY, 45)])
    # When my staff's days of Monday to Wednesday are read
    found = records.days_of([MONDAY, TUESDAY, WEDNESDAY], MINE)
    # Then they are exactly the records the per-employee read gives, and nobody else's
    keys = [(e, d) for e in MINE for d in (MONDAY, TUESDAY, WEDNESDAY)]
    assert found == records.days(keys)
    assert len(found) == 2 * len(MINE)
    assert found[(MINE[3], MONDAY)].day.minutes_late == 45


def test_a_date_closed_before_day_sheets_is_read_from_the_employees_items(
    records: adapter.DynamoAllowanceRecords,
) -> None:
    # Given Monday's records written as before sheets existed (items only, by-month index keys), Tuesday's as now
    for record in (closed_day(e, MONDAY, 5) for e in MINE[:3]):
        AllowanceItem(pk=adapter.employee_pk(record.employee_id), sk=adapter.day_sk(MONDAY), kind=adapter.KIND_DAY,
                      month_pk=adapter.days_index_pk('2026-01', adapter.day_shard(record.employee_id)),
                      month_sk=f'{record.employee_id}#{MONDAY.isoformat()}',
                      body=record.model_dump_json()).save()  # fmt: skip
    records.put_days([closed_day(e, TUESDAY) for e in MINE[:3]])
    # When the grid's read runs
    found = records.days_of([MONDAY, TUESDAY], MINE)
    # Then both dates are there, as the month close reads them
    assert sorted(found) == sorted((e, d) for e in MINE[:3] for d in (MONDAY, TUESDAY))
    assert {r.day.minutes_late for (_, d), r in found.items() if d == MONDAY} == {5}
    month = {(r.employee_id, r.local_date): r for r in records.days_in_month('2026-01')}
    assert found == month
