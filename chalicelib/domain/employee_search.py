"""What an employee search (``GET /v1/employees?q=``) matches. Pure.

- Digits only (spaces ignored, as a NIP is often written in groups): a prefix of the NIP or of the NIK.
- Otherwise: the exact employee id, or a part of the name, case- and accent-insensitively and with runs of
  spaces collapsed (``"sri  wahyu"`` finds "Sri Wahyuni").
- A name part of one character would match nearly everyone, so it is refused.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.domain.errors import FieldIssue, ValidationFailed

MIN_NAME_PART = 2
MAX_QUERY = 100


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize('NFKD', text)
    return ' '.join(''.join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def employee_matcher(query: str) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate over an employee's stored fields (``employee_id``, ``nip``, ``nik``, ``name``)."""
    raw = query.strip()
    if len(raw) > MAX_QUERY:
        raise ValidationFailed('q is too long', fields=(FieldIssue('query.q', f'at most {MAX_QUERY} characters'),))
    digits = raw.replace(' ', '')
    if digits.isdigit():
        return lambda e: str(e.get('nip') or '').startswith(digits) or str(e.get('nik') or '').startswith(digits)
    folded = _fold(raw)
    if len(folded) < MIN_NAME_PART:
        raise ValidationFailed(
            'q is too short', fields=(FieldIssue('query.q', f'at least {MIN_NAME_PART} characters of a name'),)
        )
    wanted_id = raw.casefold()
    return lambda e: (
        str(e.get('employee_id') or '').casefold() == wanted_id or folded in _fold(str(e.get('name') or ''))
    )
