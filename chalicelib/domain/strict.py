"""Strict parsing of the numbers, dates, months and flags that arrive as text (query strings, path segments,
headers, command-line options), in one place (pure).

`str.isdigit` and `int()` accept far more than ASCII: `'²'.isdigit()` is true and `int('²')` raises, and
`int('٣')` is 3. Python's `date.fromisoformat` reads `20260101` and `2026-W01-1`, and `strptime('%Y')`
reads Arabic-Indic digits. None of that is what a client means, so every value here is ASCII digits in a fixed
shape, bounded in length and in range, or it is refused with the field it came from.

The years Hadir deals in are 2000 to 2100: nothing before the first e-attendance system of a pemda, nothing a
plan could reach. A month close for `0001-01`, or a 100-year backfill, is a typo, never a request.

The `*_PATTERN` strings are what the OpenAPI document publishes for the same values, so the document and the
server cannot disagree.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

from chalicelib.domain.errors import FieldIssue, ValidationFailed

FIRST_YEAR = 2000
LAST_YEAR = 2100
FIRST_DAY = date(FIRST_YEAR, 1, 1)
LAST_DAY = date(LAST_YEAR, 12, 31)

_YEAR = r'(?:20[0-9]{2}|2100)'
YEAR_PATTERN = f'^{_YEAR}$'
MONTH_PATTERN = f'^{_YEAR}-(?:0[1-9]|1[0-2])$'
DATE_PATTERN = f'^{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$'
DATETIME_PATTERN = DATE_PATTERN.removesuffix('$') + r' (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$'
TIME_PATTERN = r'^(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?$'
BOOLEAN_VALUES = ('true', 'false')
MAX_INTEGER_DIGITS = 15  # Unix milliseconds until the year 33658; no count or id here comes near

_ASCII_DIGITS = re.compile(r'[0-9]+', re.ASCII)


def ascii_int(text: str, *, max_digits: int = MAX_INTEGER_DIGITS) -> int | None:
    """The value of `text` when it is 1..`max_digits` ASCII digits and nothing else (no sign, space, `²`), else None."""
    if not 1 <= len(text) <= max_digits or not _ASCII_DIGITS.fullmatch(text):
        return None
    return int(text)


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f'{field} {message}', fields=(FieldIssue(field, message),))


def parse_int(text: str, field: str, *, minimum: int, maximum: int) -> int:
    """An integer written in ASCII digits, from `minimum` to `maximum`; ValidationFailed naming `field` otherwise."""
    value = ascii_int(text, max_digits=len(str(maximum)))
    if value is None or not minimum <= value <= maximum:
        raise _refuse(field, f'must be an integer from {minimum} to {maximum}')
    return value


def parse_year(text: str, field: str) -> int:
    return parse_int(text, field, minimum=FIRST_YEAR, maximum=LAST_YEAR)


def month_or_none(text: str) -> str | None:
    """`text` when it is a month YYYY-MM of FIRST_YEAR..LAST_YEAR, else None."""
    return text if re.fullmatch(MONTH_PATTERN, text, re.ASCII) else None


def parse_month(text: str, field: str) -> str:
    """A month written YYYY-MM, of a year from FIRST_YEAR to LAST_YEAR; returned as given (it is canonical)."""
    month = month_or_none(text)
    if month is None:
        raise _refuse(field, f'must be a month YYYY-MM from {FIRST_YEAR}-01 to {LAST_YEAR}-12')
    return month


def date_or_none(text: str) -> date | None:
    """The date `text` names when it is YYYY-MM-DD, a real day, of FIRST_YEAR..LAST_YEAR, else None."""
    if not re.fullmatch(DATE_PATTERN, text, re.ASCII):
        return None
    try:
        return date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:  # 2026-02-30
        return None


def local_datetime_or_none(text: str) -> datetime | None:
    """The naive wall-clock time `text` names when it is `YYYY-MM-DD HH:MM:SS` (a machine's clock), else None."""
    if not re.fullmatch(DATETIME_PATTERN, text, re.ASCII) or date_or_none(text[:10]) is None:
        return None
    return datetime.strptime(text, '%Y-%m-%d %H:%M:%S')


def parse_date(text: str, field: str) -> date:
    day = date_or_none(text)
    if day is None:
        raise _refuse(field, f'must be a date YYYY-MM-DD from {FIRST_DAY} to {LAST_DAY}')
    return day


def check_day_in_range(day: date, field: str) -> date:
    """A date already parsed (by pydantic, from a body) that must still lie in FIRST_DAY..LAST_DAY."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise _refuse(field, f'must be a date from {FIRST_DAY} to {LAST_DAY}')
    return day


def parse_bool(text: str, field: str) -> bool:
    """`true` or `false`, as JSON writes them; nothing else (no `1`, `yes`, `True`)."""
    if text not in BOOLEAN_VALUES:
        raise _refuse(field, 'must be true or false')
    return text == 'true'


def _wall_clock(value: time) -> time:
    if value.tzinfo is not None or value.microsecond:
        raise ValueError('a local wall-clock time is HH:MM or HH:MM:SS, with no offset and no fraction')
    return value


# A time of day in the OPD's zone, as schedules write it. JSON Schema's `format: time` is RFC 3339's, which
# requires an offset, so the document gives the pattern instead.
LocalTime = Annotated[
    time,
    AfterValidator(_wall_clock),
    WithJsonSchema({'type': 'string', 'pattern': TIME_PATTERN, 'description': 'local time HH:MM or HH:MM:SS'}),
]


def _sane_day(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f'must be a date from {FIRST_DAY} to {LAST_DAY}')
    return value


# A calendar date in a request body: YYYY-MM-DD of FIRST_YEAR..LAST_YEAR (routing's strict type check refuses a
# number, which pydantic would otherwise read as Unix seconds).
Day = Annotated[
    date,
    AfterValidator(_sane_day),
    WithJsonSchema({'type': 'string', 'format': 'date', 'pattern': DATE_PATTERN}),
]
