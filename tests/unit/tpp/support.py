"""Shared fixtures of the TPP worked examples: the default profile, a 5HK schedule and January 2026.

The calendar is a fixture, not the SKB: 1 January is a national holiday and 2 January is declared cuti
bersama, which leaves exactly 20 working days (5–9, 12–16, 19–23, 26–30 January), so one working day is
5 % of the month and PAGU Rp5.000.000 gives K_BASE Rp3.000.000 and D_BASE Rp2.000.000 (1 % = Rp20.000).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from chalicelib.domain.models import EmployeeType
from chalicelib.domain.tpp.day import ApprovedStatus, DayResult, Outage, evaluate_day
from chalicelib.domain.tpp.defaults import ASN_DEFAULT, default_profile
from chalicelib.domain.tpp.month import MonthFlags, MonthResult, compute_month
from chalicelib.domain.tpp.profile import RuleProfile, parse_profile
from chalicelib.domain.tpp.schedule import (
    FIVE_DAY,
    FIVE_DAY_RAMADAN,
    Calendar,
    CalendarDay,
    DateRange,
    EmployeeSchedule,
    Shift,
    expected_shift,
    shifts_between,
)

PROFILE = default_profile()
WEEKLY = EmployeeSchedule(kind='WEEKLY', template=FIVE_DAY, ramadan_template=FIVE_DAY_RAMADAN)
CALENDAR = Calendar(
    days=(
        CalendarDay(day=date(2026, 1, 1), kind='national', name='Tahun Baru 2026 Masehi'),
        CalendarDay(day=date(2026, 1, 2), kind='cuti_bersama', name='Cuti bersama (fixture)'),
    ),
    ramadan=(DateRange(start=date(2026, 2, 18), end=date(2026, 3, 19)),),
)
MONDAY = date(2026, 1, 5)
FRIDAY = date(2026, 1, 9)
JANUARY = shifts_between(WEEKLY, date(2026, 1, 1), date(2026, 1, 31), CALENDAR)
PAGU = 5_000_000
ON_TIME = ('07:20', '16:35')  # on time on every weekday, Friday (16:30) included


@dataclass(frozen=True)
class Payee:
    employee_type: EmployeeType = EmployeeType.PNS
    tpp_ceiling: int = PAGU


def variant(profile: RuleProfile = PROFILE, **changes: Any) -> RuleProfile:
    """A validated copy of a profile with top-level (or dotted nested) fields changed."""
    data = profile.model_dump(mode='json')
    for key, value in changes.items():
        target = data
        *path, leaf = key.split('__')
        for part in path:
            target = target[part]
        target[leaf] = value
    return parse_profile(data)


def asn_data() -> dict[str, Any]:
    return dict(ASN_DEFAULT)


def shift_on(day: date, schedule: EmployeeSchedule = WEEKLY) -> Shift:
    shift = expected_shift(schedule, day, CALENDAR)
    assert shift is not None, f'{day} is not a working day'
    return shift


def at(day: date, clock: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock))


def evaluate(
    day: date,
    *clocks: str,
    status: str | None = None,
    outage: bool = False,
    profile: RuleProfile = PROFILE,
    schedule: EmployeeSchedule = WEEKLY,
    **kwargs: Any,
) -> DayResult:
    return evaluate_day(
        shift_on(day, schedule),
        [at(day, c) for c in clocks],
        ApprovedStatus(code=status) if status else None,
        Outage(opd_id='DISKOMINFO', local_date=day) if outage else None,
        profile,
        **kwargs,
    )


def month_of(
    plan: Sequence[tuple[str, ...] | str],
    *,
    profile: RuleProfile = PROFILE,
    score: str = '100',
    flags: MonthFlags | None = None,
    payee: Payee | None = None,
) -> MonthResult:
    """Close January from a plan of 20 working days: each entry is punches ('07:20', '16:05'), 'TK', a status
    code, or 'OUT' (an outage); missing trailing entries are on-time days."""
    days: list[DayResult] = []
    for i, shift in enumerate(JANUARY):
        entry = plan[i] if i < len(plan) else ON_TIME
        if isinstance(entry, tuple):
            days.append(evaluate(shift.local_date, *entry, profile=profile))
        elif entry == 'TK':
            days.append(evaluate(shift.local_date, profile=profile))
        elif entry == 'OUT':
            days.append(evaluate(shift.local_date, outage=True, profile=profile))
        else:
            days.append(evaluate(shift.local_date, status=entry, profile=profile))
    return compute_month(payee or Payee(), days, Decimal(score), flags or MonthFlags(), profile)
