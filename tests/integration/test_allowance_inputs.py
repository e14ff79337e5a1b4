"""What the day close takes besides punches, on moto: approved statuses and confirmed outages, worked by hand.

January 2026 with 1 January a national holiday: 21 working days on the 5-day template (2, 5–9, 12–16,
19–23, 26–30 January). PAGU Rp4.000.000 gives K_BASE Rp2.400.000 and D_BASE Rp1.600.000 (1 % = Rp16.000),
with a performance score of 100 % imported for everyone. Everyone punches 07:20 and 16:35 on every working day, except
Budi, absent (no punch) on Wednesday 14 January.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.domain.models import Punch
from chalicelib.domain.tpp.day import DayCategory, DayResult
from chalicelib.domain.tpp.defaults import default_profile
from chalicelib.domain.tpp.profile import RuleProfile
from chalicelib.events.jobs import JOBS
from chalicelib.services import allowance, reclose
from chalicelib.services.allowance import AllowanceBooks
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import employee_body, opd_body, phone_punch
from tests.support import Harness

ZONE = 'Asia/Jakarta'
JANUARY = [date(2026, 1, d) for d in range(1, 32)]
ABSENT_DAY = date(2026, 1, 14)
PPPK_NIP = '198503012021211001'


@dataclass
class Office:
    hx: Harness
    ani: str  # PNS, DISKOMINFO
    budi: str  # PNS, DISKOMINFO, absent on 14 January
    citra: str  # PPPK, DISKOMINFO
    nurse: str  # PNS, PKM-KOTA (6-day week), PAGU Rp3.250.000


def _created(reply: Any) -> dict[str, Any]:
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _punch(employee_id: str, opd_id: str, day: date, hhmm: str) -> Punch:
    return phone_punch(employee_id, opd_id, day, hhmm, ZONE)


@pytest.fixture
def office(hx: Harness) -> Office:
    key = hx.super_key
    pemda = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': ZONE, 'province': 'Bengkulu'}
    assert hx.call('PUT', '/v1/pemda', key, pemda).status == 200
    _created(hx.call('POST', '/v1/opds', key, opd_body('DISKOMINFO', zone=ZONE)))
    _created(hx.call('POST', '/v1/opds', key, opd_body('PKM-KOTA', kind='puskesmas', zone=ZONE)))
    _created(hx.call('POST', '/v1/holidays', key, {'day': '2026-01-01', 'name': 'Tahun Baru', 'kind': 'national'}))
    bodies = [employee_body('DISKOMINFO', 1), employee_body('DISKOMINFO', 2),
              employee_body('DISKOMINFO', 3, employee_type='PPPK', nip=PPPK_NIP),
              employee_body('PKM-KOTA', 4, jabatan='Perawat Terampil', tpp_ceiling=3_250_000)]  # fmt: skip
    ani, budi, citra, nurse = (_created(hx.call('POST', '/v1/employees', key, b))['employee_id'] for b in bodies)
    scores = {'scores': [{'employee_id': e, 'score': 100} for e in (ani, budi, citra, nurse)]}
    assert hx.call('PUT', '/v1/scores/2026-01', key, scores).status == 200
    punches = []
    for day in (d for d in JANUARY if d.weekday() < 6):
        for employee_id, opd_id in ((ani, 'DISKOMINFO'), (budi, 'DISKOMINFO'), (citra, 'DISKOMINFO'),
                                    (nurse, 'PKM-KOTA')):  # fmt: skip
            if (employee_id, day) != (budi, ABSENT_DAY):
                punches += [_punch(employee_id, opd_id, day, '07:20'), _punch(employee_id, opd_id, day, '16:35')]
    DynamoPunchLedger().record(punches)
    return Office(hx, ani, budi, citra, nurse)


def _status(office: Office, employee_id: str, code: str, first: str, last: str, **extra: Any) -> dict[str, Any]:
    body = {'code': code, 'first': first, 'last': last, **extra}
    return _created(office.hx.call('POST', f'/v1/employees/{employee_id}/statuses', office.hx.super_key, body))


def _day(employee_id: str, day: date) -> DayResult:
    return get_books().records.days([(employee_id, day)])[(employee_id, day)].day


def _close_january(books: AllowanceBooks | None = None) -> allowance.DayCloseReport:
    return allowance.close_days(get_deps(), books or get_books(), JANUARY[0], JANUARY[-1])


def _month(books: AllowanceBooks | None = None) -> dict[str, Any]:
    """TPP bruto and rincian by employee of January's latest revision."""
    books = books or get_books()
    closed = allowance.close_month(get_deps(), books, '2026-01')
    records = books.records.month_records('2026-01', closed['revision'])
    return {r.employee_id: (r.result.tpp_bruto, r.result.rincian, r.result.deduction) for r in records}


