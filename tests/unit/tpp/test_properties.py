"""Properties of the rules over random *valid* profiles: what profile validation promises, the engine keeps."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.tpp.day import evaluate_day
from chalicelib.domain.tpp.month import MonthFlags
from chalicelib.domain.tpp.profile import RuleProfile
from tests.unit.tpp.support import MONDAY, ON_TIME, Payee, at, month_of, shift_on, variant

SHIFT = shift_on(MONDAY)  # 07:30–16:00, check-in window 06:00–12:00


@st.composite
def tier_tables(draw: st.DrawFn, prefix: str, top: int) -> dict[str, Any]:
    bounds = sorted(draw(st.sets(st.integers(1, 180), max_size=4)))
    amounts = sorted(draw(st.lists(st.integers(0, top), min_size=len(bounds) + 1, max_size=len(bounds) + 1)))
    lows = [1] + [b + 1 for b in bounds]
    highs: list[int | None] = [*bounds, None]
    tiers = [
        {'code': f'{prefix}{i + 1}', 'min_from': low, 'min_to': high, 'amount': amount}
        for i, (low, high, amount) in enumerate(zip(lows, highs, amounts, strict=True))
    ]
    return {'tiers': tiers}


@st.composite
def profiles(draw: st.DrawFn, *, pro_rata: bool = False) -> RuleProfile:
    tk = draw(st.integers(1, 1_000))
    late = draw(tier_tables('TL', tk))
    early = draw(tier_tables('PSW', tk))
    mode = 'PRO_RATA' if pro_rata and draw(st.booleans()) else 'FIXED'
    cap_limit = 322 if mode == 'PRO_RATA' else tk
    cap = draw(st.integers(1, 10_000))
    return variant(
        late=late,
        early=early,
        missing_check_in={'code': 'TLX', 'amount': draw(st.integers(late['tiers'][-1]['amount'], 2 * tk))},
        missing_check_out={'code': 'PSWX', 'amount': draw(st.integers(early['tiers'][-1]['amount'], 2 * tk))},
        tk={'mode': mode, 'amount': tk, 'consecutive_deduction_bp': cap},
        daily_cap=draw(st.integers(1, cap_limit)),
        monthly_cap_bp=max(cap, 5_000),  # the sick tiers of the default go up to 50 %
        manipulation={'attendance_deduction_bp': max(cap, 5_000)},
        grace_minutes=draw(st.integers(0, 30)),
        late_reference=draw(st.sampled_from(['NOMINAL', 'TOLERANCE_END'])),
        makeup_mode=draw(st.sampled_from(['NONE', 'SAME_DAY'])),
        makeup_max_minutes=draw(st.integers(0, 60)),
        lone_scan=draw(st.sampled_from(['TIERS', 'TK'])),
        apel={'enabled': draw(st.booleans()), 'weekdays': [0], 'amount': draw(st.integers(0, tk))},
    )


minutes_in_check_in_window = st.integers(0, 269)  # 07:30 + 269 min = 11:59, still a check-in
check_outs = st.one_of(st.none(), st.integers(12 * 60, 23 * 60 + 59))
any_minute = st.integers(5 * 60, 23 * 60 + 59)


def punches(check_in_minutes_late: int, check_out_minute: int | None) -> list[Any]:
    found = [SHIFT.start + timedelta(minutes=check_in_minutes_late)]
    if check_out_minute is not None:
        found.append(at(MONDAY, '00:00') + timedelta(minutes=check_out_minute))
    return found


@settings(max_examples=150, deadline=None)
@given(profiles(), minutes_in_check_in_window, minutes_in_check_in_window, check_outs)
def test_deductions_never_decrease_as_lateness_grows(profile: RuleProfile, a: int, b: int, out: int | None) -> None:
    early, later = sorted((a, b))
    sooner = evaluate_day(SHIFT, punches(early, out), None, None, profile)
    tardier = evaluate_day(SHIFT, punches(later, out), None, None, profile)
    assert sooner.deduction <= tardier.deduction
    no_check_in = evaluate_day(SHIFT, punches(0, out)[1:], None, None, profile) if out is not None else None
    if no_check_in is not None:
        assert tardier.deduction <= no_check_in.deduction


@settings(max_examples=150, deadline=None)
@given(profiles(), st.lists(any_minute, max_size=6))
def test_a_present_day_never_costs_more_than_an_absent_day(profile: RuleProfile, minutes: list[int]) -> None:
    day = [at(MONDAY, '00:00') + timedelta(minutes=m) for m in minutes]
    absent = evaluate_day(SHIFT, [], None, None, profile)
    assert evaluate_day(SHIFT, day, None, None, profile).deduction <= absent.deduction


day_plans = st.lists(
    st.one_of(
        st.sampled_from([ON_TIME, 'TK', 'S', 'SKX', 'CAP', 'IZ', 'CBS', 'DL', 'OUT', 'TB', 'ITM']),
        st.tuples(st.sampled_from(['06:30', '07:45', '08:31', '09:40', '11:00']), st.sampled_from(['13:00', '15:10'])),
        st.tuples(st.sampled_from(['07:10', '10:00', '16:10'])),
    ),
    max_size=20,
)


@settings(max_examples=60, deadline=None)
@given(profiles(pro_rata=True), day_plans, st.booleans(), st.integers(0, 10_000), st.decimals(0, 100, places=2))
def test_the_monthly_total_never_exceeds_its_cap(
    profile: RuleProfile, plan: list[Any], manipulated: bool, cut: int, score: Decimal
) -> None:
    flags = MonthFlags(manipulation_confirmed=manipulated, discipline_cut_bp=cut)
    result = month_of(plan, profile=profile, score=str(score), flags=flags)
    assert result.deduction_percent * 100 <= profile.monthly_cap_bp
    assert result.deduction <= result.attendance_base
    assert 0 <= result.tpp_bruto <= Payee().tpp_ceiling
    assert result.tpp_bruto == max(0, result.performance_part + result.attendance_part - result.discipline_cut)


@settings(max_examples=40, deadline=None)
@given(profiles(pro_rata=True), day_plans, st.integers(0, 19), st.sampled_from([('10:00',), ('09:40', '13:00')]))
def test_replacing_an_absent_day_by_a_present_one_never_costs_more(
    profile: RuleProfile, plan: list[Any], index: int, present: tuple[str, ...]
) -> None:
    # a month-level form of the same promise, so PRO_RATA (priced at month close) is covered too
    plan = (plan + [ON_TIME] * 20)[:20]
    absent = month_of([*plan[:index], 'TK', *plan[index + 1 :]], profile=profile)
    attended = month_of([*plan[:index], present, *plan[index + 1 :]], profile=profile)
    assert attended.deduction <= absent.deduction
