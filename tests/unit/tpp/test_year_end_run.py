"""A TK run across the year end (PP 94's "10 hari kerja berturut-turut" has no calendar-year window), by hand.

December 2026 ends with 9 TK working days (21–25 and 28–31 December); January 2027 begins with 3 more
(1, 4 and 5 January): a run of 12, which reaches the consecutive band (10) only across New Year.
"""

from __future__ import annotations

from chalicelib.domain.tpp.discipline import CONSECUTIVE, MonthFigures, year_history
from tests.unit.tpp.support import PROFILE

RULE = PROFILE.discipline


def _january(leading: int, tk: int | None = None) -> MonthFigures:
    # 21 working days in January 2027 (no holidays in this fixture); the TK days are the leading run
    days = tk if tk is not None else leading
    return MonthFigures('2027-01', 21, days, leading, leading, 0, 0)


def test_a_run_started_in_december_and_continued_in_january_raises_the_consecutive_band_once() -> None:
    # Given 9 TK days carried from December and 3 more at the start of January: 9 + 3 = 12 ≥ 10
    figures, reached = year_history(RULE, [('2027-01', _january(3))], carried_run=9)
    # Then the consecutive band is reached in January with a run of 12
    consecutive = [r for r in reached if r.band.key == CONSECUTIVE]
    assert [(r.month, r.figures.longest_tk_run) for r in consecutive] == [('2027-01', 12)]
    # And the yearly bands count 2027's days only: 3 TK days (the teguran lisan band from 3), not 12
    assert figures.tk_days == 3
    assert sorted(r.band.key for r in reached) == ['consecutive', 'yearly-3']


def test_a_run_broken_at_new_year_does_not_reach_the_band() -> None:
    # Given 9 TK days carried, but January's first working day attended: the run stops at 9
    figures, reached = year_history(RULE, [('2027-01', _january(0, tk=2))], carried_run=9)
    assert figures.longest_tk_run == 0 and not [r for r in reached if r.band.key == CONSECUTIVE]


def test_a_run_already_alerted_in_december_is_not_alerted_again_in_january() -> None:
    # Given December ended with 12 TK days in a row (alerted in 2026) and January continues it by 3
    figures, reached = year_history(RULE, [('2027-01', _january(3))], carried_run=12)
    # Then 2027 raises no consecutive band for the same run (only January's yearly count, 3 days)
    assert [r.band.key for r in reached] == ['yearly-3'] and figures.longest_tk_run == 0


def test_a_new_run_after_the_carried_one_counts_on_its_own() -> None:
    # Given 12 carried (alerted last year), 3 continuing days, then 10 TK days in a row later in January
    january = MonthFigures('2027-01', 21, 13, 10, 3, 0, 0)
    figures, reached = year_history(RULE, [('2027-01', january)], carried_run=12)
    # Then the new run of 10 raises the consecutive band in 2027
    assert figures.longest_tk_run == 10 and CONSECUTIVE in [r.band.key for r in reached]


def test_without_a_carried_run_the_year_is_as_before() -> None:
    figures, reached = year_history(RULE, [('2027-01', _january(3))])
    assert figures.longest_tk_run == 3 and [r.band.key for r in reached] == ['yearly-3']
