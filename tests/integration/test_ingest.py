"""Bridge uploads end to end on moto: presigned PUT, reconcile into the ledger exactly once, counts,
quarantine of bad lines, machine events, heartbeats and backfill requests."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from hadir_bridge.uploader import upload_body_v2

from chalicelib import resource_names as names
from chalicelib.adapters.dynamodb.items import PunchItem
from chalicelib.events.jobs import JOBS
from chalicelib.settings import get_settings
from chalicelib.wiring import get_deps
from tests.integration.builders import bridge_body, employee_body, machine_body, opd_body
from tests.support import Harness

SERIAL = 'CKJX201960001'


@dataclass
class Site:
    bridge_token: str
    employee_id: str
    other_bridge_token: str


@pytest.fixture
def site(hx: Harness) -> Site:
    # Given an OPD in WITA with one employee, a bridge and a push machine whose PIN 7 maps to the employee
    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DINKES')).status == 201
    employee = hx.call('POST', '/v1/employees', hx.super_key, employee_body('DINKES', 1)).body
    bridge = hx.call('POST', '/v1/bridges', hx.super_key, bridge_body('BRG-A', 'DINKES')).body
    other = hx.call('POST', '/v1/bridges', hx.super_key, bridge_body('BRG-B', 'DINKES')).body
    assert (
        hx.call('POST', '/v1/machines', hx.super_key, machine_body(SERIAL, 'DINKES', bridge_id='BRG-A')).status == 201
    )
    mapping = {'pin': '7', 'employee_id': employee['employee_id'], 'valid_from': '2026-01-01'}
    assert hx.call('POST', f'/v1/machines/{SERIAL}/pins', hx.super_key, mapping).status == 201
    return Site(bridge['token'], employee['employee_id'], other['token'])


def punch(pin: str, time: str, serial: str = SERIAL) -> dict[str, Any]:
    return {'v': 1, 'kind': 'punch', 'id': f'M#{serial}#{pin}#{time.replace(" ", "T")}', 'serial': serial, 'pin': pin,
            'time': time, 'status': 0, 'verify': 1, 'workcode': '0', 'source': 'push',
            'received_at': '2026-11-20T00:00:05Z', 'raw': f'{pin}\t{time}\t0\t1\t0'}  # fmt: skip


def batch(lines: list[str]) -> tuple[bytes, str, str]:
    body = gzip.compress(('\n'.join(lines) + '\n').encode(), mtime=0)
    return body, hashlib.sha256(body).hexdigest()[:32], base64.b64encode(hashlib.md5(body).digest()).decode()


def upload(hx: Harness, token: str, lines: list[str]) -> dict[str, Any]:
    body, batch_id, md5 = batch(lines)
    request = {'batch_id': batch_id, 'content_md5': md5, 'content_length': len(body), 'record_count': len(lines)}
    target = hx.call('POST', '/v1/bridge/upload-url', token, request)
    assert target.status == 200, target.body
    put = requests.put(
        target.body['url'], data=body, headers={**target.body['headers'], 'Content-MD5': md5}, timeout=10
    )
    assert put.status_code == 200, put.text
    return dict(target.body)


def reconcile() -> dict[str, Any]:
    return JOBS['reconcile'].run()


def test_uploaded_punches_land_once_mapped_to_the_employee_in_utc(hx: Harness, site: Site) -> None:
    # Given a batch with two punches of PIN 7, written in WITA machine time
    target = upload(hx, site.bridge_token, [json.dumps(punch('7', '2026-11-20 07:41:10')),
                                            json.dumps(punch('7', '2026-11-20 16:05:00'))])  # fmt: skip
    assert target['key'] == f'{names.UPLOADS_PREFIX_BRIDGES}BRG-A/{target["key"].rsplit("/", 1)[1]}'
    # When reconcile runs twice
    first, second = reconcile(), reconcile()
    # Then the ledger holds both punches for the employee, 07:41 WITA being 23:41 UTC the day before
    assert (first['uploads'], first['accepted'], first['rejected']) == (1, 2, 0)
    assert second['uploads'] == 0
    start, end = datetime(2026, 11, 19, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
    punches = get_deps().ledger.for_employee(site.employee_id, start, end)
    assert [p.at_utc for p in punches] == [datetime(2026, 11, 19, 23, 41, 10, tzinfo=UTC),
                                           datetime(2026, 11, 20, 8, 5, tzinfo=UTC)]  # fmt: skip
    assert {p.local_date.isoformat() for p in punches} == {'2026-11-20'}


def test_a_resent_batch_counts_duplicates_and_adds_nothing(hx: Harness, site: Site) -> None:
    # Given one punch already reconciled
    line = json.dumps(punch('7', '2026-11-20 07:41:10'))
    upload(hx, site.bridge_token, [line])
    reconcile()
    # When the bridge re-sends it inside a new batch together with a new punch
    upload(hx, site.bridge_token, [line, json.dumps(punch('7', '2026-11-21 07:30:00'))])
    counts = reconcile()
    # Then only the new punch is added
    assert (counts['accepted'], counts['duplicate']) == (1, 1)
    assert PunchItem.count() == 2


def test_bad_lines_are_rejected_with_reasons_and_kept_in_quarantine(hx: Harness, site: Site) -> None:
    # Given a batch mixing a good punch, garbage, a reset clock, an unknown serial and an unmapped PIN
    lines = [
        json.dumps(punch('7', '2026-11-20 07:41:10')),
        '{not json',
        json.dumps(punch('7', '2000-01-01 00:00:00')),
        json.dumps(punch('3', '2026-11-20 07:00:00', serial='UNKNOWN1')),
        json.dumps(punch('99', '2026-11-20 07:45:00')),
    ]
    target = upload(hx, site.bridge_token, lines)
    # When reconcile runs
    counts = reconcile()
    # Then each line is counted in exactly one bucket, and nothing is lost
    assert (counts['accepted'], counts['unmapped'], counts['rejected']) == (1, 1, 3)
    record = hx.call('GET', '/v1/uploads?bridge=BRG-A', hx.super_key).body['items'][0]
    reasons = {r['line']: r['reason'] for r in record['rejects']}
    assert reasons[2].startswith('not JSON') and 'impossible date 2000-01-01' in reasons[3]
    assert reasons[4] == 'unknown machine serial UNKNOWN1'
    s3 = boto3.client('s3', region_name='ap-southeast-3')
    bucket = get_settings().bucket(names.BUCKET_UPLOADS)
    kept = json.loads(s3.get_object(Bucket=bucket, Key=record['quarantine_key'])['Body'].read())
    assert kept['key'] == target['key'] and len(kept['rejected']) == 3
    unmapped = PunchItem.get(f'M#{SERIAL}#99#2026-11-20T07:45:00')
    assert unmapped.employee_id is None and unmapped.opd_id == 'DINKES'


def test_a_version_2_upload_lands_the_punches_version_1_would_and_rejects_with_line_numbers(
    hx: Harness, site: Site
) -> None:
    # Given the bridge's version 2 body of two good punches (sent as the machine's own lines under a section line),
    # then a machine line with an hour that does not exist and an unmapped PIN
    records = [json.dumps(punch('7', '2026-11-20 07:41:10')), json.dumps(punch('7', '2026-11-20 16:05:00'))]
    text = upload_body_v2(records).decode()
    assert text.splitlines()[:3] == ['hadir-upload 2', f'@\t{SERIAL}\tpush', '7\t2026-11-20 07:41:10\t0\t1\t0']
    lines = [*text.splitlines(), '7\t2026-11-20 25:00:00\t0\t1\t0', '99\t2026-11-20 07:45:00\t0\t1\t0']
    upload(hx, site.bridge_token, lines)
    # When reconcile runs
    counts = reconcile()
    # Then the ledger holds what version 1 gives for the same punches, and the bad line is rejected at its line
    assert (counts['accepted'], counts['unmapped'], counts['rejected']) == (2, 1, 1)
    start, end = datetime(2026, 11, 19, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
    punches = get_deps().ledger.for_employee(site.employee_id, start, end)
    assert [p.at_utc for p in punches] == [datetime(2026, 11, 19, 23, 41, 10, tzinfo=UTC),
                                           datetime(2026, 11, 20, 8, 5, tzinfo=UTC)]  # fmt: skip
    record = hx.call('GET', '/v1/uploads?bridge=BRG-A', hx.super_key).body['items'][0]
    assert [r['line'] for r in record['rejects']] == [5]
    assert PunchItem.get(f'M#{SERIAL}#99#2026-11-20T07:45:00').employee_id is None


def test_a_bridge_cannot_upload_for_another_bridges_machine(hx: Harness, site: Site) -> None:
    # Given bridge B uploading a punch of bridge A's machine
    upload(hx, site.other_bridge_token, [json.dumps(punch('7', '2026-11-20 07:41:10'))])
    # When reconcile runs; Then the line is refused and the ledger stays empty
    counts = reconcile()
    assert (counts['accepted'], counts['rejected']) == (0, 1)
    assert PunchItem.count() == 0


def test_an_undecodable_file_is_recorded_as_refused_not_retried_forever(hx: Harness, site: Site) -> None:
    # Given an object under the bridge prefix that is not gzip
    s3 = boto3.client('s3', region_name='ap-southeast-3')
    bucket = get_settings().bucket(names.BUCKET_UPLOADS)
    s3.put_object(Bucket=bucket, Key=f'{names.UPLOADS_PREFIX_BRIDGES}BRG-A/{"0" * 32}.ndjson.gz', Body=b'plain')
    # When reconcile runs twice; Then it is refused once with the reason, and kept
    assert reconcile()['failed'] == 1 and reconcile()['uploads'] == 0
    record = hx.call('GET', '/v1/uploads', hx.super_key).body['items'][0]
    assert 'not valid gzip' in record['rejects'][0]['reason'] and record['quarantine_key']


def test_operlog_clock_changes_are_recorded_as_flagged_machine_events(hx: Harness, site: Site) -> None:
    # Given an OPERLOG record of the machine clock being set by hand (OpType 21)
    event = {'v': 1, 'kind': 'oplog', 'id': f'O#{SERIAL}#21#0#2026-11-20T09:00:00#0#0#0', 'serial': SERIAL,
             'op_type': 21, 'op_who': '0', 'time': '2026-11-20 09:00:00', 'values': ['0', '0', '0'],
             'source': 'push', 'received_at': '2026-11-20T01:00:00Z',
             'raw': 'OPLOG 21\t0\t2026-11-20 09:00:00'}  # fmt: skip
    upload(hx, site.bridge_token, [json.dumps(event)])
    # When reconcile runs
    counts = reconcile()
    # Then the event is kept with its flag
    from chalicelib.services.ingest import machine_events

    assert counts['events'] == 1
    assert machine_events(get_deps(), 'DINKES')[0]['flag'] == 'machine clock set by hand'


def test_upload_url_requests_are_validated(hx: Harness, site: Site) -> None:
    good = {'batch_id': 'a' * 32, 'content_md5': '1B2M2Y8AsgTpgAmY7PhCfg==', 'content_length': 10, 'record_count': 1}
    # When the MD5 is not base64 of 16 bytes, the size is over the limit, or the batch id is not hex
    bad_md5 = hx.call('POST', '/v1/bridge/upload-url', site.bridge_token, {**good, 'content_md5': 'x' * 24})
    too_big = hx.call('POST', '/v1/bridge/upload-url', site.bridge_token, {**good, 'content_length': 10**9})
    bad_id = hx.call('POST', '/v1/bridge/upload-url', site.bridge_token, {**good, 'batch_id': '../../etc'})
    # Then each is a 422 naming the field
    assert [r.status for r in (bad_md5, too_big, bad_id)] == [422, 422, 422]
    assert [r.body['error']['fields'][0]['path'] for r in (bad_md5, too_big, bad_id)] == [
        'content_md5', 'content_length', 'batch_id']  # fmt: skip


def test_heartbeat_keeps_status_of_own_machines_only(hx: Harness, site: Site) -> None:
    # When the bridge reports its machine and a machine it does not own
    reply = hx.call('POST', '/v1/bridge/heartbeat', site.bridge_token,
                    {'bridge_version': '1.0', 'machines': [{'serial': SERIAL, 'clock_skew_seconds': 42},
                                                           {'serial': 'NOTMINE1'}]})  # fmt: skip
    # Then its own is stored and the other ignored
    assert reply.status == 200 and reply.body['accepted'] == [SERIAL] and reply.body['ignored'] == ['NOTMINE1']
    assert get_deps().store.get('machine_status', SERIAL).data['clock_skew_seconds'] == 42


def test_backfill_request_reaches_the_bridge_until_it_reports_done(hx: Harness, site: Site) -> None:
    # Given an administrator asks for a re-read of one day
    window = {'start': '2026-11-20 00:00:00', 'end': '2026-11-20 23:59:59'}
    created = hx.call('POST', f'/v1/machines/{SERIAL}/backfills', hx.super_key, window)
    assert created.status == 201
    # When the bridge polls, then reports the request done
    pending = hx.call('GET', '/v1/bridge/backfills', site.bridge_token).body['items']
    assert [(p['serial'], p['start']) for p in pending] == [(SERIAL, window['start'])]
    other = hx.call('GET', '/v1/bridge/backfills', site.other_bridge_token).body['items']
    done = hx.call('POST', f'/v1/bridge/backfills/{pending[0]["request_id"]}', site.bridge_token, {'state': 'done'})
    # Then only its bridge saw it, and it is no longer pending
    assert other == [] and done.status == 200
    assert hx.call('GET', '/v1/bridge/backfills', site.bridge_token).body['items'] == []


def test_machine_health_tells_online_stale_offline_and_never_seen(hx: Harness, site: Site) -> None:
    # Given three more machines of the bridge and a heartbeat reporting contacts 1 min, 30 min and 3 h ago
    for serial in ('STALE001', 'GONE0001', 'NEW00001'):
        body = machine_body(serial, 'DINKES', bridge_id='BRG-A')
        assert hx.call('POST', '/v1/machines', hx.super_key, body).status == 201
    now = datetime.now(UTC)

    def ago(minutes: int) -> str:
        return (now - timedelta(minutes=minutes)).isoformat().replace('+00:00', 'Z')

    machines = [
        {'serial': SERIAL, 'last_contact': ago(1), 'clock_skew_seconds': -3},
        {'serial': 'STALE001', 'last_contact': ago(30)},
        {'serial': 'GONE0001', 'last_contact': ago(180)},
    ]
    assert hx.call('POST', '/v1/bridge/heartbeat', site.bridge_token, {'machines': machines}).status == 200
    # When an administrator asks for the OPD's machine health
    health = hx.call('GET', '/v1/machines/health?opd=DINKES', hx.super_key)
    # Then each machine has its state and the summary counts them
    assert health.status == 200, health.body
    states = {i['serial']: i['state'] for i in health.body['items']}
    assert states == {SERIAL: 'online', 'STALE001': 'stale', 'GONE0001': 'offline', 'NEW00001': 'never_seen'}
    assert health.body['summary'] == {'online': 1, 'stale': 1, 'offline': 1, 'never_seen': 1}
    # And the scheduled reconcile reports the offline count it emits as the alarm metric
    assert reconcile()['machines_offline'] == 1


def test_an_opd_admin_sees_only_its_own_machines_health(hx: Harness, site: Site) -> None:
    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DISDIK')).status == 201
    admin = hx.make_key('opd_admin', 'DISDIK')
    assert hx.call('GET', '/v1/machines/health', admin).body['items'] == []
    assert hx.call('GET', '/v1/machines/health?opd=DINKES', admin).status == 403


def test_an_unmapped_punch_is_attached_once_its_pin_is_mapped(hx: Harness, site: Site) -> None:
    # Given a punch of PIN 99, which no mapping covers yet, reconciled and kept as unmapped
    upload(hx, site.bridge_token, [json.dumps(punch('99', '2026-11-20 07:45:00'))])
    assert reconcile()['unmapped'] == 1
    # When an administrator maps PIN 99 to a new employee from 1 November and reconcile runs again
    newcomer = hx.call('POST', '/v1/employees', hx.super_key, employee_body('DINKES', 2)).body
    mapping = {'pin': '99', 'employee_id': newcomer['employee_id'], 'valid_from': '2026-11-01'}
    assert hx.call('POST', f'/v1/machines/{SERIAL}/pins', hx.super_key, mapping).status == 201
    counts = reconcile()
    # Then the waiting punch now belongs to the employee, once, with its evidence unchanged
    assert counts['mapped_later'] == 1 and reconcile()['mapped_later'] == 0
    start, end = datetime(2026, 11, 19, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
    [attached] = get_deps().ledger.for_employee(newcomer['employee_id'], start, end)
    assert (attached.machine_pin, attached.opd_id, attached.raw) == ('99', 'DINKES', '99\t2026-11-20 07:45:00\t0\t1\t0')


def test_punches_that_arrive_after_their_day_was_closed_reopen_exactly_that_day(hx: Harness, site: Site) -> None:
    from chalicelib.wiring import get_books

    # Given Friday 20 November closed while the bridge was offline: the employee is absent (TK)
    JOBS['close-day'].run(date='2026-11-20')
    day = date(2026, 11, 20)

    def codes() -> tuple[str, ...]:
        return tuple(get_books().records.days([(site.employee_id, day)])[(site.employee_id, day)].day.codes)

    assert codes() == ('TK',)
    # When the bridge comes back and its punches of that Friday are reconciled
    upload(hx, site.bridge_token, [json.dumps(punch('7', '2026-11-20 07:25:00')),
                                   json.dumps(punch('7', '2026-11-20 16:40:00'))])  # fmt: skip
    reconcile()
    # Then the next nightly close (of Monday) recomputes that Friday too, and the day is no longer TK
    report = JOBS['close-day'].run(date='2026-11-23')
    assert report['reclosed_days'] == ['2026-11-20']
    assert 'TK' not in codes()
    # And the marker is consumed: the close after that recomputes nothing extra
    assert JOBS['close-day'].run(date='2026-11-24')['reclosed_days'] == []
