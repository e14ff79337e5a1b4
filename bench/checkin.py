"""Mobile check-in: server-side time per check-in without the face engine (through the routes on moto, with
the AWS calls each check-in makes), and a morning-peak simulation of the real check-in and queue-consumer
code against a face engine limited to Rekognition's quota, in simulated time.

    BENCH_CHECKINS (default 400)  BENCH_PEAK_CHECKINS (default 20,000)  BENCH_PEAK_MINUTES (default 30)
    BENCH_FACE_TPS (default 5)  BENCH_FACES (default ../shared/faces: the public face set, read in place)

The face set part runs genuine live sequences, impostors and presentation attacks built from the shared photos
through checkins.check_in with the offline dlib engine, and counts what the shipped thresholds accept.
"""

from __future__ import annotations

import base64
import heapq
import json
import os
import random
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.calls import counting_calls
from bench.moto_patches import transactions_snapshot_their_items

RESULTS = Path(__file__).parent / 'results'
OFFICE = {'kind': 'circle', 'name': 'Kantor Bupati', 'center': {'lat': -6.2, 'lon': 106.8}, 'radius_m': 150}
PEAK_START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 07:00 WIB
CONSUMER_MESSAGES_PER_SECOND = 10  # the event source's maximum concurrency (2) × batch size (5), about once a second


def _env() -> None:
    os.environ.update({'HADIR_STAGE': 'bench', 'AWS_ACCESS_KEY_ID': 'bench', 'AWS_SECRET_ACCESS_KEY': 'bench',
                       'AWS_DEFAULT_REGION': 'ap-southeast-3', 'POWERTOOLS_TRACE_DISABLED': '1',
                       'POWERTOOLS_METRICS_DISABLED': '1', 'POWERTOOLS_LOG_LEVEL': 'ERROR'})  # fmt: skip


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


REKOGNITION_OPERATION = {  # the face port's calls and the Rekognition API call each one is (adapters/rekognition.py)
    'detect': 'DetectFaces', 'compare': 'CompareFaces', 'compare_detail': 'CompareFaces',
    'search': 'SearchFacesByImage', 'index': 'IndexFaces',
}  # fmt: skip


def _per_request(calls: Counter[str], count: int, prefix: str) -> dict[str, float]:
    return {name.split(':', 1)[1]: round(n / count, 2) for name, n in sorted(calls.items()) if name.startswith(prefix)}


def _total(calls: Counter[str], count: int, prefix: str) -> float:
    return round(sum(n for name, n in calls.items() if name.startswith(prefix)) / count, 2)


