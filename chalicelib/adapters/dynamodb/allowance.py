"""Day records, month records and revisions on DynamoDB (table `allowance`, see docs/data-model.md)."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.adapters.dynamodb.allowance_items import AllowanceItem
from chalicelib.domain.errors import Conflict
from chalicelib.domain.tpp.records import DayRecord, MonthRecord, MonthRevision, month_of
from chalicelib.ports import DayChange, DayKey

# Day records of a month are spread over this many GSI partitions (by employee), read one after another
# by the month close: no hot partition at night, and no dependence on which OPD an employee was in.
DAY_SHARDS = 16
KIND_DAY, KIND_MONTH, KIND_REVISION, KIND_SHEET = 'day', 'month', 'revision', 'daysheet'
# A day record stored before sheets has the index sort key '<employee>#<date>': ids start at '-' or later.
LEGACY_INDEX_FROM = '$'
SHEET_WRITE_ATTEMPTS = 8  # a sheet written by another close meanwhile is read again and the change re-applied


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


def sheet_pk(local_date: date) -> str:
    return f'DAYSHEET#{local_date.isoformat()}'


def sheet_sk(shard: int) -> str:
    return f'S{shard:02d}'


def sheet_index_sk(local_date: date) -> str:
    # '#' sorts before every employee id ([A-Za-z0-9_-]): a shard's sheets come first in its index partition.
    return f'#{local_date.isoformat()}'


def months_index_pk(month: str, revision: int) -> str:
    return f'MONTHS#{month}#R{revision:03d}'


def months_index_sk(opd_id: str, employee_id: str) -> str:
    return f'{opd_id}#{employee_id}'


def _day_item(employee_id: str, local_date: date, body: str) -> AllowanceItem:
    # No by-month keys: the month close reads the day sheets; the index keeps only records written before them.
    return AllowanceItem(pk=employee_pk(employee_id), sk=day_sk(local_date), kind=KIND_DAY, body=body)


@dataclass
class _Sheet:
    """One day sheet: the stored day records of one date and employee shard, by employee, as canonical JSON."""

    local_date: date
    shard: int
    version: int = 0  # 0: not stored yet
    lines: dict[str, str] = field(default_factory=dict)

    def item(self) -> AllowanceItem:
        packed = '\n'.join(f'{e}\t{self.lines[e]}' for e in sorted(self.lines)).encode()
        day = self.local_date.isoformat()
        return AllowanceItem(
            pk=sheet_pk(self.local_date), sk=sheet_sk(self.shard), kind=KIND_SHEET,
            month_pk=days_index_pk(month_of(self.local_date), self.shard), month_sk=sheet_index_sk(self.local_date),
            body=json.dumps({'day': day, 'shard': self.shard, 'records': len(self.lines)}),
            packed=zlib.compress(packed), version=self.version + 1,
        )  # fmt: skip


def _sheet(item: AllowanceItem) -> _Sheet:
    summary = json.loads(item.body)
    text = zlib.decompress(item.packed).decode() if item.packed else ''
    lines = dict(line.split('\t', 1) for line in text.split('\n') if line)
    return _Sheet(date.fromisoformat(summary['day']), summary['shard'], int(item.version or 0), lines)


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


def _apply(sheet: _Sheet, bodies: Mapping[str, str], gone: Sequence[str]) -> _Sheet:
    """Write the change to the sheet, conditional on the version read; the sheet as stored after it."""
    for _ in range(SHEET_WRITE_ATTEMPTS):
        lines = {e: b for e, b in sheet.lines.items() if e not in gone} | dict(bodies)
        if lines == sheet.lines:
            return sheet
        draft = _Sheet(sheet.local_date, sheet.shard, sheet.version, lines)
        condition = AllowanceItem.pk.does_not_exist() if sheet.version == 0 else AllowanceItem.version == sheet.version
        try:
            draft.item().save(condition=condition)
            return _Sheet(draft.local_date, draft.shard, draft.version + 1, lines)
        except PutError as exc:
            if exc.cause_response_code != 'ConditionalCheckFailedException':
                raise
        try:
            sheet = _sheet(AllowanceItem.get(sheet_pk(sheet.local_date), sheet_sk(sheet.shard), consistent_read=True))
        except DoesNotExist:
            sheet = _Sheet(sheet.local_date, sheet.shard)
    raise Conflict(f'the day sheet {sheet.shard} of {sheet.local_date} keeps changing under this close')


class DynamoAllowanceRecords:
    """Each day record is stored twice: as its own item (``EMP#`` / ``DAY#``, for one employee's days) and in
    its day sheet (date and employee shard, for the closes). The item is written first, the sheet after, so a
    run that stops between the two leaves a sheet that is behind, and the next close of the day writes both."""

    def days(self, keys: Sequence[DayKey]) -> dict[DayKey, DayRecord]:
        wanted = list(dict.fromkeys((employee_pk(e), day_sk(d)) for e, d in keys))
        found = _days(AllowanceItem.batch_get(wanted)) if wanted else []
        return {(r.employee_id, r.local_date): r for r in found}

    def replace_day(
        self, local_date: date, employee_ids: Collection[str], records: Sequence[DayRecord], *, keep: bool = False
    ) -> DayChange:
        sheets = self._sheets(local_date)
        stored = {e: body for sheet in sheets.values() for e, body in sheet.lines.items()}
        new = {r.employee_id: r.model_dump_json() for r in records}
        changed = {e: body for e, body in new.items() if stored.get(e) != body}
        stale = sorted(e for e in set(employee_ids) if e in stored and e not in new)
        left = self._write(local_date, sheets, changed, stale)
        if not keep:
            return DayChange(written=sorted(changed), removed=stale)
        # The date's records as its sheets now hold them: the records just given where the stored line is theirs
        # (no parse), any other line (another OPD's, a former employee's, a concurrent close's) parsed.
        given = {r.employee_id: r for r in records}
        held = [
            given[e] if e in given and new[e] == body else DayRecord.model_validate_json(body)
            for sheet in left.values()
            for e, body in sheet.lines.items()
        ]
        return DayChange(written=sorted(changed), removed=stale, stored=sorted(held, key=lambda r: r.employee_id))

    def put_days(self, records: Sequence[DayRecord]) -> None:
        by_date: dict[date, dict[str, str]] = defaultdict(dict)
        for record in records:
            by_date[record.local_date][record.employee_id] = record.model_dump_json()
        for local_date, bodies in sorted(by_date.items()):
            self._write(local_date, self._sheets(local_date), bodies, [])

    def remove_days(self, keys: Sequence[DayKey]) -> None:
        by_date: dict[date, set[str]] = defaultdict(set)
        for employee_id, local_date in keys:
            by_date[local_date].add(employee_id)
        for local_date, employee_ids in sorted(by_date.items()):
            self._write(local_date, self._sheets(local_date), {}, sorted(employee_ids))

    def days_in_month(self, month: str, held: Sequence[DayRecord] | None = None) -> list[DayRecord]:
        # A shard's index partition holds its day sheets, and any day record written before sheets existed (a
        # record since rewritten has no index keys now, so one found there and in no sheet is one of those).
        # With ``held`` (the sheets' records as this job's day close left them), only those older records are
        # read: their sort keys start with the employee id, after every sheet's '#<date>'.
        records: dict[DayKey, DayRecord] = {(r.employee_id, r.local_date): r for r in held or ()}
        legacy: list[AllowanceItem] = []
        for shard in range(DAY_SHARDS):
            after_sheets = AllowanceItem.month_sk >= LEGACY_INDEX_FROM if held is not None else None
            for item in AllowanceItem.by_month.query(days_index_pk(month, shard), after_sheets):
                if item.kind != KIND_SHEET:
                    legacy.append(item)
                    continue
                sheet = _sheet(item)
                for employee_id, body in sheet.lines.items():
                    records[(employee_id, sheet.local_date)] = DayRecord.model_validate_json(body)
        for record in _days(legacy):
            records.setdefault((record.employee_id, record.local_date), record)
        return [records[key] for key in sorted(records)]

    def days_of(self, dates: Sequence[date], employee_ids: Collection[str]) -> dict[DayKey, DayRecord]:
        # The day sheets of these dates and of the shards these employees fall in, fetched by key (a month of 16
        # shards is 5 batch-gets), each line kept only for a wanted employee before it is parsed. Where a date
        # has no sheet of an employee's shard (closed before sheets existed, or nobody of the shard owed it), the
        # employee's own item is read instead (one batch-get of those keys).
        wanted = {e: day_shard(e) for e in employee_ids}
        days = sorted(set(dates))
        keys = [(sheet_pk(d), sheet_sk(s)) for d in days for s in sorted(set(wanted.values()))]
        records: dict[DayKey, DayRecord] = {}
        sheeted: set[tuple[date, int]] = set()
        for sheet in (_sheet(i) for i in (AllowanceItem.batch_get(keys) if keys else [])):
            sheeted.add((sheet.local_date, sheet.shard))
            for employee_id, body in sheet.lines.items():
                if employee_id in wanted:
                    records[(employee_id, sheet.local_date)] = DayRecord.model_validate_json(body)
        unsheeted = [(e, d) for d in days for e, shard in sorted(wanted.items()) if (d, shard) not in sheeted]
        if unsheeted:
            records.update(self.days(unsheeted))
        return records

    def _sheets(self, local_date: date) -> dict[int, _Sheet]:
        # By key (one batch-get of the 16), read consistently: a close right after another of the same date
        # (a re-close marker) compares against what that close wrote, not an older copy.
        keys = [(sheet_pk(local_date), sheet_sk(shard)) for shard in range(DAY_SHARDS)]
        found = {s.shard: s for s in (_sheet(i) for i in AllowanceItem.batch_get(keys, consistent_read=True))}
        return {shard: found.get(shard) or _Sheet(local_date, shard) for shard in range(DAY_SHARDS)}

    def _write(
        self, local_date: date, sheets: Mapping[int, _Sheet], changed: Mapping[str, str], removed: Sequence[str]
    ) -> dict[int, _Sheet]:
        """The day items first, then each touched sheet, conditional on the version read; the sheets as left."""
        if not changed and not removed:
            return dict(sheets)
        with AllowanceItem.batch_write() as batch:
            for employee_id, body in changed.items():
                batch.save(_day_item(employee_id, local_date, body))
            for employee_id in removed:
                batch.delete(AllowanceItem(pk=employee_pk(employee_id), sk=day_sk(local_date)))
        touched: dict[int, tuple[dict[str, str], list[str]]] = defaultdict(lambda: ({}, []))
        for employee_id, body in changed.items():
            touched[day_shard(employee_id)][0][employee_id] = body
        for employee_id in removed:
            touched[day_shard(employee_id)][1].append(employee_id)
        left = dict(sheets)
        for shard, (bodies, gone) in sorted(touched.items()):
            left[shard] = _apply(sheets[shard], bodies, gone)
        return left

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
