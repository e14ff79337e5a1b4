"""The signed-in employee's day so far, for the phone's "Hari ini" card and the Pulang confirmation.

The same resolution as the console's today board (``services.today``: the schedule book, the calendar, the
approved statuses, the ledger's punches, ``domain.today.today_line``), for one employee: live, never the closed
day record. Beside the board's line it says what leaving now would cost: the minutes before the end of the
shift and the early-leave tier of the rule profile in force, so the phone can ask before an early Pulang.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.checkin import Checkin, public_checkin
from chalicelib.domain.models import Opd
from chalicelib.domain.today import status_category, today_line
from chalicelib.domain.tpp import text
from chalicelib.domain.tpp.day import minutes_early
from chalicelib.domain.tpp.profile import RuleProfile, StatusEffect, profile_in_force
from chalicelib.domain.tpp.schedule import expected_shift
from chalicelib.domain.tpp.statuses import EmployeeStatus, status_on
from chalicelib.services import schedules, today
from chalicelib.services.checkins import DeviceCaller, Mobile
from chalicelib.services.common import KIND_OPD, all_by_lookup, load, require

ZONE_NAMES = {'Asia/Jakarta': 'WIB', 'Asia/Makassar': 'WITA', 'Asia/Jayapura': 'WIT'}


def my_day(mobile: Mobile, profiles: Sequence[RuleProfile], caller: DeviceCaller) -> dict[str, Any]:
    """Today where the employee works: the shift (or the holiday, or the approved status), the punches counted,
    minutes late so far, and what a check-out now would cost."""
    deps = mobile.deps
    employee = caller.employee
    opd = load(Opd, require(deps.store, KIND_OPD, employee.opd_id))
    zone = ZoneInfo(opd.zone)
    now = deps.clock().astimezone(zone)
    local_now = now.replace(tzinfo=None)
    day = now.date()
    book = schedules.schedule_book(deps, day, day)
    calendar = today.calendar(deps, day.year, day.year)
    resolved = book.for_employee(employee, opd, day)
    shift = expected_shift(resolved.schedule, day, calendar) if resolved.schedule else None
    holiday = calendar.day_off(day)
    profile = profile_in_force(profiles, employee.employee_type, day)
    mine = [load(EmployeeStatus, r) for r in all_by_lookup(deps.store, f'statuses#{employee.employee_id}')]
    status = status_on(mine, day)
    rule = profile.status(status.code) if profile and status else None
    start = datetime.combine(day, datetime.min.time(), zone) - timedelta(hours=12)
    punches = deps.ledger.for_employee(employee.employee_id, start, start + timedelta(hours=48))
    local_punches = [(p.at_utc.astimezone(zone).replace(tzinfo=None), p) for p in punches]
    phone = [public_checkin(load(Checkin, r))
             for r in all_by_lookup(deps.store, f'checkins#{employee.employee_id}', f'{day.isoformat()}#')]  # fmt: skip
    answer: dict[str, Any] = {
        'date': day.isoformat(), 'now': local_now.isoformat(timespec='seconds'), 'zone': opd.zone,
        'zone_name': ZONE_NAMES.get(opd.zone, opd.zone), 'opd_name': opd.name,
        'holiday': {'name': holiday.name, 'kind': holiday.kind} if holiday else None,
        'status': _status(status, rule) if status else None,
        'shift': None, 'check_in': None, 'check_out': None, 'minutes_late': None, 'late_so_far': None,
        'leave_now': None, 'phone_checkins': sorted(phone, key=lambda c: c['at']),
        'server_time_ms': int(now.timestamp() * 1000),
    }  # fmt: skip
    if shift is None:
        return answer
    line = today_line(shift, [p for p in local_punches if p[0].date() >= day], profile, rule, status is not None)
    answer.update(
        shift={'code': shift.code, 'start': shift.start.isoformat(timespec='minutes'),
               'end': shift.end.isoformat(timespec='minutes'),
               'grace_minutes': profile.grace_minutes if profile else 0},
        check_in=_at(line.first, zone), check_out=_at(line.last, zone), minutes_late=line.minutes_late,
        state=line.state.value,
    )  # fmt: skip
    if line.first is None and status is None and local_now > shift.start:
        answer['late_so_far'] = int((local_now - shift.start).total_seconds() // 60)
    excused = status is not None and (rule is None or rule.effect is not StatusEffect.WAIVE_LATE)
    if line.first is not None and local_now < shift.end and not excused:
        early = minutes_early(shift, local_now)
        tier = profile.early.tier_for(early) if profile else None
        answer['leave_now'] = {
            'minutes_early': early, 'code': tier.code if tier else None,
            'deduction_text': text.amount(tier.amount, profile.unit) if tier and profile else None,
        }  # fmt: skip
    return answer


def _at(punch: Any, zone: ZoneInfo) -> str | None:
    return None if punch is None else punch.at_utc.astimezone(zone).replace(tzinfo=None).isoformat(timespec='seconds')


def _status(status: EmployeeStatus, rule: Any) -> dict[str, Any]:
    return {
        'code': status.code, 'name': rule.name if rule else None, 'category': status_category(rule).value,
        'first': status.first.isoformat(), 'last': status.last.isoformat(),
    }  # fmt: skip
