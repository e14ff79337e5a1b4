"""The demo pemda "Kabupaten Contoh": a deterministic plan, then written through the use cases.

`plan_demo` is pure (same seed, same plan). `seed_demo` writes the plan with the same service
functions the API calls, under a bootstrapped super key, so every record is validated and audited.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from chalicelib.domain import api_keys
from chalicelib.domain.errors import Conflict
from chalicelib.domain.models import EmployeeType, Principal, Role
from chalicelib.domain.nip import PPPK_CODE
from chalicelib.domain.tpp.defaults import TKK_EXAMPLE
from chalicelib.services import directory, employee_history, keys, profiles, schedules
from chalicelib.services.common import KIND_PEMDA, Deps
from hadir_local import seed_store

T = TypeVar('T')
PNS, PPPK, TKK = EmployeeType.PNS, EmployeeType.PPPK, EmployeeType.TKK
ZONE = 'Asia/Jakarta'
YEAR = 2026
PIN_VALID_FROM = f'{YEAR}-01-01'
# NIK: province 33 (Jawa Tengah) and a regency code no real kabupaten uses, so demo data never looks real.
NIK_REGION = '3330'

PEMDA: dict[str, Any] = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': ZONE, 'province': 'Jawa Tengah'}

# Monthly TPP ceiling (pagu) per kelas jabatan, rupiah, as a Perbup table would set it.
TPP_BY_KELAS: dict[int, int] = {
    1: 1_500_000,
    2: 1_650_000,
    3: 1_800_000,
    4: 2_000_000,
    5: 2_250_000,
    6: 2_500_000,
    7: 2_850_000,
    8: 3_250_000,
    9: 3_750_000,
    10: 4_400_000,
    11: 5_200_000,
    12: 6_200_000,
    13: 7_500_000,
    14: 9_000_000,
    15: 11_000_000,
    16: 13_000_000,
    17: 15_000_000,
}

MALE_FIRST = (
    'Agus', 'Ahmad', 'Andi', 'Anton', 'Arif', 'Bambang', 'Bayu', 'Budi', 'Dedi', 'Dimas', 'Eko', 'Fajar',
    'Gilang', 'Hadi', 'Hendra', 'Heru', 'Imam', 'Irfan', 'Joko', 'Kurnia', 'Muhammad', 'Nanang', 'Rahmat',
    'Rizki', 'Rudi', 'Sigit', 'Slamet', 'Sugeng', 'Teguh', 'Wahyu', 'Wawan', 'Yoga', 'Yusuf', 'Taufik',
)  # fmt: skip
FEMALE_FIRST = (
    'Anisa', 'Ayu', 'Dewi', 'Dian', 'Dyah', 'Endah', 'Eni', 'Fitri', 'Indah', 'Kartika', 'Lina', 'Maya',
    'Nining', 'Novi', 'Nur', 'Puji', 'Putri', 'Ratna', 'Retno', 'Rina', 'Rini', 'Siti', 'Sri', 'Tri', 'Tutik',
    'Wulan', 'Yuni', 'Yulia', 'Asih', 'Laras', 'Galuh', 'Sekar',
)  # fmt: skip
MALE_MIDDLE = ('Dwi', 'Tri', 'Eka', 'Adi', 'Nur', 'Budi', 'Catur', 'Wahyu')
FEMALE_MIDDLE = ('Dwi', 'Tri', 'Eka', 'Nur', 'Puspita', 'Ayu', 'Catur', 'Sri')
MALE_LAST = (
    'Santoso', 'Wibowo', 'Prasetyo', 'Setiawan', 'Susanto', 'Kurniawan', 'Hidayat', 'Nugroho', 'Saputra',
    'Wijaya', 'Purnomo', 'Utomo', 'Haryanto', 'Hartono', 'Gunawan', 'Firmansyah', 'Ramadhan', 'Setyawan',
    'Suryadi', 'Sulistyo', 'Budiman', 'Maulana', 'Pamungkas', 'Kusuma', 'Suharto', 'Widodo',
)  # fmt: skip
FEMALE_LAST = (
    'Rahayu', 'Lestari', 'Handayani', 'Pratiwi', 'Wulandari', 'Permatasari', 'Susanti', 'Purwanti',
    'Kusumawati', 'Anggraini', 'Safitri', 'Rahmawati', 'Kurniasih', 'Setyaningsih', 'Wahyuni', 'Kusuma',
    'Maharani', 'Puspitasari', 'Astuti', 'Utami', 'Novitasari', 'Fitriani',
)  # fmt: skip

_TITLES_BY_KELAS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (11, ('{}, S.Sos., M.Si.', '{}, S.H., M.H.', '{}, S.E., M.M.', '{}, S.IP., M.Si.', '{}, S.T., M.T.')),
    (8, ('{}, S.Sos.', '{}, S.H.', '{}, S.E.', '{}, S.IP.', '{}, S.AP.', '{}, S.Kom.')),
    (6, ('{}, A.Md.', '{}, S.E.', '{}, A.Md.Kom.', '{}')),
    (1, ('{}', '{}', '{}', '{}, A.Md.')),
)
_PNS_GOLONGAN: tuple[tuple[int, tuple[str, ...]], ...] = (
    (15, ('IV/c', 'IV/d')),
    (14, ('IV/b', 'IV/c')),
    (12, ('IV/a', 'IV/b')),
    (11, ('III/d', 'IV/a')),
    (9, ('III/c', 'III/d')),
    (8, ('III/a', 'III/b')),
    (6, ('II/c', 'II/d', 'III/a', 'III/b')),
    (1, ('II/a', 'II/b', 'II/c', 'II/d')),
)
_PPPK_GOLONGAN: tuple[tuple[int, str], ...] = ((11, 'XI'), (9, 'X'), (8, 'IX'), (6, 'VII'), (1, 'V'))
# (lowest kelas, years of service range, age at appointment range): keeps everyone below retirement age.
_PNS_CAREER: tuple[tuple[int, tuple[tuple[int, int], tuple[int, int]]], ...] = (
    (14, ((20, 30), (24, 28))),
    (11, ((12, 28), (23, 28))),
    (8, ((2, 22), (22, 30))),
    (6, ((2, 25), (20, 28))),
    (1, ((3, 30), (19, 27))),
)
_PNS_TMT_MONTHS = (1, 2, 3, 4, 10, 12)
_PPPK_TMT = ((2021, 10), (2022, 3), (2022, 10), (2023, 1), (2023, 12), (2024, 4), (2024, 10), (2025, 3), (2025, 7))


@dataclass(frozen=True)
class Post:
    """A jabatan in an OPD: fixed posts have exactly one holder, pool posts fill the rest by weight."""

    jabatan: str
    kelas: int
    types: tuple[EmployeeType, ...] = (PNS,)
    weight: int = 0
    units: tuple[str | None, ...] = (None,)
    titles: tuple[str, ...] = ()
    female_only: bool = False
    honorarium: tuple[int, int] = (1_000_000, 1_500_000)


@dataclass(frozen=True)
class OpdSpec:
    opd_id: str
    name: str
    kind: str
    headcount: int
    type_weights: tuple[int, int, int]  # PNS, PPPK, TKK
    posts: tuple[Post, ...]
    locations: tuple[dict[str, Any], ...]
    parent_opd_id: str | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            'opd_id': self.opd_id,
            'name': self.name,
            'kind': self.kind,
            'zone': ZONE,
            'locations': list(self.locations),
        }
        if self.parent_opd_id:
            body['parent_opd_id'] = self.parent_opd_id
        return body


@dataclass(frozen=True)
class EmployeeSeed:
    name: str
    employee_type: EmployeeType
    opd_id: str
    jabatan: str
    kelas_jabatan: int
    tpp_ceiling: int
    unit: str | None = None
    golongan: str | None = None
    nip: str | None = None
    nik: str | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            'name': self.name,
            'employee_type': self.employee_type.value,
            'opd_id': self.opd_id,
            'jabatan': self.jabatan,
            'kelas_jabatan': self.kelas_jabatan,
            'tpp_ceiling': self.tpp_ceiling,
        }
        optional = {'unit': self.unit, 'golongan': self.golongan, 'nip': self.nip, 'nik': self.nik}
        return body | {k: v for k, v in optional.items() if v is not None}


@dataclass(frozen=True)
class PinSeed:
    serial: str
    pin: str
    employee_index: int  # position in DemoPlan.employees; the id exists only once the employee is written


@dataclass(frozen=True)
class DemoPlan:
    pemda: dict[str, Any]
    opds: tuple[dict[str, Any], ...]
    bridges: tuple[dict[str, Any], ...]
    machines: tuple[dict[str, Any], ...]
    employees: tuple[EmployeeSeed, ...]
    pins: tuple[PinSeed, ...]
    holidays: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class SeedSummary:
    admin_token: str
    bridge_tokens: dict[str, str]
    opd_admin_tokens: dict[str, str]
    reader_tokens: dict[str, str]  # by role: the personnel office's auditor and BPKAD's finance key
    counts: dict[str, int]


def _circle(name: str, lat: float, lon: float, radius_m: int) -> dict[str, Any]:
    return {'kind': 'circle', 'name': name, 'center': {'lat': lat, 'lon': lon}, 'radius_m': radius_m}


def _polygon(name: str, *vertices: tuple[float, float]) -> dict[str, Any]:
    return {'kind': 'polygon', 'name': name, 'vertices': [{'lat': lat, 'lon': lon} for lat, lon in vertices]}


def _fixed(jabatan: str, kelas: int, unit: str | None = None, titles: tuple[str, ...] = ()) -> Post:
    return Post(jabatan, kelas, units=(unit,), titles=titles)


def _pool(
    jabatan: str,
    kelas: int,
    types: tuple[EmployeeType, ...],
    weight: int,
    units: tuple[str | None, ...] = (None,),
    titles: tuple[str, ...] = (),
    *,
    female_only: bool = False,
    honorarium: tuple[int, int] = (1_000_000, 1_500_000),
) -> Post:
    return Post(jabatan, kelas, types, weight, units, titles, female_only, honorarium)


ASN = (PNS, PPPK)
SCHOOLS = ('SD Negeri 1 Sidomulyo', 'SD Negeri 2 Kota Contoh', 'SMP Negeri 1 Contoh')
_OFFICE_STAFF_TKK = (
    _pool('Pramu Kantor', 1, (TKK,), 3),
    _pool('Pengemudi', 1, (TKK,), 2, honorarium=(1_500_000, 1_750_000)),
    _pool('Petugas Keamanan', 1, (TKK,), 2, honorarium=(1_250_000, 1_500_000)),
    _pool('Tenaga Administrasi', 2, (TKK,), 3, honorarium=(1_500_000, 2_000_000)),
)

OPDS: tuple[OpdSpec, ...] = (
    OpdSpec(
        'SETDA',
        'Sekretariat Daerah',
        'setda',
        30,
        (60, 15, 25),
        (
            _fixed('Sekretaris Daerah', 15),
            _fixed('Asisten Pemerintahan dan Kesejahteraan Rakyat', 14),
            _fixed('Asisten Perekonomian dan Pembangunan', 14),
            _fixed('Asisten Administrasi Umum', 14),
            _fixed('Kepala Bagian Tata Pemerintahan', 11, 'Bagian Tata Pemerintahan'),
            _fixed('Kepala Bagian Hukum', 11, 'Bagian Hukum'),
            _fixed('Kepala Bagian Umum', 11, 'Bagian Umum'),
            _fixed('Bendahara Pengeluaran', 7, 'Bagian Umum'),
            _pool('Perancang Peraturan Perundang-undangan Ahli Pertama', 8, ASN, 2, ('Bagian Hukum',), ('{}, S.H.',)),
            _pool('Analis Kebijakan Ahli Muda', 9, (PNS,), 2, ('Bagian Tata Pemerintahan',)),
            _pool('Analis Kebijakan Ahli Pertama', 8, ASN, 3, ('Bagian Tata Pemerintahan', 'Bagian Hukum')),
            _pool('Pranata Komputer Terampil', 6, ASN, 1, ('Bagian Umum',), ('{}, A.Md.Kom.',)),
            _pool('Pengadministrasi Perkantoran', 5, ASN, 3, ('Bagian Umum', 'Bagian Tata Pemerintahan')),
            *_OFFICE_STAFF_TKK,
        ),
        (_circle('Kantor Sekretariat Daerah', -7.36042, 109.90353, 120),),
    ),
    OpdSpec(
        'DISDIK',
        'Dinas Pendidikan',
        'dinas',
        60,
        (45, 40, 15),
        (
            _fixed('Kepala Dinas Pendidikan', 14, titles=('{}, S.Pd., M.Pd.', 'Dr. {}, M.Pd.')),
            _fixed('Sekretaris Dinas', 12, 'Sekretariat'),
            _fixed('Kepala Bidang Pembinaan Sekolah Dasar', 11, 'Bidang Pembinaan Sekolah Dasar'),
            _fixed('Kepala Bidang Pembinaan Sekolah Menengah Pertama', 11, 'Bidang Pembinaan SMP'),
            _fixed('Bendahara Pengeluaran', 7, 'Sekretariat'),
            _pool('Guru Ahli Pertama', 8, ASN, 10, SCHOOLS, ('{}, S.Pd.', '{}, S.Pd.SD.')),
            _pool('Guru Ahli Muda', 9, (PNS,), 6, SCHOOLS, ('{}, S.Pd.', '{}, S.Pd., M.Pd.')),
            _pool('Guru Ahli Madya', 11, (PNS,), 2, SCHOOLS, ('{}, S.Pd., M.Pd.',)),
            _pool('Pengawas Sekolah Ahli Madya', 11, (PNS,), 1, ('Bidang Pembinaan Sekolah Dasar',), ('{}, M.Pd.',)),
            _pool('Pengelola Data Pendidikan', 6, ASN, 2, ('Sekretariat',)),
            _pool('Guru Tidak Tetap', 3, (TKK,), 4, SCHOOLS, ('{}, S.Pd.',), honorarium=(1_500_000, 2_500_000)),
            _pool('Operator Sekolah', 2, (TKK,), 2, SCHOOLS, honorarium=(1_250_000, 1_750_000)),
            _pool('Penjaga Sekolah', 1, (TKK,), 2, SCHOOLS),
        ),
        (
            _circle('Kantor Dinas Pendidikan', -7.36530, 109.90010, 100),
            _circle('SD Negeri 1 Sidomulyo', -7.37210, 109.91150, 60),
            _circle('SD Negeri 2 Kota Contoh', -7.36290, 109.89750, 60),
            _circle('SMP Negeri 1 Contoh', -7.35710, 109.89620, 120),
        ),
    ),
    OpdSpec(
        'DINKES',
        'Dinas Kesehatan',
        'dinas',
        20,
        (60, 20, 20),
        (
            _fixed('Kepala Dinas Kesehatan', 14, titles=('dr. {}, M.Kes.',)),
            _fixed('Sekretaris Dinas', 12, 'Sekretariat'),
            _fixed('Kepala Bidang Pelayanan Kesehatan', 11, 'Bidang Pelayanan Kesehatan', ('dr. {}',)),
            _fixed('Kepala Bidang Pencegahan dan Pengendalian Penyakit', 11, 'Bidang P2P', ('{}, S.KM., M.Kes.',)),
            _fixed('Bendahara Pengeluaran', 7, 'Sekretariat'),
            _pool('Administrator Kesehatan Ahli Muda', 9, (PNS,), 2, ('Bidang Pelayanan Kesehatan',), ('{}, S.KM.',)),
            _pool('Epidemiolog Kesehatan Ahli Pertama', 8, ASN, 2, ('Bidang P2P',), ('{}, S.KM.',)),
            _pool('Penyuluh Kesehatan Masyarakat Ahli Pertama', 8, ASN, 2, ('Bidang P2P',), ('{}, S.KM.',)),
            _pool('Pengadministrasi Perkantoran', 5, ASN, 2, ('Sekretariat',)),
            *_OFFICE_STAFF_TKK,
        ),
        (_circle('Kantor Dinas Kesehatan', -7.36320, 109.90690, 75),),
    ),
    OpdSpec(
        'BKPSDM',
        'Badan Kepegawaian dan Pengembangan Sumber Daya Manusia',
        'badan',
        22,
        (65, 15, 20),
        (
            _fixed('Kepala Badan', 14),
            _fixed('Sekretaris Badan', 12, 'Sekretariat'),
            _fixed('Kepala Bidang Mutasi dan Promosi', 11, 'Bidang Mutasi dan Promosi'),
            _fixed('Kepala Bidang Pengembangan Kompetensi', 11, 'Bidang Pengembangan Kompetensi'),
            _fixed('Bendahara Pengeluaran', 7, 'Sekretariat'),
            _pool('Analis Kepegawaian Ahli Pertama', 8, ASN, 4, ('Bidang Mutasi dan Promosi',)),
            _pool('Analis Kepegawaian Ahli Muda', 9, (PNS,), 2, ('Bidang Mutasi dan Promosi',)),
            _pool('Analis SDM Aparatur Ahli Pertama', 8, ASN, 2, ('Bidang Pengembangan Kompetensi',)),
            _pool('Pranata Komputer Ahli Pertama', 8, ASN, 1, ('Sekretariat',), ('{}, S.Kom.',)),
            _pool('Pengolah Data Kepegawaian', 6, (PNS,), 2, ('Bidang Mutasi dan Promosi',)),
            _pool('Pramu Kantor', 1, (TKK,), 2),
            _pool('Operator Komputer', 3, (TKK,), 3, ('Sekretariat',), honorarium=(1_750_000, 2_250_000)),
        ),
        (_circle('Kantor BKPSDM', -7.36115, 109.90460, 80),),
    ),
    OpdSpec(
        'BPKAD',
        'Badan Pengelolaan Keuangan dan Aset Daerah',
        'badan',
        25,
        (60, 15, 25),
        (
            _fixed('Kepala Badan', 14, titles=('{}, S.E., M.Si.', '{}, S.E., M.Ak.')),
            _fixed('Sekretaris Badan', 12, 'Sekretariat'),
            _fixed('Kepala Bidang Anggaran', 11, 'Bidang Anggaran'),
            _fixed('Kepala Bidang Perbendaharaan', 11, 'Bidang Perbendaharaan'),
            _fixed('Kepala Bidang Aset', 11, 'Bidang Aset'),
            _fixed('Bendahara Pengeluaran', 7, 'Sekretariat'),
            _pool('Analis Keuangan Pusat dan Daerah Ahli Pertama', 8, ASN, 3, ('Bidang Anggaran',), ('{}, S.E.',)),
            _pool('Analis Anggaran Ahli Muda', 9, (PNS,), 2, ('Bidang Anggaran',), ('{}, S.E.', '{}, S.Ak.')),
            _pool('Verifikator Keuangan', 7, ASN, 3, ('Bidang Perbendaharaan',), ('{}, A.Md.Ak.', '{}, S.Ak.')),
            _pool('Penyusun Laporan Keuangan', 7, (PNS,), 2, ('Bidang Perbendaharaan',)),
            _pool('Pengelola Barang Milik Daerah', 6, ASN, 2, ('Bidang Aset',)),
            *_OFFICE_STAFF_TKK,
        ),
        (
            _polygon(
                'Kantor BPKAD',
                (-7.35945, 109.90185),
                (-7.35945, 109.90275),
                (-7.36015, 109.90275),
                (-7.36015, 109.90185),
            ),
        ),
    ),
    OpdSpec(
        'DISKOMINFO',
        'Dinas Komunikasi dan Informatika',
        'dinas',
        18,
        (50, 25, 25),
        (
            _fixed('Kepala Dinas Komunikasi dan Informatika', 14, titles=('{}, S.Kom., M.T.', '{}, S.T., M.Eng.')),
            _fixed('Sekretaris Dinas', 12, 'Sekretariat'),
            _fixed('Kepala Bidang Aplikasi Informatika', 11, 'Bidang Aplikasi Informatika'),
            _fixed('Kepala Bidang Statistik dan Persandian', 11, 'Bidang Statistik dan Persandian'),
            _fixed('Bendahara Pengeluaran', 7, 'Sekretariat'),
            _pool('Pranata Komputer Ahli Pertama', 8, ASN, 3, ('Bidang Aplikasi Informatika',), ('{}, S.Kom.',)),
            _pool('Pranata Komputer Ahli Muda', 9, (PNS,), 1, ('Bidang Aplikasi Informatika',), ('{}, S.Kom.',)),
            _pool('Pranata Hubungan Masyarakat Ahli Pertama', 8, ASN, 2, ('Sekretariat',), ('{}, S.I.Kom.',)),
            _pool('Statistisi Ahli Pertama', 8, ASN, 1, ('Bidang Statistik dan Persandian',), ('{}, S.Stat.',)),
            _pool('Sandiman Ahli Pertama', 8, (PNS,), 1, ('Bidang Statistik dan Persandian',)),
            _pool('Operator Komputer', 3, (TKK,), 3, honorarium=(1_750_000, 2_250_000)),
            _pool(
                'Teknisi Jaringan', 3, (TKK,), 2, ('Bidang Aplikasi Informatika',), honorarium=(2_000_000, 2_500_000)
            ),
            _pool('Pramu Kantor', 1, (TKK,), 1),
        ),
        (_circle('Kantor Dinas Komunikasi dan Informatika', -7.36090, 109.90190, 60),),
    ),
    OpdSpec(
        'KEC-KOTA',
        'Kecamatan Kota Contoh',
        'kecamatan',
        20,
        (55, 15, 30),
        (
            _fixed('Camat', 12, titles=('{}, S.STP., M.Si.', '{}, S.IP., M.Si.')),
            _fixed('Sekretaris Camat', 10),
            _fixed('Kepala Seksi Pemerintahan', 9, 'Seksi Pemerintahan'),
            _fixed('Kepala Seksi Ketentraman dan Ketertiban Umum', 9, 'Seksi Trantibum'),
            _fixed('Bendahara Pengeluaran', 7),
            _pool('Pengadministrasi Perkantoran', 5, ASN, 3, ('Seksi Pemerintahan', None)),
            _pool('Pengelola Layanan Kependudukan', 6, ASN, 2, ('Seksi Pemerintahan',)),
            _pool('Polisi Pamong Praja Terampil', 6, ASN, 2, ('Seksi Trantibum',)),
            *_OFFICE_STAFF_TKK,
        ),
        (_circle('Kantor Kecamatan Kota Contoh', -7.36880, 109.90870, 90),),
    ),
    OpdSpec(
        'KEL-SIDOMULYO',
        'Kelurahan Sidomulyo',
        'kelurahan',
        12,
        (50, 10, 40),
        (
            _fixed('Lurah', 9, titles=('{}, S.STP.', '{}, S.IP.')),
            _fixed('Sekretaris Kelurahan', 7),
            _fixed('Kepala Seksi Pemerintahan', 8),
            _fixed('Kepala Seksi Kesejahteraan Sosial', 8),
            _pool('Pengadministrasi Perkantoran', 5, ASN, 2),
            _pool('Tenaga Administrasi', 2, (TKK,), 2, honorarium=(1_250_000, 1_750_000)),
            _pool('Pramu Kantor', 1, (TKK,), 1),
        ),
        (_circle('Kantor Kelurahan Sidomulyo', -7.37150, 109.91020, 50),),
        parent_opd_id='KEC-KOTA',
    ),
    OpdSpec(
        'PKM-KOTA',
        'UPTD Puskesmas Kota Contoh',
        'puskesmas',
        43,
        (45, 35, 20),
        (
            _fixed('Kepala Puskesmas', 10, titles=('dr. {}', 'dr. {}, M.Kes.')),
            _fixed('Kepala Subbagian Tata Usaha', 9, 'Tata Usaha', ('{}, S.KM.',)),
            _fixed('Bendahara Pengeluaran', 7, 'Tata Usaha'),
            _pool('Dokter Ahli Pertama', 9, ASN, 3, ('Pelayanan Umum', 'IGD'), ('dr. {}',)),
            _pool('Dokter Gigi Ahli Pertama', 9, ASN, 1, ('Pelayanan Gigi',), ('drg. {}',)),
            _pool('Perawat Terampil', 6, ASN, 6, ('Rawat Inap', 'IGD', 'Pelayanan Umum'), ('{}, A.Md.Kep.',)),
            _pool('Perawat Ahli Pertama', 8, ASN, 4, ('Rawat Inap', 'IGD'), ('{}, S.Kep., Ns.',)),
            _pool('Bidan Terampil', 6, ASN, 5, ('KIA', 'Persalinan'), ('{}, A.Md.Keb.',), female_only=True),
            _pool('Bidan Ahli Pertama', 8, ASN, 2, ('KIA', 'Persalinan'), ('{}, S.Tr.Keb.',), female_only=True),
            _pool('Apoteker Ahli Pertama', 8, ASN, 1, ('Farmasi',), ('{}, S.Farm., Apt.',)),
            _pool('Pranata Laboratorium Kesehatan Terampil', 6, ASN, 1, ('Laboratorium',), ('{}, A.Md.AK.',)),
            _pool('Nutrisionis Terampil', 6, ASN, 1, ('Gizi',), ('{}, A.Md.Gz.',)),
            _pool('Sanitarian Terampil', 6, ASN, 1, ('Kesehatan Lingkungan',), ('{}, A.Md.KL.',)),
            _pool(
                'Perawat Kontrak',
                3,
                (TKK,),
                3,
                ('Rawat Inap', 'IGD'),
                ('{}, A.Md.Kep.',),
                honorarium=(1_750_000, 2_500_000),
            ),
            _pool('Petugas Pendaftaran', 2, (TKK,), 2, ('Loket Pendaftaran',), honorarium=(1_250_000, 1_750_000)),
            _pool('Pengemudi Ambulans', 1, (TKK,), 1, ('IGD',), honorarium=(1_500_000, 1_750_000)),
            _pool('Tenaga Kebersihan', 1, (TKK,), 2),
        ),
        (
            _polygon(
                'Gedung Puskesmas Kota Contoh',
                (-7.36715, 109.91200),
                (-7.36712, 109.91275),
                (-7.36760, 109.91295),
                (-7.36795, 109.91245),
                (-7.36770, 109.91195),
            ),
            _circle('Puskesmas Pembantu Sidomulyo', -7.37280, 109.91390, 50),
        ),
        parent_opd_id='DINKES',
    ),
)

# TKK honoraria are priced only once the pemda publishes a TKK profile: the demo publishes the shipped example
# with amounts sized to its honoraria (Rp1-2.5 million a month, about Rp60,000 a working day).
DEMO_TKK_PROFILE: dict[str, Any] = {
    **{key: value for key, value in TKK_EXAMPLE.items() if key not in ('profile_id', 'version')},
    'profile_id': 'kab-contoh-tkk',
    'name': 'Potongan honorarium TKK Kabupaten Contoh (demo)',
    'legal_basis': 'DEMO, bukan peraturan yang berlaku: nominal contoh untuk pemda demo Hadir (Kabupaten Contoh).',
    'effective_from': f'{YEAR}-01-01',
    'late': {'tiers': [{**tier, 'amount': amount} for tier, amount in
                       zip(TKK_EXAMPLE['late']['tiers'], (7_500, 15_000, 20_000, 25_000), strict=True)]},
    'early': {'tiers': [{**tier, 'amount': amount} for tier, amount in
                        zip(TKK_EXAMPLE['early']['tiers'], (7_500, 15_000, 20_000, 25_000), strict=True)]},
    'missing_check_in': {'code': 'TL4', 'amount': 25_000},
    'missing_check_out': {'code': 'PSW4', 'amount': 25_000},
    'tk': {**TKK_EXAMPLE['tk'], 'amount': 60_000},
    'daily_cap': 60_000,
}  # fmt: skip
DEMO_TKK_APPROVAL = 'Demo: diterbitkan oleh seed pemda contoh, tanpa persetujuan pejabat sungguhan'

BRIDGES: tuple[dict[str, Any], ...] = (
    {'bridge_id': 'BRG-SETDA', 'name': 'Bridge Komplek Perkantoran Setda', 'opd_id': 'SETDA'},
    {'bridge_id': 'BRG-DINKES', 'name': 'Bridge Dinas Kesehatan', 'opd_id': 'DINKES'},
    {'bridge_id': 'BRG-KEC-KOTA', 'name': 'Bridge Kecamatan Kota Contoh', 'opd_id': 'KEC-KOTA'},
)

# serial, name, OPD, bridge, brand, model, protocol, address (pull only).
# The Setda bridge reaches the offices of the Setda complex over its LAN; the Puskesmas (a UPTD of Dinkes) pushes
# to the Dinkes bridge; the kelurahan's machine has no network, so its USB dumps go to the kecamatan by hand.
# Dinas Pendidikan has no machine on purpose: its teachers work at schools and check in by phone.
_MACHINE_ROWS: tuple[tuple[str, str, str, str, str, str, str, str | None], ...] = (
    ('CKPG222360041', 'Mesin Lobi Setda', 'SETDA', 'BRG-SETDA', 'ZKTeco', 'SpeedFace-V5L', 'push', None),
    ('A8N5213960217', 'Mesin BKPSDM', 'BKPSDM', 'BRG-SETDA', 'Solution', 'X100-C', 'pull', '192.168.10.21:4370'),
    ('BOCK201460088', 'Mesin BPKAD', 'BPKAD', 'BRG-SETDA', 'ZKTeco', 'MB360', 'pull', '192.168.10.22:4370'),
    ('CKPG222360107', 'Mesin Diskominfo', 'DISKOMINFO', 'BRG-SETDA', 'ZKTeco', 'SpeedFace-V4L', 'push', None),
    ('FIO66208021730', 'Mesin Dinkes', 'DINKES', 'BRG-DINKES', 'Fingerspot', 'Revo FF-153', 'pull',
     '192.168.20.11:4370'),
    ('CKPG222360215', 'Mesin Puskesmas', 'PKM-KOTA', 'BRG-DINKES', 'ZKTeco', 'SpeedFace-V5L', 'push', None),
    ('A8N5214060032', 'Mesin Kecamatan', 'KEC-KOTA', 'BRG-KEC-KOTA', 'Solution', 'X100-C', 'pull',
     '192.168.30.11:4370'),
    ('MGC30917000561', 'Mesin Kelurahan Sidomulyo', 'KEL-SIDOMULYO', 'BRG-KEC-KOTA', 'Magic', 'X309', 'usb', None),
)  # fmt: skip
MACHINE_FIELDS = ('serial', 'name', 'opd_id', 'bridge_id', 'brand', 'model', 'protocol', 'address')
MACHINES: tuple[dict[str, Any], ...] = tuple(
    {k: v for k, v in zip(MACHINE_FIELDS, row, strict=True) if v is not None} | {'zone': ZONE} for row in _MACHINE_ROWS
)


# --- the pure plan ------------------------------------------------------------------------------


def plan_demo(seed: int = 2026) -> DemoPlan:
    """Everything the demo pemda holds, derived only from `seed` and the tables above."""
    rng = random.Random(seed)
    people = _People(rng)
    employees: list[EmployeeSeed] = []
    for spec in OPDS:
        employees.extend(_staff(rng, people, spec))
    return DemoPlan(
        pemda=dict(PEMDA),
        opds=tuple(spec.body() for spec in OPDS),
        bridges=BRIDGES,
        machines=MACHINES,
        employees=tuple(employees),
        pins=_pins(employees),
        holidays=holidays_for(YEAR),
    )


def _staff(rng: random.Random, people: _People, spec: OpdSpec) -> list[EmployeeSeed]:
    fixed = [p for p in spec.posts if p.weight == 0]
    pool = [p for p in spec.posts if p.weight > 0]
    posts: list[tuple[Post, EmployeeType]] = [(p, p.types[0]) for p in fixed]
    for _ in range(spec.headcount - len(fixed)):
        kind = rng.choices((PNS, PPPK, TKK), weights=spec.type_weights)[0]
        candidates = [p for p in pool if kind in p.types]
        post = rng.choices(candidates, weights=[p.weight for p in candidates])[0]
        posts.append((post, kind))
    return [people.employee(spec.opd_id, post, kind, structural=post.weight == 0) for post, kind in posts]


class _People:
    """Invents unique people: names, NIPs and NIKs never repeat within one plan."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._names: set[str] = set()
        self._numbers: set[str] = set()

    def employee(self, opd_id: str, post: Post, kind: EmployeeType, *, structural: bool) -> EmployeeSeed:
        rng = self._rng
        female = post.female_only or rng.random() < 0.5
        generic = ('{}',) if kind is TKK else _by_kelas(_TITLES_BY_KELAS, post.kelas)
        name = rng.choice(post.titles or generic).format(self._name(female))
        unit = rng.choice(post.units)
        golongan: str | None = None
        nip: str | None = None
        nik: str | None = None
        if kind is TKK:
            tpp_ceiling = rng.randrange(post.honorarium[0], post.honorarium[1] + 1, 50_000)
            nik = self._nik(self._birth(YEAR - rng.randint(20, 50)), female)
        else:
            tpp_ceiling = TPP_BY_KELAS[post.kelas]
            if kind is PNS:
                service_range, age_range = _by_kelas(_PNS_CAREER, post.kelas)
                # A head of office has years behind them, whatever the band allows.
                service = rng.randint(max(service_range[0], 8) if structural else service_range[0], service_range[1])
                appointed = (YEAR - service, rng.choice(_PNS_TMT_MONTHS))
                golongan = rng.choice(_by_kelas(_PNS_GOLONGAN, post.kelas))
                birth = self._birth(appointed[0] - rng.randint(*age_range))
            else:
                appointed = rng.choice(_PPPK_TMT)
                golongan = _by_kelas(_PPPK_GOLONGAN, post.kelas)
                birth = self._birth(appointed[0] - rng.randint(23, 45))
                appointed = (appointed[0], PPPK_CODE)  # an NI PPPK carries the year and the code 21, no month
            nip = self._nip(birth, appointed, female)
        return EmployeeSeed(
            name=name,
            employee_type=kind,
            opd_id=opd_id,
            jabatan=post.jabatan,
            kelas_jabatan=post.kelas,
            tpp_ceiling=tpp_ceiling,
            unit=unit,
            golongan=golongan,
            nip=nip,
            nik=nik,
        )

    def _name(self, female: bool) -> str:
        rng = self._rng
        first, middles, last = (
            (FEMALE_FIRST, FEMALE_MIDDLE, FEMALE_LAST) if female else (MALE_FIRST, MALE_MIDDLE, MALE_LAST)
        )
        while True:
            given = rng.choice(first)
            middle = rng.choice(middles) if rng.random() < 0.3 else ''
            parts = [given, middle, rng.choice(last)] if middle and middle != given else [given, rng.choice(last)]
            name = ' '.join(parts)
            if name not in self._names:
                self._names.add(name)
                return name

    def _birth(self, year: int) -> date:
        month = self._rng.randint(1, 12)
        return date(year, month, self._rng.randint(1, calendar.monthrange(year, month)[1]))

    def _nip(self, birth: date, appointed: tuple[int, int], female: bool) -> str:
        # A real sequence number counts people sharing birth date, TMT and sex, so it stays small.
        sequence = self._rng.randint(1, 9)
        stem = f'{birth:%Y%m%d}{appointed[0]:04d}{appointed[1]:02d}{2 if female else 1}'
        while f'{stem}{sequence:03d}' in self._numbers:
            sequence += 1
        self._numbers.add(f'{stem}{sequence:03d}')
        return f'{stem}{sequence:03d}'

    def _nik(self, birth: date, female: bool) -> str:
        district = self._rng.randint(1, 15)
        day = birth.day + (40 if female else 0)
        stem = f'{NIK_REGION}{district:02d}{day:02d}{birth:%m%y}'
        sequence = self._rng.randint(1, 40)
        while f'{stem}{sequence:04d}' in self._numbers:
            sequence += 1
        self._numbers.add(f'{stem}{sequence:04d}')
        return f'{stem}{sequence:04d}'


