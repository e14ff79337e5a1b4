"""Schedules through the routes and the day close: rosters with night shifts, holidays (imported, removed),
Ramadan hours, assignments per OPD, unit and employee, and every refusal with its status and message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.domain.models import Punch, PunchSource
from chalicelib.domain.punch_keys import local_to_utc, phone_punch_id
from chalicelib.events.jobs import IMPORT_ACTOR, JOBS
from chalicelib.services import allowance, ingest, reclose
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import employee_body, opd_body
from tests.support import Harness, Reply

ZONE = 'Asia/Jakarta'
SHIFT_CODES = {
    'codes': [
        {'code': 'P', 'name': 'Pagi', 'start': '07:00', 'end': '14:00'},
        {'code': 'S', 'name': 'Siang', 'start': '14:00', 'end': '21:00'},
        {'code': 'M', 'name': 'Malam', 'start': '21:00', 'end': '07:00'},
        {'code': 'L', 'name': 'Libur', 'working': False},
        {'code': 'LD', 'name': 'Lepas dinas', 'working': False},
    ]
}
EIGHT_TO_FOUR = {
    'code': 'DINAS-0800',
    'name': 'Dinas 08:00-16:00',
    'days': [{'weekday': d, 'start': '08:00', 'end': '16:00'} for d in range(5)],
}


@dataclass
class Pemda:
    hx: Harness
    nurse: str  # RSUD, on the roster
    clerk: str  # DINAS, unit Bidang Aplikasi
    colleague: str  # DINAS, unit Bidang Aplikasi
    other: str  # DINAS, no unit
    rsud_admin: str
    dinas_admin: str

    def call(self, method: str, path: str, body: Any = None, key: str | None = None) -> Reply:
        return self.hx.call(method, path, key or self.hx.super_key, body)


def _created(reply: Reply) -> dict[str, Any]:
    assert reply.status in (200, 201), reply.body
    return dict(reply.body)


@pytest.fixture
def pemda(hx: Harness) -> Pemda:
    # Given a WIB pemda with an RSUD and a dinas, a nurse, two clerks of one unit and a third without a unit
    key = hx.super_key
    pemda = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': ZONE, 'province': 'Jawa Tengah'}
    _created(hx.call('PUT', '/v1/pemda', key, pemda))
    _created(hx.call('POST', '/v1/opds', key, opd_body('RSUD', kind='rsud', zone=ZONE)))
    _created(hx.call('POST', '/v1/opds', key, opd_body('DINAS', zone=ZONE)))
    ids = [
        _created(hx.call('POST', '/v1/employees', key, body))['employee_id']
        for body in (
            employee_body('RSUD', 1, jabatan='Perawat Terampil'),
            employee_body('DINAS', 2, unit='Bidang Aplikasi'),
            employee_body('DINAS', 3, unit='Bidang  aplikasi'),  # typed by hand: case and spaces differ
            employee_body('DINAS', 4),
        )
    ]
    return Pemda(hx, *ids, hx.make_key('opd_admin', 'RSUD'), hx.make_key('opd_admin', 'DINAS'))


def _punches(employee_id: str, opd_id: str, *stamps: str) -> None:
    punches = []
    for stamp in stamps:
        at_utc, local_date = local_to_utc(datetime.fromisoformat(stamp), ZONE)
        punches.append(Punch(
            punch_id=phone_punch_id(employee_id, stamp), source=PunchSource.PHONE, employee_id=employee_id,
            opd_id=opd_id, at_utc=at_utc, local_date=local_date, zone=ZONE, received_at=at_utc + timedelta(seconds=5),
        ))  # fmt: skip
    DynamoPunchLedger().record(punches)


def _close(first: str, last: str) -> None:
    allowance.close_days(get_deps(), get_books(), date.fromisoformat(first), date.fromisoformat(last))


def _codes(employee_id: str, day: str) -> tuple[str, ...] | None:
    """The day's codes, or None when no day is owed."""
    key = (employee_id, date.fromisoformat(day))
    found = get_books().records.days([key])
    return found[key].day.codes if key in found else None


