"""Machine-log ingest: the pure parser in lines/s, reconcile of bridge upload files into the ledger on moto
against a raw BatchWriteItem of the same items in the same run (the ratio is what to compare), and one
reconcile run over a bucket holding a long history of reconciled uploads: listing the whole prefix (what every
run did before, and what the daily full run still does) against listing only each bridge's recent keys.

    BENCH_PARSE_LINES (default 1,000,000)   BENCH_PARSE_PLAIN_LINES (default 100,000: the slice the plain parsers read)
    BENCH_RECONCILE_PUNCHES (default 200,000)
    BENCH_HISTORY_UPLOADS (default 20,000)  BENCH_NEW_UPLOADS (default 20, each of 10 punches)
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.calls import counting_calls

RESULTS = Path(__file__).parent / 'results'
SERIAL = 'BENCH0001'
PER_FILE = 5000
PER_NEW_FILE = 10
PINS = 900  # the bench machine's PINs (1..900)
MAPPED_PINS = 850  # PINs mapped to an employee: about 94 % of the punches are mapped, the rest wait unmapped


def _map_pins(deps: Any) -> None:
    """Employees of the bench OPD and the mappings of PINs 1..MAPPED_PINS to them, stored directly."""
    from chalicelib.domain.models import Employee, PinMapping
    from chalicelib.services.common import employee_record, pinmap_record

    records = []
    for pin in range(1, MAPPED_PINS + 1):
        employee = Employee(employee_id=f'emp-{pin:05d}', employee_type='PNS', nip=f'198501012010011{pin:03d}',
                            name=f'Pegawai {pin}', opd_id='BENCH', jabatan='Analis', kelas_jabatan=7,
                            tpp_ceiling=4_000_000)  # fmt: skip
        mapping = PinMapping(serial=SERIAL, pin=str(pin), employee_id=employee.employee_id, valid_from=date(2026, 1, 1))
        records += [employee_record(employee), pinmap_record(mapping, 'BENCH')]
    deps.store.put_many(records)


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


def _attlog_lines(count: int) -> list[str]:
    """ATTLOG lines as a machine sends them, the same punches as _records (PIN, time, status, verify, workcode)."""
    start = datetime(2026, 11, 2, 6, 0, 0)
    return [
        f'{1 + index % 900}\t{start + timedelta(seconds=7 * index):%Y-%m-%d %H:%M:%S}\t{index % 2}\t1\t0\t0\t0'
        for index in range(count)
    ]


def _best_seconds(run: Any, repeats: int = 3) -> float:
    """The fastest of a few runs: the machine is shared, and the slower runs measure the neighbours."""
    best = float('inf')
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def _best_cpu_seconds(runs: dict[str, Any], repeats: int) -> dict[str, float]:
    """Each run's least CPU time of this process over `repeats` rounds, the runs taking turns in every round: on a
    machine shared by many, wall time measures the neighbours as much as the code."""
    best = dict.fromkeys(runs, float('inf'))
    for _ in range(repeats):
        for name, run in runs.items():
            started = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - started)
    return best


def bench_parse(count: int, plain_count: int) -> dict[str, Any]:
    """The bridge parser (an ATTLOG body) and the cloud parser (the same lines in a version 2 upload body) on the
    same lines, each as validated columns and with every column built, beside a bare split loop over the same
    text; the plain reference parsers and the version 1 upload (one JSON record per punch) on a slice of them."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent / 'bridge'))
    from hadir_bridge.parsers import parse_attlog, parse_attlog_batch, parse_attlog_plain

    from chalicelib.domain.machine_logs import UPLOAD_HEADER, parse_line_plain, parse_upload, parse_upload_plain

    lines = _attlog_lines(count)
    body = '\n'.join(lines) + '\n'
    upload = f'{UPLOAD_HEADER}\n@\t{SERIAL}\tpush\n{body}'
    sample = '\n'.join(lines[:plain_count]) + '\n'
    sample_upload = f'{UPLOAD_HEADER}\n@\t{SERIAL}\tpush\n{sample}'
    sample_records = '\n'.join(_records(plain_count)) + '\n'
    # The same punches, read whole, as the plain parsers give them
    bridge, cloud = parse_attlog_batch(SERIAL, body), parse_upload(upload)
    assert len(bridge) == cloud.punch_count == count and all(run.read_whole for run in bridge.runs)
    assert parse_attlog_batch(SERIAL, sample).punches() == parse_attlog_plain(SERIAL, sample)[0]
    from_columns = list(parse_upload(sample_upload).lines())
    assert from_columns == parse_upload_plain(sample_upload)
    from_records = [parse_line_plain(n, line) for n, line in enumerate(sample_records.splitlines(), start=1)]
    assert [(p.serial, p.pin, p.local_time, p.status, p.raw) for p in from_columns] == [
        (p.serial, p.pin, p.local_time, p.status, p.raw) for p in from_records
    ]  # fmt: skip
    del lines, bridge, cloud, from_columns, from_records  # timed runs start from the same heap as the bare loop

    def split_loop() -> None:
        for line in body.split('\n'):
            line.split('\t')

    def every_column(runs: Any) -> None:
        for run in runs:
            run.pins, run.times, run.statuses, run.verifies, run.workcodes, run.raws, run.line_nos  # noqa: B018

    # Each group takes turns with its own bare loop: a run that builds and frees every column leaves the heap
    # warm for the next, and would flatter whichever run follows it.
    parsers = _best_cpu_seconds(
        {
            'bare_split': split_loop,
            'bridge': lambda: parse_attlog_batch(SERIAL, body),
            'cloud': lambda: parse_upload(upload),
        },
        repeats=5,
    )
    columns = _best_cpu_seconds(
        {
            'bare_split': split_loop,
            'bridge_every_column': lambda: every_column(parse_attlog_batch(SERIAL, body).runs),
            'cloud_every_column': lambda: every_column(item.columns for item in parse_upload(upload).items),
        },
        repeats=5,
    )
    sample_split_body = sample

    def sample_split_loop() -> None:
        for line in sample_split_body.split('\n'):
            line.split('\t')

    def sample_json_loop() -> None:
        for line in sample_records.splitlines():
            json.loads(line)

    sampled = _best_cpu_seconds(
        {
            'bare_split': sample_split_loop,
            'bridge_punch_objects': lambda: parse_attlog(SERIAL, sample),
            'bridge_plain': lambda: parse_attlog_plain(SERIAL, sample),
            'cloud_parsed_lines': lambda: list(parse_upload(sample_upload).lines()),
            'cloud_version_1': lambda: parse_upload(sample_records),
            'cloud_version_1_plain': lambda: [
                parse_line_plain(n, line) for n, line in enumerate(sample_records.splitlines(), start=1)
            ],
            'bare_json_loads': sample_json_loop,
        },
        repeats=3,
    )

    def rates(seconds: dict[str, float], lines: int) -> dict[str, Any]:
        return {
            name: {'lines_per_second': round(lines / value), 'to_bare_split': round(value / seconds['bare_split'], 2)}
            for name, value in seconds.items()
        }

    return {
        'lines': count,
        'timing': 'least CPU time of this process in 5 rounds (3 for the slice), each group and a bare split loop '
        'taking turns',
        'bridge': 'parse_attlog_batch: the ATTLOG body read and checked into columns (built on first use)',
        'cloud': 'parse_upload: the same lines in a version 2 upload body, read and checked into columns',
        'every_column': 'the same, then every column built as Python lists (PINs, times, integers, raw lines)',
        **rates(parsers, count),
        **{name: rate for name, rate in rates(columns, count).items() if name != 'bare_split'},
        'slice': {
            'lines': plain_count,
            'bridge_punch_objects': 'parse_attlog: a Punch dataclass per line, built from the columns',
            'cloud_parsed_lines': 'parse_upload(version 2).lines(): a PunchLine (with its datetime) per line',
            'cloud_version_1': 'parse_upload of the version 1 body of the same punches (parse_line per JSON line)',
            **rates(sampled, plain_count),
        },
    }


