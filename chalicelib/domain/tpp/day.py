"""Day close for one employee and one owed shift: first in, last out, tiers, deduction and a one-line reason.

Order of evaluation (reference §8.5, with one deliberate change): an approved full-day status first, then
an outage, then the punches. §8.5 checks the outage before the status; Hadir checks the status first,
because a status is an individual, approved decision (a CAP or IZ day still costs what the Perkada says
when the machine happens to be broken), while ``OPD_FORFEIT`` is OPD-wide and is flagged on every day of
the outage whatever the status.

Choices where the reference leaves room, and why:

- Whole minutes: minutes late = ⌊(first in − jam masuk) / 60 s⌋ and minutes early = ⌊(jam pulang − last
  out) / 60 s⌋. Seconds are the benefit of the doubt: 07:30:59 is on time, 15:59:01 is not early.
- Device IN/OUT labels are never trusted: the first punch inside the check-in window is the check-in, the
  last punch inside the check-out window (and after the check-in) is the check-out; a single punch is
  never both.
- Grace: ``raw ≤ grace`` is on time; past it, ``NOMINAL`` counts from jam masuk and ``TOLERANCE_END``
  from the end of the grace. Same-day make-up (``SAME_DAY``) then waives lateness up to
  ``makeup_max_minutes`` if the employee left at least as many minutes after jam pulang.
- A missing check-in (with a check-out) is the ``missing_check_in`` charge (TL4), a missing check-out the
  ``missing_check_out`` charge (PSW4). A day whose only scans give the worst of both (a lone midday
  scan) is charged as tiers or as TK per ``lone_scan``.
- Outage under ``MANUAL_VERIFIED`` (Permenko Infra 10/2025 Pasal 22(2)): the machine's scans are replaced by
  verified manual records, and the day is priced from them exactly like any other day (late, early, TK).
  The records are the employee's phone check-ins of the day and their line on the OPD's manual attendance
  list approved by the personnel office (arrival, departure); machine scans that did arrive before or after
  the outage still count too, so a machine back by noon takes its afternoon check-outs. Check-in and
  check-out are picked from all of them by the usual windows (the earliest in, the latest out), and the
  explanation says the machine was down and which record gave each. A day with none is TK: an outage is
  no reason by itself to be paid for a day nobody recorded.
- ``FORGIVE`` (explicit, never the default): every owed day of the OPD is OUT without deduction, whatever
  the records. Under ``OPD_FORFEIT`` the day is flagged and the month close forfeits per
  ``outage.forfeit_scope``.
- Per-day status charges with free days (CAP: first 2 days free) need the day's ordinal among that
  status's days in the month; the day close passes it, and the month close recomputes it from the whole
  month so the month is right even if a status was approved out of order.
- TK under ``PRO_RATA`` is priced at month close (one day's share of the base); the day records
  ``prorata_days = 1`` and a deduction of 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

from pydantic import Field

from chalicelib.domain.errors import FieldIssue, ValidationFailed
from chalicelib.domain.models import Frozen
from chalicelib.domain.tpp import text
from chalicelib.domain.tpp.profile import (
    ChargeKind,
    LateReference,
    LoneScanMode,
    MakeupMode,
    OutagePolicy,
    RuleProfile,
    StatusEffect,
    StatusRule,
    TierTable,
    TkMode,
)
from chalicelib.domain.tpp.schedule import Shift


class ApprovedStatus(Frozen):
    code: str
    reference: str | None = Field(default=None, max_length=200, description='surat tugas / surat dokter number')


class ManualEntry(Frozen):
    """One employee's line on an approved manual attendance list of an outage (local naive times)."""

    list_id: str
    arrival: datetime | None = None
    departure: datetime | None = None


class Outage(Frozen):
    """A confirmed outage of the employee's OPD on the day, with that employee's verified manual records."""

    opd_id: str
    local_date: date
    reason: str = Field(default='', max_length=500)
    manual: ManualEntry | None = None  # the employee's line on the approved manual list, if any
    phone: tuple[datetime, ...] = ()  # local times of the employee's phone check-ins among the day's punches


class DayCategory(StrEnum):
    PRESENT = 'present'  # punches evaluated (H, TL*, PSW*)
    ABSENT = 'absent'  # TK, or a status charged as TK
    STATUS = 'status'  # an approved full-day status
    OUTAGE = 'outage'


class _Common(NamedTuple):
    local_date: date
    shift_code: str
    first_in: datetime | None
    last_out: datetime | None
    outage: bool
    forfeit: bool