def _error(reply: Reply) -> tuple[int, str, str]:
    return reply.status, reply.body['error']['code'], reply.body['error']['message']


def _fields(reply: Reply) -> dict[str, str]:
    assert (reply.status, reply.body['error']['code']) == (422, 'validation_failed'), reply.body
    return {f['path']: f['message'] for f in reply.body['error']['fields']}


def _roster_rsud(p: Pemda) -> None:
    _created(p.call('PUT', '/v1/opds/RSUD/shift-codes', SHIFT_CODES, p.rsud_admin))
    _created(p.call('POST', '/v1/schedule-assignments', {'opd_id': 'RSUD', 'kind': 'ROSTER',
                                                         'valid_from': '2026-01-01'}))  # fmt: skip


def test_a_night_shift_closes_on_the_day_it_starts_and_off_days_are_not_tk(pemda: Pemda) -> None:
    # Given the RSUD on rosters, its shift codes, and the nurse's March roster: M, LD, L, M
    p = pemda
    _roster_rsud(p)
    roster = {'days': {'2026-03-10': 'M', '2026-03-11': 'LD', '2026-03-12': 'L', '2026-03-13': 'M'}}
    stored = _created(p.call('PUT', f'/v1/employees/{p.nurse}/rosters/2026-03', roster, p.rsud_admin))
    assert stored['days'] == roster['days'] and stored['version'] == 0
    # And she checks in at 20:55 and out at 07:05 the next morning, then 21:40 and 07:10 three nights later
    _punches(p.nurse, 'RSUD', '2026-03-10T20:55', '2026-03-11T07:05', '2026-03-13T21:40', '2026-03-14T07:10')
    # When the days are closed
    _close('2026-03-09', '2026-03-14')
    # Then the first night is present on the 10th, the late one is TL2 on the 13th, and no other day is owed
    assert _codes(p.nurse, '2026-03-10') == ('H',)
    assert _codes(p.nurse, '2026-03-13') == ('TL2',)
    assert [_codes(p.nurse, d) for d in ('2026-03-09', '2026-03-11', '2026-03-12', '2026-03-14')] == [None] * 4
    # And the roster reads back with its codes' hours
    read = _created(p.call('GET', f'/v1/employees/{p.nurse}/rosters/2026-03', key=p.rsud_admin))
    assert read['days'] == roster['days'] and {c['code'] for c in read['codes']} == {'P', 'S', 'M', 'L', 'LD'}


def test_a_night_shift_check_out_uploaded_days_late_reopens_the_day_the_shift_began(pemda: Pemda) -> None:
    # Given the nurse rostered M on 10 March, her 20:55 check-in on time, and the 10th closed without a check-out
    p = pemda
    _roster_rsud(p)
    _created(p.call('PUT', f'/v1/employees/{p.nurse}/rosters/2026-03', {'days': {'2026-03-10': 'M'}}, p.rsud_admin))
    _punches(p.nurse, 'RSUD', '2026-03-10T20:55')
    _close('2026-03-10', '2026-03-11')
    assert _codes(p.nurse, '2026-03-10') == ('PSW4',)
    # When the machine's 07:05 check-out of the 11th reaches the ledger two days late, as reconcile records it
    at_utc, local_date = local_to_utc(datetime.fromisoformat('2026-03-11T07:05'), ZONE)
    late = Punch(punch_id=phone_punch_id(p.nurse, 'late'), source=PunchSource.PHONE, employee_id=p.nurse,
                 opd_id='RSUD', at_utc=at_utc, local_date=local_date, zone=ZONE,
                 received_at=at_utc + timedelta(days=2))  # fmt: skip
    on_time = late.model_copy(update={'employee_id': p.other, 'received_at': at_utc})
    DynamoPunchLedger().record([late])
    # Then the day the shift began is marked too (only for a rostered employee's late punch), and re-closed as H
    deps = get_deps()
    assert ingest._night_shift_days(deps, [late, on_time]) == {date(2026, 3, 10)}
    assert ingest._night_shift_days(deps, [late.model_copy(update={'employee_id': p.clerk})]) == set()
    reclose.mark_for_reclose(deps, {local_date} | ingest._night_shift_days(deps, [late]), 'late upload')
    assert '2026-03-10' in JOBS['close-day'].run(date='2026-03-12')['reclosed_days']
    assert _codes(p.nurse, '2026-03-10') == ('H',)


