"""The pure reader of SIASN/SIMPEG employee exports: columns, cell formats, per-row issues, file limits."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from chalicelib.domain.employee_import import (
    MAX_ROWS,
    XLSX_CONTENT_TYPE,
    ImportMode,
    IssueCode,
    ParsedFile,
    ParsedRow,
    header_key,
    import_options,
    read_employee_file,
)
from chalicelib.domain.errors import ValidationFailed

CSV = 'text/csv'
HEADER = 'NIP;NAMA;JENIS_PEGAWAI;NIK;KODE_OPD;UNIT_KERJA;JABATAN;KELAS_JABATAN;GOLONGAN;PAGU_TPP'
NIP_A = '197501011999011001'
NIP_B = '198602022021212002'
GOOD_A = f'{NIP_A};Budi Santoso;PNS;3201010101750001;DISDIK;Sekretariat;Analis Kepegawaian;8;III/a;7.500.000'
GOOD_B = f'{NIP_B};Maya Sari;PPPK;;DISDIK;;Guru Ahli Pertama;7;IX;5000000'
SIASN_20 = Path(__file__).parents[1] / 'events' / 'employees-siasn-20.csv'


def read(*lines: str, header: str = HEADER, prefix: bytes = b'') -> ParsedFile:
    return read_employee_file(prefix + '\r\n'.join((header, *lines)).encode(), CSV)


def only_row(parsed: ParsedFile) -> ParsedRow:
    (row,) = parsed.rows
    return row


def issues_of(row: ParsedRow) -> dict[str, str]:
    return {issue.path: issue.message for issue in row.issues}


def refusal(raw: bytes, content_type: str = CSV) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        read_employee_file(raw, content_type)
    return {issue.path: issue.message for issue in caught.value.fields}


def workbook(rows: list[list[Any]], *, exact: dict[str, str] | None = None) -> bytes:
    """An .xlsx; `exact` rewrites stored numbers, as PhpSpreadsheet-based SIMPEG exports write 18-digit integers."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    if not exact:
        return out.getvalue()
    rewritten = io.BytesIO()
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(rewritten, 'w') as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == 'xl/worksheets/sheet1.xml':
                for stored, written in exact.items():
                    data = data.replace(f'<v>{stored}</v>'.encode(), f'<v>{written}</v>'.encode())
            target.writestr(info, data)
    return rewritten.getvalue()


# --- columns ----------------------------------------------------------------------------------------


def test_reads_a_plain_semicolon_file_into_employee_fields() -> None:
    # Given a ';' file with every column; When read
    row = read(GOOD_A).rows[0]
    # Then the row is numbered as in the sheet and its fields are ready for Employee
    assert row.row == 2 and row.issues == ()
    assert row.fields == {
        'nip': NIP_A,
        'name': 'Budi Santoso',
        'employee_type': 'PNS',
        'nik': '3201010101750001',
        'opd_id': 'DISDIK',
        'unit': 'Sekretariat',
        'jabatan': 'Analis Kepegawaian',
        'kelas_jabatan': 8,
        'golongan': 'III/a',
        'tpp_ceiling': 7_500_000,
    }


def test_matches_headers_by_alias_ignoring_case_spaces_and_punctuation() -> None:
    # Given SIASN/SIMPEG-style headers in mixed case
    header = ' nip baru ,Nama Lengkap,jenis-pegawai,UNOR_ID,Nama Jabatan,Kelas,Gol. Ruang,Pagu TPP (Rp)'
    # When read
    parsed = read(f'{NIP_A},Budi Santoso,PNS,DISDIK,Analis,8,III/a,7500000', header=header)
    # Then each maps to its field, and the header as written is kept for messages
    assert only_row(parsed).issues == ()
    assert parsed.columns['name'] == 'Nama Lengkap' and parsed.columns['golongan'] == 'Gol. Ruang'
    assert header_key('Pagu TPP (Rp)') == 'PAGU_TPP_RP'