class DayResult(Frozen):
    local_date: date
    shift_code: str
    category: DayCategory
    first_in: datetime | None = None
    last_out: datetime | None = None
    minutes_late: int = 0
    minutes_early: int = 0
    codes: tuple[str, ...]
    status_code: str | None = None
    status_ordinal: int = 1
    deduction: int = Field(ge=0, description='in the profile unit, after the daily cap')
    deduction_before_cap: int = Field(ge=0)
    prorata_days: int = Field(default=0, ge=0, le=1)
    outage: bool = False
    forfeit: bool = False
    conflict: bool = False
    explanation: str


def evaluate_day(
    shift: Shift,
    punches_local: Sequence[datetime],
    status: ApprovedStatus | None,
    outage: Outage | None,
    profile: RuleProfile,
    *,
    status_ordinal: int = 1,
    apel_attended: bool | None = None,
) -> DayResult:
    """Evaluate one owed shift.

    Parameters
    ----------
    shift: the owed shift (``schedule.expected_shift``); days off are never evaluated.
    punches_local: every punch of the employee near the shift, naive local time, any order, labels ignored.
    status: the approved status of the day, if any; it wins over punches.
    outage: the declared outage of the employee's OPD on the day, if any.
    profile: the rule profile in force on ``shift.local_date`` (validated).
    status_ordinal: the 1-based rank of this day among the month's working days with the same status.
    apel_attended: the recorded apel attendance; None derives it from the check-in (on or before jam masuk).
    """
    first_in, last_out = pick_scans(shift, punches_local)
    forfeit = outage is not None and profile.outage.policy is OutagePolicy.OPD_FORFEIT
    base = _Common(shift.local_date, shift.code, first_in, last_out, outage is not None, forfeit)
    rule = _status_rule(profile, status)
    if rule is not None and rule.effect is StatusEffect.FULL_DAY:
        conflict = first_in is not None or last_out is not None
        return _status_day(profile, rule, status_ordinal, conflict, base, status.reference if status else None)
    if outage is not None and profile.outage.policy is OutagePolicy.MANUAL_VERIFIED:
        return _manual_verified_day(shift, punches_local, outage, profile, rule, apel_attended, base)
    if outage is not None:
        return _outage_day(profile.outage.policy, base)
    if first_in is None and last_out is None:
        return _absent_day(profile, 'Tidak hadir tanpa keterangan', base)
    return _present_day(shift, profile, rule, first_in, last_out, apel_attended, base)


def pick_scans(shift: Shift, punches_local: Sequence[datetime]) -> tuple[datetime | None, datetime | None]:
    """First punch in the check-in window; last punch in the check-out window after it (never the same one)."""
    first_in = min((p for p in punches_local if shift.takes_check_in(p)), default=None)
    last_out = max(
        (p for p in punches_local if shift.takes_check_out(p) and (first_in is None or p > first_in)), default=None
    )
    return first_in, last_out


def status_charge(profile: RuleProfile, rule: StatusRule, ordinal: int) -> int:
    """The per-day amount (profile unit) of a status day; month-level and TK-like charges are priced elsewhere."""
    if rule.charge is ChargeKind.PER_DAY and ordinal > rule.free_days_per_month:
        return rule.amount
    return 0


def tk_amount(profile: RuleProfile) -> tuple[int, int]:
    """(deduction in the profile unit, pro-rata days) of one absent day."""
    return (profile.tk.amount, 0) if profile.tk.mode is TkMode.FIXED else (0, 1)


def _status_rule(profile: RuleProfile, status: ApprovedStatus | None) -> StatusRule | None:
    if status is None:
        return None
    rule = profile.status(status.code)
    if rule is None:
        issue = FieldIssue('status.code', f'{status.code} is not in the status matrix of {profile.profile_id}')
        raise ValidationFailed(f'unknown status code {status.code}', fields=(issue,))
    return rule