def test_holiday_import_adds_once_and_weekly_staff_owe_nothing_on_holidays_even_if_they_punched(pemda: Pemda) -> None:
    p = pemda
    # When the super admin imports 2026 twice
    first = _created(p.call('POST', '/v1/holidays/import', {'year': 2026}))
    again = _created(p.call('POST', '/v1/holidays/import', {'year': 2026}))
    # Then the first adds national days and cuti bersama, the second adds nothing
    added = {(h['day'], h['kind']) for h in first['added']}
    assert ('2026-08-17', 'national') in added and any(k == 'cuti_bersama' for _, k in added)
    assert (again['added'], again['present']) == ([], len(added))
    listed = p.call('GET', '/v1/holidays?year=2026').body['items']
    assert len(listed) == len(added)
    # Given the clerk punches on Independence Day and on a weekday of cuti bersama
    cuti = next(d for d, k in sorted(added) if k == 'cuti_bersama' and date.fromisoformat(d).weekday() < 5)
    for day in ('2026-08-17', cuti):
        _punches(p.clerk, 'DINAS', f'{day}T07:20', f'{day}T16:35')
    # When the days are closed; Then neither is owed: not charged, not counted
    _close('2026-08-17', '2026-08-17')
    _close(cuti, cuti)
    assert (_codes(p.clerk, '2026-08-17'), _codes(p.clerk, cuti)) == (None, None)
    # When a wrong holiday is removed, the import does not bring it back and the day is owed again
    removed = p.call('DELETE', '/v1/holidays/2026-08-17/national')
    assert (removed.status, removed.body['removed']) == (200, True)
    third = _created(p.call('POST', '/v1/holidays/import', {'year': 2026}))
    assert (third['added'], third['removed_by_admin']) == ([], 1)
    _close('2026-08-17', '2026-08-17')
    assert _codes(p.clerk, '2026-08-17') == ('H',)
    gone = p.call('DELETE', '/v1/holidays/2026-08-17/national')
    assert _error(gone) == (404, 'not_found', 'there is no national holiday on 2026-08-17')


def test_ramadan_hours_apply_inside_the_period_only(pemda: Pemda) -> None:
    p = pemda
    # Given Ramadan 2026 from 19 February to 20 March
    period = _created(p.call('PUT', '/v1/ramadan/2026', {'start': '2026-02-19', 'end': '2026-03-20'}))
    assert (period['start'], period['end']) == ('2026-02-19', '2026-03-20')
    assert [r['year'] for r in p.call('GET', '/v1/ramadan', key=p.dinas_admin).body['items']] == [2026]
    # And the clerk arrives at 08:10 and 07:50 inside it, and at 07:50 after it
    _punches(p.clerk, 'DINAS', '2026-03-02T08:10', '2026-03-02T15:05', '2026-03-03T07:50', '2026-03-03T15:05',
             '2026-03-23T07:50', '2026-03-23T16:05')  # fmt: skip
    # When the days are closed
    _close('2026-03-02', '2026-03-23')
    # Then 08:10 is TL1 against 08:00, 07:50 is on time, and after Ramadan 07:50 is late against 07:30
    assert (_codes(p.clerk, '2026-03-02'), _codes(p.clerk, '2026-03-03')) == (('TL1',), ('H',))
    assert _codes(p.clerk, '2026-03-23') == ('TL1',)


