"""Hukuman disiplin (PP 94/2021) decisions and the overlay they put on a month's TPP (pure).

Formula (reference §8.1, §8.2 HDx, §9 item 15)::

    overlay(month) = min(100 %, Σ cut_bp of the decisions in force in the month) × PAGU      (total TPP)
    a decision is in force in the months first_month … first_month + months − 1
    first_month    = the decision's effective month, or the month after it (profile ``hukdis.counts_from``)

The overlay is priced by ``month.compute_month`` (``MonthFlags.discipline_cut_bp``) and rounded there once,
half up to the rupiah, like the other printed amounts (month.py's one rule); nothing here is money.

Choices where the reference leaves room, and why:

- The table of kinds (level, type, % cut, allowed durations) is part of the rule profile, with PP 94/2021
  Pasal 8 as the national default: ringan (teguran lisan, teguran tertulis, pernyataan tidak puas) and the
  berat kinds cut nothing by themselves (a demotion reaches the TPP through the employee's kelas and pagu);
  sedang cuts 25 % of the total TPP for 6, 9 or 12 months.
- The cut and the duration are fixed when the decision is recorded, from the profile in force in its effective
  month: a decree once issued does not change because a later Perkada changes the table.
- ``counts_from`` defaults to ``DECISION_MONTH``: the month the decree names is the first month cut, as the
  decree is written; a pemda whose Perkada starts the cut the month after sets ``NEXT_MONTH``.
- Two decisions in force in the same month add up (each is its own sanction), capped at 100 % of PAGU; a pemda
  that serves them one after another records the second with the later effective month.
- A decision is never edited: a correction is a new decision naming the one it corrects (``corrects``), and a
  withdrawal is a correction with ``revoked``. Only decisions no later record corrects are in force.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from chalicelib.domain.errors import FieldIssue
from chalicelib.domain.models import Frozen

BP_100 = 10_000
MONTH_PATTERN = r'^\d{4}-(0[1-9]|1[0-2])$'
KindCode = Annotated[str, Field(pattern=r'^[A-Z][A-Z0-9]{0,7}$')]


class HukdisLevel(StrEnum):
    RINGAN = 'RINGAN'
    SEDANG = 'SEDANG'
    BERAT = 'BERAT'


class CountsFrom(StrEnum):
    DECISION_MONTH = 'DECISION_MONTH'  # the effective month is the first month cut
    NEXT_MONTH = 'NEXT_MONTH'  # the month after the effective month is the first


class HukdisKind(Frozen):
    code: KindCode
    level: HukdisLevel
    name: Annotated[str, Field(min_length=3, max_length=200)]
    cut_bp: int = Field(default=0, ge=0, le=BP_100, description='bp of the total TPP (PAGU) cut each month')
    months: tuple[int, ...] = Field(default=(), description='allowed durations; empty = no duration (no cut)')


class HukdisRule(Frozen):
    kinds: tuple[HukdisKind, ...] = Field(min_length=1, max_length=30)
    counts_from: CountsFrom = CountsFrom.DECISION_MONTH

    def kind(self, code: str) -> HukdisKind | None:
        return next((k for k in self.kinds if k.code == code), None)


PP94_KINDS = (
    HukdisKind(code='HDR1', level=HukdisLevel.RINGAN, name='Teguran lisan (PP 94/2021 Pasal 8 ayat 2a)'),
    HukdisKind(code='HDR2', level=HukdisLevel.RINGAN, name='Teguran tertulis (PP 94/2021 Pasal 8 ayat 2b)'),
    HukdisKind(code='HDR3', level=HukdisLevel.RINGAN,
               name='Pernyataan tidak puas secara tertulis (PP 94/2021 Pasal 8 ayat 2c)'),
    HukdisKind(code='HDS', level=HukdisLevel.SEDANG, cut_bp=2_500, months=(6, 9, 12),
               name='Pemotongan tunjangan kinerja/TPP 25% (PP 94/2021 Pasal 8 ayat 3)'),
    HukdisKind(code='HDB1', level=HukdisLevel.BERAT, months=(12,),
               name='Penurunan jabatan setingkat lebih rendah selama 12 bulan (PP 94/2021 Pasal 8 ayat 4a)'),
    HukdisKind(code='HDB2', level=HukdisLevel.BERAT, months=(12,),
               name='Pembebasan dari jabatan menjadi jabatan pelaksana selama 12 bulan (PP 94/2021 Pasal 8 ayat 4b)'),
    HukdisKind(code='HDB3', level=HukdisLevel.BERAT,
               name='Pemberhentian dengan hormat tidak atas permintaan sendiri (PP 94/2021 Pasal 8 ayat 4c)'),
)  # fmt: skip


def pp94_default() -> HukdisRule:
    """The national default table (PP 94/2021 Pasal 8), counted from the decision's own month."""
    return HukdisRule(kinds=PP94_KINDS)


