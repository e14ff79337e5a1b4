"""A change of employee type mid-month (a TKK honorarium becoming PPPK TPP on a TMT), computed by hand from
../shared/reference/tpp-rules.md §8.1, §8.3 (TKK: rupiah deductions from the honorarium) and §10 (mid-month
changes), under each ``mid_month`` mode.

January 2026 (tests/unit/tpp/support.py): 31 calendar days, 20 working days. Citra is TKK (honorarium
Rp2.000.000, the example TKK profile: no performance part, the whole honorarium is the attendance base, TL1 costs
Rp5.000) until the 15th and PPPK from the 16th (PAGU Rp5.000.000, the ASN default: K_BASE 60 %, D_BASE 40 %, TL1
0,5 % of D_BASE), reason TMT. 1–15: 9 working days (5–9, 12–15), 15 calendar days; 16–31: 11 working days (16,
19–23, 26–30), 16 calendar days. She is 10 minutes late on 6 January (a TKK day: TL1 = Rp5.000) and 15 minutes
late on 19 January (a PPPK day: TL1 = 0,5 %), on time on every other day, scored 100.

Each day is judged under its own type's profile (the day close follows the history), and each type's parts are
priced under that type's profile (midmonth.py).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.models import EmployeeType
from chalicelib.domain.tpp.day import DayResult
from chalicelib.domain.tpp.defaults import example_tkk_profile
from chalicelib.domain.tpp.history import Change, ChangeReason, EmploymentState, MidMonthMode, month_parts
from chalicelib.domain.tpp.midmonth import finance_rows, price_parts
from chalicelib.domain.tpp.month import MonthFlags, MonthResult, round_half_up
from chalicelib.domain.tpp.records import MonthRecord
from tests.unit.tpp.support import JANUARY, PROFILE, evaluate

FIRST, LAST, TMT = date(2026, 1, 1), date(2026, 1, 31), date(2026, 1, 16)
OWED = {s.local_date for s in JANUARY}
TKK_PROFILE = example_tkk_profile()
TKK = EmploymentState(opd_id='DISKOMINFO', employee_type=EmployeeType.TKK, jabatan='Pengelola Layanan Operasional',
                      kelas_jabatan=1, tpp_ceiling=2_000_000, active=True)  # fmt: skip
PPPK = TKK.model_copy(update={'employee_type': EmployeeType.PPPK, 'jabatan': 'Pranata Komputer Ahli Pertama',
                              'kelas_jabatan': 7, 'tpp_ceiling': 5_000_000})  # fmt: skip
CHANGE = Change(change_id='chg-1', employee_id='pg-citra', effective_from=TMT, reason=ChangeReason.TMT,
                before=TKK, after=PPPK, reference='SK PPPK 813/2026', recorded_by='key',
                recorded_at=datetime(2026, 1, 20))  # fmt: skip


def _days() -> list[DayResult]:
    """Each owed day judged under the profile of the type the employee had that day."""
    late = {date(2026, 1, 6): ('07:40', '16:35'), date(2026, 1, 19): ('07:45', '16:35')}
    return [
        evaluate(d, *late.get(d, ('07:20', '16:35')), profile=TKK_PROFILE if d < TMT else PROFILE) for d in sorted(OWED)
    ]


def _priced(mode: MidMonthMode, *, with_tkk_profile: bool = True) -> tuple[MonthResult, list[MonthResult]]:
    parts = month_parts([CHANGE], FIRST, LAST, mode, lambda d: d in OWED)
    others = {EmployeeType.TKK: TKK_PROFILE} if with_tkk_profile else {}
    whole, rows = price_parts(parts, _days(), Decimal(100), MonthFlags(), PROFILE, others)
    return whole, [r.result for r in rows]


def test_the_days_are_judged_in_each_types_unit() -> None:
    days = {d.local_date: d for d in _days()}
    # TL1 on a TKK day is Rp5.000 (rupiah); on a PPPK day 50 bp (0,5 %)
    assert (days[date(2026, 1, 6)].codes, days[date(2026, 1, 6)].deduction) == (('TL1',), 5_000)
    assert (days[date(2026, 1, 19)].codes, days[date(2026, 1, 19)].deduction) == (('TL1',), 50)


def test_tkk_to_pppk_on_the_16th_by_working_days() -> None:
    whole, (tkk, pppk) = _priced(MidMonthMode.WORKING_DAYS)
    # TKK part, 9/20 of the honorarium: 9/20 × 2.000.000 = 900.000, all attendance base (K 0); TL1 Rp5.000:
    # 900.000 − 5.000 = 895.000
    assert (tkk.profile_id, tkk.employee_type, tkk.pagu) == ('hadir-example-tkk', EmployeeType.TKK, 2_000_000)
    assert (tkk.performance_base, tkk.attendance_base, tkk.deduction, tkk.tpp_bruto) == (0, 900_000, 5_000, 895_000)
    # PPPK part, 11/20 of PAGU: 11/20 × 5.000.000 = 2.750.000: K 1.650.000 × 100 % = 1.650.000, D 1.100.000;
    # TL1 0,5 % × 1.100.000 = 5.500: attendance 1.094.500; bruto 1.650.000 + 1.094.500 = 2.744.500
    assert (pppk.profile_id, pppk.employee_type, pppk.pagu) == ('hadir-default-asn', EmployeeType.PPPK, 5_000_000)
    assert (pppk.performance_part, pppk.attendance_base, pppk.deduction, pppk.tpp_bruto) == (
        1_650_000, 1_100_000, 5_500, 2_744_500,
    )  # fmt: skip
    # The month: 895.000 + 2.744.500 = 3.639.500; each row says why, with its own code counts
    assert whole.tpp_bruto == tkk.tpp_bruto + pppk.tpp_bruto == 3_639_500
    assert whole.deduction == 5_000 + 5_500 and whole.working_days == 20
    assert (tkk.rincian, pppk.rincian) == ('TL1×1, TMT', 'TL1×1, TMT')
    assert tkk.notes[-1].startswith(
        'Bagian bulan: tanggal 1-15 di DISKOMINFO (9/20 hari kerja), kelas 1, pagu Rp2.000.000'
    )
    assert pppk.notes[-1].startswith('Bagian bulan: tanggal 16-31 di DISKOMINFO (11/20 hari kerja), kelas 7')


def test_tkk_to_pppk_on_the_16th_by_calendar_days() -> None:
    whole, (tkk, pppk) = _priced(MidMonthMode.CALENDAR_DAYS)
    # TKK: 15/31 × 2.000.000 = 967.741,94 → D 967.742; TL1 Rp5.000 → 962.742
    assert (tkk.attendance_base, tkk.deduction, tkk.tpp_bruto) == (967_742, 5_000, 962_742)
    # PPPK: 16/31 × 5.000.000 = 2.580.645,16: K 1.548.387,10 → 1.548.387, D 1.032.258,06 → 1.032.258;
    # TL1 0,5 % × 1.032.258,06 = 5.161,29 → 5.161: attendance 1.027.097; bruto 2.575.484
    assert (pppk.performance_part, pppk.attendance_base, pppk.deduction, pppk.tpp_bruto) == (
        1_548_387, 1_032_258, 5_161, 2_575_484,
    )  # fmt: skip
    assert whole.tpp_bruto == 962_742 + 2_575_484 == 3_538_226


def test_tkk_to_pppk_without_pro_rating_pays_the_pppk_month() -> None:
    whole, [pppk] = _priced(MidMonthMode.NONE)
    # NONE: the month is the last type's, judged on its own 11 days: PAGU 5.000.000, K 3.000.000, D 2.000.000,
    # TL1 0,5 % × 2.000.000 = 10.000: bruto 4.990.000; the TKK days are not priced again
    assert (pppk.employee_type, pppk.working_days, pppk.deduction, pppk.tpp_bruto) == (
        EmployeeType.PPPK, 11, 10_000, 4_990_000,
    )  # fmt: skip
    assert whole.tpp_bruto == 4_990_000


def test_both_rows_reach_the_finance_file_and_a_type_without_a_profile_is_not_paid() -> None:
    parts = month_parts([CHANGE], FIRST, LAST, MidMonthMode.WORKING_DAYS, lambda d: d in OWED)
    whole, rows = price_parts(parts, _days(), Decimal(100), MonthFlags(), PROFILE, {EmployeeType.TKK: TKK_PROFILE})
    record = MonthRecord(month='2026-01', employee_id='pg-citra', opd_id='DISKOMINFO',
                         employee_type=EmployeeType.PPPK, nip=None, nik='7371010101900001', name='Citra',
                         jabatan=PPPK.jabatan, kelas=7, result=whole, parts=tuple(rows))  # fmt: skip
    assert [(r.result.employee_type, r.result.tpp_bruto) for r in finance_rows([record])] == [
        (EmployeeType.TKK, 895_000), (EmployeeType.PPPK, 2_744_500),
    ]  # fmt: skip
    # Without a TKK profile in force (its days were not closed either), only the PPPK part is paid
    whole, [pppk] = _priced(MidMonthMode.WORKING_DAYS, with_tkk_profile=False)
    assert (pppk.employee_type, whole.tpp_bruto) == (EmployeeType.PPPK, 2_744_500)


# --- properties -------------------------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    mode=st.sampled_from(list(MidMonthMode)),
    day=st.integers(min_value=2, max_value=31),
    tk=st.sets(st.sampled_from(sorted(d.day for d in OWED)), max_size=10),
    honorarium=st.integers(min_value=100_000, max_value=10_000_000),
    pagu=st.integers(min_value=100_000, max_value=40_000_000),
)
def test_a_type_change_never_pays_a_part_more_than_its_share(
    mode: MidMonthMode, day: int, tk: set[int], honorarium: int, pagu: int
) -> None:
    """Whatever the day of the TMT, the mode, the absences and the amounts: the rows add up to the month, no row is
    negative, and no row pays more than its share of its own honorarium or PAGU: w × PAGU, plus at most the Rp1
    that rounding the two bases half up one by one can add (e.g. 30/31 × 100.000 = 96.774,19: K 58.064,52 →
    58.065, D 38.709,68 → 38.710, 96.775)."""
    tmt = date(2026, 1, day)
    before, after = TKK.model_copy(update={'tpp_ceiling': honorarium}), PPPK.model_copy(update={'tpp_ceiling': pagu})
    change = CHANGE.model_copy(update={'effective_from': tmt, 'before': before, 'after': after})
    days = [evaluate(d) if d.day in tk else evaluate(d, '07:20', '16:35', profile=TKK_PROFILE if d < tmt else PROFILE)
            for d in sorted(OWED)]  # fmt: skip
    parts = month_parts([change], FIRST, LAST, mode, lambda d: d in OWED)
    whole, rows = price_parts(parts, days, Decimal(100), MonthFlags(), PROFILE, {EmployeeType.TKK: TKK_PROFILE})
    assert whole.tpp_bruto == sum(r.result.tpp_bruto for r in rows)
    for part, row in zip(sorted(parts, key=lambda p: p.days[0]), rows, strict=True):
        share = part.weight * part.state.tpp_ceiling
        assert 0 <= row.result.tpp_bruto <= round_half_up(share) + 1
