from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.nip import NipParts, is_valid_nip, parse_nip


def test_parses_birth_date_appointment_sex_and_sequence() -> None:
    # Given the NIP of a woman born 15 March 1985, appointed January 2010, sequence 7
    # When it is parsed
    parts = parse_nip('198503152010012007')
    # Then every part is read from its position
    assert parts == NipParts(date(1985, 3, 15), 2010, 1, 'P', 7)


@pytest.mark.parametrize(
    ('nip', 'reason'),
    [
        ('19850315201001100', 'exactly 18 digits'),
        ('1985031520100110011', 'exactly 18 digits'),
        ('19850315201001100a', 'exactly 18 digits'),
        ('198503152010011 01', 'exactly 18 digits'),
        ('١٩٨٥٠٣١٥٢٠١٠٠١١٠٠١', 'exactly 18 digits'),  # Arabic-Indic digits pass str.isdigit()
        ('198502302010011001', 'not a valid birth date: 19850230'),
        ('198513152010011001', 'not a valid birth date'),
        ('198503152010131001', 'neither an appointment month (PNS) nor a year with the PPPK code 21: 201013'),
        ('198503152010001001', 'neither an appointment month'),
        ('198503152010221001', 'neither an appointment month'),  # 22 is neither a month nor the PPPK code
        ('198503152001011001', 'less than 17 years after the birth date'),
        ('198503152010013001', 'digit 15 must be 1 (male) or 2 (female)'),
        ('198503152010011000', 'sequence) must not be 000'),
    ],
)
def test_rejects_a_malformed_nip_with_a_reason_a_clerk_can_act_on(nip: str, reason: str) -> None:
    # Given a NIP broken in one specific way
    # When it is parsed
    # Then the error names what is wrong, and is_valid_nip agrees
    with pytest.raises(ValueError, match=reason.replace('(', r'\(').replace(')', r'\)')):
        parse_nip(nip)
    assert not is_valid_nip(nip)


def test_a_pppk_number_carries_the_code_21_instead_of_a_month() -> None:
    # Given an NI PPPK: born 15 March 1985, appointed in 2022, male, sequence 3
    # When it is parsed
    parts = parse_nip('198503152022211003')
    # Then it has a year but no month, and is recognised as PPPK
    assert parts == NipParts(date(1985, 3, 15), 2022, None, 'L', 3)
    assert parts.is_pppk and not parse_nip('198503152010012007').is_pppk


def test_accepts_appointment_exactly_seventeen_years_after_birth() -> None:
    assert parse_nip('199001012007011001').appointment_year == 2007


@given(
    birth=st.dates(min_value=date(1950, 1, 1), max_value=date(2005, 12, 31)),
    age_at_appointment=st.integers(min_value=17, max_value=40),
    month=st.sampled_from([*range(1, 13), 21]),  # 21 marks a PPPK number
    sex=st.sampled_from('12'),
    sequence=st.integers(min_value=1, max_value=999),
)
def test_any_nip_built_from_valid_parts_parses_back_to_those_parts(
    birth: date, age_at_appointment: int, month: int, sex: str, sequence: int
) -> None:
    # Given a NIP assembled from valid parts
    year = birth.year + age_at_appointment
    nip = f'{birth:%Y%m%d}{year:04d}{month:02d}{sex}{sequence:03d}'
    # When it is parsed
    # Then the parts come back unchanged
    expected_month = None if month == 21 else month
    assert parse_nip(nip) == NipParts(birth, year, expected_month, 'L' if sex == '1' else 'P', sequence)


@given(st.text(max_size=24))
def test_parsing_arbitrary_text_either_succeeds_or_raises_value_error(text: str) -> None:
    # Given any text; When it is checked; Then the checker is total and agrees with the parser
    try:
        parse_nip(text)
    except ValueError:
        assert not is_valid_nip(text)
    else:
        assert is_valid_nip(text) and len(text) == 18
