"""Approved statuses of an employee over a date range (leave, duty, izin, sickness), checked against the
status matrix of the rule profile, and what the day close and the check-in geofence read from them.

The codes are the profile's own (``RuleProfile.statuses``): a status whose code is not in the matrix in
force, or not for the employee's type (PPPK have no CAP, CBS or CLTN), is refused. Cuti bersama is not a
status: it is a calendar day (holiday kind ``cuti_bersama``) and not a working day for anyone on a weekly
schedule (reference §8.2, CB).

Choices where the reference leaves room, and why:

- One status per employee per day: two statuses on one day would need a precedence rule the reference
  does not give (is a DL day with an izin terlambat late?), so an overlapping range is refused.
- A status that asks for proof in the matrix (``proof``: surat tugas, surat keterangan dokter) needs the
  document number; the others may carry one.
- A place (an ``OfficeLocation``) goes only with a status that counts as present (DL, TD, DK): it is where
  the employee works that day, so the check-in geofence accepts it.
- A range is at most ``MAX_STATUS_DAYS`` long (CLTN is up to 3 years, extendable by 1 under PP 11/2017):
  the status, its month index and its audit entry commit in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import Field, model_validator

from chalicelib.domain.errors import FieldIssue
from chalicelib.domain.models import EmployeeType, Frozen, OfficeLocation
from chalicelib.domain.tpp.day import ApprovedStatus
from chalicelib.domain.tpp.profile import RuleCode, RuleProfile, StatusEffect

MAX_STATUS_DAYS = 4 * 365 + 1


class StatusState(StrEnum):
    APPROVED = 'approved'
    CANCELLED = 'cancelled'


class EmployeeStatus(Frozen):
    """An approved status of one employee from ``first`` to ``last`` (inclusive), as recorded by an admin."""

    status_id: str
    employee_id: str
    opd_id: str
    code: RuleCode
    first: date
    last: date
    reference: str | None = Field(default=None, max_length=120, description='nomor surat (tugas, cuti, dokter)')
    location: OfficeLocation | None = None
    note: str | None = Field(default=None, max_length=500)
    state: StatusState = StatusState.APPROVED
    approved_by: str
    approved_at: datetime
    cancelled_by: str | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    version: int = 0

    @model_validator(mode='after')
    def _ordered(self) -> EmployeeStatus:
        if self.last < self.first:
            raise ValueError('last must not be before first')
        return self

    @property
    def active(self) -> bool:
        return self.state is StatusState.APPROVED

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last

    def overlaps(self, first: date, last: date) -> bool:
        return self.first <= last and first <= self.last

    def for_day(self) -> ApprovedStatus:
        """What the day evaluation takes."""
        return ApprovedStatus(code=self.code, reference=self.reference)


def request_issues(
    profiles: Sequence[RuleProfile | None],
    employee_type: EmployeeType,
    code: str,
    first: date,
    last: date,
    reference: str | None,
    location: OfficeLocation | None,
) -> tuple[FieldIssue, ...]:
    """Every reason a status request is invalid, with field paths.

    ``profiles`` are the profiles in force on ``first`` and ``last`` (None where none is): the code must be in
    the status matrix of each, for the employee's type.
    """
    issues: list[FieldIssue] = []
    if last < first:
        issues.append(FieldIssue('last', 'must not be before first'))
    elif (last - first).days + 1 > MAX_STATUS_DAYS:
        issues.append(FieldIssue('last', f'a status covers at most {MAX_STATUS_DAYS} days; record the rest as another'))
    rules = []
    for profile in dict.fromkeys(profiles):
        if profile is None:
            issues.append(FieldIssue('first', f'no rule profile is in force for {employee_type} on these dates'))
            continue
        rule = profile.status(code)
        if rule is None:
            known = ', '.join(r.code for r in profile.statuses if r.applies_to(employee_type))
            issues.append(FieldIssue('code', f'{code} is not in the status matrix of {profile.profile_id}: {known}'))
        elif not rule.applies_to(employee_type):
            issues.append(FieldIssue('code', f'{code} ({rule.name}) does not apply to {employee_type}'))
        else:
            rules.append(rule)
    for rule in rules[:1]:
        if rule.proof and not reference:
            issues.append(FieldIssue('reference', f'{rule.code} needs the number of its {rule.proof}'))
        if location is not None and not (rule.counts_as_present and rule.effect is StatusEffect.FULL_DAY):
            issues.append(FieldIssue('location', f'only a duty counted present (DL, TD, DK) has a place, not {code}'))
    return tuple(issues)


def overlapping(statuses: Iterable[EmployeeStatus], first: date, last: date) -> list[EmployeeStatus]:
    """The active statuses that share a day with ``first``..``last``."""
    return [s for s in statuses if s.active and s.overlaps(first, last)]


def status_on(statuses: Iterable[EmployeeStatus], day: date) -> EmployeeStatus | None:
    return next((s for s in statuses if s.active and s.covers(day)), None)


def months_touched(first: date, last: date) -> list[str]:
    """``YYYY-MM`` of every month the range touches, in order."""
    months: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f'{year:04d}-{month:02d}')
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def earlier_status_days(
    statuses: Sequence[EmployeeStatus], first: date, owed: Callable[[date], bool]
) -> dict[str, int]:
    """Owed days of ``first``'s month before ``first`` under each status code: where a day close starting on
    ``first`` picks up the count of a per-day status with free days (CAP: the first 2 days of the month)."""
    counts: dict[str, int] = {}
    day = first.replace(day=1)
    while day < first:
        status = status_on(statuses, day)
        if status is not None and owed(day):
            counts[status.code] = counts.get(status.code, 0) + 1
        day += timedelta(days=1)
    return counts
