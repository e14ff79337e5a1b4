"""Reconcile lists only the uploads that can be new, on moto, and still finds a late or out-of-order file."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib import resource_names as names
from chalicelib.adapters.uploads import S3Uploads
from chalicelib.domain.upload_keys import upload_key
from chalicelib.services.common import Deps
from chalicelib.services.ingest import KIND_RECONCILE_STATE, RECONCILE_STATE_ID, reconcile
from chalicelib.settings import get_settings
from chalicelib.wiring import get_deps
from tests.integration.builders import bridge_body, machine_body, opd_body
from tests.integration.test_ingest import punch, upload
from tests.support import Harness

SERIAL = 'CKJX201960001'
T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


class ListingSpy:
    """The real uploads bucket, with every listing call written down."""

    def __init__(self) -> None:
        self.inner = S3Uploads()
        self.listed: list[tuple[str, str | None]] = []
        self.fail_reads = False

    def objects(self, prefix: str, start_after: str | None = None) -> Iterable[Any]:
        self.listed.append((prefix, start_after))
        return self.inner.objects(prefix, start_after)

    def read_text(self, key: str, max_compressed: int, max_uncompressed: int) -> str:
        if self.fail_reads:
            raise ConnectionResetError('the bucket went away mid-run')
        return self.inner.read_text(key, max_compressed, max_uncompressed)

    def presign_put(self, key: str, content_md5: str, expires_in: int) -> tuple[str, dict[str, str]]:
        return self.inner.presign_put(key, content_md5, expires_in)

    def keep_in_quarantine(self, key: str, report: dict[str, Any]) -> str:
        return self.inner.keep_in_quarantine(key, report)


@pytest.fixture
def bridge_tokens(hx: Harness) -> dict[str, str]:
    # Given two bridges of one OPD, the first with a push machine
    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DINKES')).status == 201
    tokens = {}
    for bridge_id in ('BRG-A', 'BRG-B'):
        tokens[bridge_id] = hx.call('POST', '/v1/bridges', hx.super_key, bridge_body(bridge_id, 'DINKES')).body['token']
    assert (
        hx.call('POST', '/v1/machines', hx.super_key, machine_body(SERIAL, 'DINKES', bridge_id='BRG-A')).status == 201
    )
    return tokens


def at(moment: datetime) -> Deps:
    return dataclasses.replace(get_deps(), clock=lambda: moment)


def put_upload(issued_at: datetime, lines: list[dict[str, Any]]) -> str:
    """A bridge file under the key an URL issued at `issued_at` would have had."""
    body = gzip.compress(('\n'.join(json.dumps(line) for line in lines) + '\n').encode(), mtime=0)
    key = upload_key(f'{names.UPLOADS_PREFIX_BRIDGES}BRG-A/', f'{issued_at:%H%M%S}'.ljust(32, '0'), issued_at)
    boto3.client('s3', region_name='ap-southeast-3').put_object(
        Bucket=get_settings().bucket(names.BUCKET_UPLOADS), Key=key, Body=body
    )
    return key


def test_upload_urls_name_keys_that_sort_by_their_issue_time(hx: Harness, bridge_tokens: dict[str, str]) -> None:
    # When the bridge asks for two upload URLs
    first = upload(hx, bridge_tokens['BRG-A'], [json.dumps(punch('7', '2026-11-20 07:41:10'))])
    second = upload(hx, bridge_tokens['BRG-A'], [json.dumps(punch('7', '2026-11-20 07:42:10'))])
    # Then each key is the bridge's prefix, the issue time, then the batch id
    for target in (first, second):
        assert re.fullmatch(r'bridges/BRG-A/\d{8}T\d{6}Z-[0-9a-f]{32}\.ndjson\.gz', target['key']), target['key']
    assert first['key'][:30] <= second['key'][:30]


def test_after_a_first_full_listing_each_run_lists_only_each_bridges_recent_keys(
    hx: Harness, bridge_tokens: dict[str, str]
) -> None:
    spy = ListingSpy()
    # When reconcile runs for the first time, then five minutes later, then a day after the first
    first = reconcile(at(T0), spy, get_settings())
    first_calls, spy.listed = spy.listed, []
    second = reconcile(at(T0 + timedelta(minutes=5)), spy, get_settings())
    second_calls, spy.listed = spy.listed, []
    daily = reconcile(at(T0 + timedelta(hours=24)), spy, get_settings())
    # Then the first lists the whole prefix, the next each bridge from 30 minutes before the last run's start
    # (a 15-minute URL plus a 15-minute margin), and the daily one the whole prefix again
    assert (first['listing'], first_calls) == ('full', [('bridges/', None)])
    assert second['listing'] == 'recent'
    assert second_calls == [(f'bridges/{b}/', f'bridges/{b}/20261120T003000Z') for b in ('BRG-A', 'BRG-B')]
    assert (daily['listing'], spy.listed) == ('full', [('bridges/', None)])


def test_a_late_finishing_upload_is_found_and_an_out_of_order_key_by_the_daily_listing(
    hx: Harness, bridge_tokens: dict[str, str]
) -> None:
    spy = ListingSpy()
    reconcile(at(T0), spy, get_settings())
    # Given a file whose URL was issued 10 minutes before that run but whose PUT finished after it
    late = put_upload(T0 - timedelta(minutes=10), [punch('7', '2026-11-20 08:49:00')])
    # And a file under a key two hours old, which no URL can have produced after that run (copied by hand)
    stray = put_upload(T0 - timedelta(hours=2), [punch('7', '2026-11-20 06:59:00')])
    # When reconcile runs five minutes later
    recent = reconcile(at(T0 + timedelta(minutes=5)), spy, get_settings())
    # Then the late file is reconciled; the stray one is outside what can be new
    assert (recent['uploads'], recent['unmapped'], recent['listed']) == (1, 1, 1)
    assert get_deps().store.get('upload', late) and not get_deps().store.get('upload', stray)
    assert recent['oldest_upload_age_seconds'] == 15 * 60
    # When the daily full listing runs (or anyone asks for a full run); Then the stray file is reconciled too
    full = reconcile(at(T0 + timedelta(minutes=10)), spy, get_settings(), full=True)
    assert (full['listing'], full['uploads'], full['unmapped']) == ('full', 1, 1)
    assert get_deps().store.get('upload', stray)


def test_a_run_that_fails_leaves_the_next_one_listing_from_the_same_point(
    hx: Harness, bridge_tokens: dict[str, str]
) -> None:
    spy = ListingSpy()
    reconcile(at(T0), spy, get_settings())
    put_upload(T0 + timedelta(minutes=2), [punch('7', '2026-11-20 09:01:00')])
    # Given a run that dies while reading a file
    spy.fail_reads = True
    with pytest.raises(ConnectionResetError):
        reconcile(at(T0 + timedelta(hours=3)), spy, get_settings())
    state = get_deps().store.get(KIND_RECONCILE_STATE, RECONCILE_STATE_ID)
    assert state is not None and state.data['last_run_started'] == T0.isoformat()
    # When the next run works; Then it still lists from before the file and reconciles it
    spy.fail_reads, spy.listed = False, []
    after = reconcile(at(T0 + timedelta(hours=3, minutes=5)), spy, get_settings())
    assert after['uploads'] == 1 and spy.listed[0] == ('bridges/BRG-A/', 'bridges/BRG-A/20261120T003000Z')
