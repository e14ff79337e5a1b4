"""The routes the web console needs (docs/console-api.md): today's live board, employee search, an employee's
month and an OPD's grid and statuses, unmapped PINs. Each with its OPD scope."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.models import Punch, PunchSource
from chalicelib.domain.punch_keys import local_to_utc
from chalicelib.domain.tpp.day import DayCategory, DayResult
from chalicelib.domain.tpp.records import DayRecord
from chalicelib.ports import Record
from chalicelib.services.ingest import KIND_UNMAPPED
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import employee_body, machine_body, nip, opd_body, phone_punch
from tests.support import Harness

ZONE = 'Asia/Makassar'
EVERY_DAY = {
    'code': 'TIAP-HARI',
    'name': 'Setiap hari 07:30-16:00',
    'days': [{'weekday': d, 'start': '07:30', 'end': '16:00'} for d in range(7)],
}


@dataclass
class Office:
    hx: Harness
    today: date
    people: dict[str, str]  # short name -> employee id
    dikes_admin: str
    dispar_admin: str
    auditor: str
    finance: str

    def call(self, path: str, key: str) -> Any:
        return self.hx.call('GET', path, key)


def _employee(hx: Harness, opd: str, n: int, name: str, **extra: Any) -> str:
    reply = hx.call('POST', '/v1/employees', hx.super_key, employee_body(opd, n, name=name, **extra))
    assert reply.status == 201, reply.body
    return str(reply.body['employee_id'])


def machine_punch(employee_id: str | None, opd_id: str, day: date, hhmm: str, serial: str, pin: str) -> Punch:
    at_utc, local_date = local_to_utc(datetime.combine(day, datetime.strptime(hhmm, '%H:%M').time()), ZONE)
    return Punch(punch_id=f'{serial}#{pin}#{day.isoformat()}T{hhmm}', source=PunchSource.MACHINE,
                 employee_id=employee_id, opd_id=opd_id, at_utc=at_utc, local_date=local_date, zone=ZONE,
                 machine_serial=serial, machine_pin=pin, received_at=at_utc + timedelta(minutes=1))  # fmt: skip


@pytest.fixture
def office(hx: Harness) -> Iterator[Office]:
    # Two OPDs in WITA working every day 07:30-16:00, so "today" owes a shift whatever day the test runs
    for opd in ('DIKES', 'DISPAR'):
        assert hx.call('POST', '/v1/opds', hx.super_key, opd_body(opd, zone=ZONE)).status == 201
    assert hx.call('POST', '/v1/schedule-templates', hx.super_key, EVERY_DAY).status == 201
    today = datetime.now(ZoneInfo(ZONE)).date()
    for opd in ('DIKES', 'DISPAR'):
        body = {'opd_id': opd, 'template_code': 'TIAP-HARI', 'valid_from': (today - timedelta(days=40)).isoformat()}
        assert hx.call('POST', '/v1/schedule-assignments', hx.super_key, body).status == 201, body
    people = {
        'ani': _employee(hx, 'DIKES', 1, 'Ani Suryani'),
        'budi': _employee(hx, 'DIKES', 2, 'Budi Santoso'),
        'citra': _employee(hx, 'DIKES', 3, 'Citra Lestari'),
        'dewi': _employee(hx, 'DIKES', 4, 'Dewi Suryadi'),
        'eko': _employee(hx, 'DIKES', 5, 'Eko Prasetyo'),
        'fajar': _employee(hx, 'DISPAR', 6, 'Fajar Suryana'),
    }
    assert hx.call('DELETE', f'/v1/employees/{people["eko"]}', hx.super_key).status == 200
    yield Office(hx, today, people, hx.make_key('opd_admin', 'DIKES'), hx.make_key('opd_admin', 'DISPAR'),
                 hx.make_key('auditor'), hx.make_key('finance'))  # fmt: skip


def _punch_today(office: Office) -> None:
    p, day = office.people, office.today
    get_deps().ledger.record([
        phone_punch(p['ani'], 'DIKES', day, '07:20', ZONE),
        machine_punch(p['ani'], 'DIKES', day, '16:05', 'AEWD1', '11'),
        phone_punch(p['budi'], 'DIKES', day, '07:47', ZONE),
        phone_punch(p['fajar'], 'DISPAR', day, '07:29', ZONE),
        # Yesterday's punch of Citra is not today's
        phone_punch(p['citra'], 'DIKES', day - timedelta(days=1), '07:25', ZONE),
    ])  # fmt: skip


def _leave_today(office: Office, who: str) -> dict[str, Any]:
    body = {'code': 'CT', 'first': office.today.isoformat(), 'last': office.today.isoformat(),
            'reference': '851/12/BKPSDM/2026'}  # fmt: skip
    reply = office.hx.call('POST', f'/v1/employees/{office.people[who]}/statuses', office.dikes_admin, body)
    assert reply.status == 201, reply.body
    return dict(reply.body)


# ---- today ------------------------------------------------------------------------------------------------------


def test_today_board_lists_punches_lateness_no_punch_and_leave_live_from_the_ledger(office: Office) -> None:
    # Given Ani in at 07:20 (phone) and out at 16:05 (machine), Budi in at 07:47, Citra nothing today, Dewi on
    # annual leave today, Eko deactivated, and Fajar punching in another OPD
    _punch_today(office)
    _leave_today(office, 'dewi')
    # When DIKES's admin opens today's board
    reply = office.call('/v1/opds/DIKES/today', office.dikes_admin)
    # Then every active DIKES employee owing today's shift is there, the ones without a punch first
    assert reply.status == 200, reply.body
    board = reply.body
    assert board['date'] == office.today.isoformat() and board['zone'] == ZONE
    rows = {row['name']: row for row in board['items']}
    assert [row['name'] for row in board['items']] == ['Citra Lestari', 'Budi Santoso', 'Ani Suryani', 'Dewi Suryadi']
    ani, budi, citra, dewi = (rows[n] for n in ('Ani Suryani', 'Budi Santoso', 'Citra Lestari', 'Dewi Suryadi'))
    # And Ani is present with her first punch from the phone and her last from the machine
    assert (ani['state'], ani['minutes_late'], ani['punches']) == ('present', 0, 2)
    assert ani['first_punch'] == {'at': f'{office.today}T07:20:00', 'source': 'phone', 'machine_serial': None}
    assert ani['last_punch'] == {'at': f'{office.today}T16:05:00', 'source': 'machine', 'machine_serial': 'AEWD1'}
    assert ani['shift'] == {'code': 'TIAP-HARI', 'start': f'{office.today}T07:30:00', 'end': f'{office.today}T16:00:00'}
    # And Budi is 17 minutes late against 07:30 (the default profile has no grace), with no last punch yet
    assert (budi['state'], budi['minutes_late'], budi['last_punch']) == ('late', 17, None)
    # And Citra has no punch today (yesterday's does not count)
    assert (citra['state'], citra['first_punch'], citra['minutes_late']) == ('no_punch', None, None)
    # And Dewi is on leave, with the status named from the profile
    assert dewi['state'] == 'status'
    assert (dewi['status']['code'], dewi['status']['category'], dewi['status']['name']) == (
        'CT',
        'cuti',
        'Cuti tahunan',
    )
    assert board['counts'] == {'total': 4, 'present': 2, 'late': 1, 'no_punch': 1, 'on_status': 1, 'off': 0,
                               'by_status': {'cuti': 1, 'dinas': 0, 'izin': 0, 'sakit': 0, 'lain': 0}}  # fmt: skip


def test_today_board_is_scoped_to_the_callers_opd(office: Office) -> None:
    _punch_today(office)
    # Given the DISPAR admin, an auditor and a finance key
    # When each asks for DIKES's board
    other = office.call('/v1/opds/DIKES/today', office.dispar_admin)
    audited = office.call('/v1/opds/DIKES/today', office.auditor)
    finance = office.call('/v1/opds/DIKES/today', office.finance)
    own = office.call('/v1/opds/DISPAR/today', office.dispar_admin)
    # Then another OPD's admin and finance get the API's 403; the auditor and the own OPD's admin get a board
    assert (other.status, other.body['error']['code']) == (403, 'forbidden')
    assert 'only act on OPD DISPAR' in other.body['error']['message']
    assert finance.status == 403
    assert audited.status == 200 and audited.body['counts']['total'] == 4
    assert own.status == 200 and [(r['name'], r['state']) for r in own.body['items']] == [('Fajar Suryana', 'present')]
    assert office.call('/v1/opds/NOPE/today', office.hx.super_key).status == 404


def test_pemda_today_gives_one_summary_row_per_opd_for_super_and_auditor_only(office: Office) -> None:
    _punch_today(office)
    _leave_today(office, 'dewi')
    # When the super admin (and an auditor) ask for the pemda's summary
    reply = office.call('/v1/today', office.hx.super_key)
    # Then each OPD has its counts, and the totals add them up
    assert reply.status == 200, reply.body
    rows = {row['opd_id']: row for row in reply.body['items']}
    assert set(rows) == {'DIKES', 'DISPAR'} and reply.body['count'] == 2
    assert rows['DIKES']['counts'] == office.call('/v1/opds/DIKES/today', office.hx.super_key).body['counts']
    assert (rows['DISPAR']['counts']['total'], rows['DISPAR']['counts']['present']) == (1, 1)
    assert reply.body['totals']['total'] == 5 and reply.body['totals']['late'] == 1
    assert office.call('/v1/today', office.auditor).status == 200
    # And an OPD admin is refused: it reads its own OPD's board instead
    assert office.call('/v1/today', office.dikes_admin).status == 403


# ---- employee search -------------------------------------------------------------------------------------------


def _names(reply: Any) -> list[str]:
    assert reply.status == 200, reply.body
    return sorted(item['name'] for item in reply.body['items'])


def test_employee_search_by_part_of_a_name_any_case_within_the_callers_scope(office: Office) -> None:
    # When the super admin searches "SURYA", the DIKES admin the same, and the DIKES admin asks for DISPAR
    everyone = office.call('/v1/employees?q=SURYA', office.hx.super_key)
    own = office.call('/v1/employees?q=surya', office.dikes_admin)
    other = office.call('/v1/employees?q=surya&opd=DISPAR', office.dikes_admin)
    # Then the super admin finds every Surya* of the pemda, the OPD admin only its own, and another OPD is 403
    assert _names(everyone) == ['Ani Suryani', 'Dewi Suryadi', 'Fajar Suryana']
    assert _names(own) == ['Ani Suryani', 'Dewi Suryadi']
    assert other.status == 403
    # And an OPD filter narrows a super admin's search
    assert _names(office.call('/v1/employees?q=surya&opd=DISPAR', office.hx.super_key)) == ['Fajar Suryana']


def test_employee_search_by_nip_prefix_and_by_employee_id(office: Office) -> None:
    # Given NIPs 1985030120100110NN for the employees numbered NN
    assert nip(2) == '198503012010011002'
    # When searching by the first 17 digits of Budi's NIP, by his whole NIP, and by his id
    prefix = office.call('/v1/employees?q=19850301201001100', office.dikes_admin)
    whole = office.call('/v1/employees?q=198503012010011002', office.dikes_admin)
    by_id = office.call(f'/v1/employees?q={office.people["budi"]}', office.dikes_admin)
    # Then the prefix finds the DIKES staff numbered 1-9 (Eko is inactive but still listed), the rest one each
    assert _names(prefix) == ['Ani Suryani', 'Budi Santoso', 'Citra Lestari', 'Dewi Suryadi', 'Eko Prasetyo']
    assert _names(whole) == ['Budi Santoso'] and _names(by_id) == ['Budi Santoso']
    # And a NIP of another OPD's employee is not found by an OPD admin
    assert _names(office.call('/v1/employees?q=198503012010011006', office.dikes_admin)) == []


def test_employee_search_pages_through_matches_without_gaps_or_repeats(office: Office) -> None:
    # When the super admin pages through "surya" one at a time
    seen, cursor = [], None
    for _ in range(5):
        reply = office.call('/v1/employees?q=surya&limit=1' + (f'&cursor={cursor}' if cursor else ''),
                            office.hx.super_key)  # fmt: skip
        assert reply.status == 200 and reply.body['count'] <= 1
        seen += [item['name'] for item in reply.body['items']]
        cursor = reply.body['next_cursor']
        if cursor is None:
            break
    # Then each match comes once, and the last page says there is no more
    assert sorted(seen) == ['Ani Suryani', 'Dewi Suryadi', 'Fajar Suryana'] and cursor is None


def test_employee_search_refuses_a_one_letter_name_and_a_forged_cursor(office: Office) -> None:
    short = office.call('/v1/employees?q=a', office.hx.super_key)
    assert (short.status, short.body['error']['fields'][0]['path']) == (422, 'query.q')
    forged = office.call('/v1/employees?q=surya&cursor=bm90LWEtY3Vyc29y', office.hx.super_key)
    assert (forged.status, forged.body['error']['code']) == (400, 'malformed_request')
    # And without q the listing is the plain page it always was
    assert office.call('/v1/employees?opd=DIKES', office.dikes_admin).body['count'] == 5


# ---- month views ------------------------------------------------------------------------------------------------


def _closed_day(employee_id: str, day: date, codes: tuple[str, ...], explanation: str) -> DayRecord:
    result = DayResult(local_date=day, shift_code='TIAP-HARI', category=DayCategory.PRESENT, codes=codes,
                       minutes_late=12 if codes else 0, deduction=50 if codes else 0,
                       deduction_before_cap=50 if codes else 0, explanation=explanation)  # fmt: skip
    return DayRecord(employee_id=employee_id, opd_id='DIKES', profile_id='asn-default', profile_version=1,
                     day=result)  # fmt: skip


def test_employee_month_gives_closed_days_schedule_and_statuses_within_scope(office: Office) -> None:
    # Given two closed days of Budi this month and an approved leave of his today
    first = office.today.replace(day=1)
    get_books().records.put_days([
        _closed_day(office.people['budi'], first, ('TL1',), 'Terlambat 12 menit (TL1)'),
    ])  # fmt: skip
    leave = _leave_today(office, 'budi')
    month = f'{office.today:%Y-%m}'
    # When the DIKES admin opens his month
    reply = office.call(f'/v1/employees/{office.people["budi"]}/month?month={month}', office.dikes_admin)
    # Then the closed day has its codes and explanation, the schedule is the OPD's assignment, the leave is listed
    assert reply.status == 200, reply.body
    body = reply.body
    assert [(d['date'], d['codes'], d['explanation']) for d in body['days']] == [
        (first.isoformat(), ['TL1'], 'Terlambat 12 menit (TL1)')
    ]
    assert (body['schedule']['kind'], body['schedule']['template'], body['schedule']['source']) == (
        'WEEKLY',
        'TIAP-HARI',
        'assignment',
    )
    assert body['schedule']['shift']['start'] == f'{office.today}T07:30:00'
    assert [s['status_id'] for s in body['statuses']] == [leave['status_id']]
    assert body['closed'] is False
    # And another OPD's admin is refused, a bad month is a 422
    assert office.call(f'/v1/employees/{office.people["budi"]}/month', office.dispar_admin).status == 403
    bad = office.call(f'/v1/employees/{office.people["budi"]}/month?month=2026-13', office.dikes_admin)
    assert (bad.status, bad.body['error']['fields'][0]['path']) == (422, 'query.month')


def test_opd_month_grid_and_statuses_of_a_month(office: Office) -> None:
    # Given a closed day of Ani and Budi's today leave (then cancelled), and Dewi's leave today
    first = office.today.replace(day=1)
    get_books().records.put_days([_closed_day(office.people['ani'], first, (), 'Hadir tepat waktu')])
    budi = _leave_today(office, 'budi')
    _leave_today(office, 'dewi')
    cancel = office.hx.call('POST', f'/v1/statuses/{budi["status_id"]}/cancel', office.dikes_admin,
                            {'reason': 'salah input tanggal'})  # fmt: skip
    assert cancel.status == 200, cancel.body
    month = f'{office.today:%Y-%m}'
    # When the DIKES admin reads the grid and the statuses of the month
    grid = office.call(f'/v1/opds/DIKES/days?month={month}', office.dikes_admin)
    approved = office.call(f'/v1/opds/DIKES/statuses?month={month}', office.dikes_admin)
    every = office.call(f'/v1/opds/DIKES/statuses?month={month}&state=all', office.dikes_admin)
    # Then the grid has Ani's closed day and a row for each active employee (Eko is inactive and has no day)
    assert grid.status == 200, grid.body
    rows = {row['name']: row for row in grid.body['items']}
    assert set(rows) == {'Ani Suryani', 'Budi Santoso', 'Citra Lestari', 'Dewi Suryadi'}
    assert rows['Ani Suryani']['days'] == {first.isoformat(): {
        'status': 'present', 'codes': [], 'status_code': None, 'minutes_late': 0, 'minutes_early': 0, 'deduction': 0,
        'explanation': 'Hadir tepat waktu'}}  # fmt: skip
    assert grid.body['dates'][0] == first.isoformat() and grid.body['dates'][-1] == office.today.isoformat()
    # And a page of it holds the next employees in name order, while count speaks of the whole OPD
    second = office.call(f'/v1/opds/DIKES/days?month={month}&offset=1&size=2', office.dikes_admin)
    assert second.status == 200, second.body
    assert [row['name'] for row in second.body['items']] == [row['name'] for row in grid.body['items']][1:3]
    assert (second.body['count'], second.body['offset']) == (4, 1)
    assert office.call(f'/v1/opds/DIKES/days?month={month}&size=0', office.dikes_admin).status == 422
    # And the statuses: approved only by default, the cancelled one too with state=all
    assert [(s['employee_name'], s['category']) for s in approved.body['items']] == [('Dewi Suryadi', 'cuti')]
    assert sorted((s['employee_name'], s['state']) for s in every.body['items']) == [
        ('Budi Santoso', 'cancelled'),
        ('Dewi Suryadi', 'approved'),
    ]
    # And DISPAR's admin may not read DIKES's grid nor statuses
    assert office.call(f'/v1/opds/DIKES/days?month={month}', office.dispar_admin).status == 403
    assert office.call(f'/v1/opds/DIKES/statuses?month={month}', office.dispar_admin).status == 403
    assert office.call('/v1/opds/DIKES/statuses?state=nope', office.dikes_admin).status == 422


# ---- machines -------------------------------------------------------------------------------------------------


def test_unmapped_pins_are_grouped_per_machine_and_pin_within_scope(office: Office) -> None:
    # Given a DIKES machine with punches of PIN 17 on two days and PIN 9 once, none mapped
    hx = office.hx
    assert hx.call('POST', '/v1/machines', hx.super_key, machine_body('AEWD1', 'DIKES')).status == 201
    day = office.today
    waiting = [machine_punch(None, 'DIKES', day - timedelta(days=n), hhmm, 'AEWD1', pin)
               for n, hhmm, pin in ((2, '07:10', '17'), (0, '07:12', '17'), (0, '07:40', '9'))]  # fmt: skip
    get_deps().store.put_many([
        Record(
            KIND_UNMAPPED, p.punch_id,
            {'punch_id': p.punch_id, 'serial': p.machine_serial, 'pin': p.machine_pin,
             'local_date': p.local_date.isoformat()},
            list_key=f'{p.machine_serial}#{p.machine_pin}#{p.local_date.isoformat()}#{p.punch_id}')
        for p in waiting
    ])  # fmt: skip
    # When the DIKES admin lists them
    reply = office.call('/v1/opds/DIKES/unmapped-pins', office.dikes_admin)
    # Then each PIN is one row with its count and dates
    assert reply.status == 200, reply.body
    assert [(i['serial'], i['pin'], i['punches'], i['first_date'], i['last_date']) for i in reply.body['items']] == [
        ('AEWD1', '9', 1, day.isoformat(), day.isoformat()),
        ('AEWD1', '17', 2, (day - timedelta(days=2)).isoformat(), day.isoformat()),
    ]
    assert office.call('/v1/opds/DIKES/unmapped-pins', office.dispar_admin).status == 403
