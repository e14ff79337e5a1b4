"""Day records on moto: each stored as its own item and in its day sheet (date, employee shard), which the day
close compares against and the month close reads; both stay equal whatever path writes them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from chalicelib.adapters.dynamodb import allowance as adapter
from chalicelib.adapters.dynamodb.allowance_items import AllowanceItem
from chalicelib.domain.tpp.records import DayRecord
from tests.integration.builders import closed_day

MONDAY, TUESDAY = date(2026, 1, 12), date(2026, 1, 13)
STAFF = [f'emp-{n:03d}' for n in range(40)]  # enough to touch most of the 16 shards


@pytest.fixture
def records(aws: None) -> Iterator[adapter.DynamoAllowanceRecords]:
    yield adapter.DynamoAllowanceRecords()


def _items(day: date) -> dict[str, DayRecord]:
    keys = [(adapter.employee_pk(e), adapter.day_sk(day)) for e in STAFF]
    return {i.pk[4:]: DayRecord.model_validate_json(i.body) for i in AllowanceItem.batch_get(keys)}


def _sheets(day: date) -> dict[str, DayRecord]:
    return {
        e: DayRecord.model_validate_json(body)
        for item in AllowanceItem.query(adapter.sheet_pk(day))
        for e, body in adapter._sheet(item).lines.items()
    }


def test_a_day_close_writes_only_what_changed_and_removes_days_no_longer_owed(
    records: adapter.DynamoAllowanceRecords,
) -> None:
    # Given a closed Monday for everyone
    first = records.replace_day(MONDAY, STAFF, [closed_day(e, MONDAY) for e in STAFF])
    assert (len(first.written), first.removed) == (len(STAFF), [])
    # When it is closed again with one employee late and two no longer owing a shift (a holiday of theirs)
    again = [closed_day(e, MONDAY, 15 if e == STAFF[0] else 0) for e in STAFF[3:]] + [closed_day(STAFF[0], MONDAY, 15)]
    change = records.replace_day(MONDAY, STAFF, again)
    # Then only the changed record is written, the two are removed, and items and sheets say the same
    assert (change.written, change.removed) == ([STAFF[0]], [STAFF[1], STAFF[2]])
    assert _items(MONDAY) == _sheets(MONDAY) == {r.employee_id: r for r in again}
    # And a third close with the same records changes nothing
    assert records.replace_day(MONDAY, STAFF, again) == adapter.DayChange(written=[], removed=[])


def test_a_close_of_some_staff_leaves_the_others_days_alone(records: adapter.DynamoAllowanceRecords) -> None:
    # Given Monday closed for everyone
    records.replace_day(MONDAY, STAFF, [closed_day(e, MONDAY) for e in STAFF])
    # When one OPD's close (the first ten employees) owes nobody a shift
    change = records.replace_day(MONDAY, STAFF[:10], [])
    # Then only those ten are removed
    assert change.removed == STAFF[:10]
    assert sorted(_sheets(MONDAY)) == sorted(_items(MONDAY)) == STAFF[10:]


def test_put_and_remove_keep_the_sheets_and_the_month_read_equal_to_the_items(
    records: adapter.DynamoAllowanceRecords,
) -> None:
    # Given records put directly for two days, and one removed
    records.put_days([closed_day(e, d) for e in STAFF for d in (MONDAY, TUESDAY)])
    records.remove_days([(STAFF[5], TUESDAY)])
    # Then the point reads, the sheets and the month read agree
    month = records.days_in_month('2026-01')
    assert len(month) == 2 * len(STAFF) - 1
    assert (STAFF[5], TUESDAY) not in {(r.employee_id, r.local_date) for r in month}
    assert _sheets(TUESDAY) == _items(TUESDAY)
    assert records.days([(STAFF[7], MONDAY)]) == {(STAFF[7], MONDAY): closed_day(STAFF[7], MONDAY)}


def test_the_month_read_includes_day_records_stored_before_sheets_existed(
    records: adapter.DynamoAllowanceRecords,
) -> None:
    # Given a day record stored the old way (its own item in the sharded index, no sheet), and one sheet-era day
    old = closed_day(STAFF[1], MONDAY, 20)
    AllowanceItem(pk=adapter.employee_pk(old.employee_id), sk=adapter.day_sk(MONDAY), kind=adapter.KIND_DAY,
                  month_pk=adapter.days_index_pk('2026-01', adapter.day_shard(old.employee_id)),
                  month_sk=f'{old.employee_id}#{MONDAY.isoformat()}', body=old.model_dump_json()).save()  # fmt: skip
    records.put_days([closed_day(STAFF[2], TUESDAY)])
    # Then the month read finds both
    assert records.days_in_month('2026-01') == [old, closed_day(STAFF[2], TUESDAY)]
    # And once the old day is closed again, its sheet copy is the one read (the item left the index)
    records.replace_day(MONDAY, [STAFF[1]], [closed_day(STAFF[1], MONDAY, 25)])
    assert records.days_in_month('2026-01') == [closed_day(STAFF[1], MONDAY, 25), closed_day(STAFF[2], TUESDAY)]


def test_a_sheet_written_by_another_close_meanwhile_is_read_again_and_merged(
    records: adapter.DynamoAllowanceRecords,
) -> None:
    # Given two closes of Monday that read the sheets before either wrote (another zone's OPD, say)
    shard = adapter.day_shard(STAFF[0])
    neighbour = next(e for e in STAFF[1:] if adapter.day_shard(e) == shard)
    stale_view = records._sheets(MONDAY)
    records.replace_day(MONDAY, [neighbour], [closed_day(neighbour, MONDAY)])
    # When the second writes its employee of the same shard from its stale view
    records._write(MONDAY, stale_view, {STAFF[0]: closed_day(STAFF[0], MONDAY).model_dump_json()}, [])
    # Then the sheet holds both: the conditional write failed, the sheet was read again and the change re-applied
    assert sorted(_sheets(MONDAY)) == sorted([STAFF[0], neighbour])
