"""One employee-month end to end, without I/O: owed shifts → day results → month result.

The day-close and month-close jobs (and ``bench/allowance``) load an employee's punches, statuses and
outages for the month and call this; it is deterministic in its inputs, so re-running it is idempotent.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal

from chalicelib.domain.tpp.day import ApprovedStatus, DayResult, Outage, evaluate_day
from chalicelib.domain.tpp.month import MonthFlags, MonthResult, Payee, compute_month
from chalicelib.domain.tpp.profile import RuleProfile
from chalicelib.domain.tpp.schedule import Calendar, EmployeeSchedule, Shift, shifts_between


def close_days(
    schedule: EmployeeSchedule,
    calendar: Calendar,
    first: date,
    last: date,
    punches_local: Sequence[datetime],
    statuses: Mapping[date, ApprovedStatus],
    outages: Mapping[date, Outage],
    profile: RuleProfile,
    *,
    shifts: Sequence[Shift] | None = None,
    earlier: Mapping[str, int] | None = None,
) -> list[DayResult]:
    """Day results for every owed shift from ``first`` to ``last``.

    ``punches_local`` should cover ``first − 1 day`` to ``last + 1 day`` so that scan windows reaching
    across midnight (night shifts) see their punches; each shift takes only the punches inside its windows.
    ``shifts`` may be passed precomputed (``shifts_between``): staff sharing a template share them.
    ``earlier`` counts, by status code, the owed days of ``first``'s month before ``first`` (a close that
    starts mid-month), so a status's rank in the month (CAP's free days) is right on every day.
    """
    ordered = sorted(punches_local)
    seen: Counter[str] = Counter(earlier or {})
    month = (first.year, first.month)
    results: list[DayResult] = []
    for shift in shifts if shifts is not None else shifts_between(schedule, first, last, calendar):
        if (shift.local_date.year, shift.local_date.month) != month:
            month, seen = (shift.local_date.year, shift.local_date.month), Counter()  # free days are per month
        nearby = ordered[bisect_left(ordered, shift.check_in_from) : bisect_right(ordered, shift.check_out_until)]
        status = statuses.get(shift.local_date)
        if status is not None:
            seen[status.code] += 1
        results.append(
            evaluate_day(
                shift,
                nearby,
                status,
                outages.get(shift.local_date),
                profile,
                status_ordinal=seen[status.code] if status else 1,
            )
        )
    return results


def close_employee_month(
    employee: Payee,
    schedule: EmployeeSchedule,
    calendar: Calendar,
    first: date,
    last: date,
    punches_local: Sequence[datetime],
    statuses: Mapping[date, ApprovedStatus],
    outages: Mapping[date, Outage],
    performance_score: Decimal,
    flags: MonthFlags,
    profile: RuleProfile,
    *,
    shifts: Sequence[Shift] | None = None,
) -> tuple[list[DayResult], MonthResult]:
    days = close_days(schedule, calendar, first, last, punches_local, statuses, outages, profile, shifts=shifts)
    return days, compute_month(employee, days, performance_score, flags, profile)