def _by_kelas(table: Sequence[tuple[int, T]], kelas: int) -> T:
    return next(value for lowest, value in table if kelas >= lowest)


def _pins(employees: Sequence[EmployeeSeed]) -> tuple[PinSeed, ...]:
    """Each employee gets one PIN per machine of their OPD, numbered from 1 within the OPD."""
    pins: list[PinSeed] = []
    for machine in MACHINES:
        members = [i for i, e in enumerate(employees) if e.opd_id == machine['opd_id']]
        pins.extend(PinSeed(machine['serial'], str(n), i) for n, i in enumerate(members, start=1))
    return tuple(pins)


def holidays_for(year: int) -> tuple[dict[str, Any], ...]:
    """National days and cuti bersama, as the yearly import adds them (services.schedules.national_holidays)."""
    return tuple(h.model_dump(mode='json') for h in schedules.national_holidays(year))


# --- writing it ---------------------------------------------------------------------------------


def demo_is_seeded(deps: Deps) -> bool:
    return deps.store.get(KIND_PEMDA, directory.PEMDA_ID) is not None


def _upcoming_promotion(deps: Deps, admin: Principal, plan: DemoPlan, employee_ids: Sequence[str]) -> None:
    """The first staff PNS of the plan (kelas 6-9) is promoted from the 1st of next month: an upcoming change the
    console's employee page marks (and BKPSDM may withdraw), which touches no month the demo's past closes."""
    index = next(i for i, e in enumerate(plan.employees)
                 if e.employee_type is EmployeeType.PNS and 6 <= e.kelas_jabatan <= 9)  # fmt: skip
    employee = plan.employees[index]
    today = deps.clock().date()
    next_month = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    body = {'effective_from': next_month.isoformat(), 'reason': 'PROMOSI',
            'kelas_jabatan': employee.kelas_jabatan + 1, 'tpp_ceiling': employee.tpp_ceiling + 500_000,
            'reference': f'821.3/045/BKPSDM/{today.year}', 'note': 'Kenaikan kelas jabatan (data demo)'}  # fmt: skip
    employee_history.record_change(deps, admin, employee_ids[index], body)