def _status_day(
    profile: RuleProfile, rule: StatusRule, ordinal: int, conflict: bool, base: _Common, reference: str | None
) -> DayResult:
    clash = '; absen pada hari ini diabaikan karena status disetujui' if conflict else ''
    label = f'{rule.name} ({rule.code}, surat {reference})' if reference else f'{rule.name} ({rule.code})'
    if rule.charge is ChargeKind.AS_TK:
        absent = _absent_day(profile, rule.name, base, code=rule.code)
        return absent.model_copy(update={'status_code': rule.code, 'conflict': conflict,
                                         'explanation': absent.explanation + clash})  # fmt: skip
    amount = status_charge(profile, rule, ordinal)
    if rule.charge is ChargeKind.PER_DAY and amount == 0:
        reason = f'{label}: hari ke-{ordinal} dari {rule.free_days_per_month} hari bebas potongan dalam bulan ini'
    elif rule.charge is ChargeKind.PER_DAY:
        reason = f'{label}: potongan {text.amount(amount, profile.unit)}'
    elif rule.charge is ChargeKind.MONTH_TIERS:
        bands = '; '.join(f'{t.code} {_days(t.days_from, t.days_to)} {text.percent(t.deduction_bp)}'
                          for t in rule.month_tiers)  # fmt: skip
        reason = f'{label}: potongan dihitung saat tutup bulan menurut jumlah hari ({bands})'
    elif rule.charge is ChargeKind.EXCLUDED:
        reason = f'{label}: tidak menerima TPP untuk hari ini (dihitung proporsional saat tutup bulan)'
    elif rule.counts_as_present:
        reason = f'{label}: dihitung hadir, tanpa potongan'
    else:
        reason = f'{label}: tanpa potongan'
    return DayResult(
        **base._asdict(),
        category=DayCategory.STATUS,
        codes=(rule.code,),
        status_code=rule.code,
        status_ordinal=ordinal,
        deduction=amount,
        deduction_before_cap=amount,
        conflict=conflict,
        explanation=reason + clash,
    )


def _outage_day(policy: OutagePolicy, base: _Common) -> DayResult:
    if policy is OutagePolicy.OPD_FORFEIT:
        reason = 'Gangguan mesin/sistem (OUT), kebijakan OPD_FORFEIT: TPP OPD untuk bulan ini gugur'
    else:
        reason = 'Gangguan mesin/sistem (OUT), kebijakan FORGIVE: seluruh pegawai OPD dianggap hadir, tanpa potongan'
    return DayResult(
        **base._asdict(),
        category=DayCategory.OUTAGE,
        codes=('OUT',),
        deduction=0,
        deduction_before_cap=0,
        explanation=reason,
    )


OUTAGE_PREFIX = 'Mesin presensi tidak berfungsi (gangguan dikonfirmasi)'


def _manual_verified_day(
    shift: Shift,
    punches_local: Sequence[datetime],
    outage: Outage,
    profile: RuleProfile,
    waiver: StatusRule | None,
    apel_attended: bool | None,
    base: _Common,
) -> DayResult:
    """Price an outage day from the verified manual records, like any other day, and say which record counted."""
    manual = outage.manual
    listed = [t for t in (manual.arrival, manual.departure) if t is not None] if manual else []
    first_in, last_out = pick_scans(shift, [*punches_local, *listed])
    base = base._replace(first_in=first_in, last_out=last_out)
    if first_in is None and last_out is None:
        result = _absent_day(profile, 'Tidak hadir tanpa keterangan', base)
        said = 'tidak ada presensi HP maupun daftar hadir manual yang disetujui'
    else:
        result = _present_day(shift, profile, waiver, first_in, last_out, apel_attended, base)
        said = 'dinilai dari catatan pengganti: ' + ', '.join(
            f'{verb} {moment:%H:%M} ({_source(moment, outage)})'
            for verb, moment in (('masuk', first_in), ('pulang', last_out))
            if moment is not None
        )
    return result.model_copy(update={'explanation': f'{OUTAGE_PREFIX}; {said}: {result.explanation}'})


def _source(moment: datetime, outage: Outage) -> str:
    manual = outage.manual
    if manual is not None and moment in (manual.arrival, manual.departure):
        return f'daftar hadir manual {manual.list_id}'
    if moment in outage.phone:
        return 'presensi HP'
    return 'mesin'


def _absent_day(profile: RuleProfile, name: str, base: _Common, *, code: str = 'TK') -> DayResult:
    amount, prorata = tk_amount(profile)
    cost = text.amount(amount, profile.unit) if not prorata else '1 hari (bagian harian: 100% ÷ jumlah hari kerja)'
    tail = '' if code == 'TK' else ', dihitung sebagai TK'
    return DayResult(
        **base._asdict(),
        category=DayCategory.ABSENT,
        codes=(code,),
        deduction=amount,
        deduction_before_cap=amount,
        prorata_days=prorata,
        explanation=f'{name} ({code}){tail}: potongan {cost}',
    )