def test_accepts_comma_delimited_files_too() -> None:
    # Given the same data with ',' as delimiter; When read; Then it parses the same
    header = HEADER.replace(';', ',')
    row = only_row(read(GOOD_A.replace(';', ','), header=header))
    assert row.issues == () and row.fields['tpp_ceiling'] == 7_500_000


def test_tab_delimited_utf16_from_excel_unicode_text_is_read() -> None:
    # Given Excel's "Unicode Text" save: UTF-16 with a BOM, tab-delimited
    raw = '\r\n'.join((HEADER.replace(';', '\t'), GOOD_A.replace(';', '\t'))).encode('utf-16')
    # When read; Then the row is parsed
    assert only_row(read_employee_file(raw, 'text/plain')).fields['nip'] == NIP_A


def test_excel_sep_line_sets_the_delimiter_and_is_not_counted_as_a_row() -> None:
    # Given "sep=;" on the first line, which Excel hides; When read; Then the header is still row 1
    parsed = read_employee_file(f'sep=;\r\n{HEADER}\r\n{GOOD_A}\r\n'.encode(), CSV)
    assert only_row(parsed).row == 2


def test_strips_the_utf8_bom_before_the_first_header() -> None:
    # Given a file saved as "CSV UTF-8" by Excel (BOM before NIP); When read; Then NIP is still recognised
    parsed = read(GOOD_A, prefix=b'\xef\xbb\xbf')
    assert parsed.columns['nip'] == 'NIP' and only_row(parsed).fields['nip'] == NIP_A


def test_windows_1252_text_is_read_with_a_warning() -> None:
    # Given an ANSI CSV with a non-ASCII letter in a name
    raw = f'{HEADER}\r\n{GOOD_A.replace("Budi Santoso", "Budi Santoséa")}'.encode('cp1252')
    # When read; Then the letter survives and the clerk is told to use CSV UTF-8 next time
    parsed = read_employee_file(raw, CSV)
    assert only_row(parsed).fields['name'] == 'Budi Santoséa'
    assert any('Windows-1252' in w for w in parsed.warnings)


def test_unknown_columns_are_ignored_and_reported_as_a_warning() -> None:
    # Given extra SIASN columns; When read; Then they are listed in one warning
    parsed = read(GOOD_A + ';Laki-laki;01-01-1975', header=HEADER + ';JENIS_KELAMIN;TANGGAL_LAHIR')
    assert parsed.warnings == ('ignored columns: JENIS_KELAMIN, TANGGAL_LAHIR',)


def test_missing_required_columns_refuse_the_file_naming_each() -> None:
    # Given a header without JABATAN and PAGU_TPP; When read; Then each missing column is named with its aliases
    issues = refusal(b'NIP;NAMA;JENIS_PEGAWAI;KODE_OPD;KELAS_JABATAN\n' + NIP_A.encode() + b';Budi;PNS;DISDIK;8\n')
    assert set(issues) == {'columns.JABATAN', 'columns.PAGU_TPP'}
    assert 'NAMA_JABATAN' in issues['columns.JABATAN']


def test_a_file_needs_a_nip_or_a_nik_column() -> None:
    issues = refusal(b'NAMA;JENIS_PEGAWAI;KODE_OPD;JABATAN;KELAS_JABATAN;PAGU_TPP\nBudi;PNS;DISDIK;Analis;8;1\n')
    assert issues == {'columns.NIP': 'the file needs a NIP column, a NIK column, or both'}


def test_two_columns_meaning_the_same_field_refuse_the_file() -> None:
    # Given both NAMA and NAMA_LENGKAP; When read; Then the clerk is asked to keep one
    issues = refusal((HEADER + ';NAMA_LENGKAP\n' + GOOD_A + ';Budi\n').encode())
    assert issues == {'columns.NAMA': 'columns "NAMA" and "NAMA_LENGKAP" both mean NAMA; keep one'}


