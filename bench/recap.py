"""The OPD recap (GET /v1/opds/{opd}/recap) on moto (in-process): a 12-person OPD against a 265-person one.

One pemda of BENCH_RECAP_EMPLOYEES employees (default 2,000) with January 2026 closed (revision 1): a
12-person kecamatan, a 265-person dinas and the rest in OPDs of 200. For each of the two OPDs, in the same
run: the recap as served (``services.allowance.opd_recap``: the OPD's key range of the by-month index) and
the recap as it was before (every month record of the revision, then filtered by OPD), each with the items
DynamoDB read (ScannedCount, summed over the queries) and the median of BENCH_RECAP_RUNS timings.

moto evaluates a key condition by scanning the index's partition in memory, so the time saved on moto is
the reading, paging and parsing of the other OPDs' records, not DynamoDB's own read cost; the items read are
what DynamoDB bills and what grows with the pemda, so they are the figure to watch.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / 'results'
EMPLOYEES = int(os.environ.get('BENCH_RECAP_EMPLOYEES', '2000'))
RUNS = int(os.environ.get('BENCH_RECAP_RUNS', '5'))
MONTH = '2026-01'
SMALL, LARGE = ('KEC-KECIL', 12), ('DINAS-BESAR', 265)
OTHER_OPD_SIZE = 200


def _env() -> None:
    os.environ.update({'HADIR_STAGE': 'bench', 'AWS_ACCESS_KEY_ID': 'bench', 'AWS_SECRET_ACCESS_KEY': 'bench',
                       'AWS_DEFAULT_REGION': 'ap-southeast-3', 'POWERTOOLS_TRACE_DISABLED': '1',
                       'POWERTOOLS_METRICS_DISABLED': '1', 'POWERTOOLS_LOG_LEVEL': 'ERROR'})  # fmt: skip


def _nip(n: int) -> str:
    return f'19850101201001{1 + n % 2}{n % 1000:03d}'


def _opd_sizes() -> dict[str, int]:
    sizes = dict([SMALL, LARGE])
    rest, n = EMPLOYEES - sum(sizes.values()), 0
    while rest > 0:
        sizes[f'OPD-{n:03d}'] = min(OTHER_OPD_SIZE, rest)
        rest -= OTHER_OPD_SIZE
        n += 1
    return sizes


def main() -> dict[str, Any]:
    _env()
    from moto import mock_aws

    with mock_aws():
        result = _run()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / 'recap.json').write_text(json.dumps(result, indent=2) + '\n')
    small, large = result['opds'][SMALL[0]], result['opds'][LARGE[0]]
    print(
        f'recap: pemda of {result["employees"]} ({result["opd_count"]} OPDs), January closed; '
        f'{SMALL[1]}-person OPD {small["recap_ms"]} ms reading {small["items_read"]} items vs '
        f'{LARGE[1]}-person OPD {large["recap_ms"]} ms reading {large["items_read"]} items '
        f'(before: {small["before_ms"]} ms and {large["before_ms"]} ms, '
        f'each reading {large["before_items_read"]} items)'
    )
    return result


def _run() -> dict[str, Any]:
    from chalicelib.adapters.dynamodb.allowance_items import AllowanceItem
    from chalicelib.adapters.dynamodb.tables import ensure_tables
    from chalicelib.domain.models import Opd, Principal, Role
    from chalicelib.ports import Create
    from chalicelib.services import allowance
    from chalicelib.services.common import opd_record
    from chalicelib.wiring import get_books, get_deps

    ensure_tables()
    deps, books = get_deps(), get_books()
    sizes = _opd_sizes()
    opds = [Opd(opd_id=o, name=f'Dinas {o}', kind='dinas', zone='Asia/Jakarta') for o in sizes]
    deps.store.commit([Create(opd_record(o), 'taken') for o in opds], None)
    _close_january(books, sizes)

    read: list[int] = []

    def count(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == 'Query' and parsed.get('ScannedCount') is not None:
            read.append(int(parsed['ScannedCount']))

    AllowanceItem._get_connection().connection.client.meta.events.register('after-call.dynamodb.Query', count)
    principal = Principal(key_id='bench', role=Role.SUPER)
    figures: dict[str, Any] = {}
    for opd_id, size in (SMALL, LARGE):

        def served(o: str = opd_id) -> int:
            return len(allowance.opd_recap(deps, books, principal, o, MONTH)['items'])

        def before(o: str = opd_id) -> int:
            [head] = books.records.revisions(MONTH)
            return len([r for r in books.records.month_records(MONTH, head.revision) if r.opd_id == o])

        recap_ms, recap_read = _timed(served, read, size)
        before_ms, before_read = _timed(before, read, size)
        figures[opd_id] = {'employees': size, 'recap_ms': recap_ms, 'items_read': recap_read,
                           'before_ms': before_ms, 'before_items_read': before_read}  # fmt: skip
    small, large = figures[SMALL[0]], figures[LARGE[0]]
    return {
        'benchmark': 'recap',
        'employees': EMPLOYEES,
        'opd_count': len(sizes),
        'month': MONTH,
        'runs': RUNS,
        'opds': figures,
        'large_to_small_time_ratio': round(large['recap_ms'] / small['recap_ms'], 2),
        'before_large_to_small_time_ratio': round(large['before_ms'] / small['before_ms'], 2),
        'small_items_read_before_to_now': round(small['before_items_read'] / small['items_read'], 1),
    }


def _timed(call: Callable[[], int], read: list[int], expected: int) -> tuple[float, int]:
    """Median milliseconds of RUNS calls, and the items DynamoDB read in one call (the revision head included)."""
    seconds = []
    for _ in range(RUNS):
        read.clear()
        started = time.perf_counter()
        assert call() == expected
        seconds.append(time.perf_counter() - started)
    return round(statistics.median(seconds) * 1000, 1), sum(read)


def _close_january(books: Any, sizes: dict[str, int]) -> None:
    """January's month records written as the month close writes them (a template record per employee)."""
    from chalicelib.domain.models import EmployeeType
    from chalicelib.domain.tpp.defaults import default_profile
    from chalicelib.domain.tpp.month import MonthFlags, compute_month
    from chalicelib.domain.tpp.records import MonthRecord, MonthRevision, records_digest

    class Payee:
        employee_type = EmployeeType.PNS
        tpp_ceiling = 4_000_000

    result = compute_month(Payee(), [], Decimal(100), MonthFlags(), default_profile())
    records, n = [], 0
    for opd_id, size in sizes.items():
        for _ in range(size):
            n += 1
            records.append(
                MonthRecord(month=MONTH, employee_id=f'emp-{n:05d}', opd_id=opd_id, nip=_nip(n), kelas=7,
                            employee_type=EmployeeType.PNS, name=f'Pegawai {n}', jabatan='Analis', result=result)
            )  # fmt: skip
    head = MonthRevision(month=MONTH, revision=1, digest=records_digest(records), employees=len(records),
                         created_at=datetime.combine(date(2026, 2, 3), datetime.min.time(), tzinfo=UTC))  # fmt: skip
    books.records.claim_revision(head)
    books.records.put_month_records(MONTH, 1, records)
    books.records.save_revision(head.model_copy(update={'complete': True}))


if __name__ == '__main__':
    main()
