"""The rules of today's board (domain/today.py) and of the employee search (domain/employee_search.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.employee_search import employee_matcher
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.models import Punch, PunchSource
from chalicelib.domain.today import StatusCategory, TodayCounts, TodayState, status_category, today_line
from chalicelib.domain.tpp.schedule import expected_shift
from tests.unit.tpp.support import CALENDAR, MONDAY, PROFILE, WEEKLY, variant

SHIFT = expected_shift(WEEKLY, MONDAY, CALENDAR)  # 5HK: 07:30-16:00 on a Monday


def _punch(hhmm: str, source: PunchSource = PunchSource.PHONE) -> tuple[datetime, Punch]:
    local = datetime.combine(MONDAY, datetime.strptime(hhmm, '%H:%M').time())
    punch = Punch(punch_id=f'p-{hhmm}', source=source, employee_id='emp-1', opd_id='DIKES', at_utc=local.replace(
        tzinfo=UTC), local_date=MONDAY, zone='Asia/Makassar', received_at=local.replace(tzinfo=UTC))  # fmt: skip
    return local, punch


def test_first_and_last_punch_and_minutes_late_against_the_shift_start() -> None:
    assert SHIFT is not None and SHIFT.start.strftime('%H:%M') == '07:30'
    # Given a machine punch at 16:02, a phone punch at 07:41, and a punch before the check-in window opens
    punches = [_punch('16:02', PunchSource.MACHINE), _punch('07:41'), _punch('05:10')]
    # When the line is built with the default profile (no grace)
    line = today_line(SHIFT, punches, PROFILE, None, on_status=False)
    # Then the arrival is the 07:41 phone punch, 11 minutes late, the departure the machine's
    assert (line.state, line.minutes_late, line.punches) == (TodayState.LATE, 11, 2)
    assert line.first is not None and line.first.punch_id == 'p-07:41'
    assert line.last is not None and line.last.source is PunchSource.MACHINE


def test_grace_and_late_reference_follow_the_profile() -> None:
    punches = [_punch('07:40')]
    nominal = variant(PROFILE, grace_minutes=15)
    tolerance = variant(PROFILE, grace_minutes=5, late_reference='TOLERANCE_END')
    # 10 minutes past 07:30: inside a 15-minute grace, or 5 minutes past the end of a 5-minute one
    assert today_line(SHIFT, punches, nominal, None, False).state is TodayState.PRESENT
    assert today_line(SHIFT, punches, tolerance, None, False).minutes_late == 5
    # Without a profile (TKK before theirs is published) the raw minutes count
    assert today_line(SHIFT, punches, None, None, False).minutes_late == 10


def test_a_full_day_status_wins_and_an_izin_terlambat_waives_lateness() -> None:
    leave, izin = PROFILE.status('CT'), PROFILE.status('ITM')
    assert leave is not None and izin is not None
    late = [_punch('08:10')]
    assert today_line(SHIFT, late, PROFILE, leave, on_status=True).state is TodayState.STATUS
    waived = today_line(SHIFT, late, PROFILE, izin, on_status=True)
    assert (waived.state, waived.minutes_late) == (TodayState.PRESENT, 0)
    assert today_line(SHIFT, [], PROFILE, izin, on_status=True).state is TodayState.NO_PUNCH
    # A status whose code the profile in force lacks is still an approved absence
    assert today_line(SHIFT, [], PROFILE, None, on_status=True).state is TodayState.STATUS


@pytest.mark.parametrize(('code', 'category'), [
    ('CT', StatusCategory.CUTI), ('CM', StatusCategory.CUTI), ('DL', StatusCategory.DINAS),
    ('TD', StatusCategory.DINAS), ('S', StatusCategory.SAKIT), ('IZ', StatusCategory.IZIN),
    ('ITM', StatusCategory.IZIN), ('TB', StatusCategory.LAIN),
])  # fmt: skip
def test_status_categories_of_the_default_profile(code: str, category: StatusCategory) -> None:
    assert status_category(PROFILE.status(code)) is category


def test_counts_add_up_by_state_and_category() -> None:
    counts = TodayCounts()
    for state, category in ((TodayState.PRESENT, None), (TodayState.LATE, None), (TodayState.NO_PUNCH, None),
                            (TodayState.STATUS, StatusCategory.DINAS)):  # fmt: skip
        counts.add(state, category)
    other = TodayCounts(off=2)
    other.add(TodayState.STATUS, StatusCategory.CUTI)
    counts.merge(other)
    assert counts.as_dict() == {'total': 5, 'present': 2, 'late': 1, 'no_punch': 1, 'on_status': 2, 'off': 2,
                                'by_status': {'cuti': 1, 'dinas': 1, 'izin': 0, 'sakit': 0, 'lain': 0}}  # fmt: skip


SRI = {'employee_id': 'emp-abc12', 'name': 'Sri Wahyuni Pérez', 'nip': '198503012010011002', 'nik': None}


@pytest.mark.parametrize(('query', 'found'), [
    ('wahyu', True), ('SRI  WAHYUNI', True), ('perez', True), ('budi', False),
    ('19850301', True), ('1985 0301 2010', True), ('19850302', False),
    ('EMP-ABC12', True), ('emp-abc1', False),
])  # fmt: skip
def test_employee_search_matches_name_parts_nip_prefixes_and_ids(query: str, found: bool) -> None:
    assert employee_matcher(query)(SRI) is found


def test_employee_search_refuses_a_one_letter_name_and_an_overlong_query() -> None:
    for query in ('s', ' x ', 'a' * 101):
        with pytest.raises(ValidationFailed):
            employee_matcher(query)