# --- cell formats -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    'written',
    [f"'{NIP_A}", '19750101 199901 1 001', f' {NIP_A} ', "'19750101 199901 1 001"],
    ids=['apostrophe', 'spaced', 'padded', 'apostrophe-spaced'],
)
def test_nip_written_with_an_apostrophe_or_spaces_is_normalised(written: str) -> None:
    row = only_row(read(GOOD_A.replace(NIP_A, written)))
    assert row.issues == () and row.fields['nip'] == NIP_A


@pytest.mark.parametrize('written', ['1.97501E+17', '1,97501E+17', '1.975010119990E17'])
def test_nip_in_scientific_notation_is_refused_as_lost_digits(written: str) -> None:
    # Given a CSV saved from a sheet where the NIP column was a number
    row = only_row(read(GOOD_A.replace(NIP_A, written)))
    # Then the clerk learns why and what to do
    message = issues_of(row)['rows[2].nip']
    assert 'lost its last digits' in message and 'format the column as Text' in message
    assert 'nip' not in row.fields


@pytest.mark.parametrize(
    ('written', 'words'),
    [
        ('19750101199901100', 'exactly 18 digits'),
        ('197513011999011001', 'not a valid birth date'),
        ('197501011999011000', 'Excel may have rounded it'),
        ('1975O1011999011001', 'exactly 18 digits'),
    ],
    ids=['short', 'bad-birth-date', 'rounded-000', 'letter-o'],
)
def test_bad_nip_is_an_issue_on_that_row(written: str, words: str) -> None:
    row = only_row(read(GOOD_A.replace(NIP_A, written)))
    assert words in issues_of(row)['rows[2].nip']


def test_bad_nik_is_an_issue_on_that_row() -> None:
    row = only_row(read(GOOD_A.replace('3201010101750001', '32010101')))
    assert issues_of(row) == {'rows[2].nik': "NIK must be exactly 16 digits, got '32010101'"}


@pytest.mark.parametrize(
    ('written', 'rupiah'),
    [
        ('7500000', 7_500_000),
        ('7.500.000', 7_500_000),
        ('Rp 7.500.000', 7_500_000),
        ('Rp7.500.000,-', 7_500_000),
        ('Rp. 7.500.000,00', 7_500_000),
        ('IDR 750.000', 750_000),
        ('7500000.00', 7_500_000),
        ("'7.500.000", 7_500_000),
        ('0', 0),
    ],
)
def test_pagu_accepts_indonesian_rupiah_formats(written: str, rupiah: int) -> None:
    row = only_row(read(GOOD_A.replace('7.500.000', written)))
    assert row.issues == () and row.fields['tpp_ceiling'] == rupiah


@pytest.mark.parametrize(
    ('written', 'words'),
    [
        ('7.500.000,50', 'without decimals (sen)'),
        ('7500,5', 'without decimals (sen)'),
        ('7.5', 'without decimals (sen)'),
        ('7,500,000', 'written like 7500000 or 7.500.000'),
        ('tujuh juta', 'written like 7500000 or 7.500.000'),
        ('-', 'PAGU_TPP is empty'),
    ],
)
def test_pagu_refuses_decimals_and_unreadable_amounts(written: str, words: str) -> None:
    row = only_row(read(GOOD_A.replace('7.500.000', written)))
    assert words in issues_of(row)['rows[2].tpp_ceiling']


@given(st.integers(min_value=0, max_value=200_000_000))
def test_any_whole_rupiah_written_the_indonesian_way_reads_back(amount: int) -> None:
    # Given an amount with Indonesian thousands dots and an Rp prefix; When read; Then it is the same amount
    written = 'Rp ' + f'{amount:,}'.replace(',', '.') + ',-'
    assert only_row(read(GOOD_A.replace('7.500.000', written))).fields['tpp_ceiling'] == amount