def _outage(office: Office, opd_id: str, day: date, decision: str | None) -> None:
    hx = office.hx
    proposal = {'opd_id': opd_id, 'day': day.isoformat(), 'reason': 'mesin sidik jari mati, listrik padam'}
    outage_id = _created(hx.call('POST', '/v1/outages', hx.super_key, proposal))['outage_id']
    if decision:
        reply = hx.call('POST', f'/v1/outages/{outage_id}/decision', hx.super_key,
                        {'decision': decision, 'reason': 'diperiksa teknisi BKPSDM'})  # fmt: skip
        assert reply.status == 200, reply.body


# ---- statuses ---------------------------------------------------------------------------------------------------


def test_an_approved_leave_wins_over_the_punches_of_its_days_and_the_conflict_is_logged(
    office: Office, caplog: pytest.LogCaptureFixture
) -> None:
    # Given cuti tahunan for Ani on Monday 12 and Tuesday 13 January, days on which she also punched
    _status(office, office.ani, 'CT', '2026-01-12', '2026-01-13', reference='851/3/CT/2026')
    # When January is closed
    caplog.set_level(logging.INFO, logger='hadir')
    report = _close_january()
    # Then both days are CT with no deduction, the punches are kept, and the conflict is flagged and explained
    day = _day(office.ani, date(2026, 1, 12))
    assert (day.category, day.codes, day.deduction, day.conflict) == (DayCategory.STATUS, ('CT',), 0, True)
    assert day.first_in == datetime(2026, 1, 12, 7, 20)
    assert day.explanation == ('Cuti tahunan (CT, surat 851/3/CT/2026): tanpa potongan; absen pada hari ini '
                               'diabaikan karena status disetujui')  # fmt: skip
    # And the close counts the status days and the conflicts, and logs each conflict
    assert (report.statuses, report.conflicts) == (2, 2)
    logged = [r for r in caplog.records if r.getMessage() == 'approved status wins over punches']
    assert [(r.employee_id, r.day, r.status) for r in logged] == [
        (office.ani, '2026-01-12', 'CT'), (office.ani, '2026-01-13', 'CT'),
    ]  # fmt: skip
    # And the month is paid in full: CT costs 0 → 2.400.000 + 1.600.000 = 4.000.000
    assert _month()[office.ani] == (4_000_000, 'CT×2', 0)


def test_dinas_luar_on_an_absent_day_counts_present(office: Office) -> None:
    # Given Budi on DL on 14 January, the day he has no punch
    _status(office, office.budi, 'DL', '2026-01-14', '2026-01-14', reference='800/45/DL/2026')
    _close_january()
    # Then the day is DL, without conflict (no punches), and the month is paid in full (instead of TK 5 %)
    day = _day(office.budi, ABSENT_DAY)
    assert (day.codes, day.deduction, day.conflict) == (('DL',), 0, False)
    assert day.explanation == 'Dinas luar (DL, surat 800/45/DL/2026): dihitung hadir, tanpa potongan'
    assert _month()[office.budi] == (4_000_000, 'DL×1', 0)


def test_cap_has_two_free_days_a_month_even_when_closed_one_night_at_a_time(office: Office) -> None:
    # Given cuti karena alasan penting for Ani from Monday 5 to Wednesday 7 January
    _status(office, office.ani, 'CAP', '2026-01-05', '2026-01-07', reference='851/9/CAP/2026')
    # When each day is closed by the nightly job, one day per run
    for day in ('2026-01-05', '2026-01-06', '2026-01-07'):
        JOBS['close-day'].run(date=day)
    # Then the first two days are free and the third costs 2,50 % (the day knows its rank in the month)
    days = [_day(office.ani, date(2026, 1, d)) for d in (5, 6, 7)]
    assert [d.deduction for d in days] == [0, 0, 250]
    assert 'hari ke-2 dari 2 hari bebas potongan dalam bulan ini' in days[1].explanation
    assert days[2].explanation == ('Cuti karena alasan penting (CAP, surat 851/9/CAP/2026): potongan 2,50%; absen '
                                   'pada hari ini diabaikan karena status disetujui')  # fmt: skip
    # And the month: 2,50 % × 1.600.000 = 40.000; 2.400.000 + 1.600.000 − 40.000 = 3.960.000
    _close_january()
    assert _month()[office.ani] == (3_960_000, 'CAP×3', 40_000)


