"""Text files uploaded by clerks (SIASN, SIMPEG, e-kinerja exports): the encodings they arrive in, read once.

Spreadsheet exports arrive as UTF-8 (with or without a BOM), Excel's "Unicode Text" (UTF-16 with a BOM) or
Windows-1252 (Excel's plain "CSV" on Indonesian Windows); the last is said in a warning, since a name's
letters outside Windows-1252 may have been lost before the file reached us.
"""

from __future__ import annotations

from chalicelib.domain.errors import FieldIssue, ValidationFailed

XLSX_MAGIC = b'PK\x03\x04'
XLS_MAGIC = b'\xd0\xcf\x11\xe0'
UTF16_BOMS = (b'\xff\xfe', b'\xfe\xff')
CP1252_WARNING = 'the file is not UTF-8 and was read as Windows-1252'


def file_error(message: str, path: str = 'file') -> ValidationFailed:
    return ValidationFailed(message, fields=(FieldIssue(path, message),))


def decode_upload(raw: bytes, warnings: list[str], cp1252_advice: str = '') -> str:
    """The file's text; appends a warning when it had to be read as Windows-1252."""
    if raw.startswith(UTF16_BOMS):
        try:
            return raw.decode('utf-16')  # Excel's "Unicode Text"
        except UnicodeDecodeError:
            raise file_error('the file starts like UTF-16 text but is cut off or damaged; export it again') from None
    try:
        return raw.decode('utf-8-sig')
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode('cp1252')
    except UnicodeDecodeError:
        raise file_error('the file is not text in UTF-8 or Windows-1252; save it as "CSV UTF-8"') from None
    warnings.append(CP1252_WARNING + cp1252_advice)
    return text