class Decision(Frozen):
    """One recorded hukuman disiplin decree, with its cut fixed from the profile when it was recorded."""

    decision_id: str
    employee_id: str
    opd_id: str
    kind: KindCode
    level: HukdisLevel
    name: str
    decree_number: str
    decree_date: date
    effective_month: str = Field(pattern=MONTH_PATTERN)
    months: int = Field(ge=0, le=60)
    cut_bp: int = Field(ge=0, le=BP_100)
    first_month: str = Field(pattern=MONTH_PATTERN)
    corrects: str | None = None
    revoked: bool = False
    note: str | None = None
    recorded_by: str
    recorded_at: datetime

    def covers(self, month: str) -> bool:
        if self.revoked or not self.months:
            return False
        return 0 <= month_index(month) - month_index(self.first_month) < self.months

    def ordinal(self, month: str) -> int:
        """1 for the first month cut, 2 for the second, …"""
        return month_index(month) - month_index(self.first_month) + 1

    def label(self, month: str) -> str:
        """How the month explains the decision: kind, decree, which month of how many."""
        return f'{self.kind}, SK {self.decree_number}, bulan ke-{self.ordinal(month)} dari {self.months}'


def month_index(month: str) -> int:
    year, number = month.split('-')
    return int(year) * 12 + int(number) - 1


def month_at(index: int) -> str:
    return f'{index // 12:04d}-{index % 12 + 1:02d}'


def first_month(effective_month: str, rule: HukdisRule) -> str:
    shift = 1 if rule.counts_from is CountsFrom.NEXT_MONTH else 0
    return month_at(month_index(effective_month) + shift)


def last_month(decision: Decision) -> str | None:
    return month_at(month_index(decision.first_month) + decision.months - 1) if decision.months else None


def request_issues(rule: HukdisRule, kind: str, months: int | None) -> tuple[FieldIssue, ...]:
    """What is wrong with a decision of this kind and duration under the profile's table."""
    found = rule.kind(kind)
    if found is None:
        codes = ', '.join(k.code for k in rule.kinds)
        return (FieldIssue('kind', f'{kind} is not in the profile table ({codes})'),)
    if found.months and months not in found.months:
        allowed = ', '.join(str(m) for m in found.months)
        return (FieldIssue('months', f'{kind} lasts {allowed} months'),)
    if not found.months and months:
        return (FieldIssue('months', f'{kind} has no duration'),)
    return ()


def in_force(decisions: Iterable[Decision]) -> list[Decision]:
    """The decisions no later record corrects (a correction replaces; a revoked correction withdraws)."""
    every = list(decisions)
    corrected = {d.corrects for d in every if d.corrects}
    return [d for d in every if d.decision_id not in corrected and not d.revoked]


def month_overlay(decisions: Sequence[Decision], month: str) -> tuple[int, tuple[str, ...], tuple[str, ...]]:
    """The overlay of a month from an employee's decisions: (cut bp capped at 100 %, labels, kind codes)."""
    covering = sorted((d for d in in_force(decisions) if d.covers(month) and d.cut_bp),
                      key=lambda d: (d.first_month, d.decision_id))  # fmt: skip
    cut = min(BP_100, sum(d.cut_bp for d in covering))
    codes = tuple(dict.fromkeys(d.kind for d in covering))
    return cut, tuple(d.label(month) for d in covering), codes


def rule_issues(rule: HukdisRule, taken: set[str]) -> list[FieldIssue]:
    """Consistency of the table inside a profile: unique codes, not used by another rule, sane durations."""
    issues: list[FieldIssue] = []
    seen: set[str] = set()
    for i, kind in enumerate(rule.kinds):
        where = f'hukdis.kinds[{i}]'
        if kind.code in seen or kind.code in taken:
            issues.append(FieldIssue(f'{where}.code', f'{kind.code} is already used by another rule'))
        seen.add(kind.code)
        if kind.cut_bp and not kind.months:
            issues.append(FieldIssue(f'{where}.months', 'a kind that cuts TPP needs its durations'))
        if any(m < 1 or m > 60 for m in kind.months) or len(set(kind.months)) != len(kind.months):
            issues.append(FieldIssue(f'{where}.months', 'durations are distinct numbers of months from 1 to 60'))
    return issues
