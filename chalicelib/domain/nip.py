"""The 18-digit civil-servant number (NIP for PNS, NI PPPK for PPPK).

Layout (Peraturan BKN): birth date YYYYMMDD, then for a PNS the appointment (TMT CPNS) as YYYYMM,
for a PPPK the appointment year YYYY followed by the PPPK code 21 in place of the month; then sex
(1 male, 2 female) and a 3-digit sequence from 001.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

NIP_LENGTH = 18
MIN_APPOINTMENT_AGE_YEARS = 17
PPPK_CODE = 21


@dataclass(frozen=True)
class NipParts:
    birth_date: date
    appointment_year: int
    appointment_month: int | None  # None for a PPPK number, which carries only the year
    sex: str
    sequence: int

    @property
    def is_pppk(self) -> bool:
        return self.appointment_month is None


def parse_nip(nip: str) -> NipParts:
    """Parse and validate a NIP; raise ValueError with a message a clerk can act on."""
    if len(nip) != NIP_LENGTH or not nip.isascii() or not nip.isdigit():
        raise ValueError(f'NIP must be exactly {NIP_LENGTH} digits')
    try:
        birth = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        raise ValueError(f'NIP digits 1-8 are not a valid birth date: {nip[0:8]}') from None
    year, month = int(nip[8:12]), int(nip[12:14])
    if not (1 <= month <= 12 or month == PPPK_CODE):
        raise ValueError(
            f'NIP digits 9-14 are neither an appointment month (PNS) nor a year with the PPPK code 21: {nip[8:14]}'
        )
    if year - birth.year < MIN_APPOINTMENT_AGE_YEARS:
        raise ValueError('NIP appointment date is less than 17 years after the birth date')
    sex_digit = nip[14]
    if sex_digit not in '12':
        raise ValueError('NIP digit 15 must be 1 (male) or 2 (female)')
    sequence = int(nip[15:18])
    if sequence == 0:
        raise ValueError('NIP digits 16-18 (sequence) must not be 000')
    appointment_month = None if month == PPPK_CODE else month
    return NipParts(birth, year, appointment_month, 'L' if sex_digit == '1' else 'P', sequence)


def is_valid_nip(nip: str) -> bool:
    try:
        parse_nip(nip)
    except ValueError:
        return False
    return True
