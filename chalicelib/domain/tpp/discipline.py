"""PP 94/2021 discipline bands from an employee's closed months of one year (pure; alert only, never a deduction).

The yearly figures are cumulative from January: TK days (including days charged as TK, such as sickness without
a doctor's note), TL/PSW minutes turned into days when the profile sets ``late_minutes_per_day`` (7.5 h = 1 day),
and the longest run of consecutive TK working days. A run crosses month ends: each closed month carries its
leading and trailing TK runs, and a month that is TK throughout carries the run on. A month with no record for
the employee (not closed, not yet employed) breaks a run. A run also crosses the year end (PP 94's "10 hari
kerja berturut-turut" has no calendar-year window): the run the previous year ended with is carried into
January (``carried_run``) and counts toward the consecutive band only; the yearly bands stay per calendar year.
A carried run that already reached the consecutive band in its own year was alerted there, so its continuation
in January raises nothing again.

A band is identified by a stable key (``yearly-4`` for the band from 4 days, ``consecutive``), so the alert store
can tell a new band from one already raised, and the month in which the cumulative figures first reached it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.domain.tpp.profile import DisciplineRule

CONSECUTIVE = 'consecutive'


@dataclass(frozen=True)
class MonthFigures:
    month: str
    working_days: int
    tk_days: int
    max_consecutive_tk: int
    leading_tk_days: int
    trailing_tk_days: int
    late_early_minutes: int


@dataclass(frozen=True)
class YearFigures:
    through_month: str
    tk_days: int
    late_days: int  # TL/PSW minutes turned into days (0 unless the profile converts them)
    longest_tk_run: int

    def counted_days(self) -> int:
        return self.tk_days + self.late_days


@dataclass(frozen=True)
class Band:
    key: str
    days_from: int
    days_to: int | None
    sanction: str
    reason: str


@dataclass(frozen=True)
class Reached:
    band: Band
    month: str  # the first month whose cumulative figures reached the band
    figures: YearFigures  # the figures as of that month


def band_key(days_from: int) -> str:
    return f'yearly-{days_from}'


def bands_of(rule: DisciplineRule, figures: YearFigures) -> list[Band]:
    """The yearly band the figures are in (if any), and the consecutive band when the run reaches it."""
    bands: list[Band] = []
    days = figures.counted_days()
    threshold = next((t for t in reversed(rule.thresholds) if days >= t.days_from), None)
    if threshold is not None:
        why = f'TK {figures.tk_days} hari dalam tahun ini (s.d. {figures.through_month})'
        if figures.late_days:
            why += f' ditambah {figures.late_days} hari dari akumulasi terlambat/pulang cepat'
        bands.append(Band(band_key(threshold.days_from), threshold.days_from, threshold.days_to, threshold.sanction,
                          f'{why}: rekomendasi pemeriksaan ({threshold.sanction})'))  # fmt: skip
    if figures.longest_tk_run >= rule.consecutive_days:
        why = f'TK {figures.longest_tk_run} hari kerja berturut-turut'
        bands.append(Band(CONSECUTIVE, rule.consecutive_days, None, rule.consecutive_sanction,
                          f'{why}: rekomendasi pemeriksaan ({rule.consecutive_sanction})'))  # fmt: skip
    return bands


MonthSeries = Sequence[tuple[str, MonthFigures | None]]


def year_history(rule: DisciplineRule, months: MonthSeries, carried_run: int = 0) -> tuple[YearFigures, list[Reached]]:
    """Walk the months of a year in order (None: no record that month): the figures as of the last month, and
    every band reached along the way with the first month it was reached. ``carried_run``: the TK run the
    previous year ended with (working days), continued by a run from January's first owed day."""
    tk = minutes = longest = 0
    run = carried_run
    # While the run still continues the carried one and that one was alerted last year, it raises nothing new.
    settled = carried_run >= rule.consecutive_days
    reached: dict[str, Reached] = {}
    figures = YearFigures(months[0][0] if months else '', 0, 0, 0)
    for month, f in months:
        if f is None:
            run, settled = 0, False
        else:
            tk += f.tk_days
            minutes += f.late_early_minutes
            if f.working_days and f.tk_days == f.working_days:
                run += f.working_days
                longest = longest if settled else max(longest, run)
            else:
                inside = f.max_consecutive_tk
                if settled and inside == f.leading_tk_days:
                    inside = 0  # the month's longest run is the carried run's continuation
                continued = run + f.leading_tk_days if f.leading_tk_days else 0  # a run ending at New Year stays there
                longest = max(longest, inside) if settled else max(longest, continued, inside)
                run, settled = f.trailing_tk_days, False
        late_days = minutes // rule.late_minutes_per_day if rule.late_minutes_per_day else 0
        figures = YearFigures(month, tk, late_days, longest if settled else max(longest, run))
        for band in bands_of(rule, figures):
            reached.setdefault(band.key, Reached(band, month, figures))
    return figures, list(reached.values())
