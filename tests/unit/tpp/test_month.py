"""Worked examples of the month close, each computed by hand.

January 2026 fixture: 20 working days. PAGU Rp5.000.000, weights 60/40: K_BASE Rp3.000.000, D_BASE
Rp2.000.000, so 1 % of the attendance component is Rp20.000. Score 100 unless stated.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.models import EmployeeType
from chalicelib.domain.tpp.defaults import example_tkk_profile
from chalicelib.domain.tpp.month import MonthFlags, discipline_alert, round_half_up
from chalicelib.domain.tpp.schedule import EmployeeSchedule, Roster, RosterDay, ShiftCode, expected_shift
from tests.unit.tpp.support import CALENDAR, JANUARY, ON_TIME, PROFILE, WEEKLY, Payee, month_of, variant

TK9 = ['TK'] * 9


def test_a_clean_month_pays_the_whole_pagu() -> None:
    result = month_of([])
    assert (result.working_days, result.performance_part, result.attendance_part, result.tpp_bruto) == (
        20, 3_000_000, 2_000_000, 5_000_000,
    )  # fmt: skip
    assert result.rincian == ''


def test_performance_part_follows_the_score() -> None:
    # 3.000.000 × 87,5 % = 2.625.000; + 2.000.000 = 4.625.000
    result = month_of([], score='87.5')
    assert (result.performance_part, result.tpp_bruto) == (2_625_000, 4_625_000)


def test_tiers_and_tk_add_up() -> None:
    # TL1 (50) + TL1 (50) + PSW2 (100) + TK (500) = 700 bp = 7 % × 2.000.000 = 140.000
    result = month_of([('07:45', '16:00'), ('07:50', '16:00'), ('07:20', '15:15'), 'TK'])
    assert (result.deduction_percent, result.deduction, result.attendance_part) == (Decimal('7.00'), 140_000, 1_860_000)
    assert result.tpp_bruto == 4_860_000  # 3.000.000 + 1.860.000
    assert result.rincian == 'TL1×2, PSW2×1, TK×1'
    assert (result.tk_days, result.late_early_minutes) == (1, 15 + 20 + 45)


@pytest.mark.parametrize(
    ('sick_days', 'tier', 'deduction'),
    [
        (3, 'SK1', 0),  # ≤ 3 days with a note: 0
        (4, 'SK2', 500_000),  # 4–14 days: 25 % × 2.000.000
        (14, 'SK2', 500_000),
        (15, 'SK3', 1_000_000),  # ≥ 15 days: 50 % × 2.000.000
    ],
)
def test_each_sick_tier(sick_days: int, tier: str, deduction: int) -> None:
    result = month_of(['S'] * sick_days)
    assert (result.month_rules, result.deduction, result.tpp_bruto) == ((tier,), deduction, 5_000_000 - deduction)


def test_cap_two_free_days() -> None:
    # 4 CAP days: the first 2 free, then 2 × 2,50 % = 5 % × 2.000.000 = 100.000. The days were closed with
    # the default ordinal 1 (as if approved out of order): the month recounts them in date order.
    result = month_of(['CAP'] * 4)
    assert (result.deduction_percent, result.deduction, result.tpp_bruto) == (Decimal('5.00'), 100_000, 4_900_000)
    assert 'Cuti karena alasan penting (CAP) 4 hari: 2 hari pertama bebas potongan' in result.notes


def test_cuti_besar_and_izin_per_day() -> None:
    # CBS 1,50 % + IZ 1,50 % = 3 % × 2.000.000 = 60.000
    assert month_of(['CBS', 'IZ']).deduction == 60_000


def test_holiday_and_cuti_bersama_are_not_working_days() -> None:
    # 1 January (national) and 2 January (cuti bersama) are off for 5HK staff: 22 weekdays − 2 = 20
    assert expected_shift(WEEKLY, date(2026, 1, 1), CALENDAR) is None
    assert expected_shift(WEEKLY, date(2026, 1, 2), CALENDAR) is None
    assert len(JANUARY) == 20 and JANUARY[0].local_date == date(2026, 1, 5)
    # a roster works the holiday unless the unit observes holidays
    roster = Roster(
        codes=(ShiftCode(code='P', name='Pagi', start='07:00', end='14:00'),),
        days=(RosterDay(day=date(2026, 1, 1), code='P'),),
    )
    assert expected_shift(EmployeeSchedule(kind='ROSTER', roster=roster), date(2026, 1, 1), CALENDAR) is not None
    closed = EmployeeSchedule(kind='ROSTER', roster=roster.model_copy(update={'observes_holidays': True}))
    assert expected_shift(closed, date(2026, 1, 1), CALENDAR) is None


def test_dinas_luar_days_cost_nothing() -> None:
    assert month_of(['DL'] * 5).tpp_bruto == 5_000_000


def test_ten_consecutive_tk_days_cut_the_whole_attendance_part() -> None:
    # TK on 5–16 January: 10 working days across a weekend → TK10: 100 % of D_BASE
    result = month_of(['TK'] * 10)
    assert (result.max_consecutive_tk, result.month_rules, result.attendance_part) == (10, ('TK10',), 0)
    assert result.tpp_bruto == 3_000_000
    # 9 consecutive: 9 × 5 % = 45 % × 2.000.000 = 900.000
    nine = month_of(TK9)
    assert (nine.month_rules, nine.deduction, nine.tpp_bruto) == ((), 900_000, 4_100_000)


def test_monthly_cap() -> None:
    # TK at 8 % (TTU): 9 TK, a day present, 9 TK, a day present → no streak of 10; 18 × 8 % = 144 % → 100 %
    ttu = variant(tk__amount=800)
    result = month_of([*TK9, ON_TIME, *TK9], profile=ttu)
    assert (result.capped, result.deduction_percent, result.attendance_part) == (True, Decimal('100.00'), 0)
    assert result.tpp_bruto == 3_000_000
    assert 'Potongan dibatasi 100,00% (batas bulanan)' in result.notes


def test_a_whole_month_of_tk() -> None:
    result = month_of(['TK'] * 20)
    assert (result.tk_days, result.month_rules, result.attendance_part, result.tpp_bruto) == (
        20, ('TK10', 'TKB'), 0, 3_000_000,
    )  # fmt: skip


def test_manipulation_zeroes_the_attendance_part_for_the_month() -> None:
    # one TL1 day plus confirmed manipulation → 100 % of D_BASE; the performance part stays
    result = month_of([('07:45', '16:00')], flags=MonthFlags(manipulation_confirmed=True))
    assert (result.month_rules, result.attendance_part, result.tpp_bruto) == (('MNP',), 0, 3_000_000)


def test_outage_forgive_costs_nothing() -> None:
    assert month_of(['OUT'] * 3, profile=variant(outage__policy='FORGIVE')).tpp_bruto == 5_000_000


def test_outage_manual_verified_without_records_is_tk() -> None:
    # 3 outage days with no phone check-in and no manual list line: 3 × TK 5 % × 2.000.000 = 300.000
    result = month_of(['OUT'] * 3)
    assert (result.rincian, result.tpp_bruto) == ('TK×3', 4_700_000)


def test_outage_opd_forfeit_takes_the_month() -> None:
    # Lebong seed: one outage day under OPD_FORFEIT → no TPP for the OPD this month
    forfeit = variant(outage__policy='OPD_FORFEIT')
    result = month_of(['OUT'], profile=forfeit)
    assert (result.month_rules, result.tpp_bruto) == (('OUT',), 0)
    # with forfeit_scope ATTENDANCE_COMPONENT only D_BASE goes
    milder = variant(forfeit, outage__forfeit_scope='ATTENDANCE_COMPONENT')
    assert month_of(['OUT'], profile=milder).tpp_bruto == 3_000_000


def test_tk_pro_rata_is_one_daily_share() -> None:
    # PRO_RATA: 2 TK days of 20 → 2/20 = 10 % × 2.000.000 = 200.000
    pro_rata = variant(tk__mode='PRO_RATA', daily_cap=300)
    result = month_of(['TK', 'TK'], profile=pro_rata)
    assert (result.deduction_percent, result.deduction, result.tpp_bruto) == (Decimal('10.00'), 200_000, 4_800_000)


def test_a_tkk_month_with_rupiah_deductions() -> None:
    # Honorarium Rp2.500.000, all attendance; TL1 5.000 × 2 + PSW2 10.000 + TK 50.000 = 70.000
    tkk = example_tkk_profile()
    payee = Payee(employee_type=EmployeeType.TKK, tpp_ceiling=2_500_000)
    result = month_of([('07:45', '16:00'), ('07:50', '16:00'), ('07:20', '15:15'), 'TK'], profile=tkk, payee=payee)
    assert (result.performance_part, result.deduction, result.tpp_bruto) == (0, 70_000, 2_430_000)
    assert result.deduction_percent == Decimal('2.80')  # 70.000 ÷ 2.500.000
    # a whole month absent: 20 × 50.000 = 1.000.000, but TKB forfeits the whole honorarium
    assert month_of(['TK'] * 20, profile=tkk, payee=payee).tpp_bruto == 0


def test_a_daily_share_month() -> None:
    # Honorarium Rp2.000.000 over 20 days = Rp100.000 a day. TK = 100 % of a day, TL2 = 1 % of a day.
    daily = variant(
        example_tkk_profile(),
        unit='DAILY_SHARE',
        late=PROFILE.late.model_dump(mode='json'),
        early=PROFILE.early.model_dump(mode='json'),
        missing_check_in={'code': 'TL4', 'amount': 150},
        missing_check_out={'code': 'PSW4', 'amount': 150},
        tk={'mode': 'FIXED', 'amount': 10_000},
        daily_cap=10_000,
        statuses=[],
    )
    payee = Payee(employee_type=EmployeeType.TKK, tpp_ceiling=2_000_000)
    # 2 TK = 200.000; TL2 = 1.000 → 201.000 → 1.799.000
    result = month_of(['TK', 'TK', ('08:15', '16:00')], profile=daily, payee=payee)
    assert (result.deduction, result.tpp_bruto) == (201_000, 1_799_000)


def test_rounding_is_half_up_once_per_component() -> None:
    # PAGU 1.234.567, score 87,5 %, one TL1:
    #   K_BASE = 740.740,2; performance = 740.740,2 × 0,875 = 648.147,675 → 648.148
    #   D_BASE = 493.826,8 → 493.827; deduction 0,5 % = 2.469,134 → 2.469; attendance 491.358
    #   bruto = 648.148 + 491.358 = 1.139.506
    result = month_of([('07:45', '16:00')], score='87.5', payee=Payee(tpp_ceiling=1_234_567))
    assert (result.performance_base, result.performance_part) == (740_740, 648_148)
    assert (result.attendance_base, result.deduction, result.attendance_part) == (493_827, 2_469, 491_358)
    assert result.tpp_bruto == 1_139_506
    # PAGU 1.000.250: D_BASE 400.100; 0,5 % = 2.000,5 → 2.001 (half up, not to even)
    assert month_of([('07:45', '16:00')], payee=Payee(tpp_ceiling=1_000_250)).deduction == 2_001
    assert [round_half_up(Fraction(n, 2)) for n in (1, 3, 5)] == [1, 2, 3]


def test_deduction_on_total_tpp() -> None:
    # deduction_base TOTAL_TPP: 2 TK = 10 % × PAGU 5.000.000 = 500.000, taken from the attendance part
    total = variant(deduction_base='TOTAL_TPP')
    result = month_of(['TK', 'TK'], profile=total)
    assert (result.deduction, result.attendance_part, result.tpp_bruto) == (500_000, 1_500_000, 4_500_000)
    # manipulation: 100 % × 5.000.000: attendance 0, the rest from the performance part → 0
    mnp = month_of([], profile=total, flags=MonthFlags(manipulation_confirmed=True))
    assert (mnp.attendance_part, mnp.performance_part, mnp.tpp_bruto) == (0, 0, 0)


def test_status_exclusions() -> None:
    # CLTN for the whole month → 0
    assert month_of([], flags=MonthFlags(excluded_status='CLTN')).tpp_bruto == 0
    # tugas belajar on 5 of 20 working days → PAGU × 15/20 = 3.750.000
    result = month_of(['TB'] * 5)
    assert (result.excluded_days, result.tpp_bruto) == (5, 3_750_000)


def test_discipline_overlay_and_status_factor() -> None:
    # hukuman disiplin sedang: 25 % × 5.000.000 = 1.250.000
    assert month_of([], flags=MonthFlags(discipline_cut_bp=2_500)).tpp_bruto == 3_750_000
    # a CPNS profile at 80 %: 4.000.000
    assert month_of([], profile=variant(status_factor_bp=8_000)).tpp_bruto == 4_000_000


def test_rejects_a_profile_for_another_type_and_a_bad_score() -> None:
    with pytest.raises(ValidationFailed):
        month_of([], payee=Payee(employee_type=EmployeeType.TKK))
    with pytest.raises(ValidationFailed):
        month_of([], score='100.01')


@pytest.mark.parametrize(
    ('tk_days', 'consecutive', 'sanction'),
    [
        (2, 0, None),
        (3, 0, 'Teguran lisan (PP 94/2021)'),
        (6, 0, 'Teguran tertulis (PP 94/2021)'),
        (11, 0, 'Pemotongan tunjangan kinerja/TPP 25% selama 6 bulan (PP 94/2021)'),
        (28, 0, 'Pemberhentian dengan hormat tidak atas permintaan sendiri (PDHTAPS)'),
        (10, 10, 'TK 10 hari berturut-turut: calon PDHTAPS, gaji dihentikan mulai bulan berikutnya'),
    ],
)
def test_pp94_alerts(tk_days: int, consecutive: int, sanction: str | None) -> None:
    alert = discipline_alert(PROFILE, tk_days, consecutive)
    assert (alert.sanction if alert else None) == sanction


def test_pp94_late_minutes_conversion_when_enabled() -> None:
    # 2 TK days + 450 min (7,5 h) of TL/PSW = 3 days → teguran lisan
    converting = variant(discipline__late_minutes_per_day=450)
    alert = discipline_alert(converting, 2, 0, 450)
    assert alert is not None and alert.late_days == 1 and alert.sanction == 'Teguran lisan (PP 94/2021)'
    assert discipline_alert(PROFILE, 2, 0, 450) is None
