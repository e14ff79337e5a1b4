from __future__ import annotations

import ast
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.models import EmployeeType
from chalicelib.domain.tpp import text
from chalicelib.domain.tpp.defaults import ASN_DEFAULT, example_tkk_profile
from chalicelib.domain.tpp.profile import (
    DeductionUnit,
    parse_profile,
    profile_in_force,
    profile_issues,
    profile_set_issues,
)
from tests.unit.test_domain_is_pure import FORBIDDEN_CALLS, FORBIDDEN_MODULES, imported_modules
from tests.unit.tpp.support import PROFILE, variant

TPP = Path(__file__).resolve().parents[3] / 'chalicelib' / 'domain' / 'tpp'


def issues_of(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        parse_profile(data)
    return {issue.path: issue.message for issue in caught.value.fields}


def with_(**changes: Any) -> dict[str, Any]:
    return {**ASN_DEFAULT, **changes}


def test_the_default_profile_is_reference_section_8() -> None:
    assert profile_issues(PROFILE) == ()
    assert [(t.code, t.min_from, t.min_to, t.amount) for t in PROFILE.late.tiers] == [
        ('TL1', 1, 30, 50), ('TL2', 31, 60, 100), ('TL3', 61, 90, 125), ('TL4', 91, None, 150),
    ]  # fmt: skip
    assert (PROFILE.performance_weight_bp, PROFILE.attendance_weight_bp, PROFILE.tk.amount) == (6000, 4000, 500)
    assert (PROFILE.daily_cap, PROFILE.monthly_cap_bp, PROFILE.outage.policy) == (500, 10000, 'MANUAL_VERIFIED')
    assert PROFILE.employee_types == (EmployeeType.PNS, EmployeeType.PPPK)
    cap = PROFILE.status('CAP')
    assert cap is not None and (cap.amount, cap.free_days_per_month, cap.applies_to(EmployeeType.PPPK)) == (
        250,
        2,
        False,
    )
    assert example_tkk_profile().unit is DeductionUnit.RUPIAH


def test_rejects_weights_that_do_not_sum_to_100_percent() -> None:
    assert 'attendance_weight_bp' in issues_of(with_(attendance_weight_bp=3000))


def test_rejects_overlapping_and_gapped_tiers_with_paths() -> None:
    tiers = [dict(t) for t in ASN_DEFAULT['late']['tiers']]
    tiers[1] = {**tiers[1], 'min_from': 30}  # overlaps TL1's 30
    tiers[2] = {**tiers[2], 'min_from': 62}  # a gap at 61
    found = issues_of(with_(late={'tiers': tiers}))
    assert found['late.tiers[1].min_from'] == 'an overlap: expected 31, got 30'
    assert found['late.tiers[2].min_from'] == 'a gap: expected 61, got 62'


def test_rejects_a_closed_last_tier_and_a_cheaper_longer_tier() -> None:
    tiers = [dict(t) for t in ASN_DEFAULT['early']['tiers']]
    tiers[3] = {**tiers[3], 'min_to': 240, 'amount': 40}
    found = issues_of(with_(early={'tiers': tiers}))
    assert set(found) >= {'early.tiers[3].min_to', 'early.tiers[3].amount'}
    # a missing check-out may not cost less than the worst early-leave tier (PSW4 1,50 %)
    assert 'missing_check_out.amount' in issues_of(with_(missing_check_out={'code': 'PSW4', 'amount': 100}))


def test_rejects_caps_out_of_range() -> None:
    # a present day may not cost more than an absent one (5 %)
    assert 'daily_cap' in issues_of(with_(daily_cap=600))
    # penalties above the monthly cap
    found = issues_of(with_(monthly_cap_bp=5000))
    assert set(found) >= {'manipulation.attendance_deduction_bp', 'tk.consecutive_deduction_bp'}
    # structural range errors carry the path too
    assert 'monthly_cap_bp' in issues_of(with_(monthly_cap_bp=10_001))
    assert 'tk.amount' in issues_of(with_(tk={**ASN_DEFAULT['tk'], 'amount': -1}))


def test_rejects_pro_rata_daily_cap_above_a_31_day_share_and_rupiah_pro_rata() -> None:
    assert 'daily_cap' in issues_of(with_(tk={'mode': 'PRO_RATA'}, daily_cap=400))
    assert profile_issues(variant(tk__mode='PRO_RATA', daily_cap=322)) == ()
    tkk = example_tkk_profile().model_dump(mode='json')
    assert 'tk.mode' in issues_of({**tkk, 'tk': {'mode': 'PRO_RATA', 'amount': 50_000}})


def test_rejects_inconsistent_status_rules() -> None:
    statuses = [*ASN_DEFAULT['statuses'], {'code': 'CT', 'name': 'Dua kali'}, {'code': 'TK', 'name': 'Bentrok'}]
    statuses.append({'code': 'ZZ', 'name': 'Tanpa tier', 'charge': 'MONTH_TIERS'})
    found = issues_of(with_(statuses=statuses))
    n = len(ASN_DEFAULT['statuses'])
    assert {f'statuses[{n}].code', f'statuses[{n + 1}].code', f'statuses[{n + 2}].month_tiers'} <= set(found)


def test_rejects_effective_to_before_effective_from() -> None:
    assert 'effective_to' in issues_of(with_(effective_to='2022-12-31'))


def test_profile_set_overlap_and_the_profile_in_force() -> None:
    v1 = variant(effective_to='2025-12-31')
    v2 = variant(version=2, effective_from='2026-01-01')
    assert profile_set_issues([v1, v2, example_tkk_profile()]) == ()
    assert profile_set_issues([PROFILE, v2])[0].path == 'profiles[1].effective_from'
    assert profile_in_force([v1, v2], EmployeeType.PNS, date(2025, 6, 1)) == v1
    assert profile_in_force([v1, v2], EmployeeType.PPPK, date(2026, 6, 1)) == v2
    assert profile_in_force([v1, v2], EmployeeType.TKK, date(2026, 6, 1)) is None


def test_indonesian_number_formats() -> None:
    assert [text.percent(bp) for bp in (50, 125, 10_000, 0)] == ['0,50%', '1,25%', '100,00%', '0,00%']
    assert text.rupiah(1_234_567) == 'Rp1.234.567'


@pytest.mark.parametrize('source', sorted(TPP.glob('*.py')), ids=lambda p: p.name)
def test_the_tpp_package_is_pure(source: Path) -> None:
    # tests/unit/test_domain_is_pure.py globs only the top level of chalicelib/domain; this covers tpp/
    tree = ast.parse(source.read_text())
    modules = imported_modules(tree, 'chalicelib.domain.tpp')
    assert {m.split('.')[0] for m in modules} & FORBIDDEN_MODULES == set()
    assert {m for m in modules if m.startswith('chalicelib') and not m.startswith('chalicelib.domain')} == set()
    calls = {getattr(n.func, 'attr', getattr(n.func, 'id', '')) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert calls & FORBIDDEN_CALLS == set()
