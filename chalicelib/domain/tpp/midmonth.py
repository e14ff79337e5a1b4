"""A month cut by mid-month changes, priced in parts: each OPD pays its part (pure).

Formula (reference §10 "mid-month changes"; the month itself is month.py's)::

    parts p = 1..n of the month, in order of their first day (history.month_parts), each with a weight w_p:
        CALENDAR_DAYS   w_p = calendar days in p ÷ calendar days of the month
        WORKING_DAYS    w_p = owed working days in p ÷ owed working days of the month (the employee's schedule)
        NONE            one part, w = 1, under the last state the employee was active in
    S_k   = Σ_{p ≤ k} w_p × PAGU_p                           (the running sum of the parts' PAGU, exact)
    M(S)  = month.compute_month over every day the employee was active, with PAGU replaced by S
    part k = M(S_k) − M(S_{k−1})   for each printed amount (the bases, the deduction, the overlay, TPP bruto)

**Rounding (the one rule).** ``M`` rounds its four amounts once, half up to the rupiah (month.py). A part is
the difference of two such results, so the parts of a month add up *exactly* to the month priced whole
(the sum telescopes to ``M(S_n)``), every part row reconciles as a month row does, and no rupiah is created or
lost by the split. A part is never negative for a PAGU of Rp100.000 or more (a property test); with a smaller
PAGU a part of a day or two is worth less than the rupiah its own rounding moves, and its attendance part can
read -Rp1 (the month's sum stays exact).

Choices where the reference leaves room, and why:

- The default ``mid_month`` is ``WORKING_DAYS``: the rest of the profile already measures a month in the
  employee's owed working days (a day of CLTN pro-rates PAGU by working days, PRO_RATA TK and DAILY_SHARE are
  a working day's share), so a day of work is worth the same whether the employee is new, leaving, or in
  either OPD, and a new hire is not paid for the weekends and holidays before the TMT. ``CALENDAR_DAYS`` suits a
  Perkada that pays TPP as it pays salary; ``NONE`` keeps the month whole.
- Deductions are judged on the whole month (the day codes, TK10, the sick tiers, manipulation, the caps) and
  each part bears them in proportion to its PAGU: the Perkada prices an employee's month, and the monthly rules
  cannot be cut in two (ten TK days across a transfer are still ten). The potongan % is the same on each row.
- A hukuman disiplin overlay is a share of the whole TPP, so each part bears its share of it.
- The profile pricing the month is the one of its last closed day (allowance.month_profile), as for any month.
- A change of employee type inside a month (a TKK honorarium becoming PPPK TPP on a TMT) changes the rules, not
  just the PAGU: each day was judged under its own type's profile (the day close follows the history), so the
  parts of each type are priced together under that type's profile, on that type's days, with the formula
  above (S_k runs over the type's parts; their weights are still shares of the whole month). The month is the
  sum of the types' results: the honorarium's rupiah deductions stay on the TKK part, the percentages on the
  PPPK part, and a monthly rule (TK10, the sick tiers) counts the days of its own type. With ``NONE`` the
  month is the last type's, judged on its days.
- Days on which the history says the employee was not active (before a TMT, after a pensiun) are not priced,
  even if a day record exists for them (a late-recorded change).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from chalicelib.domain.models import EmployeeType
from chalicelib.domain.tpp import text
from chalicelib.domain.tpp.day import DayResult
from chalicelib.domain.tpp.history import REASON_NAMES, Part
from chalicelib.domain.tpp.month import MonthFlags, MonthResult, compute_month
from chalicelib.domain.tpp.profile import RuleProfile
from chalicelib.domain.tpp.records import MonthPart, MonthRecord

MONEY = ('performance_base', 'performance_part', 'attendance_base', 'deduction', 'attendance_part',
         'discipline_cut', 'tpp_bruto')  # fmt: skip


@dataclass(frozen=True)
class _Unit:
    """A payee whose PAGU is given whole by ``pagu_share`` (the running sum of the parts)."""

    employee_type: EmployeeType
    tpp_ceiling: int = 1


def price_parts(
    parts: Sequence[Part], day_results: Sequence[DayResult], score: Decimal | None, flags: MonthFlags,
    profile: RuleProfile, profiles: Mapping[EmployeeType, RuleProfile] | None = None,
) -> tuple[MonthResult, list[MonthPart]]:  # fmt: skip
    """The month priced whole (the sum of its parts) and each part as a row of its own.

    ``profile`` prices the parts of the last part's employee type; ``profiles`` those of another type (a TKK
    part before a PPPK TMT). A type without a profile is not paid (its days were not closed either).
    """
    ordered = sorted(parts, key=lambda p: p.days[0])
    last_type = ordered[-1].state.employee_type
    by_type: dict[EmployeeType, list[Part]] = {}
    for part in ordered:
        by_type.setdefault(part.state.employee_type, []).append(part)
    if len(by_type) == 1:
        return _price_type(ordered, day_results, score, flags, profile)
    results: dict[int, MonthPart] = {}
    wholes: list[MonthResult] = []
    for employee_type, group in by_type.items():
        rules = profile if employee_type is last_type else (profiles or {}).get(employee_type)
        if rules is None:
            continue
        whole, priced = _price_type(group, day_results, score, flags, rules)
        wholes.append(whole)
        results.update({id(p): row for p, row in zip(group, priced, strict=True)})
    return _sum_of_types(wholes, ordered[-1].state.tpp_ceiling), [results[id(p)] for p in ordered if id(p) in results]


def _sum_of_types(wholes: Sequence[MonthResult], pagu: int) -> MonthResult:
    """The month of an employee whose type changed: the money of each type's parts added up; the rest is the
    last type's (its profile, potongan %), with every type's days, codes and notes."""
    last = wholes[-1]
    money = {f: sum(getattr(w, f) for w in wholes) for f in MONEY}
    counts: Counter[str] = Counter()
    for w in wholes:
        counts.update(w.counts)
    rules = tuple(dict.fromkeys(r for w in wholes for r in w.month_rules))
    return last.model_copy(update={
        **money, 'pagu': pagu, 'counts': dict(counts), 'month_rules': rules,
        'working_days': sum(w.working_days for w in wholes), 'excluded_days': sum(w.excluded_days for w in wholes),
        'tk_days': sum(w.tk_days for w in wholes), 'max_consecutive_tk': max(w.max_consecutive_tk for w in wholes),
        'leading_tk_days': wholes[0].leading_tk_days, 'trailing_tk_days': last.trailing_tk_days,
        'late_early_minutes': sum(w.late_early_minutes for w in wholes), 'capped': any(w.capped for w in wholes),
        'notes': tuple(n for w in wholes for n in w.notes),
    })  # fmt: skip


def _price_type(
    ordered: Sequence[Part], day_results: Sequence[DayResult], score: Decimal | None, flags: MonthFlags,
    profile: RuleProfile,
) -> tuple[MonthResult, list[MonthPart]]:  # fmt: skip
    """The parts of one employee type priced on running sums of their PAGU (the formula above)."""
    active = {d for p in ordered for d in p.days}
    days = [d for d in day_results if d.local_date in active]
    payee = _Unit(ordered[-1].state.employee_type)
    running = Fraction(0)
    previous: MonthResult | None = None
    priced: list[MonthPart] = []
    for part in ordered:
        running += part.weight * part.state.tpp_ceiling
        current = compute_month(payee, days, score, flags, profile, pagu_share=running)
        mine = [d for d in days if d.local_date in set(part.days)]
        amounts = {f: getattr(current, f) - (getattr(previous, f) if previous else 0) for f in MONEY}
        why = '; '.join(REASON_NAMES[r] for r in part.reasons) or 'Bagian bulan'
        note = (f'Bagian bulan: tanggal {part.spans} di {part.state.opd_id} ({part.measure}), kelas '
                f'{part.state.kelas_jabatan}, pagu {text.rupiah(part.state.tpp_ceiling)}. {why}')  # fmt: skip
        result = current.model_copy(update={
            **amounts, 'pagu': part.state.tpp_ceiling, 'counts': _counts(mine, current.counts),
            'month_rules': current.month_rules + tuple(r.value for r in part.reasons if r.value not in
                                                       current.month_rules),
            'notes': (*current.notes, note), 'working_days': len(mine),
        })  # fmt: skip
        priced.append(MonthPart(opd_id=part.state.opd_id, jabatan=part.state.jabatan,
                                kelas=part.state.kelas_jabatan, days=part.spans, measure=part.measure,
                                reasons=tuple(r.value for r in part.reasons), result=result))  # fmt: skip
        previous = current
    assert previous is not None
    lines = tuple(p.result.notes[-1] for p in priced)
    whole = previous.model_copy(update={'pagu': ordered[-1].state.tpp_ceiling, 'notes': (*previous.notes, *lines)})
    return whole, priced


def _counts(days: Sequence[DayResult], order: dict[str, int]) -> dict[str, int]:
    """The day codes of the part's days, in the order the month lists them."""
    counted = Counter(code for d in days for code in d.codes if code != 'H')
    rank = {code: i for i, code in enumerate(order)}
    return dict(sorted(counted.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0])))


def finance_rows(records: Iterable[MonthRecord]) -> list[MonthRecord]:
    """The rows of the finance files: a month cut by a change is one row per part, in the part's OPD."""
    rows: list[MonthRecord] = []
    for record in records:
        if not record.parts:
            rows.append(record)
            continue
        rows += [
            record.model_copy(update={'opd_id': p.opd_id, 'jabatan': p.jabatan, 'kelas': p.kelas, 'result': p.result,
                                      'parts': ()})
            for p in record.parts
        ]  # fmt: skip
    return rows
