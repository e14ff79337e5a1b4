"""Today's live attendance of an OPD, for the console's "Hari ini" board: who owes a shift, who punched,
how late, who is on an approved status. Pure: the service passes the shift, the punches and the status.

Choices, and why:

- Live means the ledger and the approved statuses as they are now, never the closed day records: the day
  close runs after midnight, and an admin at 08:00 wants to know who is not in yet.
- The punches counted are those of the shift's local date from the start of its check-in window on (a
  punch before it belongs to the night shift of the day before). The first is the arrival, the last the
  departure once there are two or more.
- Minutes late use the day close's own rule (``day.minutes_late``: the profile's grace and late reference),
  so the board and the closed day agree; without a profile in force (TKK before their profile is published)
  it is the raw minutes past jam masuk.
- A full-day status (cuti, DL/TD/DK, izin sehari, sakit) puts the employee in ``status`` whatever the
  punches say, as the day close lets the status win. An izin terlambat or pulang cepat (``WAIVE_LATE``,
  ``WAIVE_EARLY``) is shown but the punches still decide the state; an izin terlambat waives the lateness.
- The category of a status (cuti, dinas, izin, sakit) comes from the profile's rule: counts as present is
  duty (DL, TD, DK); a partial effect is izin; otherwise the rule's name (``Cuti …``, ``Sakit …``,
  ``Izin …``), which the profile's author writes in Bahasa Indonesia; anything else is ``lain``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib.domain.models import Punch
from chalicelib.domain.tpp.day import minutes_late
from chalicelib.domain.tpp.profile import RuleProfile, StatusEffect, StatusRule
from chalicelib.domain.tpp.schedule import Shift


class TodayState(StrEnum):
    NO_PUNCH = 'no_punch'
    LATE = 'late'
    PRESENT = 'present'
    STATUS = 'status'


class StatusCategory(StrEnum):
    CUTI = 'cuti'
    DINAS = 'dinas'
    IZIN = 'izin'
    SAKIT = 'sakit'
    LAIN = 'lain'


STATE_ORDER = {TodayState.NO_PUNCH: 0, TodayState.LATE: 1, TodayState.PRESENT: 2, TodayState.STATUS: 3}
_NAME_PREFIXES = (('cuti', StatusCategory.CUTI), ('sakit', StatusCategory.SAKIT), ('izin', StatusCategory.IZIN))


def status_category(rule: StatusRule | None) -> StatusCategory:
    """Which group of the board a status belongs to (see the module docstring)."""
    if rule is None:
        return StatusCategory.LAIN
    if rule.counts_as_present:
        return StatusCategory.DINAS
    if rule.effect is not StatusEffect.FULL_DAY:
        return StatusCategory.IZIN
    name = rule.name.strip().lower()
    return next((category for prefix, category in _NAME_PREFIXES if name.startswith(prefix)), StatusCategory.LAIN)


def full_day(rule: StatusRule | None) -> bool:
    """A status without a rule (a code the profile in force lacks) is still an approved absence for the board."""
    return rule is None or rule.effect is StatusEffect.FULL_DAY


@dataclass(frozen=True)
class TodayLine:
    """One employee's shift today, as the board shows it."""

    state: TodayState
    first: Punch | None
    last: Punch | None
    punches: int
    minutes_late: int | None


def today_line(
    shift: Shift,
    punches: Sequence[tuple[datetime, Punch]],
    profile: RuleProfile | None,
    status_rule: StatusRule | None,
    on_status: bool,
) -> TodayLine:
    """The board's line for one owed shift.

    Parameters
    ----------
    shift: the shift owed today (``schedule.expected_shift``).
    punches: the employee's punches of the shift's date, each with its naive local time, any order.
    profile: the rule profile in force for the employee today, or None.
    status_rule: the profile's rule of today's approved status, if there is one and the profile knows it.
    on_status: whether an approved status covers today.
    """
    counted = sorted((p for p in punches if p[0] >= shift.check_in_from), key=lambda p: p[0])
    first = counted[0] if counted else None
    last = counted[-1] if len(counted) > 1 else None
    late = None
    if first is not None:
        waived = on_status and status_rule is not None and status_rule.effect is StatusEffect.WAIVE_LATE
        late = 0 if waived else _late(shift, first[0], profile)
    if on_status and full_day(status_rule):
        state = TodayState.STATUS
    elif first is None:
        state = TodayState.NO_PUNCH
    else:
        state = TodayState.LATE if late else TodayState.PRESENT
    return TodayLine(state, first[1] if first else None, last[1] if last else None, len(counted), late)


def _late(shift: Shift, first_in: datetime, profile: RuleProfile | None) -> int:
    if profile is None:
        return max(0, int((first_in - shift.start).total_seconds() // 60))
    return minutes_late(shift, first_in, profile)


@dataclass
class TodayCounts:
    total: int = 0
    present: int = 0  # punched and not on a full-day status, late ones included
    late: int = 0
    no_punch: int = 0
    on_status: int = 0
    off: int = 0  # active staff without a shift today: not in ``total``
    by_status: dict[str, int] = field(default_factory=lambda: {c.value: 0 for c in StatusCategory})

    def add(self, state: TodayState, category: StatusCategory | None) -> None:
        self.total += 1
        if state is TodayState.STATUS:
            self.on_status += 1
        elif state is TodayState.NO_PUNCH:
            self.no_punch += 1
        else:
            self.present += 1
            self.late += state is TodayState.LATE
        if state is TodayState.STATUS and category is not None:
            self.by_status[category.value] += 1

    def merge(self, other: TodayCounts) -> None:
        for name in ('total', 'present', 'late', 'no_punch', 'on_status', 'off'):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, value in other.by_status.items():
            self.by_status[key] += value

    def as_dict(self) -> dict[str, Any]:
        return {
            'total': self.total, 'present': self.present, 'late': self.late, 'no_punch': self.no_punch,
            'on_status': self.on_status, 'by_status': dict(self.by_status), 'off': self.off,
        }  # fmt: skip
