"""Day close + month close of one month on moto (in-process), against a raw read of the same punches.

BENCH_EMPLOYEES employees (default 2,000; the issue's province is 20,000), one month (January 2026, 21
working days) of two punches a working day with a deterministic mix of late arrivals, early leaves and
absences, in OPDs of BENCH_SLICE employees (default 1,000). Three figures:

- close: every day of the month through the day close, then the month close in the same job, priced from what
  the day close holds (``allowance.HeldDays``); the month close reading the month again on its own (as the
  scheduled month close does) is timed after it, and must find the same records (no new revision);
- raw read: the same punch queries (per OPD and local date) with nothing evaluated or written, timed before the
  close (the ratio's base) and again after it (``raw_read_after_close_seconds``, the heap then holding the close's
  items too);
- pure: the domain alone (``close_employee_month``) on every employee's punches, in employee-months per second.

Every time is the process's CPU time: moto runs in-process, so all the work is on this process's CPU, and the
other users of a shared machine do not count (wall time there varied by 2x between identical runs).

BENCH_MOTO_TRANSACTIONS: ``shipped`` (default) runs moto as released, which deep-copies every table a
TransactWriteItems touches once per item (the month close's audited alerts then cost what copying the whole
directory and audit tables costs); ``items`` makes each transaction snapshot only the items it names
(``bench.moto_patches``), as DynamoDB's cost would be. The raw read makes no transaction, so only the close moves.

moto answers every query by scanning and sorting the whole table, so one table of a province's month
(840,000 punches, 420,000 day records) would measure moto, not Hadir: about 30 KB of memory per item
(beyond this machine's 24 GB) and hours of sorting. So each OPD is closed in a fresh moto backend of its
own (its slice), and the close and raw-read times are summed over the slices; the ratio of close to raw
read, measured on the same data in the same run, is the figure to watch. The pure figure covers every
employee in one go.
"""

from __future__ import annotations

import gc
import json
import os
import random
import time
from collections import Counter
from contextlib import nullcontext
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.calls import counting_calls
from bench.moto_patches import transactions_snapshot_their_items

RESULTS = Path(__file__).parent / 'results'
EMPLOYEES = int(os.environ.get('BENCH_EMPLOYEES', '2000'))
SLICE = int(os.environ.get('BENCH_SLICE', '1000'))  # employees per OPD, each OPD in a moto backend of its own
TRANSACTIONS = os.environ.get('BENCH_MOTO_TRANSACTIONS', 'shipped')
if TRANSACTIONS not in ('shipped', 'items'):
    raise SystemExit(f'BENCH_MOTO_TRANSACTIONS must be shipped or items, not {TRANSACTIONS!r}')
MONTH = '2026-01'
ZONE = 'Asia/Jakarta'


def _holiday() -> Any:
    from chalicelib.domain.models import Holiday

    return Holiday(day=date(2026, 1, 1), name='Tahun Baru 2026 Masehi', kind='national')


def _env() -> None:
    os.environ.update({'HADIR_STAGE': 'bench', 'AWS_ACCESS_KEY_ID': 'bench', 'AWS_SECRET_ACCESS_KEY': 'bench',
                       'AWS_DEFAULT_REGION': 'ap-southeast-3', 'POWERTOOLS_TRACE_DISABLED': '1',
                       'POWERTOOLS_METRICS_DISABLED': '1', 'POWERTOOLS_LOG_LEVEL': 'ERROR'})  # fmt: skip


def _nip(i: int) -> str:
    day, sequence = divmod(i, 999)
    return f'1985{1 + day // 28:02d}{1 + day % 28:02d}2010011{sequence + 1:03d}'


def _day_punches(rng: random.Random, day: date) -> list[datetime]:
    roll = rng.random()
    if roll < 0.03:
        return []  # absent
    start = datetime.combine(day, datetime.min.time()) + timedelta(hours=7, minutes=rng.randint(0, 25))
    if roll < 0.13:
        start += timedelta(minutes=rng.randint(6, 120))  # late
    end = datetime.combine(day, datetime.min.time()) + timedelta(hours=16, minutes=35 + rng.randint(0, 40))
    if roll > 0.95:
        end -= timedelta(minutes=rng.randint(10, 150))  # early
    return [start, end]


