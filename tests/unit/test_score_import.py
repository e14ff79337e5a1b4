"""Reading e-kinerja score exports: headers, delimiters, encodings, decimal commas, NIP spellings, and problems
named by their line."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.score_import import (
    entry_lines,
    flag_repeated,
    parse_score,
    read_score_file,
)

ANI, BUDI, CITRA = '198503012010011001', '198503012010011002', '198503012010011003'
HINT = 'the line has more cells than the header: with a comma delimiter, write decimals with a point'


def _issues(lines: object) -> dict[str, str]:
    return {issue.path: issue.message for line in lines for issue in line.issues}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ('raw', 'expected'),
    [
        ('87,5', Decimal('87.5')),
        ('87.50', Decimal('87.5')),
        (' 90 % ', Decimal(90)),
        ("'100", Decimal(100)),
        ('100,00', Decimal(100)),
        ('0', Decimal(0)),
        (87.25, Decimal('87.25')),
        (95, Decimal(95)),
    ],
)
def test_a_score_is_read_as_meant_and_spelled_one_way(raw: object, expected: Decimal) -> None:
    value = parse_score(raw)
    assert value == expected and str(value) == str(expected)


@pytest.mark.parametrize(
    ('raw', 'message'),
    [
        ('100,5', 'outside 0-100'),
        ('-1', 'outside 0-100'),
        ('baik', 'is not a number'),
        ('87,555', 'more than two decimals'),
        ('', 'empty'),
        (None, 'empty'),
        (True, 'not a number'),
        ('1.234,5', 'is not a number'),
    ],
)
def test_a_score_that_is_not_a_percentage_is_refused_with_a_reason(raw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_score(raw)


def test_an_e_kinerja_export_with_title_lines_semicolons_a_bom_and_decimal_commas_is_read() -> None:
    # Given an e-kinerja export: title lines, then a header with "Nilai Kinerja", ';' and a BOM
    body = (
        '\ufeffLaporan Capaian Kinerja Pegawai;;;\r\n'
        'Periode: Januari 2026;;;\r\n'
        ';;;\r\n'
        'No;NIP;Nama;Nilai Kinerja\r\n'
        f"1;'{ANI};Ani;87,5\r\n"
        f'2;{BUDI[:8]} {BUDI[8:14]} {BUDI[14]} {BUDI[15:]};Budi;100\r\n'
        'BIDANG KEPEGAWAIAN;;;\r\n'
        f'3;{CITRA};Citra;92,25\r\n'
        'Rata-rata;;;93,25\r\n'
    ).encode()
    # When it is read
    parsed = read_score_file(body)
    # Then the header on line 4 is found, NIPs are cleaned, decimal commas read, the section and footer skipped
    assert parsed.columns == {'nip': 'NIP', 'score': 'Nilai Kinerja'}
    assert [(line.where, line.nip, line.score) for line in parsed.lines] == [
        ('lines[5]', ANI, Decimal('87.5')),
        ('lines[6]', BUDI, Decimal(100)),
        ('lines[8]', CITRA, Decimal('92.25')),
    ]
    assert not _issues(parsed.lines)
    assert parsed.warnings == ('line 9 ("Rata-rata") looks like a footer and was skipped',)


def test_a_comma_separated_windows_1252_file_with_quoted_decimals_is_read() -> None:
    body = f'NIP,Nama Pegawai,Skor\r\n{ANI},José Müller,"87,5"\r\n{BUDI},Budi,90\r\n'.encode('cp1252')
    parsed = read_score_file(body)
    assert [(line.nip, line.score) for line in parsed.lines] == [(ANI, Decimal('87.5')), (BUDI, Decimal(90))]
    assert parsed.warnings == ('the file is not UTF-8 and was read as Windows-1252',)


@pytest.mark.parametrize('header', ['Nilai', 'Skor', 'Capaian', 'Nilai Kinerja', 'SKOR_KINERJA', 'Capaian (%)'])
def test_the_score_column_is_found_by_any_of_its_usual_names(header: str) -> None:
    parsed = read_score_file(f'NIP;{header}\n{ANI};80\n'.encode())
    assert parsed.columns['score'] == header and parsed.lines[0].score == Decimal(80)


def test_with_two_score_columns_the_preferred_one_is_read_and_the_other_named() -> None:
    parsed = read_score_file(f'NIP;Nilai SKP;Capaian Kinerja\n{ANI};70;85\n'.encode())
    assert parsed.lines[0].score == Decimal(85)
    assert parsed.warnings == ('the score is read from column "Capaian Kinerja"; ignored: Nilai SKP',)


def test_every_bad_line_gets_its_problem_with_its_line_number() -> None:
    # Given a file with a bad NIP, a NIP Excel turned into a number, a score too high, a missing score,
    # a line with a score and no NIP, and a decimal comma split by a comma delimiter
    body = (f'NIP,Skor\n12345,80\n1.98503E+17,80\n{ANI},101\n{BUDI},\n,75\n{CITRA},87,5\n').encode()
    # When it is read, Then each line names its own problem
    issues = _issues(read_score_file(body).lines)
    assert issues == {
        'lines[2].nip': 'NIP must be exactly 18 digits',
        'lines[3].nip': "the NIP '1.98503E+17' lost its digits in Excel; format the column as Text and export again",
        'lines[4].score': 'the score 101 is outside 0-100',
        'lines[5].score': 'the score is empty',
        'lines[6].nip': 'the NIP is empty',
        'lines[7].score': HINT,
    }


@pytest.mark.parametrize(
    ('body', 'message'),
    [
        (b'', 'the file is empty'),
        (b'Nama;Jabatan\nAni;Analis\n', 'no header row with a NIP column and a score column'),
        (b'NIP;Nilai\n', 'no score lines'),
        (b'PK\x03\x04rest', 'Excel workbook'),
        (b'\xff\xfeN\x00I', 'damaged'),
    ],
)
def test_an_unusable_file_is_refused_as_a_whole(body: bytes, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        read_score_file(body)


def test_json_entries_take_a_nip_or_an_employee_id_and_report_by_index() -> None:
    lines = entry_lines([
        {'nip': f"'{ANI}", 'score': '87,5'},
        {'employee_id': 'emp-2', 'score': 90},
        {'nip': ANI, 'employee_id': 'emp-1', 'score': 90},
        {'nip': 198503012010011001, 'score': 90},
        {'employee_id': 'emp-3', 'score': 'baik', 'grade': 'A'},
    ])  # fmt: skip
    assert [(line.nip, line.employee_id, line.score) for line in lines[:2]] == [
        (ANI, None, Decimal('87.5')), (None, 'emp-2', Decimal(90)),
    ]  # fmt: skip
    assert _issues(lines) == {
        'scores[2].nip': 'give either nip or employee_id',
        'scores[3].nip': 'the NIP must be written as text (18 digits), not as a number',
        'scores[4].grade': 'unknown field',
        'scores[4].score': "the score 'baik' is not a number (write it like 87 or 87,5)",
    }


def test_lines_of_the_same_employee_are_all_flagged_naming_each_other() -> None:
    lines = entry_lines([{'nip': ANI, 'score': 80}, {'nip': BUDI, 'score': 80}, {'employee_id': 'e1', 'score': 81}])
    flagged = flag_repeated(lines, ['e1', 'e2', 'e1'])
    assert _issues(flagged) == {
        'scores[0].nip': f'NIP {ANI} is also on scores[2]; keep one',
        'scores[2].employee_id': 'employee e1 is also on scores[0]; keep one',
    }