def bench_reconcile(count: int) -> dict[str, Any]:
    from moto import mock_aws

    with mock_aws():
        import boto3

        from chalicelib import resource_names as names
        from chalicelib.adapters.dynamodb.base import connection
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
        _map_pins(deps)
        lines = _records(count)
        s3 = boto3.client('s3', region_name='ap-southeast-3')
        bucket = get_settings().bucket(names.BUCKET_UPLOADS)
        for start in range(0, count, PER_FILE):
            body = gzip.compress(('\n'.join(lines[start : start + PER_FILE]) + '\n').encode(), mtime=0)
            key = f'{names.UPLOADS_PREFIX_BRIDGES}BRG-BENCH/{hashlib.sha256(body).hexdigest()[:32]}.ndjson.gz'
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        from chalicelib.services.ingest import reconcile

        with counting_calls('dynamodb') as reconcile_calls, _timed() as reconcile_time:
            totals = reconcile(deps, get_uploads(), get_settings())
        # The same items written raw, into a fresh table, as the floor any ingest must pay: through pynamodb's
        # batch_write (the models in hand), and through the low-level client (the attribute maps in hand)
        stored = list(PunchItem.scan())
        PunchItem.delete_table()
        PunchItem.create_table(billing_mode='PAY_PER_REQUEST', wait=True)
        with counting_calls('dynamodb') as raw_calls, _timed() as raw_time:
            with PunchItem.batch_write() as batch:
                for item in stored:
                    batch.save(item)
        client, table = connection().client, PunchItem.Meta.table_name
        requests = [[{'PutRequest': {'Item': i.serialize()}} for i in stored[n : n + 25]] for n in range(0, count, 25)]
        PunchItem.delete_table()
        PunchItem.create_table(billing_mode='PAY_PER_REQUEST', wait=True)
        with counting_calls('dynamodb') as client_calls, _timed() as client_time:
            for request in requests:
                assert not client.batch_write_item(RequestItems={table: request}).get('UnprocessedItems')
    assert totals['unmapped'] + totals['accepted'] == count, totals
    return {
        'reconcile_punches': count,
        'reconcile_mapped': totals['accepted'],
        'reconcile_unmapped': totals['unmapped'],
        'reconcile_dynamodb_calls': dict(sorted(reconcile_calls.items())),
        'raw_batch_write_dynamodb_calls': dict(sorted(raw_calls.items())),
        'raw_client_batch_write_dynamodb_calls': dict(sorted(client_calls.items())),
        'reconcile_seconds': round(reconcile_time['wall'], 2),
        'reconcile_punches_per_second': round(count / reconcile_time['wall']),
        'raw_batch_write_seconds': round(raw_time['wall'], 2),
        'raw_client_batch_write_seconds': round(client_time['wall'], 2),
        'reconcile_to_raw_write_ratio': round(reconcile_time['wall'] / raw_time['wall'], 2),
        'reconcile_to_raw_client_write_ratio': round(reconcile_time['wall'] / client_time['wall'], 2),
        # moto runs in this process: its CPU seconds leave out the time the shared machine's neighbours took
        'reconcile_cpu_seconds': round(reconcile_time['cpu'], 2),
        'raw_batch_write_cpu_seconds': round(raw_time['cpu'], 2),
        'raw_client_batch_write_cpu_seconds': round(client_time['cpu'], 2),
        'reconcile_to_raw_write_cpu_ratio': round(reconcile_time['cpu'] / raw_time['cpu'], 2),
        'reconcile_to_raw_client_write_cpu_ratio': round(reconcile_time['cpu'] / client_time['cpu'], 2),
    }


