"""A pyzk-shaped machine for TCP-pull tests (no machine exists here). Destructive calls fail the test."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from zk.attendance import Attendance


@dataclass
class FakeZk:
    attendances: list[Attendance] = field(default_factory=list)
    clock: datetime = datetime(2026, 1, 5, 8, 0, 0)
    firmware: str = 'Ver 6.60 Apr 28 2017'
    users: int = 40
    fingers: int = 80
    records: int = 0
    faces: int = 0
    calls: list[str] = field(default_factory=list)
    fail_on: str | None = None

    def __call__(self, machine: object) -> FakeZk:
        self.calls.append('connect')
        if self.fail_on == 'connect':
            raise OSError('timed out')
        return self

    def get_time(self) -> datetime:
        self.calls.append('get_time')
        return self.clock

    def get_firmware_version(self) -> str:
        self.calls.append('get_firmware_version')
        return self.firmware

    def read_sizes(self) -> bool:
        self.calls.append('read_sizes')
        self.records = len(self.attendances)
        return True

    def get_attendance(self) -> list[Attendance]:
        self.calls.append('get_attendance')
        if self.fail_on == 'get_attendance':
            raise OSError('connection reset')
        return list(self.attendances)

    def disconnect(self) -> bool:
        self.calls.append('disconnect')
        return True

    def clear_attendance(self) -> None:
        raise AssertionError('the bridge must never clear a machine log')

    def clear_data(self) -> None:
        raise AssertionError('the bridge must never clear a machine')
