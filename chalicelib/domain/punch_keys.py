"""Deterministic punch identities and the one conversion of machine-local time to UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def machine_punch_id(serial: str, pin: str, local_time: datetime) -> str:
    """Machines record wall-clock time with no offset: serial + PIN + that time is the identity."""
    if local_time.tzinfo is not None:
        raise ValueError('machine time must be naive wall-clock time')
    return f'M#{serial}#{pin}#{local_time:%Y-%m-%dT%H:%M:%S}'


def phone_punch_id(employee_id: str, client_request_id: str) -> str:
    return f'P#{employee_id}#{client_request_id}'


def correction_punch_id(correction_id: str) -> str:
    return f'C#{correction_id}'


def local_to_utc(local_time: datetime, zone: str) -> tuple[datetime, date]:
    """Return the UTC instant and the local working date of a naive local time in `zone`."""
    aware = local_time.replace(tzinfo=ZoneInfo(zone))
    return aware.astimezone(UTC), local_time.date()