def seed_demo(deps: Deps, *, seed: int = 2026, progress: Callable[[str], None] = lambda _: None) -> SeedSummary:
    """Write the demo pemda through the use cases, staged in memory and landed in batch writes (seed_store).

    The pemda settings land last: they mark a finished seed.
    """
    if demo_is_seeded(deps):
        raise Conflict('the demo pemda is already seeded; reset the local state to seed again')
    plan = plan_demo(seed)
    target = deps
    deps, staged = seed_store.staging(target)
    admin_token = keys.bootstrap_super_key(deps, 'Demo super key (hadir run)')
    parsed = api_keys.parse_token(admin_token)
    if parsed is None:
        raise RuntimeError('bootstrap_super_key returned a token parse_token does not accept')
    admin = Principal(key_id=parsed[0], role=Role.SUPER)

    for opd in plan.opds:
        directory.create_opd(deps, admin, opd)
    opd_admin_tokens = {
        opd['opd_id']: keys.create_key(
            deps, admin, {'name': f'Admin {opd["name"]}', 'role': Role.OPD_ADMIN.value, 'opd_id': opd['opd_id']}
        )['token']
        for opd in plan.opds
    }
    reader_tokens = {
        role.value: keys.create_key(deps, admin, {'name': name, 'role': role.value})['token']
        for role, name in ((Role.AUDITOR, 'Auditor Inspektorat'), (Role.FINANCE, 'Keuangan BPKAD'))
    }
    bridge_tokens = {b['bridge_id']: directory.create_bridge(deps, admin, b)['token'] for b in plan.bridges}
    for machine in plan.machines:
        directory.create_machine(deps, admin, machine)
    pins_of: dict[int, list[PinSeed]] = {}
    for pin in plan.pins:
        pins_of.setdefault(pin.employee_index, []).append(pin)
    progress(f'{len(plan.opds)} OPD, {len(plan.bridges)} bridges, {len(plan.machines)} machines')
    employee_ids = []
    for index, employee in enumerate(plan.employees):
        employee_id = directory.create_employee(deps, admin, employee.body())['employee_id']
        employee_ids.append(employee_id)
        for pin in pins_of.get(index, []):
            body = {'pin': pin.pin, 'employee_id': employee_id, 'valid_from': PIN_VALID_FROM}
            directory.create_pin_mapping(deps, admin, pin.serial, body)
    for holiday in plan.holidays:
        directory.add_holiday(deps, admin, holiday)
    _upcoming_promotion(deps, admin, plan, employee_ids)
    draft = profiles.create_draft(deps, admin, DEMO_TKK_PROFILE)
    approval = {'approval_note': DEMO_TKK_APPROVAL}
    profiles.publish_version(deps, admin, draft['profile_id'], str(draft['version']), approval)
    progress(f'{len(plan.employees)} employees, {len(plan.pins)} PIN mappings, {len(plan.holidays)} holidays')
    directory.put_pemda(deps, admin, plan.pemda)
    written = seed_store.land(target, staged)
    progress(f'{written} items written to the embedded AWS')

    counts = {
        'opds': len(plan.opds),
        'employees': len(plan.employees),
        'machines': len(plan.machines),
        'bridges': len(plan.bridges),
        'pin_mappings': len(plan.pins),
        'holidays': len(plan.holidays),
        'rule_profiles': 1,  # drafted, then published: two audited writes
        'employee_changes': 1,
    }
    return SeedSummary(admin_token, bridge_tokens, opd_admin_tokens, reader_tokens, counts)
