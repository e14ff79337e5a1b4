"""PP 94 bands from a year of closed months: cumulative TK days, runs across month ends, TL/PSW minutes as days."""

from __future__ import annotations

from chalicelib.domain.tpp.defaults import default_profile
from chalicelib.domain.tpp.discipline import MonthFigures, year_history

RULE = default_profile().discipline


def _month(month: str, tk: int = 0, longest: int = 0, leading: int = 0, trailing: int = 0, minutes: int = 0,
           working: int = 21) -> tuple[str, MonthFigures]:  # fmt: skip
    return month, MonthFigures(month, working, tk, longest, leading, trailing, minutes)


def test_bands_are_reached_cumulatively_each_in_the_first_month_it_stands() -> None:
    # Given 2 TK days in January, 1 in February and 5 in March
    figures, reached = year_history(
        RULE, [_month('2026-01', tk=2, longest=1), _month('2026-02', tk=1, longest=1), _month('2026-03', tk=5)]
    )
    # Then 3 days (teguran lisan) stood from February, 8 days (7-10) from March; 4-6 never stood
    assert [(r.band.key, r.month, r.figures.tk_days) for r in reached] == [('yearly-3', '2026-02', 3),
                                                                             ('yearly-7', '2026-03', 8)]  # fmt: skip
    assert (figures.through_month, figures.tk_days, figures.longest_tk_run) == ('2026-03', 8, 1)


def test_a_tk_run_crosses_month_ends_and_a_whole_month_of_tk_carries_it_on() -> None:
    # Given a run of 3 at the end of January, all of a 20-day February, and 2 at the start of March
    january = _month('2026-01', tk=3, longest=3, trailing=3)
    february = _month('2026-02', tk=20, longest=20, leading=20, trailing=20, working=20)
    figures, reached = year_history(RULE, [january, february, _month('2026-03', tk=2, longest=2, leading=2)])
    # Then the run stood at 23 (past 10) in February, and is 25 long at the end of March
    consecutive = next(r for r in reached if r.band.key == 'consecutive')
    assert (consecutive.month, consecutive.figures.longest_tk_run, figures.longest_tk_run) == ('2026-02', 23, 25)
    # And 3 at the end of one month plus 7 at the start of the next make 10
    seven = _month('2026-02', tk=7, longest=7, leading=7)
    assert year_history(RULE, [january, seven])[0].longest_tk_run == 10


def test_a_month_without_a_record_breaks_the_run() -> None:
    january, march = _month('2026-01', tk=6, longest=6, trailing=6), _month('2026-03', tk=6, longest=6, leading=6)
    figures, reached = year_history(RULE, [january, ('2026-02', None), march])
    assert figures.longest_tk_run == 6 and 'consecutive' not in {r.band.key for r in reached}


def test_late_and_early_minutes_count_as_days_when_the_profile_converts_them() -> None:
    # Given 7.5 hours = 1 day, 2 TK days and 15 hours 10 minutes of TL/PSW
    rule = RULE.model_copy(update={'late_minutes_per_day': 450})
    figures, reached = year_history(rule, [_month('2026-01', tk=2, minutes=910)])
    # Then 2 + 2 days reach the 4-6 band, and the reason says where the extra days come from
    assert (figures.late_days, [r.band.key for r in reached]) == (2, ['yearly-4'])
    assert 'ditambah 2 hari dari akumulasi terlambat/pulang cepat' in reached[0].band.reason
    # And without the conversion the same figures reach no band
    assert year_history(RULE, [_month('2026-01', tk=2, minutes=910)])[1] == []
