"""The bridge end to end: a simulated push machine → running bridge → fake cloud, with re-pushes and crashes."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from hadir_bridge.cloud import BackfillRequest, CloudClient, HttpCloudClient, UploadTarget
from hadir_bridge.runner import Bridge
from hadir_bridge.spool import Spool
from hadir_bridge.uploader import Uploader

from tests.bridge.conftest import PUSH_SERIAL
from tests.bridge.fake_cloud import FakeCloud
from tests.bridge.machine_sim import PushMachine, attlog_lines

TOTAL = 10_000
POST_SIZE = 250


def _wait(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for the bridge')
        time.sleep(0.05)


def _all_sent(spool: Spool) -> bool:
    stats = spool.stats()
    return bool(stats['punches_unsent'] == 0 and stats['batches_pending'] == 0)


def _push_all(machine: PushMachine, lines: list[str]) -> int:
    acknowledged = 0
    for offset in range(0, len(lines), POST_SIZE):
        chunk = lines[offset : offset + POST_SIZE]
        status, text = machine.push('ATTLOG', chunk, stamp=offset + len(chunk))
        assert (status, text) == (200, f'OK: {len(chunk)}')
        acknowledged += len(chunk)
    return acknowledged


def test_ten_thousand_pushed_punches_reach_the_cloud_exactly_once(
    running_bridge: Bridge, spool: Spool, fake_cloud: FakeCloud
) -> None:
    # Given a push machine that has done its handshake with a running bridge
    host, port = running_bridge.address
    machine = PushMachine(host, port, PUSH_SERIAL)
    status, options, headers = machine.handshake()
    assert status == 200 and options['TimeZone'] == '8' and 'date' in headers
    lines = attlog_lines(TOTAL)

    # When it pushes 10,000 punches and the uploader catches up
    assert _push_all(machine, lines) == TOTAL
    _wait(lambda: _all_sent(spool))

    # Then the cloud holds exactly 10,000 distinct punches, each as the machine gave it
    punches = fake_cloud.punches()
    assert len(punches) == TOTAL
    assert len({punch['id'] for punch in punches}) == TOTAL
    assert sorted(punch['raw'] for punch in punches) == sorted(lines)
    first = next(punch for punch in punches if punch['raw'] == lines[0])
    assert first == {
        'v': 1,
        'kind': 'punch',
        'id': f'M#{PUSH_SERIAL}#1#2026-03-02T07:00:00',
        'serial': PUSH_SERIAL,
        'pin': '1',
        'time': '2026-03-02 07:00:00',
        'status': 0,
        'verify': 1,
        'workcode': '0',
        'source': 'push',
        'received_at': first['received_at'],
        'raw': lines[0],
    }
    assert all(key.startswith('uploads/bridge01/') and key.endswith('.ndjson.gz') for key in fake_cloud.objects)
    objects_before = dict(fake_cloud.objects)

    # When the machine pushes everything again (a reboot, a CHECK, a lost OK) and the uploader runs again
    _, options, _ = machine.handshake()
    assert options['ATTLOGStamp'] == str(TOTAL)
    assert _push_all(machine, lines) == TOTAL
    running_bridge.upload_soon()
    time.sleep(0.5)
    assert Uploader(spool, running_bridge.cloud).drain() == []

    # Then nothing new was spooled or uploaded
    assert spool.punch_count() == TOTAL
    assert fake_cloud.objects == objects_before
    assert len(fake_cloud.punches()) == TOTAL
    machine.close()


class Killed(BaseException):
    """Stands in for the process dying: nothing in the bridge catches it."""


class DyingCloud:
    """Delegates to the real client but dies at one chosen step of one chosen call."""

    def __init__(self, inner: CloudClient, step: str) -> None:
        self.inner = inner
        self.step = step

    def upload_url(self, *, batch_id: str, content_md5: str, content_length: int, record_count: int) -> UploadTarget:
        if self.step == 'before_url':
            raise Killed
        return self.inner.upload_url(
            batch_id=batch_id, content_md5=content_md5, content_length=content_length, record_count=record_count
        )

    def put_object(self, target: UploadTarget, body: bytes, content_md5: str) -> None:
        if self.step == 'before_put':
            raise Killed
        self.inner.put_object(target, body, content_md5)
        if self.step == 'after_put':
            raise Killed

    def heartbeat(self, payload: dict[str, Any]) -> None:
        self.inner.heartbeat(payload)

    def backfill_requests(self) -> list[BackfillRequest]:
        return self.inner.backfill_requests()

    def report_backfill(
        self, request_id: str, state: str, detail: str | None, counts: dict[str, int] | None = None
    ) -> None:
        self.inner.report_backfill(request_id, state, detail, counts)

    def health(self) -> dict[str, Any]:
        return self.inner.health()


@pytest.mark.parametrize('step', ['before_url', 'before_put', 'after_put'])
def test_uploader_killed_mid_batch_loses_nothing_and_reuses_the_object_key(
    step: str, spool: Spool, cloud_client: HttpCloudClient, fake_cloud: FakeCloud
) -> None:
    # Given 1,200 spooled punches and an uploader that dies at one step of its first batch
    lines = attlog_lines(1200)
    from hadir_bridge.parsers import parse_attlog

    punches, _ = parse_attlog(PUSH_SERIAL, '\n'.join(lines))
    spool.ingest(serial=PUSH_SERIAL, source='push', table='ATTLOG', punches=punches)
    with pytest.raises(Killed):
        Uploader(spool, DyingCloud(cloud_client, step), max_records=500).drain()
    pending = spool.pending_batch()
    assert pending is not None and pending.record_count == 500
    assert spool.stats()['punches_unsent'] == 1200

    # When a fresh uploader starts on the same spool
    done = Uploader(spool, cloud_client, max_records=500).drain()

    # Then the interrupted batch is finished first, under its own key, and every punch is there exactly once
    assert [item.record_count for item in done] == [500, 500, 200]
    assert done[0].batch_id == pending.batch_id and done[0].resumed
    key = fake_cloud.object_key(pending.batch_id)
    assert done[0].object_key == key
    assert fake_cloud.puts[key] == (2 if step == 'after_put' else 1)
    assert len(fake_cloud.objects) == 3
    uploaded = fake_cloud.punches()
    assert len(uploaded) == 1200 and len({punch['id'] for punch in uploaded}) == 1200
    assert spool.stats()['punches_unsent'] == 0


def test_uploader_killed_at_random_points_fifty_times_stays_exact(
    spool: Spool, cloud_client: HttpCloudClient, fake_cloud: FakeCloud
) -> None:
    # Given punches arriving between crashes, and an uploader that dies at a random step each round
    import random

    from hadir_bridge.parsers import parse_attlog

    rng = random.Random(20260302)
    lines = attlog_lines(3000)
    steps = ['before_url', 'before_put', 'after_put', 'none']
    fed = 0
    for _round in range(50):
        batch = lines[fed : fed + 60]
        fed += len(batch)
        punches, _ = parse_attlog(PUSH_SERIAL, '\n'.join(batch + lines[: rng.randrange(0, 40)]))
        spool.ingest(serial=PUSH_SERIAL, source='push', table='ATTLOG', punches=punches)
        try:
            Uploader(spool, DyingCloud(cloud_client, rng.choice(steps)), max_records=rng.randrange(20, 120)).drain()
        except Killed:
            pass

    # When a healthy uploader finishes the job
    Uploader(spool, cloud_client, max_records=500).drain()

    # Then the cloud has every punch exactly once across its objects
    uploaded = fake_cloud.punches()
    assert len(uploaded) == fed == 3000
    assert len({punch['id'] for punch in uploaded}) == 3000
    for key, body in fake_cloud.objects.items():
        assert key == fake_cloud.object_key(key.rsplit('/', 1)[1].removesuffix('.ndjson.gz'))
        assert json.loads(gzip.decompress(body).splitlines()[0])['v'] == 1
