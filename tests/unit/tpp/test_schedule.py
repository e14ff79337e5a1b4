from __future__ import annotations

from datetime import date, datetime, time

import pytest
from pydantic import ValidationError

from chalicelib.domain.models import Holiday
from chalicelib.domain.tpp.schedule import (
    SIX_DAY,
    Calendar,
    CalendarDay,
    DateRange,
    EmployeeSchedule,
    Roster,
    RosterDay,
    ShiftCode,
    expected_shift,
    shifts_between,
)
from tests.unit.tpp.support import CALENDAR, MONDAY, WEEKLY

SIX = EmployeeSchedule(kind='WEEKLY', template=SIX_DAY)


def test_five_day_template_hours_and_windows() -> None:
    shift = expected_shift(WEEKLY, MONDAY, CALENDAR)
    assert shift is not None and (shift.start.time(), shift.end.time()) == (time(7, 30), time(16, 0))
    assert (shift.check_in_from.time(), shift.check_in_until.time()) == (time(6, 0), time(12, 0))
    assert shift.takes_check_in(datetime(2026, 1, 5, 11, 59, 59)) and not shift.takes_check_in(datetime(2026, 1, 5, 12))
    assert shift.takes_check_out(datetime(2026, 1, 5, 23, 59, 59))
    assert expected_shift(WEEKLY, date(2026, 1, 10), CALENDAR) is None  # Saturday


def test_six_day_template_works_saturday_and_splits_friday_early() -> None:
    saturday = expected_shift(SIX, date(2026, 1, 10), CALENDAR)
    assert saturday is not None and saturday.end.time() == time(13, 0)
    friday = expected_shift(SIX, date(2026, 1, 9), CALENDAR)
    assert friday is not None and (friday.end.time(), friday.check_out_from.time()) == (time(11, 30), time(9, 30))
    assert expected_shift(SIX, date(2026, 1, 11), CALENDAR) is None  # Sunday


def test_ramadan_template_overrides_inside_the_period_only() -> None:
    inside = expected_shift(WEEKLY, date(2026, 3, 19), CALENDAR)  # Thursday, last day of the fixture period
    after = expected_shift(WEEKLY, date(2026, 3, 23), CALENDAR)
    assert inside is not None and (inside.code, inside.start.time(), inside.end.time()) == ('5HK-R', time(8), time(15))
    assert after is not None and after.code == '5HK'
    # without a Ramadan template the regular hours apply
    assert expected_shift(SIX, date(2026, 2, 23), CALENDAR).code == '6HK'  # type: ignore[union-attr]


def test_calendar_from_the_holiday_master_data() -> None:
    calendar = Calendar.from_holidays(
        [Holiday(day=date(2026, 8, 17), name='Hari Kemerdekaan', kind='national')],
        ramadan=[DateRange(start=date(2026, 2, 18), end=date(2026, 3, 19))],
    )
    assert expected_shift(WEEKLY, date(2026, 8, 17), calendar) is None
    assert calendar.in_ramadan(date(2026, 3, 1)) and not calendar.in_ramadan(date(2026, 3, 20))


def test_regional_holidays_and_closures_are_days_off_for_weekly_staff() -> None:
    calendar = Calendar(
        days=(
            CalendarDay(day=date(2026, 1, 6), kind='regional', name='HUT Kabupaten'),
            CalendarDay(day=date(2026, 1, 7), kind='closure', name='Banjir (force majeure)'),
        )
    )
    assert len(shifts_between(WEEKLY, date(2026, 1, 5), date(2026, 1, 9), calendar)) == 3


def test_roster_shift_windows_cross_midnight() -> None:
    roster = Roster(
        codes=(ShiftCode(code='M', name='Malam', start='21:00', end='07:00'),),
        days=(RosterDay(day=MONDAY, code='M'),),
    )
    shift = expected_shift(EmployeeSchedule(kind='ROSTER', roster=roster), MONDAY, CALENDAR)
    assert shift is not None and shift.crosses_midnight
    # check-in from 19:00 (2 h before), split at the 02:00 midpoint, check-out until 13:00 (end + 6 h)
    assert (shift.check_in_from, shift.check_in_until) == (datetime(2026, 1, 5, 19), datetime(2026, 1, 6, 2))
    assert shift.check_out_until == datetime(2026, 1, 6, 13)
    assert expected_shift(EmployeeSchedule(kind='ROSTER', roster=roster), date(2026, 1, 6), CALENDAR) is None


def test_schedule_shapes_are_validated() -> None:
    with pytest.raises(ValidationError):
        EmployeeSchedule(kind='ROSTER', template=SIX_DAY)
    with pytest.raises(ValidationError):
        Roster(
            codes=(ShiftCode(code='P', name='Pagi', start='07:00', end='14:00'),),
            days=(RosterDay(day=MONDAY, code='Q'),),
        )
    with pytest.raises(ValidationError):
        ShiftCode(code='L', name='Libur', working=True)
