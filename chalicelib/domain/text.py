"""What text a person may type into Hadir, and how text leaves it in a spreadsheet file (pure).

Names and free text end up in the finance files that BPKAD opens in Excel. A cell that begins with `=`, `+`,
`-` or `@` (or a tab or carriage return, which Excel skips before reading the formula) is run as a formula
(OWASP, "CSV Injection"). Two defences, both needed: such names are refused where they enter (the API and the
imports), and every text cell of every file Hadir writes is neutralised anyway, because a name stored before
the rule, or an OPD's free text, must not run either.

Control, bidirectional-override and zero-width characters are refused as well: they make two different
names look the same on a screen or a printed list, and a NUL breaks the files downstream.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

FORMULA_PREFIXES = ('=', '+', '-', '@', '\t', '\r')
# Unicode's "format" characters include the bidi overrides and isolates (U+202A-U+202E, U+2066-U+2069),
# the marks U+200E/U+200F/U+061C, the zero-width characters U+200B-U+200D, U+2060 and the BOM U+FEFF.
_REFUSED_CATEGORIES = {'Cc': 'a control character', 'Cf': 'an invisible formatting character',
                       'Cs': 'a broken character', 'Co': 'a private-use character', 'Zl': 'a line separator',
                       'Zp': 'a paragraph separator'}  # fmt: skip


def refused_character(value: str, *, allow_newlines: bool = False) -> str | None:
    """Why `value` may not be stored (the first refused character, named), or None when it is plain text."""
    for position, char in enumerate(value):
        if allow_newlines and char == '\n':
            continue
        kind = _REFUSED_CATEGORIES.get(unicodedata.category(char))
        if kind is not None:
            return f'contains {kind} (U+{ord(char):04X}) at position {position + 1}'
    return None


def check_name(value: str) -> str:
    """A name or title as people write it: plain characters, and not the start of a spreadsheet formula."""
    problem = refused_character(value)
    if problem is not None:
        raise ValueError(problem)
    if value.startswith(FORMULA_PREFIXES):
        raise ValueError(f'must not begin with {value[0]!r}: a spreadsheet would read it as a formula')
    return value


def check_free_text(value: str) -> str:
    """A reason, a note or a letter number: plain characters; line breaks allowed."""
    problem = refused_character(value, allow_newlines=True)
    if problem is not None:
        raise ValueError(problem)
    return value


def spreadsheet_text(value: str) -> str:
    """`value` as a text cell no spreadsheet runs: a leading formula character gets an apostrophe before it."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


PlainName = Annotated[str, AfterValidator(check_name)]
FreeText = Annotated[str, AfterValidator(check_free_text)]
Name = Annotated[str, Field(min_length=2, max_length=160), AfterValidator(check_name)]
