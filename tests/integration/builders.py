"""Request bodies and read-backs shared by the integration tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.domain.models import Punch, PunchSource
from chalicelib.domain.punch_keys import local_to_utc, phone_punch_id
from chalicelib.domain.tpp.day import DayCategory, DayResult
from chalicelib.domain.tpp.records import DayRecord
from chalicelib.services.common import KIND_EMPLOYEE, KIND_UNIQUE
from chalicelib.wiring import get_deps


def nip(n: int) -> str:
    """A valid, distinct NIP for every n from 1 to 27,972 (born March 1985, appointed January 2010)."""
    day, sequence = divmod(n - 1, 999)
    assert 0 <= day < 28, 'n out of range'
    return f'198503{day + 1:02d}2010011{sequence + 1:03d}'


def opd_body(opd_id: str, **overrides: Any) -> dict[str, Any]:
    return {'opd_id': opd_id, 'name': f'Dinas {opd_id}', 'kind': 'dinas', 'zone': 'Asia/Makassar', **overrides}


def employee_body(opd_id: str, n: int, **overrides: Any) -> dict[str, Any]:
    return {
        'nip': nip(n),
        'name': f'Pegawai {n}',
        'employee_type': 'PNS',
        'opd_id': opd_id,
        'jabatan': 'Analis Kepegawaian',
        'kelas_jabatan': 7,
        'tpp_ceiling': 4_000_000,
        **overrides,
    }


def machine_body(serial: str, opd_id: str, **overrides: Any) -> dict[str, Any]:
    return {'serial': serial, 'name': f'Mesin {serial}', 'opd_id': opd_id, 'protocol': 'push', **overrides}


def bridge_body(bridge_id: str, opd_id: str, **overrides: Any) -> dict[str, Any]:
    return {'bridge_id': bridge_id, 'name': f'Bridge {bridge_id}', 'opd_id': opd_id, **overrides}


def employee_count() -> int:
    total, cursor = 0, None
    while True:
        page = get_deps().store.list(KIND_EMPLOYEE, limit=500, cursor=cursor)
        total += len(page.items)
        if page.next_cursor is None:
            return total
        cursor = page.next_cursor


def nip_owner(value: str) -> str | None:
    """The employee holding a NIP guard, or None when the NIP is free."""
    guard = get_deps().store.get(KIND_UNIQUE, f'NIP#{value}')
    return str(guard.data['owner']) if guard else None


def audit_length() -> int:
    return sum(1 for _ in get_deps().audit_log.walk())


def phone_punch(employee_id: str, opd_id: str, day: date, hhmm: str, zone: str) -> Punch:
    """A phone punch at local ``hhmm`` on ``day`` in ``zone``, received five seconds later."""
    at_utc, local_date = local_to_utc(datetime.combine(day, datetime.strptime(hhmm, '%H:%M').time()), zone)
    return Punch(punch_id=phone_punch_id(employee_id, f'{day.isoformat()}-{hhmm}'), source=PunchSource.PHONE,
                 employee_id=employee_id, opd_id=opd_id, at_utc=at_utc, local_date=local_date, zone=zone,
                 received_at=at_utc + timedelta(seconds=5))  # fmt: skip


def closed_day(employee_id: str, day: date, minutes_late: int = 0) -> DayRecord:
    """A closed present day of DIKES, late by `minutes_late` (TL1) when given; its explanation names both."""
    codes = ('TL1',) if minutes_late else ()
    result = DayResult(local_date=day, shift_code='5HK', category=DayCategory.PRESENT, codes=codes,
                       minutes_late=minutes_late, deduction=minutes_late, deduction_before_cap=minutes_late,
                       explanation=f'{employee_id} {minutes_late}')  # fmt: skip
    return DayRecord(employee_id=employee_id, opd_id='DIKES', profile_id='asn-default', profile_version=1, day=result)
