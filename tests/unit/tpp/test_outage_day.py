"""Outage days (issue 16): under MANUAL_VERIFIED each employee is priced from the verified manual records of
the day (phone check-ins, the approved manual attendance list) like any other day; FORGIVE forgives all.

Monday 5 January 2026, 5HK: jam masuk 07:30, jam pulang 16:00. Amounts in basis points (50 = 0,50 %).
"""

from __future__ import annotations

from chalicelib.domain.tpp.day import ApprovedStatus, DayCategory, ManualEntry, Outage, evaluate_day
from tests.unit.tpp.support import MONDAY, PROFILE, at, shift_on, variant

FORGIVE = variant(outage__policy='FORGIVE')


def outage(*, phone: tuple[str, ...] = (), listed: tuple[str | None, str | None] | None = None) -> Outage:
    manual = None
    if listed is not None:
        arrival, departure = listed
        manual = ManualEntry(list_id='ml-1', arrival=at(MONDAY, arrival) if arrival else None,
                             departure=at(MONDAY, departure) if departure else None)  # fmt: skip
    return Outage(opd_id='DISKOMINFO', local_date=MONDAY, manual=manual, phone=tuple(at(MONDAY, p) for p in phone))


def test_a_phone_check_in_at_0810_is_late_on_an_outage_day() -> None:
    # Given the machine down, a phone check-in at 08:10 and a phone check-out at 16:02
    day = outage(phone=('08:10', '16:02'))
    result = evaluate_day(shift_on(MONDAY), list(day.phone), None, day, PROFILE)
    # Then 40 minutes late → TL2 1 %, the day says the machine was down and the phone counted
    assert (result.category, result.codes, result.deduction, result.outage) == (
        DayCategory.PRESENT, ('TL2',), 100, True,
    )  # fmt: skip
    assert result.explanation.startswith(
        'Mesin presensi tidak berfungsi (gangguan dikonfirmasi); dinilai dari catatan pengganti: '
    )
    assert 'masuk 08:10 (presensi HP), pulang 16:02 (presensi HP): Terlambat 40 menit (TL2)' in result.explanation


def test_the_approved_manual_list_at_0725_to_1605_is_present() -> None:
    result = evaluate_day(shift_on(MONDAY), [], None, outage(listed=('07:25', '16:05')), PROFILE)
    assert (result.codes, result.deduction, result.first_in, result.last_out) == (
        ('H',), 0, at(MONDAY, '07:25'), at(MONDAY, '16:05'),
    )  # fmt: skip
    assert 'masuk 07:25 (daftar hadir manual ml-1), pulang 16:05 (daftar hadir manual ml-1)' in result.explanation


def test_no_record_on_an_outage_day_is_tk() -> None:
    result = evaluate_day(shift_on(MONDAY), [], None, outage(), PROFILE)
    assert (result.category, result.codes, result.deduction, result.outage) == (DayCategory.ABSENT, ('TK',), 500, True)
    assert 'tidak ada presensi HP maupun daftar hadir manual' in result.explanation


def test_a_list_line_without_departure_is_charged_the_missing_check_out() -> None:
    result = evaluate_day(shift_on(MONDAY), [], None, outage(listed=('07:20', None)), PROFILE)
    assert (result.codes, result.deduction) == (('PSW4',), 150)


def test_records_combine_the_earliest_in_and_the_latest_out_and_name_each_source() -> None:
    # Given a phone check-in at 07:40, the list saying 07:28–15:00 and the machine back by 16:10
    day = outage(phone=('07:40',), listed=('07:28', '15:00'))
    result = evaluate_day(shift_on(MONDAY), [at(MONDAY, '07:40'), at(MONDAY, '16:10')], None, day, PROFILE)
    # Then in 07:28 (the list), out 16:10 (the machine): H
    assert result.codes == ('H',)
    assert 'masuk 07:28 (daftar hadir manual ml-1), pulang 16:10 (mesin)' in result.explanation


def test_an_approved_status_still_wins_on_an_outage_day() -> None:
    assert evaluate_day(shift_on(MONDAY), [], ApprovedStatus(code='CT'), outage(), PROFILE).codes == ('CT',)


def test_forgive_forgives_everyone_records_or_not() -> None:
    for day, punches in ((outage(), []), (outage(phone=('09:45',)), [at(MONDAY, '09:45')])):
        result = evaluate_day(shift_on(MONDAY), punches, None, day, FORGIVE)
        assert (result.category, result.codes, result.deduction) == (DayCategory.OUTAGE, ('OUT',), 0)
        assert 'FORGIVE' in result.explanation


def test_the_default_policy_is_manual_verified() -> None:
    assert PROFILE.outage.policy.value == 'MANUAL_VERIFIED'
