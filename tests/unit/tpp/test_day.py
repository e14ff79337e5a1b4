"""Worked examples of the day close, each computed by hand from the default profile (reference §8).

Monday 5 January 2026 is a 5HK day: jam masuk 07:30, jam pulang 16:00; Friday 9 January ends at 16:30.
Amounts are basis points of the attendance component (50 = 0,50 %).
"""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.tpp.day import DayCategory, evaluate_day
from chalicelib.domain.tpp.schedule import EmployeeSchedule, Roster, RosterDay, ShiftCode
from tests.unit.tpp.support import FRIDAY, MONDAY, PROFILE, at, evaluate, shift_on, variant

# (check-in, check-out, codes, deduction bp, minutes late, minutes early); arithmetic in the comment
PUNCH_TABLE = [
    ('07:25', '16:05', ('H',), 0, 0, 0),  # on time both ways → H, 0
    ('07:30:59', '16:00', ('H',), 0, 0, 0),  # 59 s late floors to 0 min → H
    ('07:31', '16:00', ('TL1',), 50, 1, 0),  # 1 min ∈ [1,30] → TL1 0,50 %
    ('08:00', '16:00', ('TL1',), 50, 30, 0),  # 30 min ∈ [1,30] → TL1
    ('08:01', '16:00', ('TL2',), 100, 31, 0),  # 31 min ∈ [31,60] → TL2 1,00 %
    ('08:30', '16:00', ('TL2',), 100, 60, 0),  # 60 min → TL2
    ('08:31', '16:00', ('TL3',), 125, 61, 0),  # 61 min ∈ [61,90] → TL3 1,25 %
    ('09:00', '16:00', ('TL3',), 125, 90, 0),  # 90 min → TL3
    ('09:01', '16:00', ('TL4',), 150, 91, 0),  # 91 min ∈ [91,∞) → TL4 1,50 %
    ('07:00', '15:59:01', ('H',), 0, 0, 0),  # 59 s early floors to 0 min → H
    ('07:00', '15:59', ('PSW1',), 50, 0, 1),  # 1 min early → PSW1 0,50 %
    ('07:00', '15:30', ('PSW1',), 50, 0, 30),  # 30 min → PSW1
    ('07:00', '15:29', ('PSW2',), 100, 0, 31),  # 31 min → PSW2 1,00 %
    ('07:00', '15:00', ('PSW2',), 100, 0, 60),  # 60 min → PSW2
    ('07:00', '14:59', ('PSW3',), 125, 0, 61),  # 61 min → PSW3 1,25 %
    ('07:00', '14:30', ('PSW3',), 125, 0, 90),  # 90 min → PSW3
    ('07:00', '14:29', ('PSW4',), 150, 0, 91),  # 91 min → PSW4 1,50 %
    ('08:15', '15:10', ('TL2', 'PSW2'), 200, 45, 50),  # 45 → TL2 100 + 50 → PSW2 100 = 200 (2,00 %)
    ('09:45', '13:00', ('TL4', 'PSW4'), 300, 135, 180),  # 150 + 150 = 300 (3,00 %) ≤ daily cap 500
]


@pytest.mark.parametrize(('check_in', 'check_out', 'codes', 'bp', 'late', 'early'), PUNCH_TABLE)
def test_punch_table_of_the_default_profile(
    check_in: str, check_out: str, codes: tuple[str, ...], bp: int, late: int, early: int
) -> None:
    # Given a Monday with a check-in and a check-out; When evaluated; Then the tiers are as computed by hand
    result = evaluate(MONDAY, check_in, check_out)
    assert (result.codes, result.deduction, result.minutes_late, result.minutes_early) == (codes, bp, late, early)
    assert result.category is DayCategory.PRESENT


def test_explanation_cites_the_rule_code_in_bahasa_indonesia() -> None:
    assert evaluate(MONDAY, '08:15', '16:00').explanation == 'Terlambat 45 menit (TL2): potongan 1,00%'
    assert evaluate(MONDAY, '07:20', '16:00').explanation == 'Hadir tepat waktu (H): tanpa potongan'
    assert evaluate(MONDAY, '08:15', '15:10').explanation == (
        'Terlambat 45 menit (TL2) dan pulang cepat 50 menit (PSW2): potongan 2,00%'
    )


