"""Mid-month changes: an employee's history with effective dates, and the parts of a month it makes (pure).

An employee's history is a list of changes, each with the date it takes effect (TMT) and the employment state
before and after it: OPD, type, jabatan, kelas, pagu (TPP ceiling) and whether the employee is active (a new
hire or new PPPK becomes active on its TMT; a pensiun, berhenti or meninggal becomes inactive). The state on a
day is the ``after`` of the last change effective on or before it, else the ``before`` of the first change.

A month is cut where the state changes; the days of one state form one part of the month (a transfer and back
is one part per state, not per stretch), and the days the employee is inactive belong to no part. How a part
weighs is the profile's ``mid_month`` rule; the money is in ``midmonth.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction

from pydantic import Field

from chalicelib.domain.models import EmployeeType, Frozen


class MidMonthMode(StrEnum):
    CALENDAR_DAYS = 'CALENDAR_DAYS'  # a part weighs its calendar days ÷ the month's calendar days
    WORKING_DAYS = 'WORKING_DAYS'  # a part weighs its owed working days ÷ the month's owed working days
    NONE = 'NONE'  # no pro-rating: the whole month under the last state the employee was active in


class ChangeReason(StrEnum):
    MUTASI = 'MUTASI'  # transfer between OPDs
    TMT = 'TMT'  # starts (new hire, new PPPK)
    PENSIUN = 'PENSIUN'
    BERHENTI = 'BERHENTI'
    MENINGGAL = 'MENINGGAL'
    PROMOSI = 'PROMOSI'  # kelas, jabatan or pagu changes (promotion, demotion)
    AKTIF = 'AKTIF'  # back to work (after CLTN, suspension)
    LAINNYA = 'LAINNYA'


REASON_NAMES = {
    ChangeReason.MUTASI: 'Mutasi antar-OPD: bagian bulan di OPD ini',
    ChangeReason.TMT: 'Mulai bertugas (TMT) pada bulan ini: bagian bulan sejak TMT',
    ChangeReason.PENSIUN: 'Pensiun pada bulan ini: bagian bulan sampai pensiun',
    ChangeReason.BERHENTI: 'Berhenti pada bulan ini: bagian bulan sampai berhenti',
    ChangeReason.MENINGGAL: 'Meninggal dunia pada bulan ini: bagian bulan sampai tanggal meninggal',
    ChangeReason.PROMOSI: 'Perubahan jabatan/kelas/pagu pada bulan ini: bagian bulan dengan kelas/pagu ini',
    ChangeReason.AKTIF: 'Aktif kembali pada bulan ini: bagian bulan sejak aktif',
    ChangeReason.LAINNYA: 'Perubahan data kepegawaian pada bulan ini: bagian bulan',
}


class EmploymentState(Frozen):
    opd_id: str
    employee_type: EmployeeType
    jabatan: str
    kelas_jabatan: int = Field(ge=1, le=17)
    tpp_ceiling: int = Field(ge=0, le=200_000_000)
    active: bool


class Change(Frozen):
    change_id: str
    employee_id: str
    effective_from: date
    reason: ChangeReason
    before: EmploymentState
    after: EmploymentState
    reference: str | None = None
    note: str | None = None
    nip: str | None = Field(default=None, description='the NIP (NI PPPK) a TKK gets with the change to PPPK or PNS')
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class Part:
    """The days of a month under one state, and what the part weighs."""

    state: EmploymentState
    days: tuple[date, ...]  # calendar days of the month in this state
    weight: Fraction  # of the whole month, per the mid_month mode
    measure: str  # how the weight was measured, for the explanation: '15/31 hari kalender'
    reasons: tuple[ChangeReason, ...]  # the changes at the part's edges

    @property
    def spans(self) -> str:
        """The part's days as ranges of day numbers: '1-15', '1-10, 21-31'."""
        runs: list[list[date]] = []
        for day in self.days:
            if runs and (day - runs[-1][-1]).days == 1:
                runs[-1].append(day)
            else:
                runs.append([day])
        return ', '.join(f'{r[0].day}-{r[-1].day}' if len(r) > 1 else f'{r[0].day}' for r in runs)


def ordered(changes: Sequence[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: (c.effective_from, c.recorded_at, c.change_id))


def state_on(changes: Sequence[Change], day: date) -> EmploymentState | None:
    """The state on a day (None: no history, the directory record is the only state)."""
    history = ordered(changes)
    if not history:
        return None
    current = history[0].before
    for change in history:
        if change.effective_from > day:
            break
        current = change.after
    return current


def touches(changes: Sequence[Change], first: date, last: date) -> bool:
    """Whether the history cuts this month (two states in it) or keeps the employee out of some of it. A change
    undone by a later change of the same date (a mistaken transfer corrected) cuts nothing."""
    if not changes:
        return False
    states = {state_on(changes, first + timedelta(days=n)) for n in range((last - first).days + 1)}
    return len(states) > 1 or any(s is not None and not s.active for s in states)


def month_parts(
    changes: Sequence[Change], first: date, last: date, mode: MidMonthMode, owed: Callable[[date], bool]
) -> list[Part]:
    """The parts of the month: one per state the employee is active in, weighed by ``mode``.

    ``owed(day)`` says whether the employee's schedule owes a shift on the day (holidays and weekends excluded,
    as the day close decides), for ``WORKING_DAYS``; with no owed day in the month, calendar days are used.
    """
    history = ordered(changes)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    by_state: dict[EmploymentState, list[date]] = {}
    for day in days:
        state = state_on(history, day)
        if state is not None and state.active:
            by_state.setdefault(state, []).append(day)
    if not by_state:
        return []
    inside = [c for c in history if first < c.effective_from <= last]
    if mode is MidMonthMode.NONE:
        last_state = state_on(history, max(d for ds in by_state.values() for d in ds))
        assert last_state is not None
        # Days of another employee type (TKK before a PPPK TMT) were judged under that type's profile: the month
        # is the last type's, judged on its own days.
        kind = last_state.employee_type
        active = tuple(sorted(d for s, ds in by_state.items() for d in ds if s.employee_type == kind))
        reasons = tuple(dict.fromkeys(c.reason for c in inside))
        return [Part(last_state, active, Fraction(1), 'bulan penuh (tanpa pro-rata)', reasons)]
    owed_days = {d for d in days if owed(d)}
    by_working = mode is MidMonthMode.WORKING_DAYS and bool(owed_days)
    parts = []
    for state, mine in by_state.items():
        if by_working:
            n = sum(1 for d in mine if d in owed_days)
            weight, measure = Fraction(n, len(owed_days)), f'{n}/{len(owed_days)} hari kerja'
        else:
            weight, measure = Fraction(len(mine), len(days)), f'{len(mine)}/{len(days)} hari kalender'
        reasons = tuple(dict.fromkeys(c.reason for c in inside if state in (c.before, c.after)))
        parts.append(Part(state, tuple(mine), weight, measure, reasons))
    return parts