def main() -> dict[str, Any]:
    _env()
    from moto import mock_aws

    from chalicelib.domain.models import Employee

    employees = [
        Employee(employee_id=f'emp-{i:05d}', employee_type='PNS', nip=_nip(i), name=f'Pegawai {i}',
                 opd_id=f'OPD{i // SLICE:03d}', jabatan='Analis', kelas_jabatan=7, tpp_ceiling=4_000_000)
        for i in range(EMPLOYEES)
    ]  # fmt: skip
    slices = [employees[start : start + SLICE] for start in range(0, EMPLOYEES, SLICE)]
    totals: dict[str, float] = {}
    punches: dict[str, list[datetime]] = {}
    phases = ('raw_read', 'day_close', 'month_close', 'month_close_standalone')
    calls: dict[str, Counter[str]] = {phase: Counter() for phase in phases}
    for staff in slices:
        snapshots = transactions_snapshot_their_items() if TRANSACTIONS == 'items' else nullcontext()
        with mock_aws(), snapshots:  # a fresh backend: moto's cost per query grows with the whole table
            figures, local_punches, slice_calls = _run_slice(staff)
        punches.update(local_punches)
        for key, value in figures.items():
            totals[key] = totals.get(key, 0) + value
        for phase, counted in slice_calls.items():
            calls[phase].update(counted)
    return _report(employees, punches, totals, len(slices), calls)


def _run_slice(employees: list[Any]) -> tuple[dict[str, float], dict[str, list[datetime]], dict[str, Counter[str]]]:
    from chalicelib.adapters.dynamodb.items import PunchItem
    from chalicelib.adapters.dynamodb.punches import _to_item
    from chalicelib.adapters.dynamodb.tables import ensure_tables
    from chalicelib.domain.models import Opd, Principal, Punch, PunchSource, Role
    from chalicelib.domain.punch_keys import local_to_utc, phone_punch_id
    from chalicelib.domain.tpp.records import month_bounds
    from chalicelib.ports import Create
    from chalicelib.services import allowance, scores
    from chalicelib.services.common import employee_record, holiday_record, opd_record
    from chalicelib.wiring import get_books, get_deps
    from hadir_local.snapshot import ensure_buckets

    ensure_tables()
    ensure_buckets()
    deps, books = get_deps(), get_books()
    first, last = month_bounds(MONTH)
    opd_ids = sorted({e.opd_id for e in employees})
    opds = [Opd(opd_id=o, name=f'Dinas {o}', kind='dinas', zone=ZONE) for o in opd_ids]
    deps.store.commit(
        [Create(opd_record(o), 'taken') for o in opds] + [Create(holiday_record(_holiday()), 'taken')], None
    )
    for start in range(0, len(employees), 100):
        deps.store.commit([Create(employee_record(e), 'taken') for e in employees[start : start + 100]], None)
    # Everyone's performance score of the month, as e-kinerja would deliver it (without, the part would be 0).
    entries = {'scores': [{'employee_id': e.employee_id, 'score': 100} for e in employees]}
    scores.set_scores(deps, books.records, Principal(key_id='bench', role=Role.SUPER), MONTH, entries, False)

    shifts = _shifts()
    rng = random.Random(f'2026-{opd_ids[0]}')
    local_punches = {e.employee_id: [p for s in shifts for p in _day_punches(rng, s.local_date)] for e in employees}
    count = 0
    with PunchItem.batch_write() as batch:
        for employee in employees:
            for local in local_punches[employee.employee_id]:
                at_utc, local_date = local_to_utc(local, ZONE)
                punch = Punch(punch_id=phone_punch_id(employee.employee_id, local.isoformat()),
                              source=PunchSource.PHONE, employee_id=employee.employee_id, opd_id=employee.opd_id,
                              at_utc=at_utc, local_date=local_date, zone=ZONE, received_at=at_utc)  # fmt: skip
                batch.save(_to_item(punch))
                count += 1

    gc.collect()  # each timed phase starts with moto's heap collected: no phase pays for another's garbage
    with counting_calls('dynamodb') as raw_calls:
        started = time.process_time()
        read = sum(len(deps.ledger.for_opd_date(o, s.local_date)) for s in shifts for o in opd_ids)
        raw_seconds = time.process_time() - started

    held = allowance.HeldDays()
    gc.collect()
    with counting_calls('dynamodb') as day_calls:
        started = time.process_time()
        days = allowance.close_days(deps, books, first, last, held=held)
        day_seconds = time.process_time() - started
    gc.collect()
    with counting_calls('dynamodb') as month_calls:
        started = time.process_time()
        month = allowance.close_month(deps, books, MONTH, held=held)
        month_seconds = time.process_time() - started
    gc.collect()
    with counting_calls('dynamodb') as standalone_calls:
        started = time.process_time()
        again = allowance.close_month(deps, books, MONTH)
        standalone_seconds = time.process_time() - started
    # The same raw read once more, now that the close's records sit in moto's heap too (moto keeps every item in
    # this process): the same queries may cost more there, which is moto's cost, not Hadir's; reported beside.
    gc.collect()
    started = time.process_time()
    again_read = sum(len(deps.ledger.for_opd_date(o, s.local_date)) for s in shifts for o in opd_ids)
    raw_after_seconds = time.process_time() - started
    assert days.punches_read == read == again_read == count, (days.punches_read, read, again_read, count)
    # The month read back on its own gives the records priced from the held days: no new revision.
    assert (again['revision'], again['changed']) == (month['revision'], False), (month, again)
    figures = {'punches': count, 'day_records_written': days.written, 'month_records': month['employees'],
               'raw_read_seconds': raw_seconds, 'day_close_seconds': day_seconds,
               'month_close_seconds': month_seconds, 'month_close_standalone_seconds': standalone_seconds,
               'raw_read_after_close_seconds': raw_after_seconds}  # fmt: skip
    return figures, local_punches, {'raw_read': raw_calls, 'day_close': day_calls, 'month_close': month_calls,
                                    'month_close_standalone': standalone_calls}  # fmt: skip


