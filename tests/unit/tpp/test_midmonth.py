"""Mid-month changes priced in parts, computed by hand (tests/unit/tpp/support.py's January 2026).

January 2026: 31 calendar days, 20 working days (5–9, 12–16, 19–23, 26–30; 1 January a holiday, 2 January cuti
bersama). A transfer effective 16 January leaves 1–15 in the old OPD: 9 working days (5–9, 12–15) and 15
calendar days; 16–31 in the new one: 11 working days (16, 19–23, 26–30) and 16 calendar days.
PAGU Rp5.000.000 = K_BASE 60 % + D_BASE 40 %; score 100 unless said.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.models import EmployeeType
from chalicelib.domain.tpp.day import DayResult
from chalicelib.domain.tpp.history import (
    Change,
    ChangeReason,
    EmploymentState,
    MidMonthMode,
    Part,
    month_parts,
    state_on,
    touches,
)
from chalicelib.domain.tpp.midmonth import MONEY, finance_rows, price_parts
from chalicelib.domain.tpp.month import MonthFlags, MonthResult, compute_month
from chalicelib.domain.tpp.records import MonthRecord
from tests.unit.tpp.support import JANUARY, PROFILE, Payee, evaluate

FIRST, LAST = date(2026, 1, 1), date(2026, 1, 31)
OWED = {s.local_date for s in JANUARY}
A = EmploymentState(opd_id='DISKOMINFO', employee_type=EmployeeType.PNS, jabatan='Pranata Komputer',
                    kelas_jabatan=7, tpp_ceiling=5_000_000, active=True)  # fmt: skip
B = A.model_copy(update={'opd_id': 'BAPPEDA'})
OUT = A.model_copy(update={'active': False})


def _change(day: int, before: EmploymentState, after: EmploymentState, reason: ChangeReason, n: int = 1) -> Change:
    return Change(change_id=f'chg-{n}', employee_id='pg-1', effective_from=date(2026, 1, day), reason=reason,
                  before=before, after=after, recorded_by='key', recorded_at=datetime(2026, 1, 1, n))  # fmt: skip


def _days(tk: Collection[int] = ()) -> list[DayResult]:
    return [evaluate(d) if d.day in tk else evaluate(d, '07:20', '16:35') for d in sorted(OWED)]


def _priced(changes: list[Change], mode: MidMonthMode, tk: Collection[int] = (), score: str = '100',
            flags: MonthFlags | None = None) -> tuple[MonthResult, list[MonthResult]]:  # fmt: skip
    parts = month_parts(changes, FIRST, LAST, mode, lambda d: d in OWED)
    whole, rows = price_parts(parts, _days(tk), Decimal(score), flags or MonthFlags(), PROFILE)
    return whole, [r.result for r in rows]


def _staying(tk: Collection[int] = (), score: str = '100', flags: MonthFlags | None = None) -> MonthResult:
    return compute_month(Payee(), _days(tk), Decimal(score), flags or MonthFlags(), PROFILE)


TRANSFER = [_change(16, A, B, ChangeReason.MUTASI)]


def test_a_transfer_on_the_16th_by_working_days() -> None:
    whole, (old, new) = _priced(TRANSFER, MidMonthMode.WORKING_DAYS)
    # Old OPD: 9/20 × 5.000.000 = 2.250.000 (K 1.350.000 + D 900.000); new: 11/20 × 5.000.000 = 2.750.000
    assert (old.performance_base, old.attendance_base, old.tpp_bruto) == (1_350_000, 900_000, 2_250_000)
    assert (new.performance_base, new.attendance_base, new.tpp_bruto) == (1_650_000, 1_100_000, 2_750_000)
    # The two rows sum to the month: 2.250.000 + 2.750.000 = 5.000.000, each row says why
    assert whole.tpp_bruto == old.tpp_bruto + new.tpp_bruto == 5_000_000
    assert old.rincian == new.rincian == 'MUTASI'
    assert old.notes[-1] == ('Bagian bulan: tanggal 1-15 di DISKOMINFO (9/20 hari kerja), kelas 7, pagu Rp5.000.000. '
                             'Mutasi antar-OPD: bagian bulan di OPD ini')  # fmt: skip
    assert new.notes[-1].startswith('Bagian bulan: tanggal 16-31 di BAPPEDA (11/20 hari kerja)')


def test_a_transfer_on_the_16th_by_calendar_days() -> None:
    whole, (old, new) = _priced(TRANSFER, MidMonthMode.CALENDAR_DAYS)
    # Old OPD: 15/31 × 5.000.000 = 2.419.354,84: K 60 % = 1.451.612,90 → 1.451.613; D 40 % = 967.741,94 → 967.742;
    # bruto 1.451.613 + 967.742 = 2.419.355. New OPD: the month 5.000.000 minus the old part = 2.580.645
    # (K 3.000.000 − 1.451.613 = 1.548.387; D 2.000.000 − 967.742 = 1.032.258; 16/31 × 5.000.000 = 2.580.645,16)
    assert (old.performance_base, old.attendance_base, old.tpp_bruto) == (1_451_613, 967_742, 2_419_355)
    assert (new.performance_base, new.attendance_base, new.tpp_bruto) == (1_548_387, 1_032_258, 2_580_645)
    assert whole.tpp_bruto == 5_000_000
    assert old.notes[-1].startswith('Bagian bulan: tanggal 1-15 di DISKOMINFO (15/31 hari kalender)')


def test_a_transfer_on_the_16th_without_pro_rating() -> None:
    whole, (only,) = _priced(TRANSFER, MidMonthMode.NONE)
    # The whole month, 5.000.000, goes to the OPD of the last state (BAPPEDA), saying why
    assert (only.tpp_bruto, only.rincian) == (5_000_000, 'MUTASI')
    assert only.notes[-1].startswith('Bagian bulan: tanggal 1-31 di BAPPEDA (bulan penuh (tanpa pro-rata))')


def test_a_deduction_is_judged_on_the_month_and_borne_in_proportion() -> None:
    # One TK day (6 January, in the old OPD): 5 % of D_BASE 2.000.000 = 100.000 for the month
    whole, (old, new) = _priced(TRANSFER, MidMonthMode.WORKING_DAYS, tk={6})
    # Old: D 900.000 × 5 % = 45.000 → 1.350.000 + 900.000 − 45.000 = 2.205.000
    # New: D 1.100.000 × 5 % = 55.000 → 1.650.000 + 1.100.000 − 55.000 = 2.695.000; both 5,00 %
    assert (old.deduction, old.tpp_bruto, new.deduction, new.tpp_bruto) == (45_000, 2_205_000, 55_000, 2_695_000)
    assert old.deduction_percent == new.deduction_percent == Decimal('5.00')
    # The TK day is counted in the old OPD's row only; the sum is what staying pays: 4.900.000
    assert (old.rincian, new.rincian) == ('TK×1, MUTASI', 'MUTASI')
    assert whole.tpp_bruto == _staying(tk={6}).tpp_bruto == 4_900_000


def test_a_new_hire_starting_on_the_16th() -> None:
    # TMT 16 January: inactive before, active from the 16th; day records only from then
    tmt = [_change(16, OUT, A, ChangeReason.TMT)]
    whole, (only,) = _priced(tmt, MidMonthMode.WORKING_DAYS)
    # 11/20 × 5.000.000 = 2.750.000 (K 1.650.000 + D 1.100.000), 11 working days priced
    assert (only.tpp_bruto, only.working_days, only.rincian) == (2_750_000, 11, 'TMT')
    # By calendar days: 16/31 × 5.000.000 = 2.580.645,16 → K 1.548.387,10 → 1.548.387, D 1.032.258,06 → 1.032.258
    _, (calendar,) = _priced(tmt, MidMonthMode.CALENDAR_DAYS)
    assert calendar.tpp_bruto == 1_548_387 + 1_032_258 == 2_580_645


def test_a_pensiun_at_the_end_of_the_first_week() -> None:
    # Pensiun from 10 January (last day at work Friday 9 January): active 1–9, 5 working days (5–9)
    pensiun = [_change(10, A, OUT, ChangeReason.PENSIUN)]
    _, (only,) = _priced(pensiun, MidMonthMode.WORKING_DAYS)
    # 5/20 × 5.000.000 = 1.250.000 (K 750.000 + D 500.000)
    assert (only.performance_base, only.attendance_base, only.tpp_bruto, only.rincian) == (
        750_000, 500_000, 1_250_000, 'PENSIUN',
    )  # fmt: skip
    # By calendar days: 9/31 × 5.000.000 = 1.451.612,90: K 870.967,74 → 870.968; D 580.645,16 → 580.645
    _, (calendar,) = _priced(pensiun, MidMonthMode.CALENDAR_DAYS)
    assert calendar.tpp_bruto == 870_968 + 580_645 == 1_451_613


def test_a_promotion_mid_month_prices_each_part_at_its_own_pagu() -> None:
    # Kelas 7 → 9 and pagu 5.000.000 → 6.000.000 from 16 January, same OPD
    promoted = A.model_copy(update={'kelas_jabatan': 9, 'tpp_ceiling': 6_000_000})
    whole, (before, after) = _priced([_change(16, A, promoted, ChangeReason.PROMOSI)], MidMonthMode.WORKING_DAYS)
    # Before: 9/20 × 5.000.000 = 2.250.000; after: 11/20 × 6.000.000 = 3.300.000; month 5.550.000
    assert (before.pagu, before.tpp_bruto, after.pagu, after.tpp_bruto) == (5_000_000, 2_250_000, 6_000_000, 3_300_000)
    assert whole.tpp_bruto == 5_550_000


def test_the_overlay_of_a_decision_is_shared_by_the_parts() -> None:
    # HDS 25 % in force: 25 % × 5.000.000 = 1.250.000 for the month; by working days 9/20 and 11/20 of it
    flags = MonthFlags(discipline_cut_bp=2_500, discipline_codes=('HDS',))
    whole, (old, new) = _priced(TRANSFER, MidMonthMode.WORKING_DAYS, flags=flags)
    assert (old.discipline_cut, new.discipline_cut) == (562_500, 687_500)
    assert (old.tpp_bruto, new.tpp_bruto, whole.tpp_bruto) == (1_687_500, 2_062_500, 3_750_000)


def test_the_history_gives_the_state_of_each_day() -> None:
    changes = [_change(16, A, B, ChangeReason.MUTASI)]
    assert state_on(changes, date(2026, 1, 15)) == A and state_on(changes, date(2026, 1, 16)) == B
    assert state_on([], date(2026, 1, 16)) is None
    # A change inside the month cuts it; a change on the 1st does not (the month is whole under one state)
    assert touches(changes, FIRST, LAST) and not touches([_change(1, A, B, ChangeReason.MUTASI)], FIRST, LAST)
    # A mistaken transfer undone by a change of the same date leaves the month whole
    undone = [_change(16, A, B, ChangeReason.MUTASI, 1), _change(16, B, A, ChangeReason.LAINNYA, 2)]
    assert state_on(undone, date(2026, 1, 20)) == A and not touches(undone, FIRST, LAST)


def test_finance_rows_put_each_part_in_its_opd() -> None:
    parts = month_parts(TRANSFER, FIRST, LAST, MidMonthMode.WORKING_DAYS, lambda d: d in OWED)
    whole, priced = price_parts(parts, _days(), Decimal(100), MonthFlags(), PROFILE)
    record = MonthRecord(month='2026-01', employee_id='pg-1', opd_id='BAPPEDA', employee_type=EmployeeType.PNS,
                         nip=None, name='Ani', jabatan='Pranata Komputer', kelas=7, result=whole,
                         parts=tuple(priced))  # fmt: skip
    rows = finance_rows([record])
    assert [(r.opd_id, r.result.tpp_bruto) for r in rows] == [('DISKOMINFO', 2_250_000), ('BAPPEDA', 2_750_000)]
    # And a record without parts serialises as before (no 'parts' key: digests of old months stay)
    assert 'parts' not in record.model_copy(update={'parts': ()}).model_dump()


# --- properties -------------------------------------------------------------------------------------------------

MODES = st.sampled_from(list(MidMonthMode))
DAYS = st.integers(min_value=2, max_value=31)
TK = st.sets(st.sampled_from(sorted(d.day for d in OWED)), max_size=12)
# A TPP ceiling of Rp100.000 or more: below that a part of a day or two is worth less than the rupiah the
# rounding of its own columns can move, and a derived column of such a part could read -Rp1.
PAGU = st.integers(min_value=100_000, max_value=40_000_000)


@settings(max_examples=150, deadline=None)
@given(mode=MODES, day=DAYS, tk=TK, pagu_a=PAGU, pagu_b=PAGU, score=st.integers(0, 100))
def test_the_parts_of_a_split_month_never_exceed_the_pagu_and_add_up_to_the_whole(
    mode: MidMonthMode, day: int, tk: set[int], pagu_a: int, pagu_b: int, score: int
) -> None:
    a, b = A.model_copy(update={'tpp_ceiling': pagu_a}), B.model_copy(update={'tpp_ceiling': pagu_b})
    whole, rows = _priced([_change(day, a, b, ChangeReason.MUTASI)], mode, tk=tk, score=str(score))
    # Each printed amount of the parts adds up exactly to the month's; no part is negative
    for field in MONEY:
        assert sum(getattr(r, field) for r in rows) == getattr(whole, field)
        assert all(getattr(r, field) >= 0 for r in rows)
    # And the parts never pay more than the larger PAGU of the month
    assert sum(r.performance_base + r.attendance_base for r in rows) <= max(pagu_a, pagu_b)
    assert whole.tpp_bruto <= max(pagu_a, pagu_b)


@settings(max_examples=150, deadline=None)
@given(mode=MODES, out=DAYS, back=DAYS, tk=TK, score=st.integers(0, 100))
def test_a_transfer_and_back_within_a_month_pays_the_same_as_staying(
    mode: MidMonthMode, out: int, back: int, tk: set[int], score: int
) -> None:
    out, back = min(out, back), max(out, back)
    if out == back:
        back = min(31, out + 1)
    changes = [_change(out, A, B, ChangeReason.MUTASI, 1), _change(back, B, A, ChangeReason.MUTASI, 2)]
    whole, rows = _priced(changes, mode, tk=tk, score=str(score))
    staying = _staying(tk=tk, score=str(score))
    for field in MONEY:
        assert sum(getattr(r, field) for r in rows) == getattr(staying, field), field


def test_parts_are_cut_at_each_change_and_inactive_days_belong_to_none() -> None:
    changes = [_change(16, A, B, ChangeReason.MUTASI, 1), _change(26, B, OUT, ChangeReason.BERHENTI, 2)]
    parts: list[Part] = month_parts(changes, FIRST, LAST, MidMonthMode.WORKING_DAYS, lambda d: d in OWED)
    # 1–15 in A (9 working days), 16–25 in B (16, 19–23: 6), nothing from the 26th
    assert [(p.state.opd_id, p.spans, p.measure) for p in parts] == [
        ('DISKOMINFO', '1-15', '9/20 hari kerja'), ('BAPPEDA', '16-25', '6/20 hari kerja'),
    ]  # fmt: skip
