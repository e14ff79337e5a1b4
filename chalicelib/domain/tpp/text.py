"""Indonesian number formats for explanations: ``1,25%`` and ``Rp12.500`` (comma decimals, dot thousands)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from chalicelib.domain.tpp.profile import DeductionUnit


def percent(bp: int | Fraction) -> str:
    """Basis points as an Indonesian percentage with two decimals: 125 -> '1,25%'."""
    value = Decimal(bp.numerator) / Decimal(bp.denominator) if isinstance(bp, Fraction) else Decimal(bp)
    hundredths = value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    whole, cents = divmod(int(hundredths), 100)
    return f'{_thousands(whole)},{cents:02d}%'


def rupiah(amount: int) -> str:
    sign = '-' if amount < 0 else ''
    return f'{sign}Rp{_thousands(abs(amount))}'


def amount(value: int, unit: DeductionUnit) -> str:
    if unit is DeductionUnit.RUPIAH:
        return rupiah(value)
    if unit is DeductionUnit.DAILY_SHARE:
        return f'{percent(value)} dari bagian harian'
    return percent(value)


def _thousands(value: int) -> str:
    return f'{value:,}'.replace(',', '.')