def _shifts() -> list[Any]:
    from chalicelib.domain.tpp.records import month_bounds
    from chalicelib.domain.tpp.schedule import Calendar, shifts_between
    from chalicelib.services import allowance

    first, last = month_bounds(MONTH)
    return shifts_between(allowance.FIVE_DAY_SCHEDULE, first, last, Calendar.from_holidays([_holiday()]))


def _report(
    employees: list[Any],
    local_punches: dict[str, list[datetime]],
    totals: dict[str, float],
    slices: int,
    calls: dict[str, Counter[str]],
) -> dict[str, Any]:
    from chalicelib.domain.tpp.defaults import default_profile
    from chalicelib.domain.tpp.month import MonthFlags
    from chalicelib.domain.tpp.pipeline import close_employee_month
    from chalicelib.domain.tpp.records import month_bounds
    from chalicelib.domain.tpp.schedule import Calendar
    from chalicelib.services import allowance

    first, last = month_bounds(MONTH)
    calendar, shifts, profile = Calendar.from_holidays([_holiday()]), _shifts(), default_profile()
    started = time.process_time()
    for employee in employees:
        close_employee_month(employee, allowance.FIVE_DAY_SCHEDULE, calendar, first, last,
                             local_punches[employee.employee_id], {}, {}, Decimal(100), MonthFlags(), profile,
                             shifts=shifts)  # fmt: skip
    pure_seconds = time.process_time() - started

    close_seconds = totals['day_close_seconds'] + totals['month_close_seconds']
    result = {
        'benchmark': 'allowance',
        'employees': EMPLOYEES,
        'opds': slices,
        'employees_per_moto_backend': SLICE,
        'month': MONTH,
        'moto_transactions': TRANSACTIONS,
        'seconds': 'CPU time of the process (moto in-process)',
        'working_days': len(shifts),
        'punches': int(totals['punches']),
        'day_records_written': int(totals['day_records_written']),
        'month_records': int(totals['month_records']),
        'day_close_seconds': round(totals['day_close_seconds'], 2),
        'month_close_seconds': round(totals['month_close_seconds'], 2),
        'month_close_standalone_seconds': round(totals['month_close_standalone_seconds'], 2),
        'close_seconds': round(close_seconds, 2),
        'raw_read_seconds': round(totals['raw_read_seconds'], 2),
        'close_to_raw_read_ratio': round(close_seconds / totals['raw_read_seconds'], 2),
        'raw_read_after_close_seconds': round(totals['raw_read_after_close_seconds'], 2),
        'close_to_raw_read_after_close_ratio': round(close_seconds / totals['raw_read_after_close_seconds'], 2),
        'pure_employee_months_per_second': round(EMPLOYEES / pure_seconds, 1),
        'dynamodb_calls': {phase: dict(sorted(counted.items())) for phase, counted in calls.items()},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / 'allowance.json').write_text(json.dumps(result, indent=2) + '\n')
    close_calls = sum(calls['day_close'].values()) + sum(calls['month_close'].values())
    print(
        f'allowance: {EMPLOYEES} employees x {len(shifts)} working days ({result["punches"]} punches, {slices} OPDs, '
        f'each in its own moto backend, transactions {TRANSACTIONS}): day close {result["day_close_seconds"]} s + '
        f'month close {result["month_close_seconds"]} s = {result["close_to_raw_read_ratio"]}x a raw read of the same '
        f'punches ({result["raw_read_seconds"]} s); the month close on its own '
        f'{result["month_close_standalone_seconds"]} s; pure computation {result["pure_employee_months_per_second"]} '
        f'employee-months/s; DynamoDB calls: raw read '
        f'{sum(calls["raw_read"].values())}, close {close_calls}'
    )
    return result


if __name__ == '__main__':
    main()
