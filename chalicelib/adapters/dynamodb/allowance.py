"""Day records, month records and revisions on DynamoDB (table `allowance`, see docs/data-model.md)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date

from pynamodb.exceptions import PutError

from chalicelib.adapters.dynamodb.allowance_items import AllowanceItem
from chalicelib.domain.errors import Conflict
from chalicelib.domain.tpp.records import DayRecord, MonthRecord, MonthRevision, month_of
from chalicelib.ports import DayKey

# Day records of a month are spread over this many GSI partitions (by employee), read one after another
# by the month close: no hot partition at night, and no dependence on which OPD an employee was in.
DAY_SHARDS = 16
KIND_DAY, KIND_MONTH, KIND_REVISION = 'day', 'month', 'revision'


def employee_pk(employee_id: str) -> str:
    return f'EMP#{employee_id}'


def day_sk(local_date: date) -> str:
    return f'DAY#{local_date.isoformat()}'


def month_sk(month: str, revision: int) -> str:
    return f'MONTH#{month}#R{revision:03d}'


def revision_pk(month: str) -> str:
    return f'REV#{month}'


def revision_sk(revision: int) -> str:
    return f'R{revision:03d}'


def day_shard(employee_id: str) -> int:
    return hashlib.sha256(employee_id.encode()).digest()[0] % DAY_SHARDS


def days_index_pk(month: str, shard: int) -> str:
    return f'DAYS#{month}#{shard:02d}'


def months_index_pk(month: str, revision: int) -> str:
    return f'MONTHS#{month}#R{revision:03d}'


def months_index_sk(opd_id: str, employee_id: str) -> str:
    return f'{opd_id}#{employee_id}'


def _day_item(record: DayRecord) -> AllowanceItem:
    return AllowanceItem(
        pk=employee_pk(record.employee_id),
        sk=day_sk(record.local_date),
        kind=KIND_DAY,
        month_pk=days_index_pk(month_of(record.local_date), day_shard(record.employee_id)),
        month_sk=f'{record.employee_id}#{record.local_date.isoformat()}',
        body=record.model_dump_json(),
    )


def _month_item(revision: int, record: MonthRecord) -> AllowanceItem:
    return AllowanceItem(
        pk=employee_pk(record.employee_id),
        sk=month_sk(record.month, revision),
        kind=KIND_MONTH,
        month_pk=months_index_pk(record.month, revision),
        month_sk=months_index_sk(record.opd_id, record.employee_id),
        body=record.model_dump_json(),
    )


def _revision_item(revision: MonthRevision) -> AllowanceItem:
    return AllowanceItem(
        pk=revision_pk(revision.month),
        sk=revision_sk(revision.revision),
        kind=KIND_REVISION,
        body=revision.model_dump_json(),
    )


def _days(items: Iterable[AllowanceItem]) -> list[DayRecord]:
    return [DayRecord.model_validate_json(i.body) for i in items]


class DynamoAllowanceRecords:
    def days(self, keys: Sequence[DayKey]) -> dict[DayKey, DayRecord]:
        wanted = list(dict.fromkeys((employee_pk(e), day_sk(d)) for e, d in keys))
        found = _days(AllowanceItem.batch_get(wanted)) if wanted else []
        return {(r.employee_id, r.local_date): r for r in found}

    def put_days(self, records: Sequence[DayRecord]) -> None:
        with AllowanceItem.batch_write() as batch:
            for record in records:
                batch.save(_day_item(record))

    def remove_days(self, keys: Sequence[DayKey]) -> None:
        with AllowanceItem.batch_write() as batch:
            for employee_id, local_date in keys:
                batch.delete(AllowanceItem(pk=employee_pk(employee_id), sk=day_sk(local_date)))

    def days_in_month(self, month: str) -> list[DayRecord]:
        records: list[DayRecord] = []
        for shard in range(DAY_SHARDS):
            records += _days(AllowanceItem.by_month.query(days_index_pk(month, shard)))
        return records

    def revisions(self, month: str) -> list[MonthRevision]:
        return [MonthRevision.model_validate_json(i.body) for i in AllowanceItem.query(revision_pk(month))]

    def claim_revision(self, revision: MonthRevision) -> None:
        try:
            _revision_item(revision).save(condition=AllowanceItem.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != 'ConditionalCheckFailedException':
                raise
            raise Conflict(f'revision {revision.revision} of {revision.month} is being written by another run') from exc

    def put_month_records(self, month: str, revision: int, records: Sequence[MonthRecord]) -> None:
        with AllowanceItem.batch_write() as batch:
            for record in records:
                batch.save(_month_item(revision, record))

    def month_records(self, month: str, revision: int) -> list[MonthRecord]:
        items = AllowanceItem.by_month.query(months_index_pk(month, revision))
        return [MonthRecord.model_validate_json(i.body) for i in items]

    def opd_month_records(self, month: str, revision: int, opd_id: str) -> list[MonthRecord]:
        # The index's sort key starts with the OPD ("<opd>#<employee>"), so one OPD is a key range: only its
        # items are read. The '#' ends the OPD id (ids are [A-Za-z0-9_-]), so DINKES never reads DINKES-2.
        items = AllowanceItem.by_month.query(
            months_index_pk(month, revision), AllowanceItem.month_sk.startswith(months_index_sk(opd_id, ''))
        )
        return [MonthRecord.model_validate_json(i.body) for i in items]

    def month_record(self, employee_id: str, month: str, revision: int) -> MonthRecord | None:
        item = next(iter(AllowanceItem.batch_get([(employee_pk(employee_id), month_sk(month, revision))])), None)
        return MonthRecord.model_validate_json(item.body) if item is not None else None

    def save_revision(self, revision: MonthRevision) -> None:
        _revision_item(revision).save()
