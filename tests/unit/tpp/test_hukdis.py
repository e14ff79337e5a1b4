"""Hukuman disiplin decisions: the months a decision covers, the overlay of a month, and its price in the month.

Worked examples use tests/unit/tpp/support.py's January 2026: 20 working days, PAGU Rp5.000.000,
K_BASE Rp3.000.000 (60 %), D_BASE Rp2.000.000 (40 %), score 100 unless said.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.tpp.hukdis import (
    CountsFrom,
    Decision,
    HukdisLevel,
    HukdisRule,
    first_month,
    in_force,
    last_month,
    month_overlay,
    pp94_default,
    request_issues,
)
from chalicelib.domain.tpp.month import MonthFlags
from chalicelib.domain.tpp.profile import parse_profile
from tests.unit.tpp.support import PROFILE, asn_data, month_of


def _decision(decision_id: str = 'hd-1', *, first: str = '2026-10', months: int = 6, cut_bp: int = 2_500,
              corrects: str | None = None, revoked: bool = False, kind: str = 'HDS') -> Decision:  # fmt: skip
    return Decision(
        decision_id=decision_id, employee_id='pg-1', opd_id='DISKOMINFO', kind=kind, level=HukdisLevel.SEDANG,
        name='Pemotongan TPP 25%', decree_number='800/12/BKPSDM/2026', decree_date=date(2026, 9, 20),
        effective_month=first, months=months, cut_bp=cut_bp, first_month=first, corrects=corrects, revoked=revoked,
        recorded_by='key-1', recorded_at=datetime(2026, 9, 21, 9, 0),
    )  # fmt: skip


def test_the_national_default_is_pp94_sedang_25_percent_for_6_9_or_12_months() -> None:
    # Given the shipped profile, When its hukdis table is read
    table = PROFILE.hukdis
    # Then sedang (HDS) cuts 2 500 bp = 25 % for 6, 9 or 12 months, counted from the decision's own month,
    # and the ringan and berat kinds cut nothing by themselves
    sedang = table.kind('HDS')
    assert sedang is not None and (sedang.level, sedang.cut_bp, sedang.months) == (
        HukdisLevel.SEDANG,
        2_500,
        (6, 9, 12),
    )
    assert table.counts_from is CountsFrom.DECISION_MONTH
    assert {k.code for k in table.kinds if k.cut_bp} == {'HDS'}
    assert table == pp94_default()


def test_a_sedang_decision_of_six_months_runs_across_the_year_end() -> None:
    # Given HDS for 6 months effective October 2026, counted from its own month
    decision = _decision(first=first_month('2026-10', pp94_default()))
    # Then it covers October, November, December 2026 and January, February, March 2027: 6 months
    covered = [m for m in ('2026-09', '2026-10', '2026-12', '2027-01', '2027-03', '2027-04') if decision.covers(m)]
    assert covered == ['2026-10', '2026-12', '2027-01', '2027-03']
    assert last_month(decision) == '2027-03'
    # And January 2027 is its 4th month (Oct 1, Nov 2, Dec 3, Jan 4)
    assert decision.label('2027-01') == 'HDS, SK 800/12/BKPSDM/2026, bulan ke-4 dari 6'


def test_counted_from_the_next_month_the_same_decision_moves_one_month_later() -> None:
    # Given a profile table counting from the month after the effective month
    rule = HukdisRule(kinds=pp94_default().kinds, counts_from=CountsFrom.NEXT_MONTH)
    # When the decision is effective December 2026 for 6 months
    decision = _decision(first=first_month('2026-12', rule))
    # Then January 2027 is its first month and June 2027 its last; December 2026 is not cut
    assert (decision.first_month, last_month(decision)) == ('2027-01', '2027-06')
    assert not decision.covers('2026-12') and decision.covers('2027-06') and not decision.covers('2027-07')


def test_a_correction_replaces_and_a_withdrawal_removes_the_decision() -> None:
    # Given a decision recorded for 12 months, corrected to 6 months
    wrong = _decision('hd-1', months=12)
    right = _decision('hd-2', months=6, corrects='hd-1')
    # Then only the correction is in force: May 2027 (8th month) is no longer cut
    assert [d.decision_id for d in in_force([wrong, right])] == ['hd-2']
    assert month_overlay([wrong, right], '2027-05')[0] == 0
    assert month_overlay([wrong, right], '2027-01') == (2_500, ('HDS, SK 800/12/BKPSDM/2026, bulan ke-4 dari 6',),
                                                       ('HDS',))  # fmt: skip
    # When the correction is withdrawn by a third record, Then nothing is in force
    withdrawal = _decision('hd-3', corrects='hd-2', revoked=True)
    assert in_force([wrong, right, withdrawal]) == []
    assert month_overlay([wrong, right, withdrawal], '2027-01') == (0, (), ())


def test_two_decisions_in_force_add_up_and_are_capped_at_the_whole_tpp() -> None:
    # Given two sedang decisions of 25 % and a (pemda) kind of 80 % in force in the same month
    decisions = [_decision('hd-1'), _decision('hd-2'), _decision('hd-3', cut_bp=8_000, kind='HDX')]
    # Then 25 % + 25 % = 50 %; with the 80 % kind 130 % is capped at 100 %
    assert month_overlay(decisions[:2], '2026-11')[0] == 5_000
    assert month_overlay(decisions, '2026-11')[0] == 10_000


def test_the_overlay_cuts_25_percent_of_the_total_tpp_and_the_month_says_why() -> None:
    # Given a perfect January (score 100, no deduction) and HDS in its 4th month
    cut_bp, labels, codes = month_overlay([_decision(first='2025-10')], '2026-01')
    flags = MonthFlags(discipline_cut_bp=cut_bp, discipline_labels=labels, discipline_codes=codes)
    month = month_of([], flags=flags)
    # Then the cut is 25 % × PAGU 5.000.000 = 1.250.000 (rounded once, exactly),
    # and TPP bruto = 3.000.000 × 100 % + 2.000.000 − 0 − 1.250.000 = 3.750.000
    assert (month.discipline_cut, month.tpp_bruto, month.deduction) == (1_250_000, 3_750_000, 0)
    # And the month names the decision, and the finance file's rincian shows its code
    assert month.notes == ('Hukuman disiplin (HDS, SK 800/12/BKPSDM/2026, bulan ke-4 dari 6): potongan 25,00% '
                           'dari TPP (Rp1.250.000)',)  # fmt: skip
    assert month.rincian == 'HDS'


def test_the_overlay_comes_after_the_attendance_deduction_and_never_below_zero() -> None:
    # Given January with one TK day (5 % of D_BASE) and a score of 90, HDS in force
    flags = MonthFlags(discipline_cut_bp=2_500, discipline_labels=('HDS',), discipline_codes=('HDS',))
    month = month_of(['TK'], score='90', flags=flags)
    # Then performance 3.000.000 × 90 % = 2.700.000; attendance 2.000.000 − 5 % × 2.000.000 = 1.900.000;
    # the cut 25 % × 5.000.000 = 1.250.000; TPP bruto 2.700.000 + 1.900.000 − 1.250.000 = 3.350.000
    assert (month.performance_part, month.attendance_part, month.discipline_cut, month.tpp_bruto) == (
        2_700_000, 1_900_000, 1_250_000, 3_350_000,
    )  # fmt: skip
    assert month.rincian == 'TK×1, HDS'
    # And a score of 0 with the attendance part gone leaves 0, never a negative TPP:
    # 0 + (2.000.000 − 100 %) − 1.250.000 < 0 → 0
    whole = month_of(['TK'] * 20, score='0', flags=flags)
    assert whole.tpp_bruto == 0


def test_a_request_must_fit_the_table() -> None:
    table = pp94_default()
    # A sedang of 7 months, an unknown kind, and a duration on a teguran are refused; 9 months is fine
    assert [i.path for i in request_issues(table, 'HDS', 7)] == ['months']
    assert [i.path for i in request_issues(table, 'HDZ', 6)] == ['kind']
    assert [i.path for i in request_issues(table, 'HDR1', 3)] == ['months']
    assert request_issues(table, 'HDS', 9) == () and request_issues(table, 'HDR1', None) == ()


def test_a_profile_table_with_a_code_of_another_rule_or_a_cut_without_duration_is_refused() -> None:
    # Given the default profile whose table reuses the TK code and has a cut without durations
    data = asn_data()
    data['hukdis'] = {'kinds': [
        {'code': 'TK', 'level': 'RINGAN', 'name': 'Kode bentrok'},
        {'code': 'HDX', 'level': 'SEDANG', 'name': 'Potongan tanpa lama', 'cut_bp': 1_000},
    ]}  # fmt: skip
    # Then the profile is rejected naming both fields
    with pytest.raises(ValidationFailed) as raised:
        parse_profile(data)
    assert {i.path for i in raised.value.fields} == {'hukdis.kinds[0].code', 'hukdis.kinds[1].months'}