def test_friday_ends_at_half_past_four() -> None:
    # Given Friday's jam pulang 16:30; When leaving at 16:00; Then 30 min early → PSW1 0,50 %
    result = evaluate(FRIDAY, '07:20', '16:00')
    assert (result.codes, result.deduction, result.minutes_early) == (('PSW1',), 50, 30)


def test_no_check_in_is_tl4_and_no_check_out_is_psw4() -> None:
    # Given only a 16:05 punch (check-out window) → missing check-in = TL4 1,50 %
    only_out = evaluate(MONDAY, '16:05')
    assert (only_out.codes, only_out.deduction, only_out.first_in) == (('TL4',), 150, None)
    assert only_out.explanation == 'Tidak absen masuk (TL4): potongan 1,50%'
    # Given only a 07:20 punch (check-in window) → missing check-out = PSW4 1,50 %
    only_in = evaluate(MONDAY, '07:20')
    assert (only_in.codes, only_in.deduction, only_in.last_out) == (('PSW4',), 150, None)


def test_no_scan_at_all_is_tk() -> None:
    # Given no punch and no status; Then TK 5,00 %
    result = evaluate(MONDAY)
    assert (result.category, result.codes, result.deduction) == (DayCategory.ABSENT, ('TK',), 500)
    assert result.explanation == 'Tidak hadir tanpa keterangan (TK): potongan 5,00%'


def test_device_labels_are_ignored_first_in_and_last_out_count() -> None:
    # Given punches in any order, some of them duplicates or midday scans
    result = evaluate(MONDAY, '16:02', '07:28', '12:30', '07:35', '13:10')
    # Then the first punch of the check-in window and the last of the check-out window count
    assert (result.first_in, result.last_out, result.codes) == (at(MONDAY, '07:28'), at(MONDAY, '16:02'), ('H',))


def test_punches_outside_the_scan_windows_do_not_count() -> None:
    # Given a 05:30 punch (before 06:00) and a 16:05 check-out; Then the check-in is missing → TL4
    result = evaluate(MONDAY, '05:30', '16:05')
    assert (result.first_in, result.codes, result.deduction) == (None, ('TL4',), 150)


def test_a_lone_midday_scan_is_tl4_plus_psw4_or_tk_per_profile() -> None:
    # Given a single 11:00 punch: 210 min late (TL4 150) and no check-out (PSW4 150) = 300
    assert (evaluate(MONDAY, '11:00').codes, evaluate(MONDAY, '11:00').deduction) == (('TL4', 'PSW4'), 300)
    # Given lone_scan = TK; Then the same day is TK 500
    strict = variant(lone_scan='TK')
    result = evaluate(MONDAY, '11:00', profile=strict)
    assert (result.category, result.codes, result.deduction) == (DayCategory.ABSENT, ('TK',), 500)
    # but an ordinary forgotten check-out (07:20 only, PSW4 without TL4) stays PSW4
    assert evaluate(MONDAY, '07:20', profile=strict).codes == ('PSW4',)


def test_daily_cap_limits_a_present_day() -> None:
    # Given a daily cap of 250 bp; When TL4 (150) + PSW4 (150) = 300; Then capped to 250
    capped = variant(daily_cap=250)
    result = evaluate(MONDAY, '09:45', '13:00', profile=capped)
    assert (result.deduction_before_cap, result.deduction) == (300, 250)
    assert result.explanation.endswith('potongan 3,00%, dibatasi 2,50% (batas harian)')


def test_default_daily_cap_equals_tk_with_apel() -> None:
    # Given apel on Mondays at 2 %: TL4 150 + PSW4 150 + APL 200 = 500 = cap = TK; never more than absent
    apel = variant(apel__enabled=True)
    result = evaluate(MONDAY, '09:45', '13:00', profile=apel)
    assert (result.codes, result.deduction) == (('TL4', 'PSW4', 'APL'), 500)
    # on time on Monday: no apel charge; Tuesday has no apel
    assert evaluate(MONDAY, '07:30', '16:00', profile=apel).codes == ('H',)
    assert evaluate(date(2026, 1, 6), '07:45', '16:00', profile=apel).codes == ('TL1',)
    # a recorded absence from apel wins over the derived one
    assert evaluate(MONDAY, '07:20', '16:00', profile=apel, apel_attended=False).codes == ('APL',)