@pytest.mark.parametrize(
    ('written', 'golongan'),
    [
        ('III/a', 'III/a'),
        ('III/A', 'III/a'),
        ('III a', 'III/a'),
        ('iii-a', 'III/a'),
        ('IIIa', 'III/a'),
        ('3/a', 'III/a'),
        ('Penata Muda (III/a)', 'III/a'),
        ('Gol. IV/e', 'IV/e'),
        ('IX', 'IX'),
        ('17', 'XVII'),
    ],
)
def test_golongan_is_normalised(written: str, golongan: str) -> None:
    assert only_row(read(GOOD_A.replace('III/a', written))).fields['golongan'] == golongan


@pytest.mark.parametrize('written', ['XVIII', 'III/f', 'Pembina', '18'])
def test_golongan_that_is_no_grade_is_an_issue(written: str) -> None:
    row = only_row(read(GOOD_A.replace('III/a', written)))
    assert 'must look like III/a (PNS) or IX (PPPK)' in issues_of(row)['rows[2].golongan']


@pytest.mark.parametrize(
    ('written', 'employee_type'),
    [('PNS', 'PNS'), ('PNS Daerah', 'PNS'), ('CPNS', 'PNS'), ('PPPK', 'PPPK'), ('P3K', 'PPPK'),
     ('PPPK Paruh Waktu', 'PPPK'), ('TKK', 'TKK'), ('NON ASN', 'TKK'), ('non-asn', 'TKK'), ('Honorer', 'TKK')],
)  # fmt: skip
def test_jenis_pegawai_maps_siasn_wordings(written: str, employee_type: str) -> None:
    assert only_row(read(GOOD_A.replace(';PNS;', f';{written};'))).fields['employee_type'] == employee_type


def test_unknown_jenis_pegawai_is_an_issue_listing_the_accepted_values() -> None:
    row = only_row(read(GOOD_A.replace(';PNS;', ';Outsourcing;')))
    accepted = 'JENIS_PEGAWAI must be PNS, PPPK or TKK (NON ASN and HONORER count as TKK)'
    assert issues_of(row) == {'rows[2].employee_type': f"{accepted}, got 'Outsourcing'"}


def test_empty_required_cells_and_dash_markers_are_issues_per_field() -> None:
    # Given a row with NAMA empty and JABATAN '-' (Indonesian sheets' "nothing"); When read; Then both are named
    row = only_row(read(GOOD_A.replace('Budi Santoso', '').replace('Analis Kepegawaian', '-')))
    assert issues_of(row) == {'rows[2].name': 'NAMA is empty', 'rows[2].jabatan': 'JABATAN is empty'}


def test_kelas_jabatan_must_be_a_whole_number() -> None:
    row = only_row(read(GOOD_A.replace(';8;', ';8,5;')))
    assert issues_of(row) == {'rows[2].kelas_jabatan': "KELAS_JABATAN must be a whole number, got '8,5'"}


# --- rows and the file --------------------------------------------------------------------------------


def test_blank_rows_are_skipped_but_row_numbers_stay_those_of_the_sheet() -> None:
    # Given a blank line and a line of empty cells between two employees
    parsed = read(GOOD_A, '', ';;;;;;;;;', GOOD_B)
    # Then the second employee is row 5, as the clerk sees it
    assert [row.row for row in parsed.rows] == [2, 5]


def test_duplicate_nip_within_the_file_flags_every_occurrence() -> None:
    # Given the same NIP on rows 2 and 4
    parsed = read(GOOD_A, GOOD_B, GOOD_A.replace('3201010101750001', '3201010101750002'))
    # Then both rows carry a duplicate issue naming the other, and row 3 is clean
    first, middle, last = parsed.rows
    assert issues_of(first) == {'rows[2].nip': f'NIP {NIP_A} is also on row 4 of this file'}
    assert issues_of(last) == {'rows[4].nip': f'NIP {NIP_A} is also on row 2 of this file'}
    assert middle.issues == () and first.issues[0].code is IssueCode.DUPLICATE


def test_duplicate_nik_within_the_file_is_flagged() -> None:
    parsed = read(GOOD_A, GOOD_B.replace(';;DISDIK;', ';3201010101750001;DISDIK;'))
    assert [issues_of(row) for row in parsed.rows] == [
        {'rows[2].nik': 'NIK 3201010101750001 is also on row 3 of this file'},
        {'rows[3].nik': 'NIK 3201010101750001 is also on row 2 of this file'},
    ]


