"""Statuses checked against the default status matrix, their ranges, and their rank in the month."""

from __future__ import annotations

from datetime import UTC, date, datetime

from chalicelib.domain.models import CircleLocation, EmployeeType, Point
from chalicelib.domain.tpp.day import ApprovedStatus
from chalicelib.domain.tpp.defaults import example_tkk_profile
from chalicelib.domain.tpp.pipeline import close_days
from chalicelib.domain.tpp.statuses import (
    EmployeeStatus,
    StatusState,
    earlier_status_days,
    months_touched,
    overlapping,
    request_issues,
    status_on,
)
from tests.unit.tpp.support import CALENDAR, PROFILE, WEEKLY

PLACE = CircleLocation(name='Kantor Gubernur', center=Point(lat=-5.14, lon=119.41), radius_m=200)
D = date(2026, 1, 5)


def status(code: str, first: date, last: date, state: StatusState = StatusState.APPROVED) -> EmployeeStatus:
    return EmployeeStatus(
        status_id=f'sts-{code}-{first.day}', employee_id='emp-a', opd_id='DINAS', code=code, first=first, last=last,
        state=state, approved_by='k', approved_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip


def issues(
    code: str,
    employee_type: EmployeeType = EmployeeType.PNS,
    *,
    last: date = D,
    reference: str | None = None,
    location: CircleLocation | None = None,
) -> dict[str, str]:
    found = request_issues([PROFILE], employee_type, code, D, last, reference, location)
    return {i.path: i.message for i in found}


def test_every_pns_leave_and_duty_of_the_matrix_is_accepted_with_its_document() -> None:
    # PNS seven (cuti bersama is a calendar day), sick with and without a note, izin, DL/TD/DK, partial permits
    for code in ('CT', 'CBS', 'S', 'SKX', 'CM', 'CAP', 'CLTN', 'IZ', 'DL', 'TD', 'DK', 'ITM', 'IPC', 'TB', 'BS'):
        assert issues(code, reference='800/1/2026') == {}, code


def test_pppk_has_no_cuti_besar_cap_or_cltn() -> None:
    for code in ('CBS', 'CAP', 'CLTN'):
        assert issues(code, EmployeeType.PPPK, reference='x/1') == {'code': issues(code, EmployeeType.PPPK)['code']}
        assert 'does not apply to PPPK' in issues(code, EmployeeType.PPPK)['code']
    assert issues('CT', EmployeeType.PPPK) == {} and issues('CM', EmployeeType.PPPK) == {}


def test_unknown_codes_name_the_matrix() -> None:
    message = issues('CB')['code']
    assert message.startswith('CB is not in the status matrix of hadir-default-asn: CT, S, SKX, CAP')


def test_proof_location_and_range_rules() -> None:
    assert issues('DL') == {'reference': 'DL needs the number of its surat tugas'}
    assert issues('S') == {'reference': 'S needs the number of its surat keterangan dokter'}
    assert issues('SKX') == {}  # sick without a note has no document by definition
    assert issues('DL', reference='800/1', location=PLACE) == {}
    assert issues('DK', reference='800/1', location=PLACE) == {}
    assert issues('CT', location=PLACE) == {'location': 'only a duty counted present (DL, TD, DK) has a place, not CT'}
    assert issues('CT', last=date(2026, 1, 4)) == {'last': 'must not be before first'}
    # 1461 days (4 years with a leap day) is the longest range
    assert issues('CLTN', last=date(2030, 1, 4)) == {}
    assert issues('CLTN', last=date(2030, 1, 5))['last'].startswith('a status covers at most 1461 days')


def test_no_profile_in_force_is_an_issue_and_tkk_uses_its_template() -> None:
    none = request_issues([None], EmployeeType.TKK, 'DL', D, D, '800/1', None)
    assert [(i.path, i.message) for i in none] == [('first', 'no rule profile is in force for TKK on these dates')]
    assert request_issues([example_tkk_profile()], EmployeeType.TKK, 'DL', D, D, '800/1', PLACE) == ()
    assert 'not in the status matrix' in request_issues([example_tkk_profile()], EmployeeType.TKK, 'CT', D, D, None,
                                                        None)[0].message  # fmt: skip


def test_overlap_touching_and_cancelled() -> None:
    leave = status('CT', date(2026, 1, 5), date(2026, 1, 9))
    gone = status('IZ', date(2026, 1, 12), date(2026, 1, 12), StatusState.CANCELLED)
    assert overlapping([leave, gone], date(2026, 1, 9), date(2026, 1, 9)) == [leave]
    assert overlapping([leave, gone], date(2026, 1, 10), date(2026, 1, 12)) == []  # touching; cancelled is free
    assert overlapping([leave], date(2026, 1, 1), date(2026, 1, 31)) == [leave]
    assert status_on([gone, leave], date(2026, 1, 7)) == leave and status_on([gone], date(2026, 1, 12)) is None


def test_months_touched() -> None:
    assert months_touched(date(2025, 11, 30), date(2026, 2, 1)) == ['2025-11', '2025-12', '2026-01', '2026-02']
    assert months_touched(D, D) == ['2026-01']


def test_the_rank_of_a_status_day_counts_owed_days_of_the_month_only() -> None:
    # Given CAP on Friday 9 to Tuesday 13 January (the weekend in between is not owed)
    cap = [status('CAP', date(2026, 1, 9), date(2026, 1, 13))]

    def owed(day: date) -> bool:
        return day.weekday() < 5

    # Then before Tuesday 13 there were two owed CAP days (Friday 9, Monday 12); before Friday 9 none
    assert earlier_status_days(cap, date(2026, 1, 13), owed) == {'CAP': 2}
    assert earlier_status_days(cap, date(2026, 1, 9), owed) == {}


def test_a_close_starting_mid_month_prices_cap_by_its_rank_and_a_new_month_starts_free() -> None:
    # Given CAP 12 and 13 January after two CAP days earlier in the month (passed as `earlier`)
    statuses = {date(2026, 1, d): ApprovedStatus(code='CAP') for d in (12, 13)}
    days = close_days(WEEKLY, CALENDAR, date(2026, 1, 12), date(2026, 1, 13), [], statuses, {}, PROFILE,
                      earlier={'CAP': 2})  # fmt: skip
    # Then both are charged 2,50 % (ranks 3 and 4)
    assert [(d.status_ordinal, d.deduction) for d in days] == [(3, 250), (4, 250)]
    # And a range across a month boundary restarts the free days on the 1st: 30 Jan rank 3, 2 Feb rank 1
    statuses = {date(2026, 1, 30): ApprovedStatus(code='CAP'), date(2026, 2, 2): ApprovedStatus(code='CAP')}
    days = close_days(WEEKLY, CALENDAR, date(2026, 1, 30), date(2026, 2, 2), [], statuses, {}, PROFILE,
                      earlier={'CAP': 2})  # fmt: skip
    assert [(d.local_date, d.status_ordinal, d.deduction) for d in days] == [
        (date(2026, 1, 30), 3, 250), (date(2026, 2, 2), 1, 0),
    ]  # fmt: skip