def test_the_most_specific_assignment_in_force_sets_the_hours(pemda: Pemda) -> None:
    p = pemda
    # Given a pemda template 08:00-16:00; the DINAS on it from April, its unit on 6HK, and the colleague on 5HK
    _created(p.call('POST', '/v1/schedule-templates', EIGHT_TO_FOUR))
    assert 'DINAS-0800' in [t['code'] for t in p.call('GET', '/v1/schedule-templates', key=p.dinas_admin).body['items']]
    _created(p.call('POST', '/v1/schedule-assignments', {'opd_id': 'DINAS', 'template_code': 'DINAS-0800',
                                                         'valid_from': '2026-04-01'}))  # fmt: skip
    unit = {'opd_id': 'DINAS', 'unit': 'bidang aplikasi', 'template_code': '6HK', 'valid_from': '2026-04-01'}
    assert _created(p.call('POST', '/v1/schedule-assignments', unit, p.dinas_admin))['level'] == 'unit'
    mine = {'employee_id': p.colleague, 'template_code': '5HK', 'valid_from': '2026-04-01'}
    assert _created(p.call('POST', '/v1/schedule-assignments', mine, p.dinas_admin))['level'] == 'employee'
    assert len(p.call('GET', '/v1/opds/DINAS/schedule-assignments', key=p.dinas_admin).body['items']) == 3
    # And all three arrive at 07:45 on a Monday before and after 1 April, and work Saturday morning
    staff = (p.clerk, p.colleague, p.other)
    for employee_id in staff:
        _punches(employee_id, 'DINAS', '2026-03-30T07:45', '2026-03-30T16:35', '2026-04-06T07:45',
                 '2026-04-06T16:35', '2026-04-11T07:20', '2026-04-11T13:05')  # fmt: skip
    # When the days are closed
    _close('2026-03-30', '2026-04-11')
    # Then before April everyone is on the default 5HK: 15 minutes late
    assert [_codes(e, '2026-03-30') for e in staff] == [('TL1',)] * 3
    # And from April the OPD's 08:00 start, the unit's 6HK (with Saturday) and the employee's 5HK apply
    assert _codes(p.other, '2026-04-06') == ('H',) and _codes(p.other, '2026-04-11') is None
    assert _codes(p.clerk, '2026-04-06') == ('TL1',) and _codes(p.clerk, '2026-04-11') == ('H',)
    assert _codes(p.colleague, '2026-04-06') == ('TL1',) and _codes(p.colleague, '2026-04-11') is None