def bench_server_time(count: int, snapshot_touched: bool = False) -> dict[str, Any]:
    """Check-ins through the routes (signature, nonce, idempotency, challenge, geofence, ledger, media) with a face
    engine that costs nothing, so what is measured is Hadir's own work and its AWS calls (moto in process). Each
    attempt is two signed requests: the head-turn challenge, then the check-in; each is timed and counted on its
    own (the photos are made before the clock starts). `snapshot_touched`: moto's transactions snapshot only
    the items they name (``transactions_snapshot_their_items``)."""
    from moto import mock_aws

    with mock_aws(), transactions_snapshot_their_items() if snapshot_touched else nullcontext():
        from chalicelib.adapters.dynamodb.tables import ensure_tables
        from chalicelib.wiring import use_face_engine
        from hadir_local.snapshot import ensure_buckets, ensure_queues
        from tests.device import Phone
        from tests.face_fakes import FakeFaceEngine, fake_image
        from tests.integration.builders import employee_body, opd_body
        from tests.support import make_harness

        ensure_tables()
        ensure_buckets()
        ensure_queues()
        faces = FakeFaceEngine()
        use_face_engine(faces)
        hx = make_harness()
        hx.call('POST', '/v1/opds', hx.super_key, opd_body('DINAS', zone='Asia/Jakarta', locations=[OFFICE]))
        phones: list[tuple[Phone, str]] = []
        for n in range(1, 41):
            employee = hx.call('POST', '/v1/employees', hx.super_key, employee_body('DINAS', n)).body
            code = hx.call('POST', f'/v1/employees/{employee["employee_id"]}/activation-codes', hx.super_key).body
            phone = Phone()
            activated = hx.call('POST', '/v1/mobile/activate', body={
                'nip': employee['nip'], 'code': code['code'], 'public_key': phone.public_jwk()}).body  # fmt: skip
            phone.device_id = activated['device_id']
            person = employee['employee_id']
            turned = {d: fake_image(person, yaw=y, nonce='turn') for d, y in _TURN.items()}
            answer = _challenge(hx, phone, 'enrol', turned)
            body = {'image': _b64(fake_image(person)), 'liveness': answer}
            raw, headers = phone.signed_json('POST', '/v1/mobile/face', body)
            assert hx.call('POST', '/v1/mobile/face', raw=raw, headers=headers).status == 201
            phones.append((phone, person))
        faces.calls.clear()
        challenge_calls: Counter[str] = Counter()
        checkin_calls: Counter[str] = Counter()

        def one(index: int, calls: Counter[str]) -> tuple[float, float, str]:
            phone, person = phones[index % len(phones)]
            left = 0.09 + (index // len(phones)) % 10 * 0.04  # each shot frames the face elsewhere (not as enrolled)
            turned = {d: fake_image(person, yaw=y, left=left + 0.01, nonce=f'{index}-t') for d, y in _TURN.items()}
            frontal = _b64(fake_image(person, left=left, nonce=str(index)))
            before = Counter(calls)
            started = time.perf_counter()
            raw, headers = phone.signed_json('POST', '/v1/mobile/liveness', {'purpose': 'checkin'})
            asked = hx.call('POST', '/v1/mobile/liveness', raw=raw, headers=headers).body
            asking = time.perf_counter() - started
            challenge_calls.update(Counter(calls) - before)
            answer = {'challenge_id': asked['challenge_id'], 'turned_image': _b64(turned[asked['direction']])}
            body = {'kind': 'in' if index % 2 == 0 else 'out', 'lat': -6.2001, 'lon': 106.8001, 'accuracy_m': 15.0,
                    'image': frontal, 'liveness': answer}  # fmt: skip
            raw, headers = phone.signed_json('POST', '/v1/mobile/checkins', body)
            headers['Idempotency-Key'] = f'bench-{index}'
            before = Counter(calls)
            started = time.perf_counter()
            reply = hx.call('POST', '/v1/mobile/checkins', raw=raw, headers=headers)
            checking = time.perf_counter() - started
            checkin_calls.update(Counter(calls) - before)
            return checking, asking, reply.body['outcome']

        health_times = []
        for _ in range(100):
            started = time.perf_counter()
            hx.call('GET', '/v1/health')
            health_times.append(time.perf_counter() - started)
        with counting_calls() as calls:
            results = [one(index, calls) for index in range(count)]
        use_face_engine(None)
    seconds = [r[0] for r in results]
    asking = [r[1] for r in results]
    outcomes = Counter(r[2] for r in results)
    rekognition: Counter[str] = Counter()
    for method, n in faces.calls.items():
        rekognition[REKOGNITION_OPERATION.get(method, method)] += n
    return {
        'checkins': count,
        'outcomes': dict(outcomes),
        'p50_ms': round(1000 * _percentile(seconds, 0.5), 1),
        'p99_ms': round(1000 * _percentile(seconds, 0.99), 1),
        'challenge_p50_ms': round(1000 * _percentile(asking, 0.5), 1),
        'challenge_p99_ms': round(1000 * _percentile(asking, 0.99), 1),
        'health_p50_ms': round(1000 * _percentile(health_times, 0.5), 1),
        'checkin_to_health_p50_ratio': round(_percentile(seconds, 0.5) / _percentile(health_times, 0.5), 1),
        'dynamodb_calls_per_checkin': _per_request(checkin_calls, count, 'dynamodb:'),
        's3_calls_per_checkin': _per_request(checkin_calls, count, 's3:'),
        'dynamodb_calls_per_challenge': _per_request(challenge_calls, count, 'dynamodb:'),
        's3_calls_per_challenge': _per_request(challenge_calls, count, 's3:'),
        'dynamodb_calls_per_checkin_total': _total(checkin_calls, count, 'dynamodb:'),
        's3_calls_per_checkin_total': _total(checkin_calls, count, 's3:'),
        'dynamodb_calls_per_challenge_total': _total(challenge_calls, count, 'dynamodb:'),
        'rekognition_calls_per_checkin': {k: round(v / count, 2) for k, v in sorted(rekognition.items())},
        'rekognition_calls_per_checkin_total': round(sum(rekognition.values()) / count, 2),
    }


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


_TURN = {'left': 30.0, 'right': -30.0}  # the port's yaw of a face turned to the person's left or right


def _challenge(hx: Any, phone: Any, purpose: str, turned: dict[str, bytes]) -> dict[str, str]:
    """Ask for a head-turn challenge and answer it with the frame turned the way it asks."""
    raw, headers = phone.signed_json('POST', '/v1/mobile/liveness', {'purpose': purpose})
    asked = hx.call('POST', '/v1/mobile/liveness', raw=raw, headers=headers).body
    return {'challenge_id': asked['challenge_id'], 'turned_image': _b64(turned[asked['direction']])}


# ---- the morning peak, in simulated time ---------------------------------------------------------------------


@dataclass
class SimClock:
    now: datetime = PEAK_START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class QuotaLimitedEngine:
    """Rekognition's per-second quota as a token bucket in simulated time, around the in-memory engine."""

    inner: Any
    clock: SimClock
    per_second: float
    tokens: float = 0.0
    refilled_at: datetime = PEAK_START
    throttled: int = 0
    served: int = 0

    def _take(self) -> None:
        from chalicelib.ports import FaceEngineBusy

        elapsed = (self.clock.now - self.refilled_at).total_seconds()
        self.tokens = min(self.per_second, self.tokens + elapsed * self.per_second)
        self.refilled_at = self.clock.now
        if self.tokens < 1:
            self.throttled += 1
            raise FaceEngineBusy('ThrottlingException (simulated quota)')
        self.tokens -= 1
        self.served += 1

    def detect(self, image: bytes) -> Any:
        self._take()
        return self.inner.detect(image)

    def compare(self, reference: bytes, probe: bytes) -> Any:
        self._take()
        return self.inner.compare(reference, probe)

    def compare_detail(self, reference: bytes, probe: bytes) -> Any:
        self._take()
        return self.inner.compare_detail(reference, probe)

    def search(self, image: bytes, threshold: float) -> Any:
        self._take()
        return self.inner.search(image, threshold)

    def index(self, image: bytes, external_id: str) -> Any:
        self._take()
        return self.inner.index(image, external_id)

    def remove(self, face_ids: Sequence[str]) -> None:
        self.inner.remove(face_ids)


@dataclass
class SimQueue:
    """SQS in simulated time: a message becomes visible after its delay."""

    clock: SimClock
    heap: list[tuple[datetime, int, str]] = field(default_factory=list)
    sequence: int = 0
    sent: int = 0

    def send(self, message: dict[str, Any], delay_seconds: int = 0) -> None:
        self.sequence += 1
        self.sent += 1
        visible = self.clock.now + timedelta(seconds=delay_seconds)
        heapq.heappush(self.heap, (visible, self.sequence, json.dumps(message)))

    def receive(self, limit: int) -> list[str]:
        ready = []
        while self.heap and self.heap[0][0] <= self.clock.now and len(ready) < limit:
            ready.append(heapq.heappop(self.heap)[2])
        return ready

    def put_back(self, bodies: Sequence[str]) -> None:
        for body in bodies:
            self.sequence += 1
            heapq.heappush(self.heap, (self.clock.now, self.sequence, body))


@dataclass
class MemoryLedger:
    punches: dict[str, Any] = field(default_factory=dict)

    def record(self, punches: Sequence[Any]) -> Any:
        from chalicelib.ports import PunchWriteResult

        new = [p.punch_id for p in punches if p.punch_id not in self.punches]
        self.punches.update({p.punch_id: p for p in punches})
        return PunchWriteResult(accepted=new)


@dataclass
class MemoryMedia:
    objects: dict[str, bytes] = field(default_factory=dict)

    def put_new(self, key: str, body: bytes, content_type: str) -> bool:
        self.objects.setdefault(key, body)
        return True

    def get(self, key: str) -> bytes:
        return self.objects[key]

    def download_url(self, key: str, expires_seconds: int) -> str:
        return f'memory://{key}'


def bench_morning_peak(count: int, minutes: int, face_tps: float) -> dict[str, Any]:
    """`count` employees check in during `minutes` (a rush peaking two thirds in), against a face engine allowed
    `face_tps` calls per second; the consumer takes queued checks whenever the quota leaves room."""
    from chalicelib.adapters.request_store import PortsRequestStore
    from chalicelib.domain.checkin import Device, Enrolment
    from chalicelib.domain.models import Employee, Opd
    from chalicelib.ports import Record
    from chalicelib.services import checkins, liveness
    from chalicelib.services.common import KIND_OPD, Deps, dump
    from chalicelib.settings import get_settings
    from tests.face_fakes import FakeFaceEngine, fake_image
    from tests.fakes import FakeDirectoryStore

    clock = SimClock()
    store = FakeDirectoryStore(clock=clock)
    deps = Deps(store=store, audit_log=store.audit_log, ledger=MemoryLedger(), clock=clock,  # type: ignore[arg-type]
                random_bytes=random.Random(7).randbytes)  # fmt: skip
    engine = QuotaLimitedEngine(FakeFaceEngine(), clock, face_tps, tokens=face_tps)
    queue, media = SimQueue(clock), MemoryMedia()
    mobile = checkins.Mobile(deps=deps, faces=engine, media=media, queue=queue, nonces=None,  # type: ignore[arg-type]
                             settings=get_settings(), requests=PortsRequestStore(store, deps.ledger))  # fmt: skip
    opd = Opd.model_validate({'opd_id': 'DINAS', 'name': 'Dinas Uji', 'kind': 'dinas', 'zone': 'Asia/Jakarta',
                              'locations': [OFFICE]})  # fmt: skip
    store.put_many([Record(KIND_OPD, 'DINAS', dump(opd))])
    callers = []
    enrolments = []
    for n in range(count):
        employee = Employee.model_validate({
            'employee_id': f'E{n:05d}', 'employee_type': 'TKK', 'name': f'Pegawai {n}',
            'nik': f'{3171000000000000 + n}', 'opd_id': 'DINAS', 'jabatan': 'Pelaksana', 'kelas_jabatan': 5,
            'tpp_ceiling': 2_000_000,
        })  # fmt: skip
        face_key = f'faces/{employee.employee_id}/ref.jpg'
        media.objects[face_key] = fake_image(employee.employee_id)
        enrolment = Enrolment(
            employee_id=employee.employee_id, device_id=f'dev-{n}', face_id=f'f{n}', face_key=face_key
        )
        device = Device(device_id=f'dev-{n}', employee_id=employee.employee_id, name='bench', public_key={},
                        activated_at=PEAK_START)  # fmt: skip
        callers.append(checkins.DeviceCaller(device, enrolment, employee))
        enrolments.append(Record(checkins.KIND_ENROLMENT, employee.employee_id, dump(enrolment)))
    store.put_many(enrolments)
    rng = random.Random(2026)
    span = minutes * 60
    arrivals = sorted(rng.triangular(0, span, span * 2 / 3) for _ in range(count))

    decided_at: dict[str, float] = {}
    submitted_at: dict[str, float] = {}
    immediate: Counter[str] = Counter()
    max_backlog = 0
    started = time.perf_counter()

    def drain(until: float) -> None:
        """Each simulated second the consumer (SQS event source: 2 concurrent batches of 5) receives up to 10
        messages; a batch stops at its first throttled call and leaves the rest for the next poll."""
        nonlocal max_backlog
        tick = consumer_at[0]
        while tick <= until:
            clock.now = PEAK_START + timedelta(seconds=tick)
            received = queue.receive(CONSUMER_MESSAGES_PER_SECOND)
            for position, body in enumerate(received):
                checkin_id = json.loads(body)['checkin_id']
                outcome = checkins.verify_queued(mobile, checkin_id)
                if outcome == 'requeued':
                    queue.put_back(received[position + 1 :])
                    break
                decided_at[checkin_id] = tick
            max_backlog = max(max_backlog, len(queue.heap))
            tick += 1.0
        consumer_at[0] = tick

    consumer_at = [0.0]
    for index, offset in enumerate(arrivals):
        drain(offset)
        clock.now = PEAK_START + timedelta(seconds=offset)
        person = callers[index].employee.employee_id
        asked = liveness.issue_challenge(mobile, callers[index], f'nonce-{index}', {})
        turned = fake_image(person, yaw=_TURN[asked['direction']], left=0.07, nonce=f'{index}-t')
        body = {'kind': 'in', 'lat': -6.2001, 'lon': 106.8001, 'accuracy_m': 12.0,
                'image': _b64(fake_image(person, nonce=str(index))),
                'liveness': {'challenge_id': asked['challenge_id'], 'turned_image': _b64(turned)}}  # fmt: skip
        decision = checkins.check_in(mobile, callers[index], body)
        immediate[decision['outcome']] += 1
        submitted_at[decision['checkin_id']] = offset
        if decision['outcome'] != 'pending':
            decided_at[decision['checkin_id']] = offset
    while queue.heap:
        drain(consumer_at[0] + 60)
    wall = time.perf_counter() - started

    stored = [r for r in store._records.values() if r.kind == checkins.KIND_CHECKIN]  # noqa: SLF001
    final = Counter(r.data['outcome'] for r in stored)
    waits = [decided_at[c] - submitted_at[c] for c in submitted_at if c in decided_at]
    drained = max(decided_at.values())
    lost = count - len(stored) + final.get('pending', 0)
    floor = engine.served / face_tps  # every call the quota served, back to back: no schedule can drain sooner
    assert lost == 0, f'{lost} check-ins lost or never verified'
    assert len(deps.ledger.punches) == final['accepted']  # type: ignore[attr-defined]
    return {
        'peak_checkins': count,
        'peak_minutes': minutes,
        'face_engine_tps': face_tps,
        'decided_at_once': immediate.get('accepted', 0) + immediate.get('review', 0) + immediate.get('refused', 0),
        'pending_at_once': immediate.get('pending', 0),
        'final_outcomes': dict(final),
        'lost': lost,
        'ledger_punches': len(deps.ledger.punches),  # type: ignore[attr-defined]
        'max_queue_backlog': max_backlog,
        'backlog_drained_after_minutes': round(drained / 60, 1),
        'backlog_drained_at_local': f'{(PEAK_START + timedelta(seconds=drained, hours=7)):%H:%M}',
        'wait_p50_minutes': round(_percentile(waits, 0.5) / 60, 1),
        'wait_p99_minutes': round(_percentile(waits, 0.99) / 60, 1),
        'face_calls_served': engine.served,
        'face_calls_throttled': engine.throttled,
        'face_calls_per_checkin': round(engine.served / count, 2),
        'drain_floor_minutes': round(floor / 60, 1),
        'drain_to_floor_ratio': round(drained / floor, 2),
        'simulation_wall_seconds': round(wall, 1),
    }


# ---- the shared face set, through the real check-in code with the offline dlib engine ----------------------------

FACES = Path(os.environ.get('BENCH_FACES', Path(__file__).resolve().parents[2] / 'shared' / 'faces'))
SAME_SHOT_DISTANCE = 0.15  # dlib descriptor distance: one photo at two resolutions, not two shots


def _jpeg(image: Any, quality: int = 90) -> bytes:
    import io

    out = io.BytesIO()
    image.convert('RGB').save(out, 'JPEG', quality=quality)
    return out.getvalue()


def _turned_print(image: Any, degrees: float) -> Any:
    """A flat photo turned about its vertical axis by `degrees`, seen by a pinhole camera three widths away: a
    printed photo (or a phone screen) turned in front of the camera."""
    import math

    import numpy as np
    from PIL import Image

    width, height = image.size
    angle, focal = math.radians(degrees), 3.0 * width

    def project(x: float, y: float) -> tuple[float, float]:
        depth = (x - width / 2) * math.sin(angle)
        scale = focal / (focal + depth)
        return width / 2 + (x - width / 2) * math.cos(angle) * scale, height / 2 + (y - height / 2) * scale

    rows, values = [], []
    for (x, y), (u, v) in zip([project(*c) for c in ((0, 0), (width, 0), (width, height), (0, height))],
                              [(0, 0), (width, 0), (width, height), (0, height)], strict=True):  # fmt: skip
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        values += [u, v]
    coefficients = np.linalg.solve(np.array(rows, float), np.array(values, float))
    return image.transform(image.size, Image.Transform.PERSPECTIVE, tuple(coefficients), Image.Resampling.BICUBIC,
                           fillcolor=(200, 200, 200))  # fmt: skip


def bench_face_set(folder: Path) -> dict[str, Any]:
    """Genuine live sequences, impostors and presentation attacks built from the shared face set, each decided by
    checkins.check_in with the dlib engine (in memory, no routes): what the shipped thresholds accept."""
    import csv
    import io
    import itertools

    from PIL import Image, ImageOps

    from chalicelib.adapters.request_store import PortsRequestStore
    from chalicelib.domain.checkin import Device, Enrolment
    from chalicelib.domain.models import Employee, Opd
    from chalicelib.ports import Record
    from chalicelib.services import checkins, liveness
    from chalicelib.services.common import KIND_OPD, Deps, dump
    from chalicelib.settings import get_settings
    from hadir_local.dlib_faces import DlibFaceEngine, distance_to_similarity
    from tests.fakes import FakeDirectoryStore

    engine = DlibFaceEngine(None)
    same_shot = distance_to_similarity(SAME_SHOT_DISTANCE)
    people = {row['file']: row['person'] for row in csv.DictReader((folder / 'people.csv').open())}
    photos = {name: (folder / name).read_bytes() for name, person in people.items() if person != 'several'}
    faces = {name: engine.detect(raw) for name, raw in photos.items()}
    single = {n for n, f in faces.items() if len(f) == 1}
    yaw = {n: faces[n][0].yaw or 0.0 for n in single}
    shots: dict[str, str] = {}  # photo -> its shot (the same photo at other resolutions shares it)
    for name in sorted(single):
        shots[name] = next((shots[o] for o in shots if people[o] == people[name]
                            and (engine.compare(photos[o], photos[name]) or 0) >= same_shot), name)  # fmt: skip
    # One photo per shot: the same picture at five resolutions is one sample, not five.
    first = sorted({shots[n] for n in single})
    frontal = [n for n in first if abs(yaw[n]) <= 15]  # the liveness policy's frontal limit
    turned = [n for n in first if abs(yaw[n]) >= 20]

    clock = SimClock(datetime.now(UTC))
    store = FakeDirectoryStore(clock=clock)
    deps = Deps(store=store, audit_log=store.audit_log, ledger=MemoryLedger(), clock=clock,  # type: ignore[arg-type]
                random_bytes=random.Random(11).randbytes)  # fmt: skip
    media = MemoryMedia()
    mobile = checkins.Mobile(deps=deps, faces=engine, media=media, queue=SimQueue(clock), nonces=None,  # type: ignore[arg-type]
                             settings=get_settings(), requests=PortsRequestStore(store, deps.ledger))  # fmt: skip
    opd = Opd.model_validate({'opd_id': 'DINAS', 'name': 'Dinas Uji', 'kind': 'dinas', 'zone': 'Asia/Jakarta',
                              'locations': [OFFICE]})  # fmt: skip
    store.put_many([Record(KIND_OPD, 'DINAS', dump(opd))])
    serial = itertools.count()

    def enrolled(reference: str) -> Any:
        """A new employee whose reference photo is `reference` (as enrol_face leaves it, liveness aside)."""
        n = next(serial)
        employee = Employee.model_validate({
            'employee_id': f'E{n:04d}', 'employee_type': 'TKK', 'name': f'Pegawai {n}',
            'nik': f'{3171000000000000 + n}', 'opd_id': 'DINAS', 'jabatan': 'Pelaksana', 'kelas_jabatan': 5,
            'tpp_ceiling': 2_000_000,
        })  # fmt: skip
        face_key = f'faces/{employee.employee_id}.jpg'
        media.objects[face_key] = photos[reference]
        enrolment = Enrolment(employee_id=employee.employee_id, device_id=f'dev-{n}', face_id=f'f{n}',
                              face_key=face_key)  # fmt: skip
        device = Device(device_id=f'dev-{n}', employee_id=employee.employee_id, name='bench', public_key={},
                        activated_at=clock.now)  # fmt: skip
        store.put_many([Record(checkins.KIND_ENROLMENT, employee.employee_id, dump(enrolment))])
        liveness.remember_reference(mobile, employee.employee_id, photos[reference], faces[reference][0])
        return checkins.DeviceCaller(device, enrolment, employee)

    def attempt(caller: Any, front: bytes, turn_frames: dict[str, bytes]) -> tuple[str, list[str]]:
        """One check-in: a challenge, then the frame the attacker (or person) shows for the direction asked."""
        clock.now += timedelta(minutes=30)
        asked = liveness.issue_challenge(mobile, caller, f'n{next(serial)}', {})
        body = {'kind': 'in', 'lat': -6.2001, 'lon': 106.8001, 'accuracy_m': 12.0, 'image': _b64(front),
                'liveness': {'challenge_id': asked['challenge_id'],
                             'turned_image': _b64(turn_frames[asked['direction']])}}  # fmt: skip
        decision = checkins.check_in(mobile, caller, body)
        return decision['outcome'], [r['code'] for r in decision['reasons']]

    def recoded(name: str, quality: int = 88, mirror: bool = False) -> bytes:
        """The photo as a camera frame: re-encoded, and with a JPEG comment naming the attempt, so two captures
        are never the same bytes (a sensor's noise does that in the field); the pixels are the photo's."""
        image = Image.open(io.BytesIO(photos[name])).convert('RGB')
        raw = _jpeg(ImageOps.mirror(image) if mirror else image, quality)
        comment = f'frame {next(serial)}'.encode()
        return raw[:2] + b'\xff\xfe' + (len(comment) + 2).to_bytes(2, 'big') + comment + raw[2:]

    def both_ways(name: str, quality: int) -> dict[str, bytes]:
        """A turned photo answers its own side; mirrored, the other (dlib yaw > 0: the person's left)."""
        own = 'left' if yaw[name] > 0 else 'right'
        other = 'right' if own == 'left' else 'left'
        return {own: recoded(name, quality), other: recoded(name, quality, mirror=True)}

    tally: dict[str, Counter[str]] = {}

    def count(kind: str, outcome: str) -> None:
        tally.setdefault(kind, Counter())[outcome] += 1

    # Single comparisons of different shots (what CompareFaces alone decides at 95 / 80)
    for a, b in itertools.combinations(sorted(single), 2):
        if shots[a] == shots[b]:
            continue
        similarity = engine.compare(photos[a], photos[b]) or 0.0
        band = 'accepted' if similarity >= 95 else 'review' if similarity >= 80 else 'refused'
        count('pair_genuine' if people[a] == people[b] else 'pair_impostor', band)
    samples: list[dict[str, Any]] = []
    for reference in frontal:
        person = people[reference]
        mine = [n for n in first if people[n] == person and shots[n] != shots[reference]]
        for front in [n for n in mine if n in frontal]:
            for turn in [n for n in mine if n in turned]:
                caller = enrolled(reference)
                front_frame, turn_frames = recoded(front, 93), both_ways(turn, 92)
                outcome, codes = attempt(caller, front_frame, turn_frames)
                count('genuine_live_sequence', outcome)
                samples.append({'reference': reference, 'frontal': front, 'turned': turn, 'outcome': outcome,
                                'reasons': codes})  # fmt: skip
                # The same two frames sent again byte for byte (a replayed earlier selfie)
                count('attack_replayed_selfie', attempt(caller, front_frame, turn_frames)[0])
        for other in [n for n in frontal if people[n] != person]:
            for turn in [n for n in turned if people[n] == people[other]][:1]:
                impostor = attempt(enrolled(reference), recoded(other, 91), both_ways(turn, 89))[0]
                count('impostor_live_sequence', impostor)
        caller = enrolled(reference)
        for still in [n for n in first if people[n] == person]:
            count('attack_still_photo', attempt(caller, recoded(still, 90), {d: recoded(still, 80) for d in _TURN})[0])
        count('attack_enrolment_photo_bytes', attempt(caller, photos[reference],
                                                      {d: recoded(reference, 79) for d in _TURN})[0])  # fmt: skip
        for turn in [n for n in mine if n in turned]:
            replay = attempt(caller, recoded(reference, 85), both_ways(turn, 86))[0]
            count('attack_enrolment_photo_then_real_turn', replay)
        base = Image.open(io.BytesIO(photos[reference])).convert('RGB')
        for degrees in (30, 45, 60):
            warped = {'left': _jpeg(_turned_print(base, -degrees)), 'right': _jpeg(_turned_print(base, degrees))}
            count(f'attack_printed_photo_turned_{degrees}', attempt(caller, recoded(reference, 84), warped)[0])
    return {
        'face_set': str(folder), 'photos': len(photos), 'single_face_photos': len(single),
        'distinct_shots': len(set(shots.values())), 'frontal_photos': frontal, 'turned_photos': turned,
        'outcomes': {kind: dict(sorted(c.items())) for kind, c in sorted(tally.items())},
        'genuine_samples': samples,
    }  # fmt: skip


def main() -> dict[str, Any]:
    _env()
    server = bench_server_time(int(os.environ.get('BENCH_CHECKINS', '400')))
    touched = bench_server_time(int(os.environ.get('BENCH_CHECKINS', '400')), snapshot_touched=True)
    server['moto_snapshotting_touched_items'] = {
        k: touched[k] for k in ('p50_ms', 'p99_ms', 'challenge_p50_ms', 'challenge_p99_ms', 'health_p50_ms')
    }
    peak = bench_morning_peak(
        int(os.environ.get('BENCH_PEAK_CHECKINS', '20000')), int(os.environ.get('BENCH_PEAK_MINUTES', '30')),
        float(os.environ.get('BENCH_FACE_TPS', '5')),
    )  # fmt: skip
    face_set = bench_face_set(FACES) if FACES.exists() else {'face_set': f'{FACES} not found: skipped'}
    result = {'benchmark': 'checkin', **server, **peak, 'face_set': face_set}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / 'checkin.json').write_text(json.dumps(result, indent=2) + '\n')
    ddb = ', '.join(f'{op} {n:g}' for op, n in server['dynamodb_calls_per_checkin'].items())
    print(
        f'checkin: {server["dynamodb_calls_per_checkin_total"]:g} DynamoDB calls per check-in ({ddb}), '
        f'{server["s3_calls_per_checkin_total"]:g} S3, {server["rekognition_calls_per_checkin_total"]:g} Rekognition '
        f'incl. liveness (+{server["dynamodb_calls_per_challenge_total"]:g} DynamoDB for the challenge); '
        f'p50 {server["p50_ms"]} ms, p99 {server["p99_ms"]} ms on moto ({touched["p50_ms"]}/{touched["p99_ms"]} ms '
        f'with its transactions snapshotting only their items); peak {peak["peak_checkins"]} in '
        f'{peak["peak_minutes"]} min at {peak["face_engine_tps"]} face calls/s: {peak["face_calls_per_checkin"]:g} '
        f'calls each, drained after {peak["backlog_drained_after_minutes"]} min against a floor of '
        f'{peak["drain_floor_minutes"]} ({peak["drain_to_floor_ratio"]:g}x), {peak["lost"]} lost'
    )
    return result


if __name__ == '__main__':
    main()
