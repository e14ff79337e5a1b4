"""Value objects of the directory (master data), the punch ledger and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from chalicelib.domain.geo import polygon_is_simple
from chalicelib.domain.nip import parse_nip
from chalicelib.domain.text import Name, PlainName

Zone = Literal['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura']
ZONE_LABELS: dict[str, str] = {'Asia/Jakarta': 'WIB', 'Asia/Makassar': 'WITA', 'Asia/Jayapura': 'WIT'}

Code = Annotated[str, Field(pattern=r'^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$')]
Latitude = Annotated[float, Field(ge=-11.5, le=6.5)]  # Indonesia's extent, with margin
Longitude = Annotated[float, Field(ge=94.0, le=141.5)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra='forbid', str_strip_whitespace=True)


class Role(StrEnum):
    SUPER = 'super'
    OPD_ADMIN = 'opd_admin'
    AUDITOR = 'auditor'
    FINANCE = 'finance'
    BRIDGE = 'bridge'


class EmployeeType(StrEnum):
    PNS = 'PNS'
    PPPK = 'PPPK'
    TKK = 'TKK'


class OpdKind(StrEnum):
    SETDA = 'setda'
    DINAS = 'dinas'
    BADAN = 'badan'
    KECAMATAN = 'kecamatan'
    KELURAHAN = 'kelurahan'
    PUSKESMAS = 'puskesmas'
    RSUD = 'rsud'
    LAINNYA = 'lainnya'


class MachineProtocol(StrEnum):
    PUSH = 'push'  # ADMS / iclock over HTTP
    PULL = 'pull'  # TCP 4370, pulled by the bridge
    USB = 'usb'  # attlog files carried by hand


class PunchSource(StrEnum):
    MACHINE = 'machine'
    PHONE = 'phone'
    CORRECTION = 'correction'


class Point(Frozen):
    lat: Latitude
    lon: Longitude


class CircleLocation(Frozen):
    kind: Literal['circle'] = 'circle'
    name: Name
    center: Point
    radius_m: int = Field(ge=10, le=5000)


class PolygonLocation(Frozen):
    kind: Literal['polygon'] = 'polygon'
    name: Name
    vertices: tuple[Point, ...] = Field(min_length=3, max_length=200)

    @field_validator('vertices')
    @classmethod
    def _simple(cls, vertices: tuple[Point, ...]) -> tuple[Point, ...]:
        if not polygon_is_simple([(p.lat, p.lon) for p in vertices]):
            raise ValueError('polygon edges must not cross each other')
        return vertices


OfficeLocation = Annotated[CircleLocation | PolygonLocation, Field(discriminator='kind')]


class PemdaSettings(Frozen):
    name: Name
    code: Code
    zone: Zone
    province: Name
    # From the 2nd: the last day's night shifts take check-outs until about noon on the 1st.
    tpp_close_day: int = Field(default=2, ge=2, le=28, description='day of the month (local) last month is closed')
    tpp_export_day: int = Field(
        default=2, ge=1, le=28, description='day of the month (local) from which the finance files are written'
    )

    @model_validator(mode='after')
    def _export_after_close(self) -> PemdaSettings:
        if self.tpp_export_day < self.tpp_close_day:
            raise ValueError('tpp_export_day must not come before tpp_close_day')
        return self


class Opd(Frozen):
    opd_id: Code
    name: Name
    kind: OpdKind
    zone: Zone
    parent_opd_id: Code | None = None
    locations: tuple[OfficeLocation, ...] = Field(default=(), max_length=20)
    active: bool = True
    version: int = 0


class Employee(Frozen):
    employee_id: Code
    employee_type: EmployeeType  # before nip: the NIP's form depends on it
    nip: str | None = None
    nik: str | None = Field(default=None, pattern=r'^\d{16}$')
    name: Name
    opd_id: Code
    unit: PlainName | None = Field(default=None, max_length=160)
    jabatan: Name
    kelas_jabatan: int = Field(ge=1, le=17)
    golongan: str | None = Field(
        default=None, pattern=r'^(I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII|XIII|XIV|XV|XVI|XVII)(/[a-e])?$'
    )
    tpp_ceiling: int = Field(ge=0, le=200_000_000, description='monthly TPP ceiling (pagu) or TKK honorarium, rupiah')
    active: bool = True
    version: int = 0

    @field_validator('nip')
    @classmethod
    def _nip_valid(cls, nip: str | None, info: ValidationInfo) -> str | None:
        if nip is None:
            return nip
        is_pppk_number = parse_nip(nip).is_pppk
        employee_type = info.data.get('employee_type')
        if employee_type is EmployeeType.PPPK and not is_pppk_number:
            raise ValueError('a PPPK number (NI PPPK) has the code 21 in digits 13-14; this is a PNS NIP')
        if employee_type is EmployeeType.PNS and is_pppk_number:
            raise ValueError('this is a PPPK number (code 21 in digits 13-14); set employee_type to PPPK')
        return nip

    @model_validator(mode='after')
    def _nip_by_type(self) -> Employee:
        if self.employee_type is EmployeeType.TKK and self.nip is not None:
            raise ValueError('TKK staff have no NIP; put their identity number in nik')
        if self.employee_type is not EmployeeType.TKK and self.nip is None:
            raise ValueError(f'{self.employee_type} staff need an 18-digit NIP')
        if self.employee_type is EmployeeType.TKK and self.nik is None:
            raise ValueError('TKK staff need a 16-digit NIK')
        return self


class Machine(Frozen):
    serial: str = Field(pattern=r'^[A-Za-z0-9]{4,32}$')
    name: Name
    opd_id: Code
    zone: Zone
    brand: str = Field(default='ZKTeco', max_length=40)
    model: str = Field(default='', max_length=60)
    protocol: MachineProtocol
    address: str | None = Field(default=None, pattern=r'^[A-Za-z0-9.-]+(:\d{1,5})?$')
    bridge_id: Code | None = None
    active: bool = True
    version: int = 0

    @model_validator(mode='after')
    def _pull_needs_address(self) -> Machine:
        if self.protocol is MachineProtocol.PULL and not self.address:
            raise ValueError('a pull (TCP) machine needs an address host[:port]')
        return self


class PinMapping(Frozen):
    serial: str
    pin: str = Field(pattern=r'^[A-Za-z0-9]{1,24}$')
    employee_id: Code
    valid_from: date
    valid_to: date | None = None

    @model_validator(mode='after')
    def _ordered(self) -> PinMapping:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError('valid_to must not be before valid_from')
        return self

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def overlaps(self, other: PinMapping) -> bool:
        far = date.max
        return self.valid_from <= (other.valid_to or far) and other.valid_from <= (self.valid_to or far)


class Bridge(Frozen):
    bridge_id: Code
    name: Name
    opd_id: Code
    key_id: str | None = None
    active: bool = True
    version: int = 0


class ApiKeyRecord(Frozen):
    key_id: str
    name: Name
    role: Role
    opd_id: Code | None = None
    bridge_id: Code | None = None
    secret_hash: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Principal(Frozen):
    """Who is calling: the authenticated key, reduced to what authorisation needs."""

    key_id: str
    role: Role
    opd_id: str | None = None
    bridge_id: str | None = None


class Holiday(Frozen):
    day: date
    name: Name
    kind: Literal['national', 'cuti_bersama', 'regional']


class Punch(Frozen):
    punch_id: str
    source: PunchSource
    employee_id: str | None
    opd_id: str | None
    at_utc: datetime
    local_date: date
    zone: Zone
    machine_serial: str | None = None
    machine_pin: str | None = None
    raw: str | None = None
    received_at: datetime


class AuditEntry(Frozen):
    seq: int = Field(ge=1)
    at: datetime
    actor_key_id: str
    action: str
    target: str
    opd_id: str | None
    before: dict[str, object] | None
    after: dict[str, object] | None
    prev_hash: str
    hash: str