def minutes_late(shift: Shift, first_in: datetime, profile: RuleProfile) -> int:
    """Chargeable minutes late before make-up: whole minutes past jam masuk, after the grace rule."""
    raw = max(0, int((first_in - shift.start).total_seconds() // 60))
    if raw <= profile.grace_minutes:
        return 0
    return raw if profile.late_reference is LateReference.NOMINAL else raw - profile.grace_minutes


def minutes_early(shift: Shift, last_out: datetime) -> int:
    return max(0, int((shift.end - last_out).total_seconds() // 60))


def _present_day(
    shift: Shift,
    profile: RuleProfile,
    waiver: StatusRule | None,
    first_in: datetime | None,
    last_out: datetime | None,
    apel_attended: bool | None,
    base: _Common,
) -> DayResult:
    waive_late = waiver is not None and waiver.effect is StatusEffect.WAIVE_LATE
    waive_early = waiver is not None and waiver.effect is StatusEffect.WAIVE_EARLY
    late = 0 if first_in is None or waive_late else minutes_late(shift, first_in, profile)
    early = 0 if last_out is None or waive_early else minutes_early(shift, last_out)
    made_up = 0
    if profile.makeup_mode is MakeupMode.SAME_DAY and 0 < late <= profile.makeup_max_minutes and last_out is not None:
        stayed = int((last_out - shift.end).total_seconds() // 60)
        if stayed >= late:
            made_up, late = late, 0

    parts: list[tuple[str, int, str]] = []  # (code, amount, reason)
    if first_in is None:
        parts.append((profile.missing_check_in.code, profile.missing_check_in.amount, 'tidak absen masuk'))
    elif late:
        parts.append(_tier_part(profile.late, late, 'terlambat'))
    if last_out is None:
        parts.append((profile.missing_check_out.code, profile.missing_check_out.amount, 'tidak absen pulang'))
    elif early:
        parts.append(_tier_part(profile.early, early, 'pulang cepat'))

    worst_late = first_in is None or late >= profile.late.tiers[-1].min_from
    worst_early = last_out is None or early >= profile.early.tiers[-1].min_from
    if profile.lone_scan is LoneScanMode.TK and (first_in is None or last_out is None) and worst_late and worst_early:
        return _absent_day(profile, 'Hanya ada absen di tengah hari, dihitung tidak hadir', base)

    if _apel_missed(shift, profile, first_in, apel_attended):
        parts.append((profile.apel.code, profile.apel.amount, 'tidak mengikuti apel'))

    total = sum(amount for _, amount, _ in parts)
    capped = min(total, profile.daily_cap)
    codes = tuple(code for code, _, _ in parts) or ('H',)
    return DayResult(
        **base._asdict(),
        category=DayCategory.PRESENT,
        minutes_late=late,
        minutes_early=early,
        codes=codes,
        status_code=waiver.code if waiver else None,
        deduction=capped,
        deduction_before_cap=total,
        explanation=_present_reason(profile, parts, total, capped, made_up, waiver),
    )


def _tier_part(table: TierTable, minutes: int, verb: str) -> tuple[str, int, str]:
    tier = table.tier_for(minutes)
    assert tier is not None  # minutes > 0
    return tier.code, tier.amount, f'{verb} {minutes} menit'


def _apel_missed(shift: Shift, profile: RuleProfile, first_in: datetime | None, attended: bool | None) -> bool:
    if not profile.apel.enabled or shift.local_date.weekday() not in profile.apel.weekdays:
        return False
    if attended is not None:
        return not attended
    return first_in is None or first_in > shift.start


def _present_reason(
    profile: RuleProfile,
    parts: list[tuple[str, int, str]],
    total: int,
    capped: int,
    made_up: int,
    waiver: StatusRule | None,
) -> str:
    permit = f' ({waiver.name}, {waiver.code})' if waiver else ''
    if not parts:
        if made_up:
            return f'Terlambat {made_up} menit diganti pulang {made_up} menit lebih lambat (H){permit}: tanpa potongan'
        return f'Hadir tepat waktu (H){permit}: tanpa potongan'
    said = ' dan '.join(f'{reason} ({code})' for code, _, reason in parts)
    said = said[0].upper() + said[1:]
    cost = f'potongan {text.amount(total, profile.unit)}'
    if capped < total:
        cost += f', dibatasi {text.amount(capped, profile.unit)} (batas harian)'
    return f'{said}{permit}: {cost}'


def _days(low: int, high: int | None) -> str:
    if high is None:
        return f'≥{low} hari'
    return f'{low} hari' if low == high else f'{low}–{high} hari'