def test_grace_nominal_and_tolerance_end() -> None:
    # Given 10 grace minutes counted NOMINAL: 10 min late is on time, 11 min is TL1 counted from 07:30
    nominal = variant(grace_minutes=10)
    assert evaluate(MONDAY, '07:40', '16:00', profile=nominal).codes == ('H',)
    assert evaluate(MONDAY, '07:41', '16:00', profile=nominal).minutes_late == 11
    # Given TOLERANCE_END: minutes count from 07:40; 08:11 = 41 − 10 = 31 → TL2
    tolerance = variant(grace_minutes=10, late_reference='TOLERANCE_END')
    assert evaluate(MONDAY, '07:41', '16:00', profile=tolerance).minutes_late == 1
    result = evaluate(MONDAY, '08:11', '16:00', profile=tolerance)
    assert (result.minutes_late, result.codes) == (31, ('TL2',))


def test_same_day_make_up() -> None:
    makeup = variant(makeup_mode='SAME_DAY', makeup_max_minutes=30)
    # 20 min late, left 16:20 (20 min after 16:00) → made up, H
    made_up = evaluate(MONDAY, '07:50', '16:20', profile=makeup)
    assert (made_up.codes, made_up.deduction, made_up.minutes_late) == (('H',), 0, 0)
    assert made_up.explanation == 'Terlambat 20 menit diganti pulang 20 menit lebih lambat (H): tanpa potongan'
    # left only 15 min after → not made up, TL1
    assert evaluate(MONDAY, '07:50', '16:15', profile=makeup).codes == ('TL1',)
    # 40 min late exceeds the 30-min maximum even when staying 45 min → TL2
    assert evaluate(MONDAY, '08:10', '16:45', profile=makeup).codes == ('TL2',)


def test_ramadan_hours() -> None:
    # Given Monday 23 February 2026 in Ramadan: 08:00–15:00
    ramadan_monday = date(2026, 2, 23)
    assert shift_on(ramadan_monday).ramadan
    assert evaluate(ramadan_monday, '07:58', '15:00').codes == ('H',)
    # 08:31 = 31 min late → TL2; 14:29 = 31 min early → PSW2
    assert evaluate(ramadan_monday, '08:31', '14:29').codes == ('TL2', 'PSW2')
    # Friday in Ramadan ends 15:30: leaving at 15:00 is 30 min early → PSW1
    assert evaluate(date(2026, 2, 27), '07:58', '15:00').codes == ('PSW1',)


NIGHT = EmployeeSchedule(
    kind='ROSTER',
    roster=Roster(
        codes=(
            ShiftCode(code='P', name='Pagi', start='07:00', end='14:00'),
            ShiftCode(code='M', name='Malam', start='21:00', end='07:00'),
            ShiftCode(code='LD', name='Lepas dinas', working=False),
        ),
        days=(RosterDay(day=MONDAY, code='M'), RosterDay(day=date(2026, 1, 6), code='LD')),
    ),
)


def test_cross_midnight_night_shift_belongs_to_the_day_it_starts() -> None:
    # Given M 21:00 Monday → 07:00 Tuesday; When the employee scans 20:50 Mon and 07:05 Tue
    shift = shift_on(MONDAY, NIGHT)
    punches = [at(MONDAY, '20:50'), at(date(2026, 1, 6), '07:05')]
    result = evaluate_day(shift, punches, None, None, PROFILE)
    # Then Monday's day is H with its check-out on Tuesday morning
    assert shift.crosses_midnight
    assert (result.local_date, result.codes, result.last_out) == (MONDAY, ('H',), at(date(2026, 1, 6), '07:05'))
    # 21:45 = 45 min late → TL2 (100); Tue 06:00 = 60 min early → PSW2 (100): 200
    late = evaluate_day(shift, [at(MONDAY, '21:45'), at(date(2026, 1, 6), '06:00')], None, None, PROFILE)
    assert (late.codes, late.deduction) == (('TL2', 'PSW2'), 200)
    # Lepas dinas on Tuesday is not a working day, not TK
    with pytest.raises(AssertionError):
        shift_on(date(2026, 1, 6), NIGHT)


def test_approved_status_wins_over_punches_and_the_conflict_is_flagged() -> None:
    # Given approved cuti tahunan and punches on the same day
    result = evaluate(MONDAY, '09:30', '16:00', status='CT')
    # Then CT (0) wins; the punches are kept for the record and the conflict is flagged
    assert (result.codes, result.deduction, result.conflict, result.first_in) == (('CT',), 0, True, at(MONDAY, '09:30'))
    assert (
        result.explanation == 'Cuti tahunan (CT): tanpa potongan; absen pada hari ini diabaikan karena status disetujui'
    )