def test_a_file_of_max_rows_is_read_and_one_more_is_refused() -> None:
    # Given exactly MAX_ROWS rows (duplicates are fine for this check); When read; Then all are there
    assert len(read(*([GOOD_B] * MAX_ROWS)).rows) == MAX_ROWS
    # Given one more; Then the file is refused with the limit named
    issues = refusal('\n'.join([HEADER, *([GOOD_B] * (MAX_ROWS + 1))]).encode())
    assert issues == {'rows': f'the file has more than {MAX_ROWS} employee rows; split it into smaller files'}


@pytest.mark.parametrize(
    ('raw', 'path', 'message'),
    [
        (b'', 'file', 'the file is empty'),
        (b'\xef\xbb\xbf\r\n;;\r\n', 'file', 'the file is empty'),
        (HEADER.encode() + b'\r\n\r\n', 'rows', 'the file has a header but no employee rows below it'),
        (b'\xd0\xcf\x11\xe0' + bytes(60), 'file',
         'this is an old Excel 97-2003 (.xls) file; save it as .xlsx or as CSV and upload that'),
        (b'PK\x03\x04 not really a zip', 'file', 'the .xlsx file is damaged (it is not a valid zip archive)'),
    ],
    ids=['empty', 'only-blank', 'header-only', 'legacy-xls', 'damaged-xlsx'],
)  # fmt: skip
def test_unusable_files_are_refused_whole(raw: bytes, path: str, message: str) -> None:
    assert refusal(raw) == {path: message}


def test_a_body_declared_as_xlsx_that_is_not_a_workbook_is_refused() -> None:
    assert refusal(f'{HEADER}\n{GOOD_A}'.encode(), XLSX_CONTENT_TYPE) == {
        'file': 'the body is declared as .xlsx but is not an Excel workbook'
    }


def test_the_siasn_fixture_reads_clean() -> None:
    # Given the 20-row fixture the integration tests import; When read; Then every row is clean
    parsed = read_employee_file(SIASN_20.read_bytes(), CSV)
    assert len(parsed.rows) == 20 and all(row.issues == () for row in parsed.rows)


# --- XLSX -------------------------------------------------------------------------------------------


def test_xlsx_reads_text_numbers_and_integers_stored_exactly() -> None:
    # Given a workbook: NIP as exact integer (as PhpSpreadsheet writes it), as text with an apostrophe; KELAS 7.0
    raw = workbook(
        [
            ['NIP', 'Nama', 'Jenis Pegawai', 'Kode OPD', 'Jabatan', 'Kelas Jabatan', 'Golongan', 'Pagu TPP'],
            [1.97501011999011e17, 'Budi Santoso', 'PNS', 'DISDIK', 'Analis', 8, 'III/a', 7_500_000],
            [f"'{NIP_B}", 'Maya Sari', 'PPPK', 'DISDIK', 'Guru', 7.0, 'IX', 'Rp 5.000.000'],
        ],
        exact={'1.97501011999011e+17': NIP_A},
    )
    # When read
    first, second = read_employee_file(raw, XLSX_CONTENT_TYPE).rows
    # Then both rows are clean and normalised
    assert (first.issues, second.issues) == ((), ())
    assert (first.fields['nip'], first.fields['tpp_ceiling']) == (NIP_A, 7_500_000)
    assert (second.fields['nip'], second.fields['kelas_jabatan'], second.fields['tpp_ceiling']) == (NIP_B, 7, 5_000_000)


