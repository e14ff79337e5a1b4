"""The versioned TPP rule profile: every rate, tier, cap and status rule of one pemda, as data.

Units (reference §8, §9.2). Percentages are integer basis points (``1 bp = 0.01 %``, ``10_000 = 100 %``);
money is integer rupiah. A profile's ``unit`` says how its per-day amounts (tiers, missing scans, TK, the
daily cap, per-day status charges, apel) are read:

- ``PERCENT``: basis points of the deduction base (the attendance component, or the whole TPP);
- ``RUPIAH``: rupiah taken from the base (TKK honoraria);
- ``DAILY_SHARE``: basis points of one day's share of the base (base ÷ working days of the month).

Month-level amounts (consecutive TK, sick tiers, manipulation, the monthly cap) are always basis points
of the deduction base, whatever the unit.

Choices where the reference leaves room, and why:

- Minute tiers are closed integer ranges on whole minutes ([1,30], [31,60], [61,90], [91,∞), reference
  §10); a table must start at minute 1, have no gap or overlap, end open, and never get cheaper as the
  minutes grow. A missing scan must cost at least the worst tier, so "no check-in" is the limit of lateness.
- The daily cap must not exceed what an absent day costs, so a present employee never loses more than an
  absent one: with ``tk.mode = FIXED`` the cap is at most the TK amount; with ``PRO_RATA`` in percent the
  cap is at most 100 % ÷ 31 (the longest month). RUPIAH with PRO_RATA is rejected: use DAILY_SHARE,
  which says the same thing exactly.
- The monthly cap bounds every attendance deduction, including manipulation and the consecutive-TK rule,
  so a profile whose penalties exceed its cap is rejected rather than silently clipped.
- The PP 94 conversion of TL/PSW minutes into days (7.5 h = 1 day, PP 53 practice) is off by default,
  because §10 lists it as unverified under PP 94; a pemda turns it on with ``late_minutes_per_day = 450``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, ValidationError

from chalicelib.domain.errors import FieldIssue, ValidationFailed
from chalicelib.domain.models import EmployeeType, Frozen
from chalicelib.domain.tpp.history import MidMonthMode
from chalicelib.domain.tpp.hukdis import HukdisRule, pp94_default, rule_issues

BP_100 = 10_000
LONGEST_MONTH_DAYS = 31

BasisPoints = Annotated[int, Field(ge=0, le=BP_100)]
Amount = Annotated[int, Field(ge=0, le=200_000_000, description='in the profile unit: basis points or rupiah')]
RuleCode = Annotated[str, Field(pattern=r'^[A-Z][A-Z0-9]{0,7}$')]
Label = Annotated[str, Field(min_length=2, max_length=200)]

RESERVED_CODES = frozenset({'H', 'TK', 'OUT', 'APL', 'MNP', 'TK10', 'TKB', 'LIBUR'})


class DeductionBase(StrEnum):
    ATTENDANCE_COMPONENT = 'ATTENDANCE_COMPONENT'
    TOTAL_TPP = 'TOTAL_TPP'


class DeductionUnit(StrEnum):
    PERCENT = 'PERCENT'
    RUPIAH = 'RUPIAH'
    DAILY_SHARE = 'DAILY_SHARE'


class TkMode(StrEnum):
    FIXED = 'FIXED'  # tk.amount per day, in the profile unit
    PRO_RATA = 'PRO_RATA'  # one day's share of the base (base ÷ working days), priced at month close


class LateReference(StrEnum):
    NOMINAL = 'NOMINAL'  # past the grace, minutes count from jam masuk
    TOLERANCE_END = 'TOLERANCE_END'  # past the grace, minutes count from the end of the grace


class MakeupMode(StrEnum):
    NONE = 'NONE'
    SAME_DAY = 'SAME_DAY'  # lateness up to makeup_max_minutes is waived by staying as long after jam pulang


class LoneScanMode(StrEnum):
    TIERS = 'TIERS'  # a lone midday scan is charged as its tiers (TL4 + PSW4)
    TK = 'TK'  # a lone midday scan is an absent day


class OutagePolicy(StrEnum):
    MANUAL_VERIFIED = 'MANUAL_VERIFIED'  # each employee priced from verified manual records (phone, manual list)
    OPD_FORFEIT = 'OPD_FORFEIT'  # Lebong seed: the OPD loses its TPP for the month
    FORGIVE = 'FORGIVE'  # every owed day of the OPD is OUT without deduction, records or not (explicit only)


class StatusEffect(StrEnum):
    FULL_DAY = 'FULL_DAY'  # replaces the punches of the day
    WAIVE_LATE = 'WAIVE_LATE'  # izin terlambat: minutes late are not charged, the scan is still required
    WAIVE_EARLY = 'WAIVE_EARLY'  # izin pulang cepat


class ChargeKind(StrEnum):
    NONE = 'NONE'
    PER_DAY = 'PER_DAY'  # amount per day (profile unit), after free_days_per_month
    AS_TK = 'AS_TK'  # charged and counted exactly like TK (sick without a note)
    MONTH_TIERS = 'MONTH_TIERS'  # flat month deduction chosen by the number of such days (sick tiers)
    EXCLUDED = 'EXCLUDED'  # no TPP for the day: the month is pro-rated by working days (CLTN, tugas belajar)


class Tier(Frozen):
    code: RuleCode
    min_from: int = Field(ge=1, le=24 * 60)
    min_to: int | None = Field(default=None, ge=1, le=24 * 60, description='inclusive; None = open-ended')
    amount: Amount

    def covers(self, minutes: int) -> bool:
        return self.min_from <= minutes and (self.min_to is None or minutes <= self.min_to)


class TierTable(Frozen):
    tiers: tuple[Tier, ...] = Field(min_length=1, max_length=12)

    def tier_for(self, minutes: int) -> Tier | None:
        if minutes <= 0:
            return None
        return next((tier for tier in self.tiers if tier.covers(minutes)), self.tiers[-1])


class TierCharge(Frozen):
    code: RuleCode
    amount: Amount


class MonthTier(Frozen):
    code: RuleCode
    days_from: int = Field(ge=1, le=366)
    days_to: int | None = Field(default=None, ge=1, le=366)
    deduction_bp: BasisPoints

    def covers(self, days: int) -> bool:
        return self.days_from <= days and (self.days_to is None or days <= self.days_to)


class StatusRule(Frozen):
    code: RuleCode
    name: Label
    effect: StatusEffect = StatusEffect.FULL_DAY
    charge: ChargeKind = ChargeKind.NONE
    amount: Amount = 0
    free_days_per_month: int = Field(default=0, ge=0, le=31)
    month_tiers: tuple[MonthTier, ...] = ()
    counts_as_present: bool = False
    proof: str | None = Field(default=None, max_length=200, description='what the approver must see')
    employee_types: tuple[EmployeeType, ...] = Field(default=(), description='empty = every type of the profile')

    def applies_to(self, employee_type: EmployeeType) -> bool:
        return not self.employee_types or employee_type in self.employee_types


class TkRule(Frozen):
    mode: TkMode = TkMode.FIXED
    amount: Amount = 500
    consecutive_days: int | None = Field(default=10, ge=2, le=31)
    consecutive_deduction_bp: BasisPoints = BP_100
    whole_month_forfeit: DeductionBase | None = Field(
        default=DeductionBase.ATTENDANCE_COMPONENT, description='a month with every working day TK loses this'
    )


class ApelRule(Frozen):
    enabled: bool = False
    code: RuleCode = 'APL'
    weekdays: tuple[int, ...] = Field(default=(0,), description='0 = Monday')
    amount: Amount = 200


class OutageRule(Frozen):
    policy: OutagePolicy = OutagePolicy.MANUAL_VERIFIED
    forfeit_scope: DeductionBase = Field(
        default=DeductionBase.TOTAL_TPP, description='what OPD_FORFEIT takes for the month (Lebong: "OPD tanpa TPP")'
    )


class ManipulationRule(Frozen):
    attendance_deduction_bp: BasisPoints = BP_100
    escalate_to_discipline: bool = False


class DisciplineThreshold(Frozen):
    days_from: int = Field(ge=1, le=366)
    days_to: int | None = Field(default=None, ge=1, le=366)
    sanction: Label


class DisciplineRule(Frozen):
    thresholds: tuple[DisciplineThreshold, ...] = Field(min_length=1)
    consecutive_days: int = Field(default=10, ge=2, le=31)
    consecutive_sanction: Label
    late_minutes_per_day: int | None = Field(default=None, ge=60, le=24 * 60)


class RuleProfile(Frozen):
    profile_id: Annotated[str, Field(pattern=r'^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$')]
    version: int = Field(ge=1)
    name: Label
    legal_basis: Annotated[str, Field(min_length=3, max_length=1000)]
    effective_from: date
    effective_to: date | None = None
    employee_types: tuple[EmployeeType, ...] = Field(min_length=1)

    performance_weight_bp: BasisPoints = 6_000
    attendance_weight_bp: BasisPoints = 4_000
    status_factor_bp: BasisPoints = BP_100
    deduction_base: DeductionBase = DeductionBase.ATTENDANCE_COMPONENT
    unit: DeductionUnit = DeductionUnit.PERCENT

    late: TierTable
    early: TierTable
    missing_check_in: TierCharge
    missing_check_out: TierCharge
    lone_scan: LoneScanMode = LoneScanMode.TIERS
    grace_minutes: int = Field(default=0, ge=0, le=120)
    late_reference: LateReference = LateReference.NOMINAL
    makeup_mode: MakeupMode = MakeupMode.NONE
    makeup_max_minutes: int = Field(default=30, ge=0, le=240)

    tk: TkRule = TkRule()
    daily_cap: Amount = 500
    monthly_cap_bp: BasisPoints = BP_100

    statuses: tuple[StatusRule, ...] = ()
    apel: ApelRule = ApelRule()
    outage: OutageRule = OutageRule()
    manipulation: ManipulationRule = ManipulationRule()
    discipline: DisciplineRule
    hukdis: HukdisRule = Field(default_factory=pp94_default, description='hukuman disiplin table (§9 item 15)')
    mid_month: MidMonthMode = Field(default=MidMonthMode.WORKING_DAYS, description='pro-rating of a changed month')

    def status(self, code: str) -> StatusRule | None:
        return next((rule for rule in self.statuses if rule.code == code), None)

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


# --- consistency ---------------------------------------------------------------------------------


def profile_issues(profile: RuleProfile) -> tuple[FieldIssue, ...]:
    """Every inconsistency of a structurally valid profile, each with the path of the offending field."""
    issues: list[FieldIssue] = []
    if profile.performance_weight_bp + profile.attendance_weight_bp != BP_100:
        issues.append(FieldIssue('attendance_weight_bp', 'performance and attendance weights must sum to 10000 bp'))
    if profile.effective_to is not None and profile.effective_to < profile.effective_from:
        issues.append(FieldIssue('effective_to', 'must not be before effective_from'))
    if len(set(profile.employee_types)) != len(profile.employee_types):
        issues.append(FieldIssue('employee_types', 'an employee type is listed twice'))
    issues += _tier_table_issues('late', profile.late)
    issues += _tier_table_issues('early', profile.early)
    issues += _missing_scan_issues(profile)
    issues += _unit_issues(profile)
    issues += _cap_issues(profile)
    issues += _status_issues(profile)
    issues += _apel_issues(profile)
    issues += _discipline_issues(profile)
    issues += _hukdis_issues(profile)
    return tuple(issues)


def validate_profile(profile: RuleProfile) -> RuleProfile:
    """Return the profile if it is consistent; raise ValidationFailed listing every issue otherwise."""
    issues = profile_issues(profile)
    if issues:
        raise ValidationFailed(f'rule profile {profile.profile_id} v{profile.version} is inconsistent', fields=issues)
    return profile


def parse_profile(data: Mapping[str, Any]) -> RuleProfile:
    """Parse JSON-shaped data into a consistent profile; structural and consistency errors carry field paths."""
    try:
        profile = RuleProfile.model_validate(data)
    except ValidationError as exc:
        fields = tuple(
            FieldIssue(_path(err['loc']) or 'profile', err['msg'].removeprefix('Value error, ')) for err in exc.errors()
        )
        raise ValidationFailed('rule profile has invalid fields', fields=fields) from None
    return validate_profile(profile)


def profile_set_issues(profiles: Sequence[RuleProfile]) -> tuple[FieldIssue, ...]:
    """Profiles of the same employee type must not be in force on the same day (one answer per day)."""
    issues: list[FieldIssue] = []
    for i, first in enumerate(profiles):
        for j in range(i + 1, len(profiles)):
            second = profiles[j]
            shared = set(first.employee_types) & set(second.employee_types)
            if shared and _ranges_overlap(first, second):
                types = ', '.join(sorted(shared))
                issues.append(
                    FieldIssue(f'profiles[{j}].effective_from', f'overlaps profiles[{i}] for {types}'),
                )
    return tuple(issues)


def profile_in_force(profiles: Iterable[RuleProfile], employee_type: EmployeeType, day: date) -> RuleProfile | None:
    candidates = [p for p in profiles if employee_type in p.employee_types and p.in_force(day)]
    return max(candidates, key=lambda p: (p.effective_from, p.version), default=None)


def _ranges_overlap(a: RuleProfile, b: RuleProfile) -> bool:
    far = date.max
    return a.effective_from <= (b.effective_to or far) and b.effective_from <= (a.effective_to or far)


def _path(loc: Iterable[int | str]) -> str:
    out = ''
    for part in loc:
        out += f'[{part}]' if isinstance(part, int) else (f'.{part}' if out else part)
    return out


def _tier_table_issues(name: str, table: TierTable) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    expected_from = 1
    for i, tier in enumerate(table.tiers):
        where = f'{name}.tiers[{i}]'
        if tier.min_from != expected_from:
            kind = 'a gap' if tier.min_from > expected_from else 'an overlap'
            issues.append(FieldIssue(f'{where}.min_from', f'{kind}: expected {expected_from}, got {tier.min_from}'))
        last = i == len(table.tiers) - 1
        if tier.min_to is None and not last:
            issues.append(FieldIssue(f'{where}.min_to', 'only the last tier may be open-ended'))
        if tier.min_to is not None and last:
            issues.append(FieldIssue(f'{where}.min_to', 'the last tier must be open-ended (null)'))
        if tier.min_to is not None and tier.min_to < tier.min_from:
            issues.append(FieldIssue(f'{where}.min_to', 'must not be below min_from'))
        if i and tier.amount < table.tiers[i - 1].amount:
            issues.append(FieldIssue(f'{where}.amount', 'a longer tier must not cost less than a shorter one'))
        expected_from = (tier.min_to or tier.min_from) + 1
    codes = [tier.code for tier in table.tiers]
    if len(set(codes)) != len(codes):
        issues.append(FieldIssue(f'{name}.tiers', 'tier codes must be unique'))
    return issues


def _missing_scan_issues(profile: RuleProfile) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    for field, charge, table in (
        ('missing_check_in', profile.missing_check_in, profile.late),
        ('missing_check_out', profile.missing_check_out, profile.early),
    ):
        if charge.amount < table.tiers[-1].amount:
            issues.append(FieldIssue(f'{field}.amount', 'a missing scan must cost at least the worst tier'))
    return issues


def _day_amounts(profile: RuleProfile) -> list[tuple[str, int]]:
    amounts = [(f'late.tiers[{i}].amount', t.amount) for i, t in enumerate(profile.late.tiers)]
    amounts += [(f'early.tiers[{i}].amount', t.amount) for i, t in enumerate(profile.early.tiers)]
    amounts += [('missing_check_in.amount', profile.missing_check_in.amount)]
    amounts += [('missing_check_out.amount', profile.missing_check_out.amount)]
    amounts += [
        ('tk.amount', profile.tk.amount),
        ('daily_cap', profile.daily_cap),
        ('apel.amount', profile.apel.amount),
    ]
    amounts += [(f'statuses[{i}].amount', s.amount) for i, s in enumerate(profile.statuses)]
    return amounts


def _unit_issues(profile: RuleProfile) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    if profile.unit is not DeductionUnit.RUPIAH:
        issues += [
            FieldIssue(path, 'a percentage cannot exceed 10000 bp') for path, v in _day_amounts(profile) if v > BP_100
        ]
    if profile.unit is DeductionUnit.RUPIAH and profile.tk.mode is TkMode.PRO_RATA:
        issues.append(FieldIssue('tk.mode', 'PRO_RATA needs a percentage unit; use unit DAILY_SHARE for day-based pay'))
    return issues


def _cap_issues(profile: RuleProfile) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    if profile.monthly_cap_bp == 0:
        issues.append(FieldIssue('monthly_cap_bp', 'must be above 0'))
    if profile.tk.mode is TkMode.FIXED:
        absent_day, why = profile.tk.amount, 'tk.amount'
    elif profile.unit is DeductionUnit.DAILY_SHARE:
        absent_day, why = BP_100, 'one daily share'
    else:
        absent_day, why = BP_100 // LONGEST_MONTH_DAYS, 'one day of a 31-day month'
    if profile.daily_cap > absent_day:
        issues.append(FieldIssue('daily_cap', f'a present day must not cost more than an absent one ({why})'))
    if profile.daily_cap == 0:
        issues.append(FieldIssue('daily_cap', 'must be above 0 (use tier amounts of 0 to charge nothing)'))
    for path, value in (
        ('manipulation.attendance_deduction_bp', profile.manipulation.attendance_deduction_bp),
        ('tk.consecutive_deduction_bp', profile.tk.consecutive_deduction_bp),
    ):
        if value > profile.monthly_cap_bp:
            issues.append(FieldIssue(path, 'exceeds monthly_cap_bp'))
    for i, rule in enumerate(profile.statuses):
        for k, month_tier in enumerate(rule.month_tiers):
            if month_tier.deduction_bp > profile.monthly_cap_bp:
                issues.append(FieldIssue(f'statuses[{i}].month_tiers[{k}].deduction_bp', 'exceeds monthly_cap_bp'))
    return issues


def _status_issues(profile: RuleProfile) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    taken = set(RESERVED_CODES)
    taken |= {t.code for t in profile.late.tiers} | {t.code for t in profile.early.tiers}
    taken |= {profile.missing_check_in.code, profile.missing_check_out.code, profile.apel.code}
    seen: set[str] = set()
    for i, rule in enumerate(profile.statuses):
        where = f'statuses[{i}]'
        if rule.code in taken or rule.code in seen:
            issues.append(FieldIssue(f'{where}.code', f'{rule.code} is already used by another rule'))
        seen.add(rule.code)
        if rule.charge is not ChargeKind.PER_DAY and (rule.amount or rule.free_days_per_month):
            issues.append(FieldIssue(f'{where}.amount', 'amount and free days apply only to PER_DAY charges'))
        if (rule.charge is ChargeKind.MONTH_TIERS) != bool(rule.month_tiers):
            issues.append(FieldIssue(f'{where}.month_tiers', 'month tiers go with (and only with) MONTH_TIERS'))
        if rule.effect is not StatusEffect.FULL_DAY and rule.charge is not ChargeKind.NONE:
            issues.append(FieldIssue(f'{where}.charge', 'a partial-day waiver cannot carry its own charge'))
        if rule.counts_as_present and rule.charge is not ChargeKind.NONE:
            issues.append(FieldIssue(f'{where}.counts_as_present', 'a day counted present carries no charge'))
        stray = set(rule.employee_types) - set(profile.employee_types)
        if stray:
            issues.append(FieldIssue(f'{where}.employee_types', f'not covered by the profile: {sorted(stray)}'))
        issues += _day_band_issues(
            f'{where}.month_tiers', [(t.days_from, t.days_to) for t in rule.month_tiers], start=1
        )
        codes = [t.code for t in rule.month_tiers]
        if len(set(codes)) != len(codes):
            issues.append(FieldIssue(f'{where}.month_tiers', 'tier codes must be unique'))
    return issues


def _day_band_issues(where: str, bands: list[tuple[int, int | None]], *, start: int | None) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    expected = start if start is not None else (bands[0][0] if bands else 1)
    for i, (low, high) in enumerate(bands):
        if low != expected:
            kind = 'a gap' if low > expected else 'an overlap'
            issues.append(FieldIssue(f'{where}[{i}].days_from', f'{kind}: expected {expected}, got {low}'))
        if high is not None and high < low:
            issues.append(FieldIssue(f'{where}[{i}].days_to', 'must not be below days_from'))
        last = i == len(bands) - 1
        if (high is None) != last:
            message = 'the last band must be open-ended (null)' if last else 'only the last band may be open-ended'
            issues.append(FieldIssue(f'{where}[{i}].days_to', message))
        expected = (high or low) + 1
    return issues


def _apel_issues(profile: RuleProfile) -> list[FieldIssue]:
    days = profile.apel.weekdays
    if any(d < 0 or d > 6 for d in days) or len(set(days)) != len(days):
        return [FieldIssue('apel.weekdays', 'weekdays are distinct numbers 0 (Monday) to 6 (Sunday)')]
    return []


def _hukdis_issues(profile: RuleProfile) -> list[FieldIssue]:
    taken = set(RESERVED_CODES) | {s.code for s in profile.statuses}
    taken |= {t.code for t in profile.late.tiers} | {t.code for t in profile.early.tiers}
    taken |= {t.code for s in profile.statuses for t in s.month_tiers}
    return rule_issues(profile.hukdis, taken)


def _discipline_issues(profile: RuleProfile) -> list[FieldIssue]:
    bands = [(t.days_from, t.days_to) for t in profile.discipline.thresholds]
    return _day_band_issues('discipline.thresholds', bands, start=None)
