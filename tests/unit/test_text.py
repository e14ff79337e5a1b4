"""What text may enter Hadir (names, free text) and how it leaves in spreadsheet files."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.domain.models import Employee
from chalicelib.domain.text import check_free_text, check_name, spreadsheet_text

HOSTILE_STARTS = ("=cmd|' /C calc'!A0", '+SUM(1,1)', '-2+3', '@SUM(A1)', '\t=1+1', '\r=1+1')
INVISIBLE = ('Budi\x00Santoso', 'Budi\u202eosotnaS', 'Budi\u200bSantoso', 'Budi\u2066Santoso', 'Budi\ufeff', 'Bu\x1bdi')


@pytest.mark.parametrize('value', HOSTILE_STARTS)
def test_a_name_that_begins_a_formula_is_refused_with_the_reason(value: str) -> None:
    with pytest.raises(ValueError, match='spreadsheet would read it as a formula|control character'):
        check_name(value)


@pytest.mark.parametrize('value', INVISIBLE)
def test_control_bidi_and_zero_width_characters_are_refused_in_names_and_free_text(value: str) -> None:
    with pytest.raises(ValueError, match=r'contains .* \(U\+[0-9A-F]{4}\) at position \d+'):
        check_name(value)
    with pytest.raises(ValueError, match=r'contains'):
        check_free_text(value)


def test_real_names_pass_unchanged() -> None:
    for value in ('Siti "Sri" Rahayu, S.E.', "Ni Luh Putu Ayu D'Amato", 'Dr. H. Muh. Ali-Akbar, M.Kes.',
                  'Ir. Yohanes Kẹnẹ', 'Kepala Sub-Bagian Umum'):  # fmt: skip
        assert check_name(value) == value
    assert check_free_text('Surat tugas\nNo. 800/12/2026') == 'Surat tugas\nNo. 800/12/2026'


def test_spreadsheet_text_neutralises_only_formula_starts() -> None:
    assert [spreadsheet_text(v) for v in HOSTILE_STARTS] == ["'" + v for v in HOSTILE_STARTS]
    assert spreadsheet_text('Budi Santoso') == 'Budi Santoso'
    assert spreadsheet_text('') == ''


def test_the_employee_model_refuses_a_formula_name_and_jabatan() -> None:
    base = {'employee_id': 'E1', 'employee_type': 'TKK', 'opd_id': 'DINKES', 'kelas_jabatan': 3, 'tpp_ceiling': 0}
    with pytest.raises(ValidationError) as caught:
        Employee.model_validate({**base, 'name': '=HYPERLINK("http://x")', 'jabatan': '@SUM(A1)'})
    assert {e['loc'][0] for e in caught.value.errors()} == {'name', 'jabatan'}