def test_dinas_luar_counts_as_present_without_deduction() -> None:
    result = evaluate(MONDAY, status='DL')
    assert (result.category, result.codes, result.deduction, result.conflict) == (DayCategory.STATUS, ('DL',), 0, False)
    assert result.explanation == 'Dinas luar (DL): dihitung hadir, tanpa potongan'


def test_sick_without_note_is_charged_as_tk() -> None:
    # SKX → TK 5,00 %, counted absent (for TK10 and PP 94)
    result = evaluate(MONDAY, status='SKX')
    assert (result.category, result.codes, result.deduction) == (DayCategory.ABSENT, ('SKX',), 500)
    assert 'dihitung sebagai TK' in result.explanation


def test_sick_with_note_is_priced_at_month_close() -> None:
    result = evaluate(MONDAY, status='S')
    assert (result.category, result.deduction) == (DayCategory.STATUS, 0)
    assert 'SK2 4–14 hari 25,00%' in result.explanation


def test_cap_first_two_days_free_then_two_and_a_half_percent() -> None:
    # CAP day 1 and 2 of the month: 0; day 3: 2,50 %
    assert evaluate(MONDAY, status='CAP', status_ordinal=2).deduction == 0
    third = evaluate(MONDAY, status='CAP', status_ordinal=3)
    assert (third.deduction, third.explanation) == (250, 'Cuti karena alasan penting (CAP): potongan 2,50%')


def test_izin_full_day_and_cuti_besar_per_day() -> None:
    assert evaluate(MONDAY, status='IZ').deduction == 150  # 1,50 %
    assert evaluate(MONDAY, status='CBS').deduction == 150  # 1,50 %


def test_izin_terlambat_waives_lateness_but_not_the_scan() -> None:
    # ITM: 08:15 (45 min) is not charged
    waived = evaluate(MONDAY, '08:15', '16:00', status='ITM')
    assert (waived.codes, waived.deduction, waived.status_code) == (('H',), 0, 'ITM')
    # but a missing check-in is still TL4
    assert evaluate(MONDAY, '16:00', status='ITM').codes == ('TL4',)
    # IPC waives early leave: 14:00 (120 min early) not charged, lateness still is
    assert evaluate(MONDAY, '07:45', '14:00', status='IPC').codes == ('TL1',)


def test_outage_forgive_costs_nothing() -> None:
    # Given an outage under the explicit FORGIVE policy and no punches; Then OUT, 0
    result = evaluate(MONDAY, outage=True, profile=variant(outage__policy='FORGIVE'))
    assert (result.category, result.codes, result.deduction, result.forfeit) == (DayCategory.OUTAGE, ('OUT',), 0, False)


def test_outage_opd_forfeit_flags_the_day() -> None:
    forfeit = variant(outage__policy='OPD_FORFEIT')
    result = evaluate(MONDAY, '07:20', '16:00', outage=True, profile=forfeit)
    assert (result.codes, result.deduction, result.forfeit) == (('OUT',), 0, True)
    # the OPD-wide forfeit is flagged even on a status day
    assert evaluate(MONDAY, status='CT', outage=True, profile=forfeit).forfeit


def test_an_individual_status_is_charged_even_during_an_outage() -> None:
    assert evaluate(MONDAY, status='IZ', outage=True).deduction == 150


def test_unknown_status_code_is_rejected() -> None:
    with pytest.raises(ValidationFailed) as caught:
        evaluate(MONDAY, status='XYZ')
    assert caught.value.fields[0].path == 'status.code'


def test_tk_pro_rata_is_priced_at_month_close() -> None:
    pro_rata = variant(tk__mode='PRO_RATA', daily_cap=300)
    result = evaluate(MONDAY, profile=pro_rata)
    assert (result.deduction, result.prorata_days) == (0, 1)
    assert 'potongan 1 hari' in result.explanation


def test_tkk_day_in_rupiah() -> None:
    from chalicelib.domain.tpp.defaults import example_tkk_profile

    tkk = example_tkk_profile()
    assert evaluate(MONDAY, '08:15', '16:00', profile=tkk).explanation == 'Terlambat 45 menit (TL2): potongan Rp10.000'
    assert evaluate(MONDAY, profile=tkk).deduction == 50_000