def test_sick_with_a_note_for_four_days_is_sk2_and_without_a_note_is_tk(office: Office) -> None:
    # Given Citra (PPPK) sick with a doctor's note Monday 19 to Thursday 22 January, and without one on Friday 23
    _status(office, office.citra, 'S', '2026-01-19', '2026-01-22', reference='SKD/RSUD/101')
    _status(office, office.citra, 'SKX', '2026-01-23', '2026-01-23')
    _close_january()
    # Then SKX is charged as TK (5 %), and 4 days of S reach SK2 (25 % of the attendance part, flat):
    # 25 % + 5 % = 30 % × 1.600.000 = 480.000; 2.400.000 + 1.600.000 − 480.000 = 3.520.000
    assert _day(office.citra, date(2026, 1, 23)).codes == ('SKX',)
    assert _month()[office.citra] == (3_520_000, 'S×4, SKX×1, SK2', 480_000)


def test_a_status_recorded_after_the_close_reopens_its_days_and_cancelling_reopens_them_again(office: Office) -> None:
    # Given January closed: Budi's 14 January is TK (5 % → 4.000.000 − 80.000 = 3.920.000)
    _close_january()
    assert _day(office.budi, ABSENT_DAY).codes == ('TK',)
    assert _month()[office.budi] == (3_920_000, 'TK×1', 80_000)
    # When an izin for that day is recorded afterwards and the next nightly close runs (for 31 January)
    izin = _status(office, office.budi, 'IZ', '2026-01-14', '2026-01-14', reference='IZ/2026/14')
    run = JOBS['close-day'].run(date='2026-01-31')
    # Then 14 January is re-closed as IZ (1,50 %) and the month changes: 4.000.000 − 24.000 = 3.976.000
    assert run['reclosed_days'] == ['2026-01-14']
    assert (_day(office.budi, ABSENT_DAY).codes, _day(office.budi, ABSENT_DAY).deduction) == (('IZ',), 150)
    assert _month()[office.budi] == (3_976_000, 'IZ×1', 24_000)
    # When the izin is cancelled and the next close runs, the day is TK again
    reply = office.hx.call('POST', f'/v1/statuses/{izin["status_id"]}/cancel', office.hx.super_key,
                           {'reason': 'izin tidak ditandatangani atasan'})  # fmt: skip
    assert reply.status == 200, reply.body
    assert JOBS['close-day'].run(date='2026-01-31')['reclosed_days'] == ['2026-01-14']
    assert _day(office.budi, ABSENT_DAY).codes == ('TK',)
    assert _month()[office.budi] == (3_920_000, 'TK×1', 80_000)
    assert reclose.pending_recloses(get_deps()) == []


# ---- outages ----------------------------------------------------------------------------------------------------


def _lebong() -> RuleProfile:
    """The default profile with the Lebong seed's outage policy: a broken machine forfeits the OPD's TPP."""
    data = default_profile().model_dump(mode='json')
    data.update(profile_id='lebong-2025', name='Contoh Lebong: OPD tanpa TPP saat mesin rusak',
                outage={'policy': 'OPD_FORFEIT', 'forfeit_scope': 'TOTAL_TPP'})  # fmt: skip
    return RuleProfile.model_validate(data)


def _forgive() -> RuleProfile:
    """The default profile with the explicit FORGIVE outage policy: every day of a confirmed outage is OUT."""
    data = default_profile().model_dump(mode='json')
    data.update(outage={'policy': 'FORGIVE', 'forfeit_scope': 'TOTAL_TPP'})
    return RuleProfile.model_validate(data)


