"""Mid-month changes: an employee's history with effective dates, and the parts of a month it prices (pure)."""

from __future__ import annotations

from enum import StrEnum


class MidMonthMode(StrEnum):
    CALENDAR_DAYS = 'CALENDAR_DAYS'  # a part weighs its calendar days ÷ the month's calendar days
    WORKING_DAYS = 'WORKING_DAYS'  # a part weighs its owed working days ÷ the month's owed working days
    NONE = 'NONE'  # no pro-rating: the whole month under the last state the employee was active in
