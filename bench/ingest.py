"""Machine-log ingest: the pure parser in lines/s, and reconcile of bridge upload files into the ledger
on moto against a raw BatchWriteItem of the same items in the same run (the ratio is what to compare).

    BENCH_PARSE_LINES (default 1,000,000)   BENCH_RECONCILE_PUNCHES (default 200,000)
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / 'results'
SERIAL = 'BENCH0001'
PER_FILE = 5000


def _env() -> None:
    os.environ.update({'HADIR_STAGE': 'bench', 'AWS_ACCESS_KEY_ID': 'bench', 'AWS_SECRET_ACCESS_KEY': 'bench',
                       'AWS_DEFAULT_REGION': 'ap-southeast-3', 'POWERTOOLS_TRACE_DISABLED': '1',
                       'POWERTOOLS_METRICS_DISABLED': '1', 'POWERTOOLS_LOG_LEVEL': 'ERROR'})  # fmt: skip


def _records(count: int) -> list[str]:
    start = datetime(2026, 11, 2, 6, 0, 0)
    lines = []
    for index in range(count):
        moment = start + timedelta(seconds=7 * index)
        pin, time_text = str(1 + index % 900), f'{moment:%Y-%m-%d %H:%M:%S}'
        lines.append(json.dumps({'v': 1, 'kind': 'punch', 'id': f'M#{SERIAL}#{pin}#{moment:%Y-%m-%dT%H:%M:%S}',
                                 'serial': SERIAL, 'pin': pin, 'time': time_text, 'status': index % 2, 'verify': 1,
                                 'workcode': '0', 'source': 'push', 'received_at': '2026-11-24T00:00:00Z',
                                 'raw': f'{pin}\t{time_text}\t{index % 2}\t1\t0\t0\t0'}))  # fmt: skip
    return lines


def bench_parse(count: int) -> dict[str, Any]:
    from chalicelib.domain.machine_logs import PunchLine, parse_line

    lines = _records(min(count, 100_000))
    started = time.perf_counter()
    parsed = 0
    for index in range(count):
        parsed += isinstance(parse_line(index, lines[index % len(lines)]), PunchLine)
    seconds = time.perf_counter() - started
    assert parsed == count
    return {'parse_lines': count, 'parse_lines_per_second': round(count / seconds)}


def bench_reconcile(count: int) -> dict[str, Any]:
    from moto import mock_aws

    with mock_aws():
        import boto3

        from chalicelib import resource_names as names
        from chalicelib.adapters.dynamodb.items import PunchItem
        from chalicelib.adapters.dynamodb.tables import ensure_tables
        from chalicelib.domain.models import Principal, Role
        from chalicelib.services import directory, keys
        from chalicelib.settings import get_settings
        from chalicelib.wiring import get_deps, get_uploads
        from hadir_local.snapshot import ensure_buckets

        ensure_tables()
        ensure_buckets()
        deps = get_deps()
        key_id = keys.bootstrap_super_key(deps, 'bench').split('_')[1]
        admin = Principal(key_id=key_id, role=Role.SUPER)
        directory.create_opd(deps, admin, {'opd_id': 'BENCH', 'name': 'Dinas Bench', 'kind': 'dinas',
                                           'zone': 'Asia/Jakarta'})  # fmt: skip
        directory.create_bridge(deps, admin, {'bridge_id': 'BRG-BENCH', 'name': 'Bridge', 'opd_id': 'BENCH'})
        directory.create_machine(deps, admin, {'serial': SERIAL, 'name': 'Mesin', 'opd_id': 'BENCH',
                                               'protocol': 'push', 'bridge_id': 'BRG-BENCH'})  # fmt: skip
        lines = _records(count)
        s3 = boto3.client('s3', region_name='ap-southeast-3')
        bucket = get_settings().bucket(names.BUCKET_UPLOADS)
        for start in range(0, count, PER_FILE):
            body = gzip.compress(('\n'.join(lines[start : start + PER_FILE]) + '\n').encode(), mtime=0)
            key = f'{names.UPLOADS_PREFIX_BRIDGES}BRG-BENCH/{hashlib.sha256(body).hexdigest()[:32]}.ndjson.gz'
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        from chalicelib.services.ingest import reconcile

        started = time.perf_counter()
        totals = reconcile(deps, get_uploads(), get_settings())
        reconcile_seconds = time.perf_counter() - started
        # The same items written raw, into a fresh table, as the floor any ingest must pay
        stored = list(PunchItem.scan())
        PunchItem.delete_table()
        PunchItem.create_table(billing_mode='PAY_PER_REQUEST', wait=True)
        started = time.perf_counter()
        with PunchItem.batch_write() as batch:
            for item in stored:
                batch.save(item)
        raw_seconds = time.perf_counter() - started
    assert totals['unmapped'] + totals['accepted'] == count, totals
    return {
        'reconcile_punches': count,
        'reconcile_seconds': round(reconcile_seconds, 2),
        'reconcile_punches_per_second': round(count / reconcile_seconds),
        'raw_batch_write_seconds': round(raw_seconds, 2),
        'reconcile_to_raw_write_ratio': round(reconcile_seconds / raw_seconds, 2),
    }


def main() -> dict[str, Any]:
    _env()
    result = {'benchmark': 'ingest',
              **bench_parse(int(os.environ.get('BENCH_PARSE_LINES', '1000000'))),
              **bench_reconcile(int(os.environ.get('BENCH_RECONCILE_PUNCHES', '200000')))}  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / 'ingest.json').write_text(json.dumps(result, indent=2) + '\n')
    print(
        f'ingest: parse {result["parse_lines_per_second"]} lines/s; reconcile {result["reconcile_punches"]} punches '
        f'in {result["reconcile_seconds"]} s = {result["reconcile_to_raw_write_ratio"]}x a raw BatchWriteItem'
    )
    return result


if __name__ == '__main__':
    main()