def test_forgive_a_confirmed_outage_costs_nothing_and_a_proposed_one_changes_nothing(office: Office) -> None:
    books = dataclasses.replace(get_books(), profiles=(_forgive(),))
    # Given an outage of DISKOMINFO on 14 January, proposed only
    _outage(office, 'DISKOMINFO', ABSENT_DAY, decision=None)
    _close_january(books)
    # Then nothing changes: Budi's day is TK and his month 3.920.000
    assert _day(office.budi, ABSENT_DAY).codes == ('TK',)
    assert _month(books)[office.budi] == (3_920_000, 'TK×1', 80_000)
    # When the personnel office confirms it and the day is closed again
    reply = office.hx.call('POST', f'/v1/outages/DISKOMINFO@{ABSENT_DAY}/decision', office.hx.super_key,
                           {'decision': 'confirm', 'reason': 'mesin rusak, semua dimaafkan'})  # fmt: skip
    assert reply.status == 200, reply.body
    report = allowance.close_day(get_deps(), books, ABSENT_DAY)
    # Then under FORGIVE every DISKOMINFO day of 14 January is OUT without deduction, Budi's too
    assert report.outages == 3
    day = _day(office.budi, ABSENT_DAY)
    assert (day.category, day.codes, day.deduction, day.forfeit) == (DayCategory.OUTAGE, ('OUT',), 0, False)
    assert day.explanation == ('Gangguan mesin/sistem (OUT), kebijakan FORGIVE: seluruh pegawai OPD dianggap hadir, '
                               'tanpa potongan')  # fmt: skip
    # And the Puskesmas, whose machine worked, is untouched
    assert _day(office.nurse, ABSENT_DAY).codes == ('H',)
    # And Budi's month is paid in full: 4.000.000; Ani's too, with OUT in the breakdown
    month = _month(books)
    assert (month[office.budi], month[office.ani]) == ((4_000_000, 'OUT×1', 0), (4_000_000, 'OUT×1', 0))


def test_manual_verified_a_confirmed_outage_prices_each_employee_by_their_records(office: Office) -> None:
    # Given a confirmed outage of DISKOMINFO on 14 January under the default policy, and no manual list:
    # Ani checked in and out by phone (07:20, 16:35), Budi has no record
    _outage(office, 'DISKOMINFO', ABSENT_DAY, decision='confirm')
    _close_january()
    # Then Ani is present by her phone, and Budi is TK as on any day: the outage forgives nobody by itself
    ani, budi = _day(office.ani, ABSENT_DAY), _day(office.budi, ABSENT_DAY)
    assert (ani.codes, ani.outage, budi.codes, budi.outage) == (('H',), True, ('TK',), True)
    assert 'masuk 07:20 (presensi HP), pulang 16:35 (presensi HP)' in ani.explanation
    assert _month()[office.budi] == (3_920_000, 'TK×1', 80_000)


def test_opd_forfeit_a_confirmed_outage_takes_the_opds_tpp_for_the_month(office: Office) -> None:
    books = dataclasses.replace(get_books(), profiles=(_lebong(),))
    # Given the Lebong policy and an outage of DISKOMINFO on 14 January, proposed only
    _outage(office, 'DISKOMINFO', ABSENT_DAY, decision=None)
    _close_january(books)
    # Then nothing changes: Ani 4.000.000, Budi 3.920.000 (TK 5 %)
    month = _month(books)
    assert (month[office.ani][0], month[office.budi][0]) == (4_000_000, 3_920_000)
    # When it is confirmed and the day closed again
    reply = office.hx.call('POST', f'/v1/outages/DISKOMINFO@{ABSENT_DAY}/decision', office.hx.super_key,
                           {'decision': 'confirm', 'reason': 'mesin rusak sehari penuh'})  # fmt: skip
    assert reply.status == 200, reply.body
    allowance.close_day(get_deps(), books, ABSENT_DAY)
    # Then the day is flagged for forfeit, and the month close takes the whole TPP of every DISKOMINFO employee
    # (forfeit_scope TOTAL_TPP: 0), while the Puskesmas nurse keeps 3.250.000
    day = _day(office.ani, ABSENT_DAY)
    assert (day.codes, day.forfeit) == (('OUT',), True)
    assert 'OPD_FORFEIT' in day.explanation
    month = _month(books)
    assert [month[e][0] for e in (office.ani, office.budi, office.citra, office.nurse)] == [0, 0, 0, 3_250_000]
    assert month[office.ani][1] == 'OUT×1, OUT'


# ---- the OPD recap ----------------------------------------------------------------------------------------------


