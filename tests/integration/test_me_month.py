"""GET /v1/me/month: the employee's own closed days and month, signed by the phone's device key.

January 2026 (1 January a holiday), 21 working days. Ani arrives 45 minutes late on 12 January (TL2, 1 %) and
is absent on 14 January (TK, 5 %); PAGU Rp4.000.000.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest

from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.domain.models import Punch
from chalicelib.domain.tpp.month import MISSING_SCORE_NOTE
from chalicelib.services import allowance
from chalicelib.wiring import get_books, get_deps, use_face_engine
from tests.device import Phone
from tests.face_fakes import FakeFaceEngine
from tests.integration.builders import employee_body, opd_body, phone_punch
from tests.support import Harness, Reply

ZONE = 'Asia/Jakarta'
JANUARY = [date(2026, 1, d) for d in range(1, 32)]
PATH = '/v1/me/month'


@dataclass
class World:
    hx: Harness
    ani: str
    budi: str
    ani_phone: Phone
    budi_phone: Phone


def _punch(employee_id: str, day: date, hhmm: str) -> Punch:
    return phone_punch(employee_id, 'DIKES', day, hhmm, ZONE)


def _activate(hx: Harness, employee: dict[str, str]) -> Phone:
    code = hx.call('POST', f'/v1/employees/{employee["employee_id"]}/activation-codes', hx.super_key)
    assert code.status == 201, code.body
    phone = Phone()
    body = {'nip': employee['nip'], 'code': code.body['code'], 'public_key': phone.public_jwk(), 'device_name': 'Uji'}
    reply = hx.call('POST', '/v1/mobile/activate', body=body)
    assert reply.status == 201, reply.body
    phone.device_id = reply.body['device_id']
    return phone


@pytest.fixture
def world(hx: Harness) -> Iterator[World]:
    # Given two employees of one OPD, each with an activated phone, and Ani's January punches
    use_face_engine(FakeFaceEngine())
    key = hx.super_key
    assert hx.call('POST', '/v1/opds', key, opd_body('DIKES', zone=ZONE)).status == 201
    assert (
        hx.call('POST', '/v1/holidays', key, {'day': '2026-01-01', 'name': 'Tahun Baru', 'kind': 'national'}).status
        == 201
    )
    ani, budi = (hx.call('POST', '/v1/employees', key, employee_body('DIKES', n)).body for n in (1, 2))
    punches = []
    for day in (d for d in JANUARY if d.weekday() < 5 and d != date(2026, 1, 14)):
        arrival = '08:15' if day == date(2026, 1, 12) else '07:20'
        punches += [_punch(ani['employee_id'], day, arrival), _punch(ani['employee_id'], day, '16:35')]
    DynamoPunchLedger().record(punches)
    allowance.close_days(get_deps(), get_books(), JANUARY[0], JANUARY[-1])
    yield World(hx, ani['employee_id'], budi['employee_id'], _activate(hx, ani), _activate(hx, budi))
    use_face_engine(None)


def _get(hx: Harness, phone: Phone, query: dict[str, str] | None = None, device_id: str | None = None) -> Reply:
    headers = phone.sign('GET', PATH, query=query, device_id=device_id)
    target = PATH + ('?' + '&'.join(f'{k}={v}' for k, v in query.items()) if query else '')
    return hx.call('GET', target, headers=headers)


def test_my_closed_days_before_the_month_close_and_the_month_after_it(world: World) -> None:
    hx = world.hx
    # When Ani asks for January before the month is closed
    reply = _get(hx, world.ani_phone, {'month': '2026-01'})
    # Then every owed day is there with its codes, times, deduction and reason, and the month is not closed
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body['month'], body['employee_id'], body['closed'], len(body['days'])) == ('2026-01', world.ani, False, 21)
    days = {d['date']: d for d in body['days']}
    assert '2026-01-01' not in days and '2026-01-03' not in days
    assert days['2026-01-12'] == {
        'date': '2026-01-12', 'status': 'present', 'codes': ['TL2'], 'status_code': None,
        'first_in': '2026-01-12T08:15:00', 'last_out': '2026-01-12T16:35:00', 'minutes_late': 45, 'minutes_early': 0,
        'deduction': 100, 'deduction_text': '1,00%', 'explanation': 'Terlambat 45 menit (TL2): potongan 1,00%',
    }  # fmt: skip
    assert (days['2026-01-14']['codes'], days['2026-01-14']['first_in'], days['2026-01-14']['deduction_text']) == (
        ['TK'], None, '5,00%',
    )  # fmt: skip
    # When her score (90) is imported and January is closed
    assert (
        hx.call('PUT', '/v1/scores/2026-01', hx.super_key, {'scores': [{'employee_id': world.ani, 'score': 90}]}).status
        == 200
    )
    allowance.close_month(get_deps(), get_books(), '2026-01')
    # Then the month of revision 1 is shown: 2.400.000 × 90 % + 1.600.000 − 6 % × 1.600.000 = 3.664.000
    month = _get(hx, world.ani_phone, {'month': '2026-01'}).body
    assert (month['closed'], month['revision']) == (True, 1)
    result = month['result']
    assert (result['pagu'], result['performance_score'], result['performance_part'], result['attendance_base']) == (
        4_000_000, '90', 2_160_000, 1_600_000,
    )  # fmt: skip
    assert (result['deduction_percent'], result['deduction'], result['rincian'], result['tpp_bruto']) == (
        '6.00', 96_000, 'TL2×1, TK×1', 3_664_000,
    )  # fmt: skip
    assert result['notes'] == []


def test_each_phone_reads_only_its_own_month_and_an_unsigned_or_borrowed_signature_is_refused(world: World) -> None:
    hx = world.hx
    allowance.close_month(get_deps(), get_books(), '2026-01')
    # Budi's phone reads Budi's month: he never punched, and no score was imported for him
    budi = _get(hx, world.budi_phone, {'month': '2026-01'}).body
    assert budi['employee_id'] == world.budi
    assert {tuple(d['codes']) for d in budi['days']} == {('TK',)}
    assert MISSING_SCORE_NOTE in budi['result']['notes']
    # Budi's key signing with Ani's device id, an unsigned request, and a signature for another month are refused
    borrowed = _get(hx, world.budi_phone, {'month': '2026-01'}, device_id=world.ani_phone.device_id or '')
    unsigned = hx.call('GET', f'{PATH}?month=2026-01')
    headers = world.ani_phone.sign('GET', PATH, query={'month': '2026-02'})
    swapped = hx.call('GET', f'{PATH}?month=2026-01', headers=headers)
    api_key = hx.call('GET', f'{PATH}?month=2026-01', hx.super_key)
    assert [r.status for r in (borrowed, unsigned, swapped, api_key)] == [401] * 4
    # And without a month, this month so far (none of it closed yet)
    now = _get(hx, world.ani_phone).body
    assert now['closed'] is False and now['month'] >= '2026-01'
    assert _get(hx, world.ani_phone, {'month': '2026-13'}).status == 422
