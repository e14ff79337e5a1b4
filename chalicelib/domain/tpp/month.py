"""Month close for one employee: performance part, attendance part, capped deductions, TPP bruto in rupiah.

Formula (reference §8.1)::

    PAGU    = tpp_ceiling × status_factor × (working days not excluded ÷ working days)
    K_BASE  = PAGU × W_K            D_BASE = PAGU × W_D
    potongan = min(monthly_cap, max(Σ day deductions + month rules, TK10, whole-month TK, MNP, forfeit))
    deduction (rupiah) = potongan × (D_BASE, or PAGU when deduction_base = TOTAL_TPP)
    TPP bruto = K_BASE × skor + D_BASE − deduction − hukuman disiplin overlay       (never below 0)

Day amounts are summed in the profile unit and turned into a fraction of the deduction base: percent as
bp ÷ 10 000; daily share as bp ÷ 10 000 ÷ working days; rupiah as rupiah ÷ base.

**Rounding (the one rule).** Everything is computed exactly with fractions. Each of four amounts is rounded
once, half up to the rupiah, at the end: the performance part, the attendance base, the deduction and the
discipline overlay. Every other column (attendance part, TPP bruto) is a sum or difference of those
rounded amounts, so a finance CSV row reconciles to the rupiah. Percentages shown (``deduction_percent``)
are rounded half up to 0.01 % for display only; they are never used to compute money.

Choices where the reference leaves room, and why:

- With ``deduction_base = TOTAL_TPP`` the deduction comes out of the attendance part first, then the
  performance part; neither goes below zero.
- A day-level exclusion status (CLTN, tugas belajar, suspension on some days) pro-rates PAGU by working
  days; ``MonthFlags.excluded_status`` (the whole month) makes everything 0.
- TK10 counts consecutive *working* days with TK (or a status charged as TK); days off do not break a
  streak, any other working day does. It is checked within the month; a streak across months is the
  discipline side's business (``discipline_alert`` takes the yearly figures).
- A sick-with-note tier (SK1–SK3) is a flat month amount chosen by the number of such days in the month.
- The hukuman disiplin overlay comes from the decisions in force in the month (``hukdis.py``: the table, the
  months a decision covers, the sum capped at 100 %); its kind codes join the month rules (rincian).
- A month cut by a mid-month change (transfer, TMT, leaving, promotion) is priced in parts (``midmonth.py``):
  the deductions are judged on the whole month and each part bears them in proportion to its PAGU.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Protocol

from pydantic import Field

from chalicelib.domain.errors import FieldIssue, ValidationFailed
from chalicelib.domain.models import EmployeeType, Frozen
from chalicelib.domain.tpp import text
from chalicelib.domain.tpp.day import DayCategory, DayResult, status_charge
from chalicelib.domain.tpp.profile import (
    BP_100,
    ChargeKind,
    DeductionBase,
    DeductionUnit,
    OutagePolicy,
    RuleProfile,
    StatusRule,
)

ZERO = Fraction(0)
ONE = Fraction(1)
MISSING_SCORE_NOTE = (
    'Skor kinerja belum diimpor untuk bulan ini: bagian kinerja Rp0 (dibayar setelah skor diimpor dan bulan '
    'ditutup ulang)'
)


class Payee(Protocol):
    @property
    def employee_type(self) -> EmployeeType: ...

    @property
    def tpp_ceiling(self) -> int: ...


class MonthFlags(Frozen):
    manipulation_confirmed: bool = False
    excluded_status: str | None = Field(default=None, max_length=40, description='CLTN, BS... for the whole month')
    discipline_cut_bp: int = Field(default=0, ge=0, le=BP_100, description='hukuman disiplin overlay, bp of PAGU')
    discipline_labels: tuple[str, ...] = Field(default=(), description='the decisions in force (hukdis.month_overlay)')
    discipline_codes: tuple[str, ...] = Field(default=(), description='their kind codes, shown in rincian')


class MonthResult(Frozen):
    profile_id: str
    profile_version: int
    employee_type: EmployeeType
    working_days: int
    excluded_days: int
    pagu: int
    performance_score: Decimal | None = Field(description='None: no score was imported for the month (part 0)')
    performance_base: int
    performance_part: int
    attendance_base: int
    deduction_percent: Decimal = Field(description='potongan, % of the deduction base, 2 decimals, display only')
    deduction: int
    attendance_part: int
    discipline_cut: int
    tpp_bruto: int
    counts: dict[str, int]
    month_rules: tuple[str, ...]
    tk_days: int
    max_consecutive_tk: int
    leading_tk_days: int = Field(default=0, description='TK streak from the first owed day (a streak across months)')
    trailing_tk_days: int = Field(default=0, description='TK streak up to the last owed day')
    late_early_minutes: int
    capped: bool
    notes: tuple[str, ...]

    @property
    def rincian(self) -> str:
        """The breakdown column of the finance CSV: ``TL1×2, PSW2×1, TK×1``."""
        return ', '.join([f'{code}×{n}' for code, n in self.counts.items()] + list(self.month_rules))


class DisciplineAlert(Frozen):
    tk_days: int
    consecutive_tk_days: int
    late_days: int
    sanction: str
    reason: str


def compute_month(
    employee: Payee,
    day_results: Sequence[DayResult],
    performance_score: Decimal | None,
    flags: MonthFlags,
    profile: RuleProfile,
    *,
    pagu_share: Fraction = ONE,
) -> MonthResult:
    """Close one employee's month.

    Parameters
    ----------
    employee: anything with ``employee_type`` and ``tpp_ceiling`` (the PAGU, or the TKK honorarium).
    day_results: one DayResult per owed shift of the month (days off are not evaluated), any order.
    performance_score: the e-kinerja/SKP score, a Decimal percentage in [0, 100]; None when none was imported:
        the performance part is then 0 (never a default of 100 %, which would pay public money unearned) and
        the month says so, so a close after the import pays it.
    flags: month-level facts decided by people (confirmed manipulation, status exclusion, discipline overlay).
    profile: the rule profile in force for the month (validated).
    pagu_share: what PAGU is multiplied by before anything is priced: 1 for a whole month; a month split by
        mid-month changes is priced on its running sums of parts (``midmonth.py``).
    """
    _check_inputs(employee, performance_score, profile)
    days = sorted(day_results, key=lambda d: d.local_date)
    working_days = len(days)
    statuses = {rule.code: rule for rule in profile.statuses}
    excluded_days = sum(1 for d in days if d.status_code and _charge(statuses, d.status_code) is ChargeKind.EXCLUDED)
    notes: list[str] = []
    rules: list[str] = []

    paid = ONE if not working_days else Fraction(working_days - excluded_days, working_days)
    if flags.excluded_status:
        paid = ZERO
        notes.append(f'Status {flags.excluded_status}: tidak menerima TPP bulan ini')
    elif excluded_days:
        notes.append(f'{excluded_days} dari {working_days} hari kerja tanpa TPP (dihitung proporsional)')
    pagu = Fraction(employee.tpp_ceiling) * Fraction(profile.status_factor_bp, BP_100) * paid * pagu_share
    k_base = pagu * Fraction(profile.performance_weight_bp, BP_100)
    d_base = pagu * Fraction(profile.attendance_weight_bp, BP_100)
    base = d_base if profile.deduction_base is DeductionBase.ATTENDANCE_COMPONENT else pagu

    tk_days = sum(1 for d in days if d.category is DayCategory.ABSENT)
    streak = _longest_tk_streak(days)
    share, status_lines = _day_share(days, statuses, profile, base, working_days)
    notes += status_lines
    share += _month_tiers(days, statuses, rules, notes)

    floor, total_forfeit = ZERO, False
    if profile.tk.consecutive_days and streak >= profile.tk.consecutive_days:
        floor = max(floor, Fraction(profile.tk.consecutive_deduction_bp, BP_100))
        rules.append('TK10')
        rate = text.percent(profile.tk.consecutive_deduction_bp)
        notes.append(f'TK {streak} hari kerja berturut-turut (TK10): potongan {rate}')
    if working_days and tk_days == working_days and profile.tk.whole_month_forfeit is not None:
        rules.append('TKB')
        notes.append('Tidak hadir tanpa keterangan sebulan penuh (TKB)')
        if profile.tk.whole_month_forfeit is DeductionBase.TOTAL_TPP:
            total_forfeit = True
        floor = max(floor, ONE)
    if flags.manipulation_confirmed:
        floor = max(floor, Fraction(profile.manipulation.attendance_deduction_bp, BP_100))
        rules.append('MNP')
        rate = text.percent(profile.manipulation.attendance_deduction_bp)
        notes.append(f'Manipulasi presensi terbukti (MNP): potongan {rate} bagian kehadiran')
    if profile.outage.policy is OutagePolicy.OPD_FORFEIT and any(d.forfeit for d in days):
        rules.append('OUT')
        notes.append('Gangguan mesin/sistem dengan kebijakan OPD_FORFEIT: TPP gugur')
        if profile.outage.forfeit_scope is DeductionBase.TOTAL_TPP:
            total_forfeit = True
        floor = max(floor, ONE)

    cap = Fraction(profile.monthly_cap_bp, BP_100)
    potongan = min(cap, max(share, floor))
    capped = max(share, floor) > cap
    if capped:
        notes.append(f'Potongan dibatasi {text.percent(profile.monthly_cap_bp)} (batas bulanan)')

    if performance_score is None and profile.performance_weight_bp:
        notes.append(MISSING_SCORE_NOTE)
    score = Fraction(performance_score or 0) / 100
    perf = k_base * score
    attendance_base = round_half_up(d_base)
    deduction = round_half_up(min(potongan * base, d_base + perf))
    from_attendance = min(deduction, attendance_base)
    performance_part = max(0, round_half_up(perf) - (deduction - from_attendance))
    attendance_part = attendance_base - from_attendance
    cut = round_half_up(pagu * Fraction(flags.discipline_cut_bp, BP_100))
    if cut:
        which = f' ({"; ".join(flags.discipline_labels)})' if flags.discipline_labels else ''
        notes.append(
            f'Hukuman disiplin{which}: potongan {text.percent(flags.discipline_cut_bp)} dari TPP ({text.rupiah(cut)})'
        )
        rules += [code for code in flags.discipline_codes if code not in rules]
    bruto = max(0, performance_part + attendance_part - cut)
    if total_forfeit:
        performance_part = attendance_part = bruto = 0

    return MonthResult(
        profile_id=profile.profile_id,
        profile_version=profile.version,
        employee_type=employee.employee_type,
        working_days=working_days,
        excluded_days=excluded_days,
        pagu=employee.tpp_ceiling,
        performance_score=performance_score,
        performance_base=round_half_up(k_base),
        performance_part=performance_part,
        attendance_base=attendance_base,
        deduction_percent=_display_percent(potongan),
        deduction=deduction,
        attendance_part=attendance_part,
        discipline_cut=cut,
        tpp_bruto=bruto,
        counts=_counts(days),
        month_rules=tuple(rules),
        tk_days=tk_days,
        max_consecutive_tk=streak,
        leading_tk_days=_tk_run(days),
        trailing_tk_days=_tk_run(days[::-1]),
        late_early_minutes=sum(d.minutes_late + d.minutes_early for d in days),
        capped=capped,
        notes=tuple(notes),
    )


def round_half_up(value: Fraction) -> int:
    """The one rounding rule: half up to Rp1 (values here are never negative)."""
    return int((value * 2 + 1) // 2)


def discipline_alert(
    profile: RuleProfile, yearly_tk_days: int, consecutive_tk_days: int = 0, yearly_late_early_minutes: int = 0
) -> DisciplineAlert | None:
    """The PP 94 sanction the yearly TK count (plus converted TL/PSW minutes, if enabled) points to; alert only."""
    rule = profile.discipline
    late_days = yearly_late_early_minutes // rule.late_minutes_per_day if rule.late_minutes_per_day else 0
    days = yearly_tk_days + late_days
    if consecutive_tk_days >= rule.consecutive_days:
        sanction, why = rule.consecutive_sanction, f'TK {consecutive_tk_days} hari berturut-turut'
    else:
        band = next((t for t in reversed(rule.thresholds) if days >= t.days_from), None)
        if band is None:
            return None
        sanction, why = band.sanction, f'TK {yearly_tk_days} hari dalam setahun'
        if late_days:
            why += f' ditambah {late_days} hari dari akumulasi terlambat/pulang cepat'
    return DisciplineAlert(
        tk_days=yearly_tk_days, consecutive_tk_days=consecutive_tk_days, late_days=late_days, sanction=sanction,
        reason=f'{why}: rekomendasi pemeriksaan ({sanction})',
    )  # fmt: skip


def _check_inputs(employee: Payee, score: Decimal | None, profile: RuleProfile) -> None:
    if employee.employee_type not in profile.employee_types:
        issue = FieldIssue('employee_type', f'profile {profile.profile_id} does not cover {employee.employee_type}')
        raise ValidationFailed('the rule profile does not apply to this employee', fields=(issue,))
    if score is not None and (not score.is_finite() or not Decimal(0) <= score <= Decimal(100)):
        issue = FieldIssue('performance_score', 'must be a percentage from 0 to 100')
        raise ValidationFailed('invalid performance score', fields=(issue,))


def _charge(statuses: dict[str, StatusRule], code: str) -> ChargeKind | None:
    rule = statuses.get(code)
    return rule.charge if rule else None


def _day_share(
    days: list[DayResult], statuses: dict[str, StatusRule], profile: RuleProfile, base: Fraction, working_days: int
) -> tuple[Fraction, list[str]]:
    """Σ of day deductions as a fraction of the base; free-day status charges are recomputed in date order."""
    seen: Counter[str] = Counter()
    amount = 0
    prorata = 0
    lines: list[str] = []
    for d in days:
        rule = statuses.get(d.status_code) if d.status_code else None
        if rule is not None and d.category is DayCategory.STATUS and rule.charge is ChargeKind.PER_DAY:
            seen[rule.code] += 1
            amount += status_charge(profile, rule, seen[rule.code])
        else:
            amount += d.deduction
        prorata += d.prorata_days
    for code, n in seen.items():
        rule = statuses[code]
        if rule.free_days_per_month:
            free = min(n, rule.free_days_per_month)
            lines.append(f'{rule.name} ({code}) {n} hari: {free} hari pertama bebas potongan')
    if profile.unit is DeductionUnit.PERCENT:
        share = Fraction(amount, BP_100)
    elif profile.unit is DeductionUnit.DAILY_SHARE:
        share = Fraction(amount, BP_100 * working_days) if working_days else ZERO
    else:
        share = Fraction(amount) / base if base else ZERO
    if prorata and working_days:
        share += Fraction(prorata, working_days)
    return share, lines


def _month_tiers(
    days: list[DayResult], statuses: dict[str, StatusRule], rules: list[str], notes: list[str]
) -> Fraction:
    share = ZERO
    counted = Counter(d.status_code for d in days if d.status_code and d.category is DayCategory.STATUS)
    for code, n in counted.items():
        rule = statuses.get(code)
        tier = next((t for t in rule.month_tiers if t.covers(n)), None) if rule else None
        if tier is None:
            continue
        share += Fraction(tier.deduction_bp, BP_100)
        rules.append(tier.code)
        notes.append(f'{code} {n} hari dalam bulan ini ({tier.code}): potongan {text.percent(tier.deduction_bp)}')
    return share


def _tk_run(days: list[DayResult]) -> int:
    return next((i for i, d in enumerate(days) if d.category is not DayCategory.ABSENT), len(days))


def _longest_tk_streak(days: list[DayResult]) -> int:
    longest = run = 0
    for d in days:
        run = run + 1 if d.category is DayCategory.ABSENT else 0
        longest = max(longest, run)
    return longest


def _counts(days: list[DayResult]) -> dict[str, int]:
    counted = Counter(code for d in days for code in d.codes if code != 'H')
    return dict(sorted(counted.items(), key=lambda item: _code_order(item[0])))


def _code_order(code: str) -> tuple[int, str]:
    for rank, prefix in enumerate(('TL', 'PSW', 'TK', 'APL', 'OUT')):
        if code.startswith(prefix):
            return rank, code
    return 9, code


def _display_percent(value: Fraction) -> Decimal:
    exact = Decimal(value.numerator * 100) / Decimal(value.denominator)
    return exact.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)