def test_xlsx_nip_that_became_a_float_is_an_issue_naming_the_cause() -> None:
    # Given a NIP cell Excel stored as a 15-digit float
    raw = workbook(
        [
            ['NIP', 'NAMA', 'JENIS_PEGAWAI', 'KODE_OPD', 'JABATAN', 'KELAS_JABATAN', 'PAGU_TPP'],
            [1.97501011999011e17, 'Budi Santoso', 'PNS', 'DISDIK', 'Analis', 8, 7_500_000],
        ]
    )
    # When read; Then the row says the digits were lost
    message = issues_of(only_row(read_employee_file(raw, 'application/octet-stream')))['rows[2].nip']
    assert message.startswith('NIP was stored as a number in Excel and lost its last digits (1.97501011999011e+17)')


def test_xlsx_rows_keep_their_sheet_numbers_across_gaps_and_reads_only_the_active_sheet() -> None:
    # Given a workbook with an empty row 3 and a second sheet
    book = Workbook()
    sheet = book.active
    sheet.title = 'Pegawai'
    sheet.append(['NIP', 'NAMA', 'JENIS_PEGAWAI', 'KODE_OPD', 'JABATAN', 'KELAS_JABATAN', 'PAGU_TPP'])
    sheet.append([NIP_A, 'Budi Santoso', 'PNS', 'DISDIK', 'Analis', 8, 7_500_000])
    sheet['A4'], sheet['B4'], sheet['C4'], sheet['D4'] = NIP_B, 'Maya Sari', 'PPPK', 'DISDIK'
    sheet['E4'], sheet['F4'], sheet['G4'] = 'Guru', 7, 5_000_000
    book.create_sheet('Petunjuk')['A1'] = 'isi kolom sesuai SIASN'
    out = io.BytesIO()
    book.save(out)
    # When read
    parsed = read_employee_file(out.getvalue(), XLSX_CONTENT_TYPE)
    # Then the rows are 2 and 4, and the clerk learns which sheet was read
    assert [row.row for row in parsed.rows] == [2, 4]
    assert parsed.warnings == ('the workbook has 2 sheets; only "Pegawai" was read',)


SMALL_XLSX = workbook(
    [
        ['NIP', 'NAMA', 'JENIS_PEGAWAI', 'KODE_OPD', 'JABATAN', 'KELAS_JABATAN', 'PAGU_TPP'],
        *[[NIP_A, f'Budi {i}', 'PNS', 'DISDIK', 'Analis', 8, 7_500_000] for i in range(20)],
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(SMALL_XLSX) - 1), st.integers(0, 255)), min_size=1, max_size=20))
def test_a_damaged_xlsx_is_refused_as_a_file_problem_never_a_crash(damage: list[tuple[int, int]]) -> None:
    # Given a workbook with some bytes overwritten; When read; Then it parses or is refused with ValidationFailed
    raw = bytearray(SMALL_XLSX)
    for index, value in damage:
        raw[index] = value
    try:
        read_employee_file(bytes(raw), XLSX_CONTENT_TYPE)
    except ValidationFailed:
        pass


@given(st.binary(max_size=2000))
def test_any_bytes_sent_as_csv_parse_or_are_refused_never_a_crash(raw: bytes) -> None:
    try:
        read_employee_file(raw, CSV)
    except ValidationFailed:
        pass


# --- query options ------------------------------------------------------------------------------------


def test_import_options_default_to_all_or_nothing_and_a_real_run() -> None:
    options = import_options(None, None)
    assert (options.mode, options.dry_run) == (ImportMode.ALL_OR_NOTHING, False)
    assert import_options('best_effort', 'true').dry_run is True


def test_bad_import_options_name_the_query_parameter() -> None:
    with pytest.raises(ValidationFailed) as caught:
        import_options('some', 'perhaps')
    assert {issue.path for issue in caught.value.fields} == {'query.mode', 'query.dry_run'}


def test_header_key_folds_case_spaces_and_punctuation() -> None:
    assert [header_key(h) for h in ('Nama Lengkap', ' nama_lengkap ', 'NAMA-LENGKAP', 'Gol./Ruang')] == [
        'NAMA_LENGKAP',
        'NAMA_LENGKAP',
        'NAMA_LENGKAP',
        'GOL_RUANG',
    ]
    assert header_key('NIP/NI PPPK') == 'NIP_NI_PPPK'
