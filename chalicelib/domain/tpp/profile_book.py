"""A pemda's rule profiles as one book: the versions, which version prices which day, and what a new
publication must respect. Pure: the service reads and writes the versions; this decides.

The lifecycle, and why:

- A version is a ``DRAFT`` (replaced or deleted at will, valid or not) or ``PUBLISHED`` (its rules never
  change again). A change to published rules is the next version of the same ``profile_id``; it supersedes
  the version before it from its own ``effective_from``. Days before that keep the old version, so a past
  month recomputed later is priced by the rules that were in force then (reference §9).
- Supersession is explicit in the windows: a version prices from its ``effective_from`` up to the day before
  the next version's ``effective_from`` (or its own ``effective_to``, if earlier). A version whose successor
  starts on the same day never prices a day: that is how a published mistake is corrected.
- A new version must not start before the version it supersedes; it may start on the same day.
- Two *different* profiles must never price the same employee type on the same day, whatever their versions:
  the closes must have one answer per employee and day. To hand a type over to another profile, the old one
  first publishes a last version with an ``effective_to``.
- The shipped ASN default (reference §8) prices PNS and PPPK until the pemda's first own profile for that
  type takes over, and for good if there is none. Without this a pemda that publishes its ASN profile from
  some date would leave earlier days without a profile, and a re-close would drop their records.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field

from chalicelib.domain.errors import FieldIssue
from chalicelib.domain.models import EmployeeType, Frozen
from chalicelib.domain.tpp.profile import RuleProfile

PROFILE_ID_PATTERN = r'^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$'


class ProfileState(StrEnum):
    DRAFT = 'DRAFT'
    PUBLISHED = 'PUBLISHED'


class ProfileVersion(Frozen):
    """One stored version: its rules (as JSON, so a draft may be unfinished) and who did what to it, when."""

    profile_id: str = Field(pattern=PROFILE_ID_PATTERN)
    version: int = Field(ge=1)
    state: ProfileState = ProfileState.DRAFT
    rules: dict[str, Any]
    source: str = Field(description='body, template:<id> or copy:<profile_id>@v<version>')
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    published_at: datetime | None = None
    published_by: str | None = None
    approval_note: str | None = None
    legal_basis: str | None = None
    rules_sha256: str | None = None

    @property
    def label(self) -> str:
        return f'{self.profile_id} v{self.version}'


def rules_digest(rules: Mapping[str, Any]) -> str:
    """SHA-256 of the rules' canonical JSON: what the audit entry and the publication record both name."""
    return hashlib.sha256(json.dumps(rules, sort_keys=True, separators=(',', ':')).encode()).hexdigest()


def in_force_book(published: Iterable[RuleProfile]) -> tuple[RuleProfile, ...]:
    """Each published version with the window it really prices (see the module notes); versions that never
    price a day are left out. Ordered by profile id and version."""
    chains: dict[str, list[RuleProfile]] = defaultdict(list)
    for profile in published:
        chains[profile.profile_id].append(profile)
    book: list[RuleProfile] = []
    for profile_id in sorted(chains):
        chain = sorted(chains[profile_id], key=lambda p: p.version)
        for current, successor in zip(chain, [*chain[1:], None], strict=True):
            end = current.effective_to
            if successor is not None:
                handover = successor.effective_from - timedelta(days=1)
                end = handover if end is None else min(end, handover)
            if end is not None and end < current.effective_from:
                continue
            book.append(current if end == current.effective_to else current.model_copy(update={'effective_to': end}))
    return tuple(book)


def with_shipped_default(book: Sequence[RuleProfile], default: RuleProfile) -> tuple[RuleProfile, ...]:
    """The book plus the shipped default for each of the default's employee types, until the day before the
    pemda's first own profile for that type starts. With no own profile at all the default is added as is."""
    ends: dict[date | None, list[EmployeeType]] = defaultdict(list)
    for employee_type in default.employee_types:
        starts = [p.effective_from for p in book if employee_type in p.employee_types]
        end = min(starts) - timedelta(days=1) if starts else None
        if end is None or end >= default.effective_from:
            ends[end].append(employee_type)
    if list(ends) == [None] and len(ends[None]) == len(default.employee_types):
        return (*book, default)
    shares = [
        default.model_copy(update={'employee_types': tuple(types), 'effective_to': end}) for end, types in ends.items()
    ]
    return (*book, *shares)


def publication_issues(candidate: RuleProfile, published: Sequence[RuleProfile]) -> tuple[FieldIssue, ...]:
    """Why ``candidate`` (already valid on its own) cannot join the ``published`` versions, with field paths."""
    issues: list[FieldIssue] = []
    own = [p for p in published if p.profile_id == candidate.profile_id]
    latest = max(own, key=lambda p: p.version, default=None)
    expected = latest.version + 1 if latest else 1
    if candidate.version != expected:
        issues.append(FieldIssue('version', f'the next version of {candidate.profile_id} is {expected}'))
    if latest is not None and candidate.effective_from < latest.effective_from:
        issues.append(FieldIssue('effective_from', (
            f'must not be before {latest.effective_from.isoformat()}, the effective_from of '
            f'{latest.profile_id} v{latest.version} that this version supersedes'
        )))  # fmt: skip
    book = in_force_book([*published, candidate])
    mine = next((p for p in book if (p.profile_id, p.version) == (candidate.profile_id, candidate.version)), None)
    if mine is None:
        return tuple(issues)
    for other in book:
        shared = sorted(set(mine.employee_types) & set(other.employee_types))
        if other.profile_id == mine.profile_id or not shared or not _overlap(mine, other):
            continue
        issues.append(FieldIssue('employee_types', (
            f'{", ".join(shared)} already priced by {other.profile_id} v{other.version} ({_window(other)}): '
            f'two profiles must not price the same employee type on the same day. End {other.profile_id} with '
            f'a new version whose effective_to is before {mine.effective_from.isoformat()}, or make this a '
            f'version of {other.profile_id}'
        )))  # fmt: skip
    return tuple(issues)


def window(profile: RuleProfile) -> dict[str, str | None]:
    return {
        'from': profile.effective_from.isoformat(),
        'to': profile.effective_to.isoformat() if profile.effective_to else None,
    }


def days_priced_anew(profile: RuleProfile, yesterday: date, first_closed: date | None, max_days: int) -> list[date]:
    """The closed days a new publication may price differently: from its effective_from to yesterday, never
    before the first day ever closed (an earlier day has no records to correct) and at most ``max_days``."""
    if first_closed is None:
        return []
    first = max(profile.effective_from, first_closed, yesterday - timedelta(days=max_days - 1))
    return [first + timedelta(days=n) for n in range((yesterday - first).days + 1)]


def _overlap(a: RuleProfile, b: RuleProfile) -> bool:
    return a.effective_from <= (b.effective_to or date.max) and b.effective_from <= (a.effective_to or date.max)


def _window(profile: RuleProfile) -> str:
    start = profile.effective_from.isoformat()
    return f'{start} to {profile.effective_to.isoformat()}' if profile.effective_to else f'from {start}'
