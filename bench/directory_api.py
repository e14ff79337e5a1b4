"""Admin API on moto (in-process): audited employee creates and listing, as requests per second.

The ratio that matters is create (a transaction with its audit entry) against a plain single-item
read of the same employees in the same run; absolute numbers depend on the machine.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / 'results'
EMPLOYEES = int(os.environ.get('BENCH_EMPLOYEES', '300'))


def _env() -> None:
    os.environ.update({'HADIR_STAGE': 'bench', 'AWS_ACCESS_KEY_ID': 'bench', 'AWS_SECRET_ACCESS_KEY': 'bench',
                       'AWS_DEFAULT_REGION': 'ap-southeast-3', 'POWERTOOLS_TRACE_DISABLED': '1',
                       'POWERTOOLS_METRICS_DISABLED': '1', 'POWERTOOLS_LOG_LEVEL': 'ERROR'})  # fmt: skip


def _nip(i: int) -> str:
    return f'19850101201001{1 + i % 2}{1 + i:03d}'


def main() -> dict[str, Any]:
    _env()
    from chalice.test import Client
    from moto import mock_aws

    with mock_aws():
        from app import app
        from chalicelib.adapters.dynamodb.tables import ensure_tables
        from chalicelib.services.keys import bootstrap_super_key
        from chalicelib.wiring import get_deps

        ensure_tables()
        key = bootstrap_super_key(get_deps(), 'bench')
        headers = {'X-API-Key': key, 'Content-Type': 'application/json'}
        client = Client(app)
        opd = {'opd_id': 'BENCH', 'name': 'Dinas Bench', 'kind': 'dinas', 'zone': 'Asia/Jakarta'}
        client.http.post('/v1/opds', headers=headers, body=json.dumps(opd))
        ids = []
        started = time.perf_counter()
        for i in range(EMPLOYEES):
            body = {'nip': _nip(i), 'name': f'Pegawai {i}', 'employee_type': 'PNS', 'opd_id': 'BENCH',
                    'jabatan': 'Analis', 'kelas_jabatan': 7, 'tpp_ceiling': 4_000_000}  # fmt: skip
            reply = client.http.post('/v1/employees', headers=headers, body=json.dumps(body))
            assert reply.status_code == 201, reply.body
            ids.append(json.loads(reply.body)['employee_id'])
        create_seconds = time.perf_counter() - started
        started = time.perf_counter()
        for employee_id in ids:
            assert client.http.get(f'/v1/employees/{employee_id}', headers=headers).status_code == 200
        read_seconds = time.perf_counter() - started
        started = time.perf_counter()
        listed = json.loads(client.http.get('/v1/employees?limit=500', headers=headers).body)['count']
        list_seconds = time.perf_counter() - started
    result = {
        'benchmark': 'directory_api',
        'employees': EMPLOYEES,
        'create_per_second': round(EMPLOYEES / create_seconds, 1),
        'read_per_second': round(EMPLOYEES / read_seconds, 1),
        'create_to_read_cost_ratio': round(create_seconds / read_seconds, 2),
        'list_500_seconds': round(list_seconds, 3),
        'listed': listed,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / 'directory_api.json').write_text(json.dumps(result, indent=2) + '\n')
    summary = (
        f'directory_api: {result["create_per_second"]} audited creates/s, {result["read_per_second"]} reads/s '
        f'(create costs {result["create_to_read_cost_ratio"]}x a read), '
        f'list of {listed} in {result["list_500_seconds"]} s'
    )
    print(summary)
    return result
