"""Working-day templates, rosters and calendars: which shift (if any) an employee owes on a local date.

All times are naive local wall-clock times of the employee's OPD zone (Perpres 21/2023 uses local time);
the I/O side converts punches to local time once, before calling anything here.

Choices where the reference leaves room, and why:

- A weekly template (5HK, 6HK) is off on national holidays, cuti bersama, regional holidays and closures.
  A roster is not: it says itself which days are worked (RSUD and Puskesmas work holidays), unless
  ``observes_holidays`` is set for a unit that closes on them.
- A shift belongs to the local date it *starts* on: the night shift M 21:00–07:00 rostered on the 14th is
  the 14th's working day, and its check-out on the morning of the 15th counts for the 14th.
- Scan windows: a weekly template uses the clock windows of §8.4 (check-in 06:00–12:00, check-out
  12:00–23:59:59), overridable per weekday (a 6HK Friday ending at 11:30 needs an earlier split). A roster
  shift opens its check-in window ``check_in_before_minutes`` before the start, splits the shift at its
  midpoint, and closes check-out ``check_out_after_minutes`` after the end (§8.4: end + 6 h).
  The check-in window is half-open ``[from, until)``, the check-out window closed ``[from, until]``.
- Ramadan dates are calendar facts (per year, from the SKB); which Ramadan hours apply is a schedule fact:
  a weekly template names its Ramadan variant (``ramadan_code``). A roster keeps its shift codes in Ramadan.
- Schedule assignments (per OPD, per unit of an OPD, per employee) have effective dates; on a day the most
  specific assignment in force wins (employee, then unit, then OPD), and with none the caller's default
  applies. Two assignments of the same target never overlap, so the winner is always unique.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Literal

from pydantic import Field, PrivateAttr, model_validator

from chalicelib.domain.models import Code, Frozen, Holiday
from chalicelib.domain.strict import LocalTime
from chalicelib.domain.text import Name

CalendarKind = Literal['national', 'cuti_bersama', 'regional', 'closure']
END_OF_DAY = time(23, 59, 59)


class ScanWindows(Frozen):
    check_in_from: LocalTime = time(6, 0)
    check_in_until: LocalTime = time(12, 0)
    check_out_from: LocalTime = time(12, 0)
    check_out_until: LocalTime = END_OF_DAY

    @model_validator(mode='after')
    def _ordered(self) -> ScanWindows:
        if not (self.check_in_from < self.check_in_until and self.check_out_from < self.check_out_until):
            raise ValueError('each scan window must open before it closes')
        if self.check_out_from < self.check_in_from:
            raise ValueError('the check-out window must not open before the check-in window')
        return self


class DayHours(Frozen):
    weekday: int = Field(ge=0, le=6, description='0 = Monday')
    start: LocalTime
    end: LocalTime
    windows: ScanWindows | None = None

    @model_validator(mode='after')
    def _same_day(self) -> DayHours:
        if self.end <= self.start:
            raise ValueError('a weekly template day ends after it starts; use a roster for night shifts')
        return self


class WeekTemplate(Frozen):
    code: Code
    name: Name
    days: tuple[DayHours, ...] = Field(min_length=1, max_length=7)
    windows: ScanWindows = ScanWindows()
    ramadan_code: Code | None = Field(default=None, description='the template worked inside a Ramadan period')

    @model_validator(mode='after')
    def _distinct_days(self) -> WeekTemplate:
        weekdays = [d.weekday for d in self.days]
        if len(set(weekdays)) != len(weekdays):
            raise ValueError('a weekday appears twice in the template')
        if self.ramadan_code == self.code:
            raise ValueError('a template cannot be its own Ramadan variant')
        return self

    def hours_on(self, weekday: int) -> DayHours | None:
        return next((d for d in self.days if d.weekday == weekday), None)


class ShiftCode(Frozen):
    code: str = Field(pattern=r'^[A-Z][A-Z0-9]{0,5}$')
    name: Name
    working: bool = True
    start: LocalTime | None = None
    end: LocalTime | None = None  # at or before start: the shift crosses midnight
    check_in_before_minutes: int = Field(default=120, ge=0, le=12 * 60)
    check_out_after_minutes: int = Field(default=360, ge=0, le=12 * 60)

    @model_validator(mode='after')
    def _hours_when_working(self) -> ShiftCode:
        if self.working != (self.start is not None and self.end is not None):
            raise ValueError('a working shift has start and end; libur and lepas dinas have neither')
        return self


class RosterDay(Frozen):
    day: date
    code: str


class Roster(Frozen):
    codes: tuple[ShiftCode, ...] = Field(min_length=1)
    days: tuple[RosterDay, ...] = ()
    observes_holidays: bool = False
    _by_day: dict[date, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode='after')
    def _known_codes(self) -> Roster:
        known = {c.code for c in self.codes}
        if len(known) != len(self.codes):
            raise ValueError('a shift code is defined twice')
        unknown = sorted({d.code for d in self.days} - known)
        if unknown:
            raise ValueError(f'the roster uses undefined shift codes: {unknown}')
        if len({d.day for d in self.days}) != len(self.days):
            raise ValueError('a day is rostered twice')
        return self

    def model_post_init(self, __context: object) -> None:
        self._by_day.update((d.day, d.code) for d in self.days)

    def code_on(self, day: date) -> ShiftCode | None:
        code = self._by_day.get(day)
        return next((c for c in self.codes if c.code == code), None) if code else None


class EmployeeSchedule(Frozen):
    """What one employee owes: a weekly template (with its Ramadan variant) or a roster of shifts."""

    kind: Literal['WEEKLY', 'ROSTER']
    template: WeekTemplate | None = None
    ramadan_template: WeekTemplate | None = None
    roster: Roster | None = None

    @model_validator(mode='after')
    def _complete(self) -> EmployeeSchedule:
        if self.kind == 'WEEKLY' and (self.template is None or self.roster is not None):
            raise ValueError('a WEEKLY schedule has a template and no roster')
        if self.kind == 'ROSTER' and (self.roster is None or self.template is not None):
            raise ValueError('a ROSTER schedule has a roster and no template')
        return self


class CalendarDay(Frozen):
    day: date
    kind: CalendarKind
    name: Name


class DateRange(Frozen):
    start: date
    end: date  # inclusive

    @model_validator(mode='after')
    def _ordered(self) -> DateRange:
        if self.end < self.start:
            raise ValueError('end must not be before start')
        return self

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


AssignmentLevel = Literal['opd', 'unit', 'employee']
ScheduleKind = Literal['WEEKLY', 'ROSTER']
_SPECIFICITY: dict[str, int] = {'employee': 0, 'unit': 1, 'opd': 2}


def unit_key(unit: str) -> str:
    """Units are typed by hand in employee records: compare them without case or repeated spaces."""
    return ' '.join(unit.split()).casefold()


class ScheduleAssignment(Frozen):
    """Which schedule an OPD, a unit of an OPD, or one employee works from ``valid_from`` to ``valid_to``."""

    assignment_id: str
    level: AssignmentLevel
    opd_id: Code
    unit: str | None = Field(default=None, min_length=1, max_length=160)
    employee_id: Code | None = None
    kind: ScheduleKind = 'WEEKLY'
    template_code: Code | None = None
    observes_holidays: bool = False  # a ROSTER unit that closes on holidays
    valid_from: date
    valid_to: date | None = None  # inclusive; open-ended when None
    note: str | None = Field(default=None, max_length=500)
    created_by: str
    created_at: datetime
    version: int = 0

    @model_validator(mode='after')
    def _consistent(self) -> ScheduleAssignment:
        if (self.level == 'unit') != (self.unit is not None):
            raise ValueError('a unit assignment names its unit, and only it does')
        if (self.level == 'employee') != (self.employee_id is not None):
            raise ValueError('an employee assignment names its employee, and only it does')
        if (self.kind == 'WEEKLY') != (self.template_code is not None):
            raise ValueError('a WEEKLY assignment names a template; a ROSTER one does not')
        if self.observes_holidays and self.kind != 'ROSTER':
            raise ValueError('observes_holidays applies to ROSTER assignments only')
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError('valid_to must not be before valid_from')
        return self

    @property
    def target(self) -> str:
        if self.level == 'employee':
            return f'employee#{self.employee_id}'
        if self.level == 'unit':
            return f'unit#{self.opd_id}#{unit_key(self.unit or "")}'
        return f'opd#{self.opd_id}'

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def overlaps(self, first: date, last: date | None) -> bool:
        return self.valid_from <= (last or date.max) and first <= (self.valid_to or date.max)


def assignment_in_force(
    assignments: Iterable[ScheduleAssignment], employee_id: str, opd_id: str, unit: str | None, day: date
) -> ScheduleAssignment | None:
    """The most specific assignment covering ``day`` for this employee (in this OPD and unit), or None."""
    targets = {f'employee#{employee_id}', f'opd#{opd_id}'}
    if unit:
        targets.add(f'unit#{opd_id}#{unit_key(unit)}')
    found = [a for a in assignments if a.target in targets and a.covers(day)]
    return min(found, key=lambda a: _SPECIFICITY[a.level], default=None)


class Calendar(Frozen):
    """Days off for weekly staff (national holidays, cuti bersama, regional holidays, closures) and Ramadan."""

    days: tuple[CalendarDay, ...] = ()
    ramadan: tuple[DateRange, ...] = ()
    _by_day: dict[date, CalendarDay] = PrivateAttr(default_factory=dict)

    def model_post_init(self, __context: object) -> None:
        # A closure outranks a holiday on the same day only in its name; either way the day is off.
        self._by_day.update((d.day, d) for d in self.days)

    @classmethod
    def from_holidays(cls, holidays: Iterable[Holiday], ramadan: Iterable[DateRange] = ()) -> Calendar:
        return cls(
            days=tuple(CalendarDay(day=h.day, kind=h.kind, name=h.name) for h in holidays), ramadan=tuple(ramadan)
        )

    def day_off(self, day: date) -> CalendarDay | None:
        return self._by_day.get(day)

    def in_ramadan(self, day: date) -> bool:
        return any(r.covers(day) for r in self.ramadan)


class Shift(Frozen):
    """One owed working day: its hours and the windows in which scans count, as naive local datetimes."""

    local_date: date
    code: str
    start: datetime
    end: datetime
    check_in_from: datetime
    check_in_until: datetime  # exclusive
    check_out_from: datetime
    check_out_until: datetime  # inclusive
    ramadan: bool = False

    @property
    def crosses_midnight(self) -> bool:
        return self.end.date() > self.local_date

    def takes_check_in(self, at: datetime) -> bool:
        return self.check_in_from <= at < self.check_in_until

    def takes_check_out(self, at: datetime) -> bool:
        return self.check_out_from <= at <= self.check_out_until


def expected_shift(schedule: EmployeeSchedule, local_date: date, calendar: Calendar) -> Shift | None:
    """The shift owed on ``local_date`` (the day it starts), or None on a day off."""
    if schedule.roster is not None:
        return _roster_shift(schedule.roster, local_date, calendar)
    assert schedule.template is not None  # guaranteed by EmployeeSchedule's validator
    if calendar.day_off(local_date) is not None:
        return None
    ramadan = calendar.in_ramadan(local_date) and schedule.ramadan_template is not None
    template = schedule.ramadan_template if ramadan and schedule.ramadan_template else schedule.template
    hours = template.hours_on(local_date.weekday())
    if hours is None:
        return None
    windows = hours.windows or template.windows
    at = datetime.combine
    return Shift.model_construct(  # inputs are already typed: skip re-validation (day close is hot)
        local_date=local_date,
        code=template.code,
        start=at(local_date, hours.start),
        end=at(local_date, hours.end),
        check_in_from=at(local_date, windows.check_in_from),
        check_in_until=at(local_date, windows.check_in_until),
        check_out_from=at(local_date, windows.check_out_from),
        check_out_until=at(local_date, windows.check_out_until),
        ramadan=ramadan,
    )


def shifts_between(schedule: EmployeeSchedule, first: date, last: date, calendar: Calendar) -> list[Shift]:
    """Every owed shift from ``first`` to ``last`` inclusive: the working days of a month."""
    shifts: list[Shift] = []
    day = first
    while day <= last:
        shift = expected_shift(schedule, day, calendar)
        if shift is not None:
            shifts.append(shift)
        day += timedelta(days=1)
    return shifts


def _roster_shift(roster: Roster, local_date: date, calendar: Calendar) -> Shift | None:
    code = roster.code_on(local_date)
    if code is None or not code.working or code.start is None or code.end is None:
        return None
    if roster.observes_holidays and calendar.day_off(local_date) is not None:
        return None
    start = datetime.combine(local_date, code.start)
    end = datetime.combine(local_date, code.end)
    if end <= start:
        end += timedelta(days=1)
    split = start + (end - start) / 2
    return Shift.model_construct(  # inputs are already typed: skip re-validation (day close is hot)
        local_date=local_date,
        code=code.code,
        start=start,
        end=end,
        check_in_from=start - timedelta(minutes=code.check_in_before_minutes),
        check_in_until=split,
        check_out_from=split,
        check_out_until=end + timedelta(minutes=code.check_out_after_minutes),
        ramadan=calendar.in_ramadan(local_date),
    )


# --- templates of reference §8.4 ---------------------------------------------------------------------


def _week(
    code: str, name: str, hours: dict[int, tuple[time, time]], ramadan: str | None = None, **overrides: ScanWindows
) -> WeekTemplate:
    windows = {int(k.removeprefix('day')): v for k, v in overrides.items()}
    days = tuple(DayHours(weekday=d, start=s, end=e, windows=windows.get(d)) for d, (s, e) in sorted(hours.items()))
    return WeekTemplate(code=code, name=name, days=days, ramadan_code=ramadan)


def _t(text: str) -> time:
    return time.fromisoformat(text)


_SIX_DAY_FRIDAY_WINDOWS = ScanWindows(check_in_until=_t('09:30'), check_out_from=_t('09:30'))

FIVE_DAY = _week(
    '5HK',
    'Lima hari kerja (Perpres 21/2023)',
    {**{d: (_t('07:30'), _t('16:00')) for d in range(4)}, 4: (_t('07:30'), _t('16:30'))},
    ramadan='5HK-R',
)
FIVE_DAY_RAMADAN = _week(
    '5HK-R',
    'Lima hari kerja, bulan Ramadan',
    {**{d: (_t('08:00'), _t('15:00')) for d in range(4)}, 4: (_t('08:00'), _t('15:30'))},
)
SIX_DAY = _week(
    '6HK',
    'Enam hari kerja (unit pelayanan; sesuaikan per unit)',
    {**{d: (_t('07:30'), _t('14:30')) for d in range(4)}, 4: (_t('07:30'), _t('11:30')), 5: (_t('07:30'), _t('13:00'))},
    ramadan='6HK-R',
    day4=_SIX_DAY_FRIDAY_WINDOWS,
)
SIX_DAY_RAMADAN = _week(
    '6HK-R',
    'Enam hari kerja, bulan Ramadan',
    {**{d: (_t('08:00'), _t('14:00')) for d in (0, 1, 2, 3, 5)}, 4: (_t('08:00'), _t('14:30'))},
)
BUILT_IN_TEMPLATES: dict[str, WeekTemplate] = {
    t.code: t for t in (FIVE_DAY, FIVE_DAY_RAMADAN, SIX_DAY, SIX_DAY_RAMADAN)
}


def weekly_schedule(template: WeekTemplate, templates: dict[str, WeekTemplate]) -> EmployeeSchedule:
    """A template with the Ramadan variant it names (regular hours in Ramadan when it names none)."""
    ramadan = templates.get(template.ramadan_code) if template.ramadan_code else None
    return EmployeeSchedule(kind='WEEKLY', template=template, ramadan_template=ramadan)