def test_every_bad_schedule_input_is_refused_with_its_status_and_message(pemda: Pemda) -> None:
    p = pemda
    _roster_rsud(p)
    # Unknown template
    unknown = p.call('POST', '/v1/schedule-assignments', {'opd_id': 'DINAS', 'template_code': 'NOPE',
                                                          'valid_from': '2026-04-01'})  # fmt: skip
    assert _fields(unknown) == {'template_code': 'unknown template NOPE (known: 5HK, 5HK-R, 6HK, 6HK-R)'}
    # A roster with an undefined code, and one with a day outside its month
    path = f'/v1/employees/{p.nurse}/rosters/2026-03'
    assert _fields(p.call('PUT', path, {'days': {'2026-03-02': 'X'}}, p.rsud_admin)) == {
        'days.2026-03-02': 'shift code X is not defined for OPD RSUD (defined: L, LD, M, P, S)'
    }
    assert _fields(p.call('PUT', path, {'days': {'2026-04-01': 'P'}}, p.rsud_admin)) == {
        'days.2026-04-01': '2026-04-01 is not in 2026-03'
    }
    # A roster for someone on a weekly schedule
    weekly = p.call('PUT', f'/v1/employees/{p.clerk}/rosters/2026-03', {'days': {'2026-03-02': 'P'}}, p.dinas_admin)
    assert _error(weekly)[:2] == (409, 'not_on_roster')
    # Overlapping assignments at the same level
    overlap = p.call(
        'POST',
        '/v1/schedule-assignments',
        {'opd_id': 'RSUD', 'template_code': '5HK', 'valid_from': '2026-06-01', 'valid_to': '2026-06-30'},
    )
    assert _error(overlap)[:2] == (409, 'assignment_overlap') and 'end it first' in overlap.body['error']['message']
    # Ramadan ending before it starts
    ramadan = p.call('PUT', '/v1/ramadan/2026', {'start': '2026-02-19', 'end': '2026-02-01'})
    assert _fields(ramadan) == {'end': 'must not be before start'}
    # Another OPD's admin, and an OPD admin on its OPD's own assignment
    assert _error(p.call('PUT', path, {'days': {'2026-03-02': 'P'}}, p.dinas_admin)) == (
        403, 'forbidden', 'this key may only act on OPD DINAS, not RSUD',
    )  # fmt: skip
    own = p.call('POST', '/v1/schedule-assignments', {'opd_id': 'DINAS', 'template_code': '6HK',
                                                      'valid_from': '2026-04-01'}, p.dinas_admin)  # fmt: skip
    assert _error(own)[:2] == (403, 'forbidden')
    # A template that takes a built-in code, and a shift code still used by a roster
    assert _error(p.call('POST', '/v1/schedule-templates', {**EIGHT_TO_FOUR, 'code': '5HK'}))[:2] == (
        409, 'template_exists',
    )  # fmt: skip
    _created(p.call('PUT', path, {'days': {'2026-03-02': 'M'}}, p.rsud_admin))
    fewer = {'codes': [c for c in SHIFT_CODES['codes'] if c['code'] != 'M']}
    assert _error(p.call('PUT', '/v1/opds/RSUD/shift-codes', fewer, p.rsud_admin)) == (
        409, 'shift_code_in_use',
        f'shift code M is used by the roster of {p.nurse} in 2026-03; change that roster first',
    )  # fmt: skip


def test_changes_to_closed_days_mark_them_for_re_close(pemda: Pemda) -> None:
    p = pemda
    _roster_rsud(p)
    # Given a day three days ago (in the latest zone) and its month
    recent = datetime.now(ZoneInfo('Asia/Jayapura')).date() - timedelta(days=3)
    month = f'{recent.year:04d}-{recent.month:02d}'
    # When the nurse's roster of that month is stored, and an old month's too
    _created(p.call('PUT', f'/v1/employees/{p.nurse}/rosters/{month}', {'days': {recent.isoformat(): 'P'}}))
    _created(p.call('PUT', f'/v1/employees/{p.nurse}/rosters/2026-03', {'days': {'2026-03-02': 'P'}}))
    # Then the recent day is marked for the next close, the old month is left alone (it is paid)
    marked = {m.data['day'] for m in reclose.pending_recloses(get_deps()) if 'roster of' in m.data['cause']}
    assert marked == {recent.isoformat()}
    # When an assignment ends on that day, the days after it up to yesterday are marked too
    listed = p.call('GET', '/v1/opds/RSUD/schedule-assignments').body['items']
    ended = p.call('POST', f'/v1/schedule-assignments/{listed[0]["assignment_id"]}/end',
                   {'valid_to': recent.isoformat()})  # fmt: skip
    assert ended.status == 200 and ended.body['valid_to'] == recent.isoformat()
    after = {m.data['day'] for m in reclose.pending_recloses(get_deps()) if 'ended' in m.data['cause']}
    assert after == {(recent + timedelta(days=n)).isoformat() for n in (1, 2)}


def test_the_yearly_job_imports_a_year_once_and_audits_it_as_the_job(pemda: Pemda) -> None:
    # Given the import-holidays job, as the schedule and the CLI run it
    job = JOBS['import-holidays']
    # When it runs for 2027 twice
    first, again = job.run(date='2027'), job.run(date='2027')
    # Then the first run adds the year's days, the second nothing, and the audit names the job
    assert first['years'][0]['added'] and again['years'][0]['added'] == []
    audit = pemda.call('GET', '/v1/audit').body['items'][0]
    assert (audit['action'], audit['target'], audit['actor_key_id']) == (
        'holiday.import',
        'holidays/2027',
        IMPORT_ACTOR,
    )
