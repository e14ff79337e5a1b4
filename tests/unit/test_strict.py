"""Strict parsing of numbers, dates and months given as text (domain/strict.py): ASCII digits in a fixed shape, bounded,
of 2000 to 2100, or refused with the field named; never a ValueError out of int() or a Unicode digit read as one."""

from __future__ import annotations

import re
import sys
from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.strict import (
    DATE_PATTERN,
    MONTH_PATTERN,
    Day,
    LocalTime,
    ascii_int,
    date_or_none,
    local_datetime_or_none,
    parse_bool,
    parse_date,
    parse_int,
    parse_month,
    parse_year,
)

NON_ASCII_DIGITS = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isdigit() and not chr(c).isascii()]


@given(st.text(alphabet=st.sampled_from(NON_ASCII_DIGITS + list('0123456789')), min_size=1, max_size=6))
def test_only_ascii_digits_are_a_number(text: str) -> None:
    # Given any mix of ASCII and other Unicode digits (², ٣, １ ...): a number only when every one is ASCII
    value = ascii_int(text)
    assert (value is not None) == text.isascii()
    if value is not None:
        assert value == int(text)


@pytest.mark.parametrize('text', ['', ' 1', '1 ', '+1', '-1', '1.0', '1_000', '١', '²', '0x1', '1' * 16, '1\n'])
def test_what_is_not_a_bounded_ascii_integer_is_none(text: str) -> None:
    assert ascii_int(text) is None


def test_parse_int_names_the_field_and_the_range() -> None:
    assert parse_int('500', 'query.limit', minimum=1, maximum=500) == 500
    for bad in ('0', '501', '²', '0500', 'ten'):
        with pytest.raises(ValidationFailed) as refused:
            parse_int(bad, 'query.limit', minimum=1, maximum=500)
        assert refused.value.fields[0].path == 'query.limit'
        assert 'from 1 to 500' in refused.value.fields[0].message


@pytest.mark.parametrize('text', ['2000-01', '2026-12', '2100-12'])
def test_months_of_2000_to_2100_are_months(text: str) -> None:
    assert parse_month(text, 'month') == text
    assert re.fullmatch(MONTH_PATTERN, text)


@pytest.mark.parametrize('text', ['0001-01', '1999-12', '2101-01', '2026-13', '2026-00', '2026-1', '٢٠٢٦-01', '202601'])
def test_other_months_are_refused(text: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_month(text, 'month')


def test_dates_are_real_days_of_2000_to_2100_written_yyyy_mm_dd() -> None:
    assert parse_date('2024-02-29', 'date') == date(2024, 2, 29)
    for text in ('2026-02-29', '2026-02-30', '0001-01-01', '20260101', '2026-W01-1', '2026-1-1', '2101-01-01'):
        assert date_or_none(text) is None, text
    assert not re.fullmatch(DATE_PATTERN, '0001-01-01')
    assert local_datetime_or_none('2026-01-31 23:59:59') is not None
    assert local_datetime_or_none('2026-02-31 00:00:00') is None
    assert parse_year('2026', 'year') == 2026
    with pytest.raises(ValidationFailed):
        parse_year('1970', 'year')


def test_flags_are_true_or_false_only() -> None:
    assert (parse_bool('true', 'dry_run'), parse_bool('false', 'dry_run')) == (True, False)
    for text in ('1', 'yes', 'True', ''):
        with pytest.raises(ValidationFailed):
            parse_bool(text, 'dry_run')


def test_body_dates_and_times_have_their_sane_shapes() -> None:
    day, clock = TypeAdapter(Day), TypeAdapter(LocalTime)
    assert day.validate_python('2026-01-02') == date(2026, 1, 2)
    with pytest.raises(ValidationError):
        day.validate_python('0001-01-01')
    assert clock.validate_python('07:30') == time(7, 30)
    for text in ('07:30+07:00', '07:30:00.5'):
        with pytest.raises(ValidationError):
            clock.validate_python(text)
    assert day.json_schema()['pattern'] == DATE_PATTERN
    assert 'format' not in clock.json_schema()  # RFC 3339's time needs an offset; ours has none