@contextmanager
def _timed() -> Iterator[dict[str, float]]:
    """Wall-clock and process CPU seconds of the block."""
    spent: dict[str, float] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield spent
    finally:
        spent.update(wall=time.perf_counter() - wall, cpu=time.process_time() - cpu)


def main_reconcile() -> dict[str, Any]:
    """The reconcile row alone (``python -c 'from bench.ingest import main_reconcile; main_reconcile()'``), merged
    into results/ingest.json beside the rows a full run wrote."""
    _env()
    row = bench_reconcile(int(os.environ.get('BENCH_RECONCILE_PUNCHES', '200000')))
    path = RESULTS / 'ingest.json'
    result = json.loads(path.read_text()) if path.exists() else {'benchmark': 'ingest'}
    result = {**{k: v for k, v in result.items() if not k.startswith(('reconcile_', 'raw_'))}, **row}
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + '\n')
    print(
        f'ingest: reconcile {row["reconcile_punches"]} punches ({row["reconcile_unmapped"]} unmapped) in '
        f'{row["reconcile_seconds"]} s = {row["reconcile_to_raw_write_ratio"]}x a raw pynamodb BatchWriteItem, '
        f'{row["reconcile_to_raw_client_write_ratio"]}x a raw client BatchWriteItem (CPU: '
        f'{row["reconcile_to_raw_write_cpu_ratio"]}x, {row["reconcile_to_raw_client_write_cpu_ratio"]}x); calls '
        f'{row["reconcile_dynamodb_calls"]} against {row["raw_batch_write_dynamodb_calls"]}'
    )
    return row


