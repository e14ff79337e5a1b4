"""Request bodies and read-backs shared by the integration tests."""

from __future__ import annotations

from typing import Any

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
