"""No input reaches a 500, the document says what the server accepts, and values are strict (issue 11, items 3,
4, 5 and 8): Unicode digits, numbers read as dates, `true` read as 1, months of year 1, 100-year backfills and
closing a day still in progress are all refused with the one error shape."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from chalicelib.api.routing import REGISTRY
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services import allowance, nightly
from chalicelib.services.common import Deps
from chalicelib.wiring import get_deps
from hadir_local import cli
from tests.device import Phone
from tests.integration.builders import bridge_body, employee_body, machine_body, opd_body
from tests.support import Harness, Reply

# Superscript two, Arabic-Indic three, full-width one: str.isdigit() is true for each, int() fails or misreads.
UNICODE_DIGITS = ('²', '٣', '１')
SERIAL = 'HARD0001'


def refused(reply: Reply, status: int = 422, code: str = 'validation_failed') -> dict[str, Any]:
    assert (reply.status, reply.body['error']['code']) == (status, code), (reply.status, reply.body)
    error: dict[str, Any] = reply.body['error']
    return error


def paths_of(error: dict[str, Any]) -> set[str]:
    return {f['path'] for f in error.get('fields', [])}


@pytest.fixture
def office(hx: Harness) -> Harness:
    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('KOMINFO')).status == 201
    assert hx.call('POST', '/v1/bridges', hx.super_key, bridge_body('BRG-K', 'KOMINFO')).status == 201
    machine = machine_body(SERIAL, 'KOMINFO', bridge_id='BRG-K')
    assert hx.call('POST', '/v1/machines', hx.super_key, machine).status == 201
    return hx


# ---- item 3: no input reaches a 500 ----------------------------------------------------------------------------


@pytest.mark.parametrize('digit', UNICODE_DIGITS)
def test_a_unicode_digit_in_limit_is_422_on_every_paginated_route(hx: Harness, digit: str) -> None:
    # Given every paginated route (the registry is filled once the harness has imported the app)
    paginated = sorted(s.path for s in REGISTRY if s.paginated and s.method == 'GET' and '{' not in s.path)
    assert len(paginated) >= 10
    # When limit is a digit that is not ASCII; Then 422 on query.limit, never 500
    for path in paginated:
        error = refused(hx.call('GET', f'{path}?limit={digit}', hx.super_key))
        assert 'query.limit' in paths_of(error), path


@pytest.mark.parametrize('digit', UNICODE_DIGITS)
def test_a_unicode_digit_in_every_numeric_query_and_path_parameter_is_422(office: Harness, digit: str) -> None:
    hx, key = office, office.super_key
    replies = {
        'holidays year': hx.call('GET', f'/v1/holidays?year=202{digit}', key),
        'exports month': hx.call('GET', f'/v1/exports?month=2026-0{digit}', key),
        'machine summary date': hx.call('GET', f'/v1/machines/summary?date=2026-01-0{digit}', key),
        'discipline year': hx.call('GET', f'/v1/discipline/alerts?year=202{digit}', key),
        'scores month': hx.call('GET', f'/v1/scores?month=202{digit}-01', key),
        'month close path': hx.call('POST', f'/v1/months/202{digit}-01/close', key),
        'ramadan path': hx.call('PUT', f'/v1/ramadan/202{digit}', key, {'start': '2026-02-18', 'end': '2026-03-19'}),
        'holiday path': hx.call('DELETE', f'/v1/holidays/2026-01-0{digit}/regional', key),
    }
    assert {name: reply.status for name, reply in replies.items()} == dict.fromkeys(replies, 422)


def _activated_phone(hx: Harness) -> Phone:
    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DIKES')).status == 201
    employee = hx.call('POST', '/v1/employees', hx.super_key, employee_body('DIKES', 1)).body
    code = hx.call('POST', f'/v1/employees/{employee["employee_id"]}/activation-codes', hx.super_key).body['code']
    phone = Phone()
    body = {'nip': employee['nip'], 'code': code, 'public_key': phone.public_jwk(), 'device_name': 'Uji'}
    reply = hx.call('POST', '/v1/mobile/activate', body=body)
    assert reply.status == 201, reply.body
    phone.device_id = reply.body['device_id']
    return phone


@pytest.mark.parametrize('digit', UNICODE_DIGITS)
def test_a_unicode_digit_in_the_device_timestamp_is_refused_before_the_signature(hx: Harness, digit: str) -> None:
    # Given an activated phone whose signed request carries a timestamp with a non-ASCII digit
    phone = _activated_phone(hx)
    headers = phone.sign('GET', '/v1/mobile/me')
    headers['X-Hadir-Timestamp'] = headers['X-Hadir-Timestamp'][:-1] + digit
    # When it is sent; Then it is 401 device_signature_missing (the header is not Unix milliseconds), not 500
    error = refused(hx.call('GET', '/v1/mobile/me', headers=headers), 401, 'device_signature_missing')
    assert 'X-Hadir-Timestamp' in error['message']


# ---- item 4: the document says what the server accepts ---------------------------------------------------------


def _parameter(doc: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in doc['paths'][path][method]['parameters'] if p['name'] == name)
    return found


def test_the_document_declares_required_parameters_patterns_ranges_and_enums(hx: Harness) -> None:
    doc = hx.call('GET', '/v1/openapi.json').body
    month = _parameter(doc, '/v1/exports', 'get', 'month')
    assert month['required'] is True and re.fullmatch(month['schema']['pattern'], '2026-01')
    assert not re.fullmatch(month['schema']['pattern'], '0001-01')
    assert _parameter(doc, '/v1/keys', 'get', 'limit')['schema'] == {'type': 'integer', 'minimum': 1, 'maximum': 500}
    assert _parameter(doc, '/v1/holidays', 'get', 'year')['required'] is True
    assert set(_parameter(doc, '/v1/checkins/review', 'get', 'state')['schema']['enum']) >= {'review', 'pending'}
    assert _parameter(doc, '/v1/employees/import', 'post', 'dry_run')['schema'] == {'type': 'boolean'}
    assert 'pattern' in _parameter(doc, '/v1/months/{month}/close', 'post', 'month')['schema']
    assert 'pattern' in _parameter(doc, '/v1/opds', 'post', 'Idempotency-Key')['schema']


def test_what_the_document_requires_or_forbids_the_server_refuses(office: Harness) -> None:
    hx, key = office, office.super_key
    replies = {
        'required month missing': hx.call('GET', '/v1/exports', key),
        'required year missing': hx.call('GET', '/v1/holidays', key),
        'state outside the enum': hx.call('GET', '/v1/checkins/review?state=anything', key),
        'dry_run not a boolean': hx.call('PUT', '/v1/scores/2026-01?dry_run=yes', key, {'scores': []}),
        'empty filter': hx.call('GET', '/v1/employees?opd=', key),
    }
    assert {name: reply.status for name, reply in replies.items()} == dict.fromkeys(replies, 422)
    assert paths_of(replies['required month missing'].body['error']) == {'query.month'}
    # And an Idempotency-Key with a space is refused as the document's pattern says
    spaced = hx.call('POST', '/v1/opds', key, opd_body('LAIN'), headers={'Idempotency-Key': 'a b'})
    refused(spaced, 400, 'malformed_request')


def test_a_value_valid_by_the_document_is_accepted(office: Harness) -> None:
    hx, key = office, office.super_key
    # Given an integer written 7.0 (an integer to JSON Schema, and the way some clients write every number)
    reply = hx.call('POST', '/v1/employees', key, employee_body('KOMINFO', 3, kelas_jabatan=7.0))
    # Then the employee is created with the integer
    assert reply.status == 201 and reply.body['kelas_jabatan'] == 7
    # And a parameter declared by its name alone is documented and checked as that name means everywhere
    doc = hx.call('GET', '/v1/openapi.json').body
    for path, ops in doc['paths'].items():
        for method, op in ops.items():
            for parameter in op['parameters']:
                if parameter['name'] in ('month', 'limit'):
                    assert 'pattern' in parameter['schema'] or 'maximum' in parameter['schema'], (method, path)


# ---- item 5: strict values -------------------------------------------------------------------------------------


def test_a_number_is_not_a_date_and_true_is_not_a_number(office: Harness) -> None:
    hx, key = office, office.super_key
    # Given a holiday whose day is a number (pydantic's lax mode reads it as Unix seconds: 2023-11-15)
    holiday = hx.call('POST', '/v1/holidays', key, {'day': 1700006400, 'kind': 'regional', 'name': 'Hari Jadi'})
    # And an employee whose kelas_jabatan is true (lax: 1), and one whose ceiling is the string "4000000"
    kelas = hx.call('POST', '/v1/employees', key, employee_body('KOMINFO', 1, kelas_jabatan=True))
    ceiling = hx.call('POST', '/v1/employees', key, employee_body('KOMINFO', 2, tpp_ceiling='4000000'))
    # Then each is refused on its field, and nothing was stored
    assert paths_of(refused(holiday)) == {'day'}
    assert paths_of(refused(kelas)) == {'kelas_jabatan'}
    assert paths_of(refused(ceiling)) == {'tpp_ceiling'}
    assert hx.call('GET', '/v1/holidays?year=2023', key).body['items'] == []
    assert hx.call('GET', '/v1/employees', key).body['items'] == []


def test_dates_and_months_outside_2000_to_2100_are_refused(office: Harness) -> None:
    hx, key = office, office.super_key
    ancient = hx.call('POST', '/v1/holidays', key, {'day': '0001-01-01', 'kind': 'regional', 'name': 'Hari Jadi'})
    assert paths_of(refused(ancient)) == {'day'}
    refused(hx.call('POST', '/v1/months/0001-01/close', key))
    refused(hx.call('GET', '/v1/exports?month=0001-01', key))
    ramadan = hx.call('PUT', '/v1/ramadan/2026', key, {'start': '2026-02-18', 'end': '9999-03-19'})
    assert paths_of(refused(ramadan)) == {'end'}
    # And the jobs refuse them too (hadir job close-month --date 0001-01 was accepted and run)
    with pytest.raises(ValidationFailed):
        allowance.month_to_close(get_deps(), '0001-01')
    with pytest.raises(ValidationFailed):
        allowance.day_to_close(get_deps(), '0001-01-01')


def test_a_backfill_window_is_bounded_to_62_days(office: Harness) -> None:
    hx, key = office, office.super_key
    path = f'/v1/machines/{SERIAL}/backfills'
    century = hx.call('POST', path, key, {'start': '2000-01-01 00:00:00', 'end': '2100-01-01 00:00:00'})
    backwards = hx.call('POST', path, key, {'start': '2026-02-01 00:00:00', 'end': '2026-01-01 00:00:00'})
    not_a_day = hx.call('POST', path, key, {'start': '2026-02-30 00:00:00', 'end': '2026-03-01 00:00:00'})
    assert [r.status for r in (century, backwards, not_a_day)] == [422, 422, 422]
    assert '62 days' in century.body['error']['fields'][0]['message']
    two_months = hx.call('POST', path, key, {'start': '2026-01-01 00:00:00', 'end': '2026-03-04 00:00:00'})
    assert two_months.status == 201, two_months.body


# ---- item 8: a day in progress is not closed -------------------------------------------------------------------


def _at(deps: Deps, moment: datetime) -> Deps:
    return type(deps)(deps.store, deps.audit_log, deps.ledger, lambda: moment, deps.random_bytes)


def test_a_day_is_closed_only_once_it_is_over_in_every_zone_of_the_pemda(office: Harness) -> None:
    # Given OPDs in WITA (KOMINFO) and WIB, and 08:22 WITA on 7 December 2026
    assert office.call('POST', '/v1/opds', office.super_key, opd_body('DISDIK', zone='Asia/Jakarta')).status == 201
    morning = _at(get_deps(), datetime(2026, 12, 7, 0, 22, tzinfo=UTC))
    # When today is asked to be closed; Then it is refused, with when it can be closed
    with pytest.raises(ValidationFailed) as refusal:
        allowance.day_to_close(morning, '2026-12-07')
    assert refusal.value.code == 'day_not_over'
    assert 'from 2026-12-08 01:00 WIB' in refusal.value.message and '--force' in refusal.value.message
    # And at 00:30 WITA on the 8th (23:30 WIB on the 7th) it is still going in WIB
    with pytest.raises(ValidationFailed):
        allowance.day_to_close(_at(morning, datetime(2026, 12, 7, 16, 30, tzinfo=UTC)), '2026-12-07')
    # But at 01:00 WIB on the 8th it is over everywhere, and forced it closes at any time
    assert allowance.day_to_close(_at(morning, datetime(2026, 12, 7, 18, 0, tzinfo=UTC)), '2026-12-07') == date(
        2026, 12, 7
    )
    assert allowance.day_to_close(morning, '2026-12-07', force=True) == date(2026, 12, 7)
    assert allowance.DAY_CLOSES_AT_LOCAL_HOUR == nightly.CLOSE_AFTER_LOCAL_HOUR


def test_hadir_job_close_day_refuses_today_and_says_why(office: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    # Given today's date in the pemda (the real clock)
    today = allowance.local_today(get_deps()).isoformat()
    # When `hadir job close-day --date <today>` runs; Then it exits 2 with the reason, and closes nothing
    assert cli.run_job('close-day', today) == 2
    assert 'is not over yet' in capsys.readouterr().err
    # And with --force it closes the day
    assert cli.run_job('close-day', today, force=True) == 0
