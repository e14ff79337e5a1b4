"""The demo's past on a fresh stack (issue 13): a closed last month with real amounts, varied codes, no empty revision,
and a flagged selfie waiting in the review queue.

One history serves the module: it writes five weeks of a 250-person pemda through the real paths (uploads,
reconcile, statuses, outage, day and month closes), which takes minutes on moto.
"""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from moto import mock_aws

from chalicelib import resource_names as names
from chalicelib.adapters.clients import boto3_client, reset_clients
from chalicelib.adapters.dynamodb.tables import ensure_tables
from chalicelib.domain import api_keys
from chalicelib.domain.models import Principal, Role
from chalicelib.services import checkins, ingest
from chalicelib.services.common import Deps
from chalicelib.settings import get_settings
from chalicelib.wiring import get_books, get_deps, get_mobile
from hadir_local.demo_history import history_pending, write_history
from hadir_local.seed import seed_demo
from hadir_local.snapshot import ensure_buckets, ensure_queues

NOW = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)  # 11:00 WIB on a Monday
MONTH = '2026-11'


@dataclass(frozen=True)
class Demo:
    deps: Deps
    admin: Principal
    report: dict[str, Any]


@pytest.fixture(scope='module')
def demo() -> Iterator[Demo]:
    with mock_aws():
        ensure_tables()
        ensure_buckets()
        ensure_queues()
        get_deps.cache_clear()
        reset_clients()
        deps = replace(get_deps(), clock=lambda: NOW, random_bytes=random.Random(7).randbytes)
        summary = seed_demo(deps)
        parsed = api_keys.parse_token(summary.admin_token)
        assert parsed is not None and history_pending(deps)
        admin = Principal(key_id=parsed[0], role=Role.SUPER)
        report = write_history(deps, admin, date(2026, 12, 7), lambda _: None)
        yield Demo(deps, admin, report)
    get_deps.cache_clear()


def _finance_rows() -> list[dict[str, str]]:
    bucket = get_settings().bucket(names.BUCKET_EXPORTS)
    key = f'{names.EXPORTS_PREFIX_TPP}{MONTH}/rev-001/pemda.csv'
    body = boto3_client('s3').get_object(Bucket=bucket, Key=key)['Body'].read().decode('utf-8-sig')
    return list(csv.DictReader(io.StringIO(body, newline='')))


def test_last_month_is_closed_once_with_real_amounts_in_the_finance_file(demo: Demo) -> None:
    # Given the first start's history; Then last month has one complete revision holding every employee
    revisions = get_books().records.revisions(MONTH)
    assert [(r.revision, r.complete, r.employees) for r in revisions] == [(1, True, 250)]
    assert not history_pending(demo.deps)
    # And its finance file pays each employee between nothing and their pagu, not all alike and not all zero
    rows = _finance_rows()
    assert len(rows) == 250
    assert all(0 <= int(r['TPP bruto']) <= int(r['pagu']) for r in rows)
    assert sum(int(r['TPP bruto']) for r in rows) > 0
    deducted = [r for r in rows if int(r['potongan (Rp)']) > 0]
    assert 20 <= len(deducted) < 250


def test_the_recap_shows_the_kinds_of_day_a_pemda_meets(demo: Demo) -> None:
    # Given the closed month's day codes over every employee
    codes: Counter[str] = Counter()
    days = get_books().records.days_in_month(MONTH)
    for record in days:
        codes.update(record.day.codes or ('(none)',))
    # Then late arrivals, early leaves, absences, leave, duty and sickness all occur, on a minority of the days
    assert {'TL1', 'TK', 'CT', 'DL', 'S'} <= set(codes), codes
    assert any(code.startswith('PSW') for code in codes), codes
    ordinary = [r for r in days if not r.day.codes or r.day.codes == ('H',)]
    assert len(ordinary) > len(days) * 0.8, codes


def test_the_machines_have_a_problem_to_find(demo: Demo) -> None:
    # Given the bridges' reports and the outage of the history
    health = ingest.machine_health(demo.deps, get_settings(), None, None)
    skews = sorted(m['clock_skew_seconds'] or 0 for m in health['items'])
    # Then every machine reported just now, one clock runs 7 minutes fast, and last month had a two-day outage
    assert {m['state'] for m in health['items']} == {'online'}
    assert skews[-1] == 420 and skews[0] < 60
    assert demo.report['outage_days'] == 2
    assert demo.report['days']['outages'] > 0


def test_one_flagged_selfie_waits_in_the_review_queue_with_its_reason_and_photos(demo: Demo) -> None:
    # Given the first start's history; When the review queue is read as the console reads it
    items, _ = checkins.list_reviews(get_mobile(), demo.admin, None, 'review', 50, None)
    # Then one phone check-in of this morning waits, unsure of the face, inside the office, with a good fix
    assert demo.report['flagged_checkins'] == 1
    assert len(items) == 1, items
    item = items[0]
    assert [r['code'] for r in item['reasons']] == ['borderline_similarity']
    assert 80 <= item['similarity'] < 95 and item['distance_m'] == 0 and item['accuracy_m'] <= 50
    assert (item['kind'], item['local_date']) == ('in', '2026-12-07')
    assert item['employee']['employee_id'] == item['employee_id']
    # And both photos are in the media bucket, as the links the console shows name them
    assert item['selfie_url'] and item['reference_url']
    media = get_settings().bucket(names.BUCKET_MEDIA)
    for key in (item['selfie_key'], f'faces/{item["employee_id"]}/demo-reference.png'):
        assert boto3_client('s3').get_object(Bucket=media, Key=key)['Body'].read().startswith(b'\x89PNG')
    # And the flagged arrival is not in the ledger until someone approves it
    punches = demo.deps.ledger.for_employee(item['employee_id'], NOW - timedelta(days=1), NOW)
    assert [p for p in punches if p.local_date == date(2026, 12, 7)] == []
