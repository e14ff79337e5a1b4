"""The signed-in employee's own month, for the phone: every closed day with its codes and reason, and the month's
TPP as of the latest closed revision.

The days are the day records (closed each night), so today's day appears once it is closed; the month part is
the employee's record in the latest complete revision, exactly as finance received it, or ``closed: false``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.domain.tpp import text
from chalicelib.domain.tpp.profile import RuleProfile
from chalicelib.domain.tpp.records import DayRecord, MonthRecord
from chalicelib.ports import AllowanceRecords
from chalicelib.services import checkins, discipline_decisions
from chalicelib.services.checkins import DeviceCaller, Mobile


def my_month(
    mobile: Mobile, records: AllowanceRecords, profiles: Sequence[RuleProfile], caller: DeviceCaller,
    month: str | None,
) -> dict[str, Any]:  # fmt: skip
    """The caller's days of the month so far (default: this month where the employee works) and the month result
    of the latest closed revision."""
    today = checkins.local_today(mobile, caller)
    month = checkins.parse_month(month) or f'{today:%Y-%m}'
    employee_id = caller.employee.employee_id
    days = records.days([(employee_id, day) for day in checkins.month_dates(month, today)])
    units = {(p.profile_id, p.version): p.unit for p in profiles}
    answer: dict[str, Any] = {
        'month': month, 'employee_id': employee_id, 'name': caller.employee.name,
        'days': [_day(record, units) for _, record in sorted(days.items(), key=lambda item: item[0][1])],
        'closed': False, 'discipline': discipline_decisions.decisions_in_month(mobile.deps, employee_id, month),
    }  # fmt: skip
    complete = [r for r in records.revisions(month) if r.complete]
    if complete:
        head = complete[-1]
        record = records.month_record(employee_id, month, head.revision)
        answer.update(closed=True, revision=head.revision, closed_at=head.created_at.isoformat(),
                      result=_result(record) if record else None)  # fmt: skip
    return answer


def _day(record: DayRecord, units: dict[tuple[str, int], Any]) -> dict[str, Any]:
    day = record.day
    unit = units.get((record.profile_id, record.profile_version))
    return {
        'date': day.local_date.isoformat(), 'status': day.category.value, 'codes': list(day.codes),
        'status_code': day.status_code, 'first_in': day.first_in.isoformat() if day.first_in else None,
        'last_out': day.last_out.isoformat() if day.last_out else None, 'minutes_late': day.minutes_late,
        'minutes_early': day.minutes_early, 'deduction': day.deduction,
        'deduction_text': text.amount(day.deduction, unit) if unit is not None and not day.prorata_days else None,
        'explanation': day.explanation,
    }  # fmt: skip


def _result(record: MonthRecord) -> dict[str, Any]:
    m = record.result
    score = m.performance_score
    return {
        'opd_id': record.opd_id, 'working_days': m.working_days, 'pagu': m.pagu,
        'performance_score': format(score, 'f') if score is not None else None,
        'performance_base': m.performance_base, 'performance_part': m.performance_part,
        'attendance_base': m.attendance_base, 'deduction_percent': format(m.deduction_percent, 'f'),
        'deduction': m.deduction, 'attendance_part': m.attendance_part, 'discipline_cut': m.discipline_cut,
        'tpp_bruto': m.tpp_bruto, 'rincian': m.rincian, 'counts': m.counts, 'tk_days': m.tk_days,
        'notes': list(m.notes),
        'parts': [{'opd_id': p.opd_id, 'days': p.days, 'measure': p.measure, 'reasons': list(p.reasons),
                   'kelas': p.kelas, 'pagu': p.result.pagu, 'tpp_bruto': p.result.tpp_bruto} for p in record.parts],
    }  # fmt: skip