def test_the_opd_recap_shows_the_latest_closed_revision_per_employee(office: Office) -> None:
    hx = office.hx
    admin, other_admin = hx.make_key('opd_admin', 'DISKOMINFO'), hx.make_key('opd_admin', 'PKM-KOTA')
    path = '/v1/opds/DISKOMINFO/recap?month=2026-01'
    # Given January closed with Ani on CT 12–13 January and Budi absent on the 14th (revision 1)
    _status(office, office.ani, 'CT', '2026-01-12', '2026-01-13', reference='851/3/CT/2026')
    _close_january()
    _month()
    # When DISKOMINFO's admin asks for its recap
    reply = hx.call('GET', path, admin)
    # Then it lists its three employees of revision 1 (not the Puskesmas nurse) with codes, deductions and TPP
    assert reply.status == 200, reply.body
    recap = reply.body
    assert (recap['revision'], recap['count']) == (1, 3)
    rows = {r['employee_id']: r for r in recap['items']}
    assert set(rows) == {office.ani, office.budi, office.citra}
    ani, budi = rows[office.ani], rows[office.budi]
    assert (ani['counts'], ani['deduction'], ani['tpp_bruto'], ani['working_days']) == ({'CT': 2}, 0, 4_000_000, 21)
    # Budi: TK 5 % × 1.600.000 = 80.000; 4.000.000 − 80.000 = 3.920.000
    assert (budi['counts'], budi['deduction_percent'], budi['deduction'], budi['tpp_bruto'], budi['tk_days']) == (
        {'TK': 1}, '5.00', 80_000, 3_920_000, 1,
    )  # fmt: skip
    # Totals: 4.000.000 + 3.920.000 + 4.000.000 = 11.920.000
    assert recap['totals'] == {'pagu': 12_000_000, 'deduction': 80_000, 'discipline_cut': 0, 'tpp_bruto': 11_920_000}
    # When a DL is recorded for Budi's 14th afterwards, the day re-closed and the month closed again (revision 2)
    _status(office, office.budi, 'DL', '2026-01-14', '2026-01-14', reference='800/45/DL/2026')
    JOBS['close-day'].run(date='2026-01-31')
    _month()
    # Then the recap shows revision 2
    again = hx.call('GET', path, hx.make_key('auditor')).body
    assert again['revision'] == 2
    assert {r['employee_id']: r['tpp_bruto'] for r in again['items']}[office.budi] == 4_000_000
    # And the refusals, in the one error shape
    refused = {
        'other OPD admin': hx.call('GET', path, other_admin),
        'finance': hx.call('GET', path, hx.make_key('finance')),
        'no key': hx.call('GET', path),
        'unknown OPD': hx.call('GET', '/v1/opds/NOWHERE/recap?month=2026-01', hx.super_key),
        'not closed': hx.call('GET', '/v1/opds/DISKOMINFO/recap?month=2026-02', hx.super_key),
        'bad month': hx.call('GET', '/v1/opds/DISKOMINFO/recap?month=2026-13', hx.super_key),
        'no month': hx.call('GET', '/v1/opds/DISKOMINFO/recap', hx.super_key),
    }
    assert {k: (r.status, r.body['error']['code']) for k, r in refused.items()} == {
        'other OPD admin': (403, 'forbidden'), 'finance': (403, 'forbidden'), 'no key': (401, 'unauthenticated'),
        'unknown OPD': (404, 'not_found'), 'not closed': (404, 'not_found'), 'bad month': (422, 'validation_failed'),
        'no month': (422, 'validation_failed'),
    }  # fmt: skip
    month_issue = {'path': 'query.month', 'message': 'must be a month YYYY-MM from 2000-01 to 2100-12'}
    assert refused['bad month'].body['error']['fields'] == [month_issue]


def test_a_status_whose_code_a_later_profile_dropped_does_not_stop_the_close(office: Office) -> None:
    # Given CT recorded for Ani on 12 January, and a profile in force at close that has no CT
    _status(office, office.ani, 'CT', '2026-01-12', '2026-01-12', reference='851/3/CT/2026')
    data = default_profile().model_dump(mode='json')
    data.update(profile_id='no-ct', statuses=[s for s in data['statuses'] if s['code'] != 'CT'])
    books = dataclasses.replace(get_books(), profiles=(RuleProfile.model_validate(data),))
    # When the day is closed, Then the close completes: that day is evaluated from its punches (a warning is logged)
    report = allowance.close_day(get_deps(), books, date(2026, 1, 12))
    assert (report.owed, report.statuses) == (4, 0)
    assert _day(office.ani, date(2026, 1, 12)).codes == ('H',)
