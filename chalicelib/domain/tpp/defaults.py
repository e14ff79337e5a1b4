"""The profiles Hadir ships, as JSON-shaped data (reference/tpp-rules.md §8). The admin API serves them as
the starting draft for a pemda's own profile; nothing here is read from disk.

``ASN_DEFAULT`` is §8 as written. ``TKK_EXAMPLE`` is an *example* only: the reference gives no rupiah
amounts for honoraria, so its amounts are placeholders a pemda must replace from its Perkada/Perwal.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from chalicelib.domain.tpp.profile import RuleProfile, parse_profile

_MINUTE_TIERS = [(1, 30), (31, 60), (61, 90), (91, None)]

_PP94_THRESHOLDS: list[dict[str, Any]] = [
    {'days_from': 3, 'days_to': 3, 'sanction': 'Teguran lisan (PP 94/2021)'},
    {'days_from': 4, 'days_to': 6, 'sanction': 'Teguran tertulis (PP 94/2021)'},
    {'days_from': 7, 'days_to': 10, 'sanction': 'Pernyataan tidak puas secara tertulis (PP 94/2021)'},
    {'days_from': 11, 'days_to': 13, 'sanction': 'Pemotongan tunjangan kinerja/TPP 25% selama 6 bulan (PP 94/2021)'},
    {'days_from': 14, 'days_to': 16, 'sanction': 'Pemotongan tunjangan kinerja/TPP 25% selama 9 bulan (PP 94/2021)'},
    {'days_from': 17, 'days_to': 20, 'sanction': 'Pemotongan tunjangan kinerja/TPP 25% selama 12 bulan (PP 94/2021)'},
    {
        'days_from': 21,
        'days_to': 24,
        'sanction': 'Penurunan jabatan setingkat lebih rendah selama 12 bulan (PP 94/2021)',
    },
    {
        'days_from': 25,
        'days_to': 27,
        'sanction': 'Pembebasan dari jabatan menjadi pelaksana selama 12 bulan (PP 94/2021)',
    },
    {
        'days_from': 28,
        'days_to': None,
        'sanction': 'Pemberhentian dengan hormat tidak atas permintaan sendiri (PDHTAPS)',
    },
]

_SICK_TIERS: list[dict[str, Any]] = [
    {'code': 'SK1', 'days_from': 1, 'days_to': 3, 'deduction_bp': 0},
    {'code': 'SK2', 'days_from': 4, 'days_to': 14, 'deduction_bp': 2_500},
    {'code': 'SK3', 'days_from': 15, 'days_to': None, 'deduction_bp': 5_000},
]


def _tiers(prefix: str, amounts: list[int]) -> dict[str, Any]:
    return {
        'tiers': [
            {'code': f'{prefix}{n}', 'min_from': low, 'min_to': high, 'amount': amount}
            for n, ((low, high), amount) in enumerate(zip(_MINUTE_TIERS, amounts, strict=True), start=1)
        ]
    }


def _duty(code: str, name: str) -> dict[str, Any]:
    return {'code': code, 'name': name, 'counts_as_present': True, 'proof': 'surat tugas'}


_PRESENT_DUTIES = [
    _duty('DL', 'Dinas luar'),
    _duty('TD', 'Tugas kedinasan'),
    _duty('DK', 'Diklat/bimtek'),
]
_PARTIAL_PERMITS: list[dict[str, Any]] = [
    {'code': 'ITM', 'name': 'Izin terlambat masuk', 'effect': 'WAIVE_LATE'},
    {'code': 'IPC', 'name': 'Izin pulang cepat', 'effect': 'WAIVE_EARLY'},
]
_SICK: list[dict[str, Any]] = [
    {
        'code': 'S',
        'name': 'Sakit dengan surat keterangan dokter',
        'charge': 'MONTH_TIERS',
        'month_tiers': _SICK_TIERS,
        'proof': 'surat keterangan dokter',
    },
    {'code': 'SKX', 'name': 'Sakit tanpa surat keterangan dokter', 'charge': 'AS_TK'},
]

ASN_DEFAULT: dict[str, Any] = {
    'profile_id': 'hadir-default-asn',
    'version': 1,
    'name': 'Profil bawaan Hadir untuk ASN (PNS dan PPPK)',
    'legal_basis': (
        'Profil bawaan (reference/tpp-rules.md §8): PP 12/2019 Pasal 58; PP 94/2021; Perpres 21/2023; '
        'PP 11/2017 dan PP 49/2018 (cuti). Ganti dengan nomor dan pasal Peraturan Kepala Daerah yang berlaku.'
    ),
    'effective_from': '2023-01-01',
    'effective_to': None,
    'employee_types': ['PNS', 'PPPK'],
    'performance_weight_bp': 6_000,
    'attendance_weight_bp': 4_000,
    'status_factor_bp': 10_000,
    'deduction_base': 'ATTENDANCE_COMPONENT',
    'unit': 'PERCENT',
    'late': _tiers('TL', [50, 100, 125, 150]),
    'early': _tiers('PSW', [50, 100, 125, 150]),
    'missing_check_in': {'code': 'TL4', 'amount': 150},
    'missing_check_out': {'code': 'PSW4', 'amount': 150},
    'lone_scan': 'TIERS',
    'grace_minutes': 0,
    'late_reference': 'NOMINAL',
    'makeup_mode': 'NONE',
    'makeup_max_minutes': 30,
    'tk': {
        'mode': 'FIXED',
        'amount': 500,
        'consecutive_days': 10,
        'consecutive_deduction_bp': 10_000,
        'whole_month_forfeit': 'ATTENDANCE_COMPONENT',
    },
    'daily_cap': 500,
    'monthly_cap_bp': 10_000,
    'statuses': [
        {'code': 'CT', 'name': 'Cuti tahunan'},
        *_SICK,
        {
            'code': 'CAP',
            'name': 'Cuti karena alasan penting',
            'charge': 'PER_DAY',
            'amount': 250,
            'free_days_per_month': 2,
            'employee_types': ['PNS'],
        },
        {'code': 'CBS', 'name': 'Cuti besar', 'charge': 'PER_DAY', 'amount': 150, 'employee_types': ['PNS']},
        {'code': 'CM', 'name': 'Cuti melahirkan (anak ke-1 s.d. ke-3)'},
        {'code': 'CLTN', 'name': 'Cuti di luar tanggungan negara', 'charge': 'EXCLUDED', 'employee_types': ['PNS']},
        *_PRESENT_DUTIES,
        {'code': 'IZ', 'name': 'Izin sehari penuh', 'charge': 'PER_DAY', 'amount': 150},
        *_PARTIAL_PERMITS,
        {'code': 'TB', 'name': 'Tugas belajar penuh waktu', 'charge': 'EXCLUDED'},
        {'code': 'BS', 'name': 'Diberhentikan sementara', 'charge': 'EXCLUDED'},
    ],
    'apel': {'enabled': False, 'code': 'APL', 'weekdays': [0], 'amount': 200},
    'outage': {'policy': 'MANUAL_VERIFIED', 'forfeit_scope': 'TOTAL_TPP'},
    'manipulation': {'attendance_deduction_bp': 10_000, 'escalate_to_discipline': False},
    'discipline': {
        'thresholds': _PP94_THRESHOLDS,
        'consecutive_days': 10,
        'consecutive_sanction': 'TK 10 hari berturut-turut: calon PDHTAPS, gaji dihentikan mulai bulan berikutnya',
        'late_minutes_per_day': None,
    },
}

TKK_EXAMPLE: dict[str, Any] = {
    **ASN_DEFAULT,
    'profile_id': 'hadir-example-tkk',
    'name': 'Contoh profil TKK/honorer: potongan rupiah dari honorarium',
    'legal_basis': 'CONTOH. Nominal rupiah wajib diganti sesuai Perkada/Perwal tentang honorarium TKK.',
    'employee_types': ['TKK'],
    'performance_weight_bp': 0,
    'attendance_weight_bp': 10_000,
    'unit': 'RUPIAH',
    'late': _tiers('TL', [5_000, 10_000, 12_500, 15_000]),
    'early': _tiers('PSW', [5_000, 10_000, 12_500, 15_000]),
    'missing_check_in': {'code': 'TL4', 'amount': 15_000},
    'missing_check_out': {'code': 'PSW4', 'amount': 15_000},
    'tk': {**ASN_DEFAULT['tk'], 'amount': 50_000},
    'daily_cap': 50_000,
    'statuses': [
        *_SICK,
        *_PRESENT_DUTIES,
        {'code': 'IZ', 'name': 'Izin sehari penuh', 'charge': 'PER_DAY', 'amount': 15_000},
        *_PARTIAL_PERMITS,
    ],
    'discipline': {
        'thresholds': [
            {'days_from': 5, 'days_to': None, 'sanction': 'Evaluasi kontrak (contoh: PTT tidak hadir 5 hari)'}
        ],
        'consecutive_days': 5,
        'consecutive_sanction': 'Evaluasi kontrak: tidak hadir 5 hari berturut-turut',
        'late_minutes_per_day': None,
    },
}


@cache
def default_profile() -> RuleProfile:
    """The ASN (PNS and PPPK) default of reference §8, validated."""
    return parse_profile(ASN_DEFAULT)


@cache
def example_tkk_profile() -> RuleProfile:
    """An example TKK profile with rupiah deductions; the amounts are placeholders."""
    return parse_profile(TKK_EXAMPLE)
