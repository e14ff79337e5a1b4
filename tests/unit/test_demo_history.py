"""The demo's past, as planned (pure): deterministic, mostly ordinary days, and every kind of day a recap shows; the
flagged selfie's scan and its drawn photos."""

from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image

from chalicelib.domain.models import Employee, EmployeeType, Opd
from chalicelib.domain.tpp.schedule import Calendar, expected_shift
from chalicelib.services.schedules import FIVE_DAY_WEEK
from hadir_local.demo_history import OwedDay, flagged_scan, history_window, plan_history
from hadir_local.demo_photos import portrait
from tests.integration.builders import employee_body, opd_body

FIRST, LAST = history_window(date(2026, 12, 7))


def _staff(count: int) -> list[Employee]:
    staff = []
    for n in range(count):
        body = employee_body('SETDA', n + 1, employee_id=f'E{n:03d}')
        if n % 5 == 0:
            body.update(employee_type='TKK', nip=None, nik=f'3201014101{n + 800000:06d}', tpp_ceiling=1_500_000)
        staff.append(Employee.model_validate(body))
    return staff


def _owed(staff: list[Employee]) -> list[OwedDay]:
    calendar = Calendar.from_holidays([], [])
    days = [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
    shifts = [s for s in (expected_shift(FIVE_DAY_WEEK, d, calendar) for d in days) if s is not None]
    return [OwedDay(e, s) for e in staff for s in shifts]


def test_the_window_is_last_month_and_this_month_up_to_yesterday() -> None:
    assert (FIRST, LAST) == (date(2026, 11, 1), date(2026, 12, 6))


def test_the_plan_is_the_same_every_time_and_has_every_kind_of_day() -> None:
    # Given 100 staff, 60 of them on one machine
    staff = _staff(100)
    owed = _owed(staff)
    machine = {'M1': [e.employee_id for e in staff[:60]]}
    # When the history is planned twice
    once, again = plan_history(owed, machine, FIRST, LAST), plan_history(owed, machine, FIRST, LAST)
    # Then it is the same, scan for scan
    assert once.scans == again.scans and once.statuses == again.statuses
    # And it holds leave, duty and sick statuses of civil servants only, inside last month
    assert sorted({s.code for s in once.statuses}) == ['CT', 'DL', 'S']
    tkk = {e.employee_id for e in staff if e.employee_type is EmployeeType.TKK}
    assert all(s.employee_id not in tkk and FIRST <= s.first <= s.last <= date(2026, 11, 30) for s in once.statuses)
    # And the machine is silent on two working days, whose staff who came are on the paper list instead
    assert once.silent_machine == 'M1' and len(once.silent_days) == 2
    assert {s.employee_id for d in once.silent_days for s in once.manual[d]} <= set(machine['M1'])
    silent = {(s.employee_id, s.at.date()) for s in once.scans if s.employee_id in machine['M1']}
    assert not any(day in once.silent_days for _, day in silent)
    # And most days are ordinary, with some late arrivals, early leaves and absences among them
    by_day: dict[tuple[str, date], list[bool]] = {}
    for scan in once.scans:
        by_day.setdefault((scan.employee_id, scan.at.date()), []).append(scan.check_in)
    starts = {o.shift.local_date: o.shift.start for o in owed}
    late = [s for s in once.scans if s.check_in and s.at > starts[s.at.date()]]
    absent = len(owed) - len(by_day) - sum(len(v) for v in once.manual.values()) // 2
    assert 0.9 < len(by_day) / len(owed) < 1.0
    assert 0.02 < len(late) / len(owed) < 0.12
    assert absent > 0


def test_the_flagged_selfie_is_the_latest_phone_arrival_at_an_office_with_a_circle() -> None:
    # Given 100 staff in SETDA (an office drawn as a circle), the first 60 on a machine, and their planned scans
    staff = _staff(100)
    owed = _owed(staff)
    machine = {'M1': [e.employee_id for e in staff[:60]]}
    history = plan_history(owed, machine, FIRST, LAST)
    office = {'kind': 'circle', 'name': 'Kantor Setda', 'center': {'lat': -7.36, 'lon': 109.9}, 'radius_m': 100}
    opds = {'SETDA': Opd.model_validate(opd_body('SETDA', locations=[office]))}
    pins = dict.fromkeys(machine['M1'])
    by_id = {e.employee_id: e for e in staff}
    # When the flagged scan is chosen
    chosen = flagged_scan(history.scans, pins, by_id, opds)  # type: ignore[arg-type]
    # Then it is the latest arrival of someone without a machine, and the same every time
    arrivals = [s for s in history.scans if s.check_in and s.employee_id not in pins]
    assert chosen is not None and chosen.check_in and chosen.employee_id not in pins
    assert chosen.at == max(s.at for s in arrivals)
    assert flagged_scan(history.scans, pins, by_id, opds) == chosen  # type: ignore[arg-type]
    # And an OPD without a circle (nowhere to place the phone) has none
    bare = {'SETDA': Opd.model_validate(opd_body('SETDA'))}
    assert flagged_scan(history.scans, pins, by_id, bare) is None  # type: ignore[arg-type]


def test_the_demo_portraits_are_small_pngs_the_same_every_time() -> None:
    # Given the enrolled face and the dim, slightly turned selfie the demo draws
    reference, selfie = portrait(background=(196, 214, 230)), portrait(background=(226, 214, 190), shade=0.78, turn=7)
    # Then both are PNGs a browser shows, drawn the same bytes every time, and they differ from each other
    for photo in (reference, selfie):
        assert Image.open(io.BytesIO(photo)).format == 'PNG'
        assert len(photo) < 20_000
    assert portrait(background=(196, 214, 230)) == reference and selfie != reference