class _CountedUploads:
    """The real uploads store, counting LIST requests, keys listed and the time spent listing."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.requests = self.keys = 0
        self.seconds = 0.0
        inner.client.meta.events.register('before-call.s3.ListObjectsV2', self._count_request)

    def _count_request(self, **_: Any) -> None:
        self.requests += 1

    def reset(self) -> None:
        self.requests = self.keys = 0
        self.seconds = 0.0

    def objects(self, prefix: str, start_after: str | None = None) -> Any:
        started = time.perf_counter()
        found = list(self.inner.objects(prefix, start_after))
        self.seconds += time.perf_counter() - started
        self.keys += len(found)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class _TimedStore:
    """The real directory store, timing the check of listed keys against the ingest ledger."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0

    def get_many(self, kind: str, record_ids: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.inner.get_many(kind, record_ids)
        finally:
            if kind == 'upload':
                self.seconds += time.perf_counter() - started

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def bench_listing(history: int, new: int) -> dict[str, Any]:
    from moto import mock_aws

    with mock_aws():
        import boto3

        from chalicelib import resource_names as names
        from chalicelib.adapters.clients import reset_clients
        from chalicelib.adapters.dynamodb.tables import ensure_tables
        from chalicelib.domain.models import Principal, Role
        from chalicelib.domain.upload_keys import upload_key
        from chalicelib.ports import Record
        from chalicelib.services import directory, keys
        from chalicelib.services.ingest import KIND_UPLOAD, reconcile
        from chalicelib.settings import get_settings
        from chalicelib.wiring import get_deps, get_uploads
        from hadir_local.snapshot import ensure_buckets

        get_deps.cache_clear()
        get_uploads.cache_clear()
        reset_clients()
        ensure_tables()
        ensure_buckets()
        deps = get_deps()
        admin = Principal(key_id=keys.bootstrap_super_key(deps, 'bench').split('_')[1], role=Role.SUPER)
        directory.create_opd(deps, admin, {'opd_id': 'BENCH', 'name': 'Dinas Bench', 'kind': 'dinas',
                                           'zone': 'Asia/Jakarta'})  # fmt: skip
        for bridge in range(10):
            directory.create_bridge(deps, admin, {'bridge_id': f'BRG-{bridge}', 'name': 'Bridge', 'opd_id': 'BENCH'})
        directory.create_machine(deps, admin, {'serial': SERIAL, 'name': 'Mesin', 'opd_id': 'BENCH',
                                               'protocol': 'push', 'bridge_id': 'BRG-0'})  # fmt: skip
        s3 = boto3.client('s3', region_name='ap-southeast-3')
        bucket = get_settings().bucket(names.BUCKET_UPLOADS)
        now = datetime.now(UTC)
        # A year of small uploads from ten bridges, every one already in the ingest ledger
        done = []
        for index in range(history):
            issued = now - timedelta(days=366) + timedelta(seconds=index * (365 * 86400 // history))
            key = upload_key(f'{names.UPLOADS_PREFIX_BRIDGES}BRG-{index % 10}/', f'{index:032x}', issued)
            s3.put_object(Bucket=bucket, Key=key, Body=b'')
            done.append(Record(KIND_UPLOAD, key, {'key': key}))
        deps.store.put_many(done)
        lines = _records(2 * new * PER_NEW_FILE)

        def arrive(batch: int) -> None:
            for index in range(new):
                first = (batch * new + index) * PER_NEW_FILE
                chunk = lines[first : first + PER_NEW_FILE]
                body = gzip.compress(('\n'.join(chunk) + '\n').encode(), mtime=0)
                key = upload_key(f'{names.UPLOADS_PREFIX_BRIDGES}BRG-0/', hashlib.sha256(body).hexdigest()[:32],
                                 datetime.now(UTC))  # fmt: skip
                s3.put_object(Bucket=bucket, Key=key, Body=body)

        uploads = _CountedUploads(get_uploads())
        store = _TimedStore(deps.store)
        deps = dataclasses.replace(deps, store=store)
        reconcile(deps, uploads, get_settings())  # the bucket's first run: a full listing, nothing new
        # The same work in both measured runs, `new` fresh files; only the listing differs
        runs: dict[str, dict[str, Any]] = {}
        for name, full in (('full', True), ('recent', False)):
            arrive(len(runs))
            uploads.reset()
            store.seconds = 0.0
            started = time.perf_counter()
            totals = reconcile(deps, uploads, get_settings(), full=full)
            seconds = time.perf_counter() - started
            assert totals['listing'] == name and totals['uploads'] == new, totals
            finding = uploads.seconds + store.seconds  # what the listing change is about: finding the new files
            runs[name] = {'seconds': round(seconds, 2), 'find_new_files_seconds': round(finding, 2),
                          'listing_seconds': round(uploads.seconds, 2), 'list_requests': uploads.requests,
                          'keys_listed': uploads.keys, 'ledger_checks': totals['listed'],
                          'ledger_check_seconds': round(store.seconds, 2)}  # fmt: skip
    return {
        'listing_history_uploads': history,
        'listing_new_uploads': new,
        'listing_full_run': runs['full'],
        'listing_recent_run': runs['recent'],
        'listing_find_new_files_full_to_recent_ratio': round(
            runs['full']['find_new_files_seconds'] / runs['recent']['find_new_files_seconds'], 1
        ),
        'listing_note': 'both runs ingest the same 20 files; on moto each upload record is a TransactWriteItems whose '
        'cost grows with the table (about 1 s a file at 20,000 items; constant on DynamoDB), so whole-run seconds '
        'hide the difference. moto also scans and sorts the whole bucket for every LIST request where S3 seeks its '
        'index, so listing seconds on moto overstate a StartAfter listing; LIST requests, keys listed and ledger '
        'checks are what S3 and DynamoDB bill and wait on',
    }


def _parse_summary(parse: dict[str, Any]) -> str:
    def rate(name: str) -> str:
        return f'{parse[name]["lines_per_second"]:,} lines/s = {parse[name]["to_bare_split"]}x'

    return (
        f'parse {parse["lines"]:,} lines (bare split loop {parse["bare_split"]["lines_per_second"]:,} lines/s): '
        f'bridge {rate("bridge")}, cloud (version 2 body) {rate("cloud")}; every column built: bridge '
        f'{rate("bridge_every_column")}, cloud {rate("cloud_every_column")}; cloud version 1 (JSON per punch) '
        f'{parse["slice"]["cloud_version_1"]["lines_per_second"]:,} lines/s'
    )


def main_parse() -> dict[str, Any]:
    """The parse row alone (``python -c 'from bench.ingest import main_parse; main_parse()'``), written under
    ``parse`` in results/ingest.json beside the rows a full run wrote."""
    _env()
    row = bench_parse(int(os.environ.get('BENCH_PARSE_LINES', '1000000')),
                      int(os.environ.get('BENCH_PARSE_PLAIN_LINES', '100000')))  # fmt: skip
    path = RESULTS / 'ingest.json'
    result = json.loads(path.read_text()) if path.exists() else {'benchmark': 'ingest'}
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps({**result, 'parse': row}, indent=2) + '\n')
    print(f'ingest: {_parse_summary(row)}')
    return row


def main() -> dict[str, Any]:
    _env()
    parse_lines = int(os.environ.get('BENCH_PARSE_LINES', '1000000'))
    plain_lines = min(parse_lines, int(os.environ.get('BENCH_PARSE_PLAIN_LINES', '100000')))
    result = {'benchmark': 'ingest',
              'parse': bench_parse(parse_lines, plain_lines),
              **bench_reconcile(int(os.environ.get('BENCH_RECONCILE_PUNCHES', '200000'))),
              **bench_listing(int(os.environ.get('BENCH_HISTORY_UPLOADS', '20000')),
                              int(os.environ.get('BENCH_NEW_UPLOADS', '20')))}  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / 'ingest.json').write_text(json.dumps(result, indent=2) + '\n')
    full, recent = result['listing_full_run'], result['listing_recent_run']
    calls, raw = (sum(result[k].values()) for k in ('reconcile_dynamodb_calls', 'raw_batch_write_dynamodb_calls'))
    print(
        f'ingest: {_parse_summary(result["parse"])}; reconcile {result["reconcile_punches"]} punches '
        f'({result["reconcile_unmapped"]} unmapped) in {result["reconcile_seconds"]} s = '
        f'{result["reconcile_to_raw_write_ratio"]}x a raw BatchWriteItem ({calls} DynamoDB calls against {raw}); '
        f'finding the new files among {result["listing_history_uploads"]} reconciled uploads: full listing '
        f'{full["find_new_files_seconds"]} s ({full["list_requests"]} LIST requests, '
        f'{full["keys_listed"]} keys checked), '
        f'recent keys only {recent["find_new_files_seconds"]} s ({recent["list_requests"]} requests, '
        f'{recent["keys_listed"]} keys)'
    )
    return result


if __name__ == '__main__':
    main()
