"""Month close and finance export on the pemda's configured days, and by hand for a correction (moto)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib import resource_names as names
from chalicelib.adapters.clients import boto3_client
from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.domain.models import Punch
from chalicelib.services import allowance, month_end
from chalicelib.settings import get_settings
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import employee_body, opd_body, phone_punch
from tests.support import Harness

WIB = 'Asia/Jakarta'
ABSENT = date(2026, 1, 14)
PEMDA = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': WIB, 'province': 'Jawa Tengah',
         'tpp_close_day': 3, 'tpp_export_day': 5}  # fmt: skip


def _punch(employee_id: str, day: date, hhmm: str) -> Punch:
    return phone_punch(employee_id, 'DISKOMINFO', day, hhmm, WIB)


@pytest.fixture
def january(hx: Harness) -> str:
    # Given a pemda that closes on the 3rd and writes files from the 5th, one PNS absent on the 14th, January
    # day-closed
    assert hx.call('PUT', '/v1/pemda', hx.super_key, PEMDA).status == 200
    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DISKOMINFO', zone=WIB)).status == 201
    employee_id: str = hx.call('POST', '/v1/employees', hx.super_key, employee_body('DISKOMINFO', 1)).body[
        'employee_id'
    ]
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(31)]
    worked = [d for d in days if d.weekday() < 5 and d != ABSENT]
    DynamoPunchLedger().record([_punch(employee_id, d, t) for d in worked for t in ('07:20', '16:35')])
    allowance.close_days(get_deps(), get_books(), days[0], days[-1])
    return employee_id


def _on(day: int, job: str, month: int = 2) -> dict[str, Any]:
    """The scheduled job as it runs at 03:00 WIB on ``day`` February 2026 (or another month)."""
    deps = replace(get_deps(), clock=lambda: datetime(2026, month, day, 3, 0, tzinfo=UTC) - timedelta(hours=7))
    run = month_end.scheduled_close if job == 'close' else month_end.scheduled_export
    return run(deps, get_books())


# A CSV and its workbook for the one OPD and for the pemda, and the manifest.
FILES = ('DISKOMINFO.csv', 'DISKOMINFO.xlsx', 'manifest.json', 'pemda.csv', 'pemda.xlsx')


def _keys() -> list[str]:
    s3 = boto3_client('s3')
    listing = s3.list_objects_v2(Bucket=get_settings().bucket(names.BUCKET_EXPORTS), Prefix='exports/tpp/2026-01/')
    return sorted(o['Key'].removeprefix('exports/tpp/2026-01/') for o in listing.get('Contents', []))


def test_the_month_is_closed_on_the_close_day_and_exported_from_the_export_day(january: str) -> None:
    # When the daily jobs run from 2 to 6 February
    assert _on(2, 'close') == {'month': '2026-01', 'skipped': 'the month is closed on day 3', 'requested': []}
    closed = _on(3, 'close')
    assert (closed['revision'], closed['changed'], closed['employees']) == (1, True, 1)
    assert _on(4, 'close')['skipped'] == 'already closed; a correction is requested by hand'
    assert _on(4, 'export')['skipped'] == 'the files are written from day 5'
    # Then the files are written once, on the 5th
    assert _on(5, 'export')['written'] == 5
    assert _on(6, 'export')['written'] == 0
    assert _keys() == [f'rev-001/{f}' for f in FILES]


def test_a_missed_close_day_is_caught_up_and_an_export_waits_for_the_close(january: str) -> None:
    # Given the job did not run on the 3rd: on the 5th the export has nothing closed yet
    assert _on(5, 'export')['skipped'] == 'the month has not been closed'
    # When the close runs late on the 5th, then the export the next day
    assert _on(5, 'close')['revision'] == 1
    assert _on(6, 'export')['written'] == 5


def test_a_correction_closed_by_hand_gets_a_new_revision_beside_the_old_files(hx: Harness, january: str) -> None:
    # Given January closed and exported on schedule
    _on(3, 'close')
    _on(5, 'export')
    # When a doctor's note for the absent 14th is approved after the close, and the day closed again
    sick = {'code': 'S', 'first': '2026-01-14', 'last': '2026-01-14', 'reference': 'SKD 12/I/2026'}
    assert hx.call('POST', f'/v1/employees/{january}/statuses', hx.super_key, sick).status == 201
    allowance.close_day(get_deps(), get_books(), ABSENT)
    # Then finance sees that January changed since its close, until the correction is closed
    finance = hx.make_key('finance')
    assert hx.call('GET', '/v1/exports?month=2026-01', finance).body['changed_since_close'] is not None
    reply = hx.call('POST', '/v1/months/2026-01/close', hx.super_key)
    assert (reply.status, reply.body['state']) == (202, 'requested')
    # Then the next hourly close makes revision 2, and the next export writes it beside revision 1
    [correction] = _on(6, 'close')['requested']
    assert (correction['revision'], correction['changed']) == (2, True)
    assert _on(6, 'export')['revision'] == 2
    assert hx.call('GET', '/v1/exports?month=2026-01', finance).body['changed_since_close'] is None
    assert _keys() == [f'rev-00{n}/{f}' for n in (1, 2) for f in FILES]
    # And the request is done: the next run has none; a new request for an unchanged month changes nothing
    assert _on(7, 'close')['requested'] == []
    assert hx.call('POST', '/v1/months/2026-01/close', hx.super_key).status == 202
    [again] = _on(7, 'close')['requested']
    assert (again['revision'], again['changed']) == (2, False)
    assert _on(7, 'export')['written'] == 0


def test_last_months_request_waits_for_the_close_day_and_an_older_correction_is_exported(
    hx: Harness, january: str
) -> None:
    # Given a request to close January made before its close day (the 3rd)
    assert hx.call('POST', '/v1/months/2026-01/close', hx.super_key).status == 202
    # Then the run on the 1st leaves it waiting; on the 3rd the month is closed once and the request answered
    assert _on(1, 'close')['requested'] == []
    on_close_day = _on(3, 'close')
    assert (on_close_day['revision'], [r['changed'] for r in on_close_day['requested']]) == (1, [False])
    _on(5, 'export')
    # When, in March, a doctor's note for January is approved and a correction of January is requested
    sick = {'code': 'S', 'first': '2026-01-14', 'last': '2026-01-14', 'reference': 'SKD 12/I/2026'}
    assert hx.call('POST', f'/v1/employees/{january}/statuses', hx.super_key, sick).status == 201
    allowance.close_day(get_deps(), get_books(), ABSENT)
    assert hx.call('POST', '/v1/months/2026-01/close', hx.super_key).status == 202
    # Then March's hourly close makes January's revision 2, and the export job writes its files
    [correction] = _on(10, 'close', month=3)['requested']
    assert (correction['month'], correction['revision']) == ('2026-01', 2)
    [files] = _on(10, 'export', month=3)['corrections']
    assert (files['month'], files['revision'], files['written']) == ('2026-01', 2, 5)
    assert _on(10, 'export', month=3)['corrections'] == []


def test_refusals(hx: Harness, january: str) -> None:
    this_month = datetime.now(ZoneInfo(WIB)).strftime('%Y-%m')  # the pemda's month, not the machine's
    reply = hx.call('POST', f'/v1/months/{this_month}/close', hx.super_key)
    assert reply.status == 422, reply.body
    assert reply.body['error']['fields'][0]['message'] == 'must be a past month'
    reply = hx.call('POST', '/v1/months/2026-13/close', hx.super_key)
    assert (reply.status, reply.body['error']['code']) == (422, 'validation_failed')
    admin = hx.make_key('opd_admin', 'DISKOMINFO')
    assert hx.call('POST', '/v1/months/2026-01/close', admin).status == 403
    assert hx.call('POST', '/v1/months/2026-01/close', hx.make_key('finance')).status == 403
    reply = hx.call('PUT', '/v1/pemda', hx.super_key, {**PEMDA, 'tpp_close_day': 6})
    assert reply.status == 422
    assert 'tpp_export_day must not come before tpp_close_day' in str(reply.body)
    reply = hx.call('PUT', '/v1/pemda', hx.super_key, {**PEMDA, 'tpp_close_day': 29})
    assert reply.status == 422
