"""The pemda's TPP rule profiles: versions drafted, validated and published by BKPSDM (super keys), read by
every admin, and the book the day and month closes price with.

The rules of the lifecycle live in chalicelib.domain.tpp.profile_book; this module stores and audits.

Choices where the brief leaves room, and why:

- Versions are numbered by the server: a new draft of a profile is its latest version + 1, and a profile has
  at most one draft at a time, so two people never prepare competing next versions without knowing.
- A draft is stored as the JSON it was given, valid or not: drafting is work in progress, and ``validate``
  then lists every issue with its field path. Publishing validates fully and stores the parsed, normalised
  rules with the publication record (who, when, the approval note, the legal basis, the rules' SHA-256).
- ``validate`` answers 200 with ``valid`` and ``issues``: asking is a successful request whatever the draft
  holds. ``publish`` of an invalid draft is refused with 422 and the same issues in ``error.fields``.
- The audit entry of a publication holds the full rules that took effect; draft changes are audited with
  the rules' digest only, since they price nothing.
- Every publication re-saves one guard record with its version check in the same transaction, so two
  publications checked against the same book cannot both commit.
- A new draft from a shipped template gets the pemda's own id (``<pemda code>-asn``/``-tkk``) unless one is
  given: the shipped ids are reserved, because the closes still use the shipped default under its own id.
- Publishing marks the days it may price differently for re-close: from its effective_from up to yesterday,
  at most ``RECLOSE_MAX_DAYS`` back, and never before the first day the nightly close ever closed, so a
  retroactive profile does not invent absent days from before go-live. Days closed by hand before the first
  nightly close are not known to Hadir; re-close them with ``hadir job close-day --date``.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel

from chalicelib.domain.access import Permission, authorize
from chalicelib.domain.errors import Conflict, FieldIssue, NotFound, ValidationFailed
from chalicelib.domain.models import EmployeeType, PemdaSettings, Principal
from chalicelib.domain.tpp.defaults import ASN_DEFAULT, TKK_EXAMPLE, default_profile
from chalicelib.domain.tpp.profile import RuleProfile, parse_profile, profile_in_force
from chalicelib.domain.tpp.profile_book import (
    PROFILE_ID_PATTERN,
    ProfileState,
    ProfileVersion,
    days_priced_anew,
    in_force_book,
    publication_issues,
    rules_digest,
    window,
    with_shipped_default,
)
from chalicelib.ports import AuditDraft, Create, Record, Remove, Replace, Write
from chalicelib.services.common import KIND_PEMDA, KIND_PROFILE, KIND_PROFILE_GUARD, Deps, all_records, build
from chalicelib.services.reclose import mark_for_reclose

RECLOSE_MAX_DAYS = 400
MAX_DRAFT_DEPTH = 12
MAX_DRAFT_NUMBER = 10**15  # far above any amount, well inside DynamoDB's 38 digits
GUARD_ID = 'book'


@dataclass(frozen=True)
class Template:
    rules: Mapping[str, Any]
    example: bool
    id_suffix: str  # the pemda's own profile drafted from it is <pemda code>-<suffix>
    note: str


TEMPLATES: dict[str, Template] = {
    ASN_DEFAULT['profile_id']: Template(
        ASN_DEFAULT, False, 'asn',
        'Reference §8 as written. It also prices PNS and PPPK until the pemda publishes its own profile for them.',
    ),
    TKK_EXAMPLE['profile_id']: Template(
        TKK_EXAMPLE, True, 'tkk',
        'An example: its rupiah amounts are placeholders to replace from the Perkada/Perwal on TKK honoraria. '
        'TKK staff get no day records until the pemda publishes a TKK profile.',
    ),
}  # fmt: skip


# ---- request bodies --------------------------------------------------------------------------------------------


class VersionRef(BaseModel):
    model_config = ConfigDict(extra='forbid')

    profile_id: str = Field(pattern=PROFILE_ID_PATTERN)
    version: int = Field(ge=1)


class DraftSource(BaseModel):
    """A new draft copied from a shipped template or from a stored version."""

    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    from_template: str | None = Field(default=None, description='hadir-default-asn or hadir-example-tkk')
    copy_of: VersionRef | None = Field(default=None, description='a stored version, draft or published')
    profile_id: str | None = Field(
        default=None, pattern=PROFILE_ID_PATTERN,
        description="the new draft's profile; default: the copied one's (its next version), or <pemda code>-asn/-tkk",
    )  # fmt: skip


class ProfileDraftBody(RuleProfile):
    """The full rules of a draft; ``version`` is numbered by the server and may be left out."""

    version: int | None = Field(default=None, ge=1)  # type: ignore[assignment]


class ProfileDraftRequest(RootModel[DraftSource | ProfileDraftBody]):
    """Either the full rules or ``{"from_template": …}`` / ``{"copy_of": {"profile_id": …, "version": …}}``."""


class PublishRequest(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    approval_note: str = Field(
        min_length=5, max_length=1000,
        description='who approved it and how: e.g. "Perbup No. 12 Tahun 2026, ditetapkan 2 Januari 2026"',
    )  # fmt: skip


# ---- records ---------------------------------------------------------------------------------------------------


def _record_id(profile_id: str, version: int) -> str:
    return f'{profile_id}@v{version}'


def _record(version: ProfileVersion, record_version: int = 0) -> Record:
    return Record(
        KIND_PROFILE, _record_id(version.profile_id, version.version), version.model_dump(mode='json'),
        record_version, list_key=f'{version.profile_id}@{version.version:06d}',
    )  # fmt: skip


def _all_versions(deps: Deps) -> list[ProfileVersion]:
    return [ProfileVersion.model_validate(r.data) for r in all_records(deps.store, KIND_PROFILE)]


def _versions_of(deps: Deps, profile_id: str) -> list[ProfileVersion]:
    records = all_records(deps.store, KIND_PROFILE, f'{profile_id}@')
    return [ProfileVersion.model_validate(r.data) for r in records]


def _require(deps: Deps, profile_id: str, raw_version: str) -> tuple[Record, ProfileVersion]:
    number = int(raw_version) if raw_version.isascii() and raw_version.isdigit() and len(raw_version) < 7 else 0
    record = deps.store.get(KIND_PROFILE, _record_id(profile_id, number)) if number else None
    if record is None:
        raise NotFound(f'rule profile {profile_id} has no version {raw_version}')
    return record, ProfileVersion.model_validate(record.data)


def _published_profiles(deps: Deps) -> list[RuleProfile]:
    return [RuleProfile.model_validate(v.rules) for v in _all_versions(deps) if v.state is ProfileState.PUBLISHED]


def _audit(principal: Principal, action: str, version: ProfileVersion, before: Any, after: Any) -> AuditDraft:
    return AuditDraft(principal.key_id, action, f'profile/{version.profile_id}/v{version.version}', None, before,
                      after)  # fmt: skip


def _draft_digest(version: ProfileVersion) -> dict[str, Any]:
    return {'state': version.state.value, 'source': version.source, 'rules_sha256': rules_digest(version.rules)}


def _published_conflict(version: ProfileVersion) -> Conflict:
    return Conflict(
        f'{version.label} is published and its rules never change; draft the next version instead: POST '
        f'/v1/profiles with {{"copy_of": {{"profile_id": "{version.profile_id}", "version": {version.version}}}}}',
        code='profile_published',
        details={'profile_id': version.profile_id, 'version': version.version,
                 'published_at': version.published_at.isoformat() if version.published_at else None},
    )  # fmt: skip


def _view(version: ProfileVersion) -> dict[str, Any]:
    return version.model_dump(mode='json')


# ---- what the closes price with --------------------------------------------------------------------------------


def published(deps: Deps) -> tuple[RuleProfile, ...]:
    """The profiles the day and month closes price with: every published version clipped to the days it
    prices, plus the shipped ASN default for PNS and PPPK days no published profile of the pemda covers yet."""
    return with_shipped_default(in_force_book(_published_profiles(deps)), default_profile())


# ---- use cases -------------------------------------------------------------------------------------------------


def list_profiles(deps: Deps, principal: Principal) -> dict[str, Any]:
    """Every profile with its versions (drafts included) and the window each published version prices, the
    shipped default's share, and which version prices each employee type today."""
    authorize(principal, Permission.PROFILE_READ)
    by_id: dict[str, list[ProfileVersion]] = defaultdict(list)
    for version in _all_versions(deps):
        by_id[version.profile_id].append(version)
    book = published(deps)
    windows = {(p.profile_id, p.version): window(p) for p in book}
    items = []
    for profile_id in sorted(by_id):
        versions = sorted(by_id[profile_id], key=lambda v: v.version)
        items.append({
            'profile_id': profile_id,
            'name': versions[-1].rules.get('name'),
            'versions': [_summary(v, windows.get((profile_id, v.version))) for v in versions],
        })  # fmt: skip
    today = _local_today(deps)
    in_force = {t.value: profile_in_force(book, t, today) for t in EmployeeType}
    shipped = default_profile().profile_id
    return {
        'items': items,
        'count': len(items),
        'today': today.isoformat(),
        'in_force_today': {t: f'{p.profile_id} v{p.version}' if p else None for t, p in in_force.items()},
        'shipped_default': [{'employee_types': list(p.employee_types), 'in_force': window(p)}
                            for p in book if p.profile_id == shipped],
    }  # fmt: skip


def _summary(version: ProfileVersion, prices: dict[str, str | None] | None) -> dict[str, Any]:
    rules, stored = version.rules, version.model_dump(mode='json')
    summary = {
        'version': version.version, 'state': version.state.value, 'name': rules.get('name'),
        'employee_types': rules.get('employee_types'), 'effective_from': rules.get('effective_from'),
        'effective_to': rules.get('effective_to'), 'source': version.source, 'updated_at': stored['updated_at'],
        'updated_by': version.updated_by,
    }  # fmt: skip
    if version.state is ProfileState.PUBLISHED:
        summary |= {
            'published_at': stored['published_at'], 'published_by': version.published_by,
            'approval_note': version.approval_note,
            'in_force': prices,  # None: superseded from its first day by the next version
        }  # fmt: skip
    return summary


def list_templates(principal: Principal) -> dict[str, Any]:
    """The profiles Hadir ships, to start a draft from; ``example`` marks one whose amounts are placeholders."""
    authorize(principal, Permission.PROFILE_READ)
    items = [
        {'template_id': template_id, 'name': t.rules['name'], 'employee_types': list(t.rules['employee_types']),
         'example': t.example, 'note': t.note, 'rules': dict(t.rules)}
        for template_id, t in TEMPLATES.items()
    ]  # fmt: skip
    return {'items': items, 'count': len(items)}


def get_version(deps: Deps, principal: Principal, profile_id: str, raw_version: str) -> dict[str, Any]:
    authorize(principal, Permission.PROFILE_READ)
    return _view(_require(deps, profile_id, raw_version)[1])


def create_draft(deps: Deps, principal: Principal, body: Mapping[str, Any]) -> dict[str, Any]:
    """Store a new draft: the full rules, or a copy of a template or a stored version (audited).

    Raises ValidationFailed for a missing or reserved profile id, an unknown template or version, or a
    version number other than the next; Conflict (``profile_draft_exists``) when the profile has a draft.
    """
    authorize(principal, Permission.PROFILE_WRITE)
    if 'from_template' in body or 'copy_of' in body:
        copied, source, profile_id = _copied_rules(deps, build(DraftSource, body))
        rules = {key: value for key, value in copied.items() if key not in ('profile_id', 'version')}
    else:
        rules, source, profile_id = dict(body), 'body', _profile_id_of(body)
    _check_not_reserved(profile_id)
    versions = _versions_of(deps, profile_id)
    open_draft = next((v for v in versions if v.state is ProfileState.DRAFT), None)
    if open_draft is not None:
        raise Conflict(
            f'{profile_id} already has a draft, v{open_draft.version}; replace it (PUT) or delete it first',
            code='profile_draft_exists', details={'profile_id': profile_id, 'version': open_draft.version},
        )  # fmt: skip
    number = max((v.version for v in versions), default=0) + 1
    now = deps.clock()
    draft = ProfileVersion(
        profile_id=profile_id, version=number, rules=_numbered(rules, profile_id, number), source=source,
        created_at=now, created_by=principal.key_id, updated_at=now, updated_by=principal.key_id,
    )  # fmt: skip
    deps.store.commit(
        [Create(_record(draft), f'{draft.label} was just drafted by someone else; reload the profiles')],
        _audit(principal, 'profile.draft', draft, None, _draft_digest(draft)),
    )
    return _view(draft)


def replace_draft(
    deps: Deps, principal: Principal, profile_id: str, raw_version: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """Replace a draft's rules whole (audited); a published version is refused with 409."""
    authorize(principal, Permission.PROFILE_WRITE)
    stored, current = _require(deps, profile_id, raw_version)
    if current.state is ProfileState.PUBLISHED:
        raise _published_conflict(current)
    updated = current.model_copy(update={
        'rules': _numbered(body, profile_id, current.version), 'source': 'body', 'updated_at': deps.clock(),
        'updated_by': principal.key_id,
    })  # fmt: skip
    deps.store.commit(
        [Replace(_record(updated, stored.version))],
        _audit(principal, 'profile.draft_replace', updated, _draft_digest(current), _draft_digest(updated)),
    )
    return _view(updated)


def delete_draft(deps: Deps, principal: Principal, profile_id: str, raw_version: str) -> dict[str, Any]:
    """Delete a draft (audited); a published version is refused with 409."""
    authorize(principal, Permission.PROFILE_WRITE)
    stored, current = _require(deps, profile_id, raw_version)
    if current.state is ProfileState.PUBLISHED:
        raise _published_conflict(current)
    deps.store.commit(
        [Remove(KIND_PROFILE, stored.id, stored.version)],
        _audit(principal, 'profile.draft_delete', current, _draft_digest(current), None),
    )
    return {'deleted': current.label}


def validate_version(deps: Deps, principal: Principal, profile_id: str, raw_version: str) -> dict[str, Any]:
    """Every issue that would stop the version's publication, with field paths; ``valid`` when there is none.
    A draft is checked on its own and against the published versions; a published version was at publication."""
    authorize(principal, Permission.PROFILE_READ)
    _, version = _require(deps, profile_id, raw_version)
    answer: dict[str, Any] = {'profile_id': profile_id, 'version': version.version, 'state': version.state.value}
    if version.state is ProfileState.PUBLISHED:
        return {**answer, 'valid': True, 'issues': []}
    issues, profile = _publication_check(deps, version)
    answer |= {'valid': not issues, 'issues': [{'path': i.path, 'message': i.message} for i in issues]}
    if profile is not None and not issues:
        answer['reclose_days_on_publish'] = len(_days_to_reclose(deps, profile))
    return answer


def publish_version(
    deps: Deps, principal: Principal, profile_id: str, raw_version: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """Publish a draft (audited with its full rules): from its effective_from it prices the closes, and
    supersedes the profile's previous version. Closed days it may price differently are marked for re-close.

    Raises ValidationFailed (422) listing every issue; Conflict (409) when the version is already published
    or another publication was committed meanwhile.
    """
    authorize(principal, Permission.PROFILE_WRITE)
    request = build(PublishRequest, body)
    stored, draft = _require(deps, profile_id, raw_version)
    if draft.state is ProfileState.PUBLISHED:
        raise _published_conflict(draft)
    guard = deps.store.get(KIND_PROFILE_GUARD, GUARD_ID)  # read before the checks: a publication since fails
    issues, profile = _publication_check(deps, draft)
    if issues or profile is None:
        raise ValidationFailed(f'{draft.label} cannot be published: {len(issues)} issue(s), see fields',
                               fields=issues)  # fmt: skip
    rules = profile.model_dump(mode='json')
    publication = draft.model_copy(update={
        'state': ProfileState.PUBLISHED, 'rules': rules, 'published_at': deps.clock(),
        'published_by': principal.key_id, 'approval_note': request.approval_note, 'legal_basis': profile.legal_basis,
        'rules_sha256': rules_digest(rules),
    })  # fmt: skip
    busy = 'another rule profile was published meanwhile; validate again and retry'
    guard_record = Record(KIND_PROFILE_GUARD, GUARD_ID, {'last': publication.label}, guard.version if guard else 0)
    writes: list[Write] = [
        Replace(_record(publication, stored.version), f'{draft.label} was changed meanwhile; reload it'),
        Replace(guard_record, busy) if guard else Create(guard_record, busy),
    ]
    after = {key: value for key, value in _view(publication).items() if key not in ('created_at', 'updated_at')}
    deps.store.commit(writes, _audit(principal, 'profile.publish', publication, _draft_digest(draft), after))
    days = _days_to_reclose(deps, profile)
    if days:
        mark_for_reclose(deps, set(days), f'rule profile {publication.label} published')
    reclose = {'days': len(days), 'first': days[0].isoformat() if days else None,
               'last': days[-1].isoformat() if days else None}  # fmt: skip
    return {**_view(publication), 'reclose': reclose}


# ---- helpers ---------------------------------------------------------------------------------------------------


def _publication_check(deps: Deps, draft: ProfileVersion) -> tuple[tuple[FieldIssue, ...], RuleProfile | None]:
    try:
        profile = parse_profile(draft.rules)
    except ValidationFailed as exc:
        return exc.fields, None
    issues = publication_issues(profile, _published_profiles(deps))
    if any(profile.legal_basis == t.rules['legal_basis'] for t in TEMPLATES.values()):
        # The TKK example's amounts are placeholders: its legal basis says so, and must be replaced to publish.
        issue = FieldIssue('legal_basis', "still the template's; name the pemda's Perkada/Perbup and pasal")
        issues = (*issues, issue)
    return issues, profile


def _days_to_reclose(deps: Deps, profile: RuleProfile) -> list[date]:
    yesterday = _local_today(deps) - timedelta(days=1)
    return days_priced_anew(profile, yesterday, _first_closed_day(deps), RECLOSE_MAX_DAYS)


def _local_today(deps: Deps) -> date:
    # allowance and nightly import this module (through employee_history): theirs are imported when called, so
    # each of them imports on its own in a fresh process (tests/unit/test_cold_import.py).
    from chalicelib.services.allowance import local_today

    return local_today(deps)


def _first_closed_day(deps: Deps) -> date | None:
    """The earliest local date the nightly close has closed in any zone."""
    from chalicelib.services import nightly

    firsts = [
        page.items[0].data['day']
        for zone in nightly.zones_of(deps)
        if (page := deps.store.list(nightly.KIND_ZONE_CLOSE, f'{zone}@', limit=1)).items
    ]
    return date.fromisoformat(min(firsts)) if firsts else None


def _copied_rules(deps: Deps, source: DraftSource) -> tuple[dict[str, Any], str, str]:
    if (source.from_template is None) == (source.copy_of is None):
        issue = FieldIssue('from_template', 'give either from_template or copy_of, not both')
        raise ValidationFailed('a draft copies one thing', fields=(issue,))
    if source.from_template is not None:
        template = TEMPLATES.get(source.from_template)
        if template is None:
            known = ', '.join(TEMPLATES)
            raise ValidationFailed(
                f'unknown template {source.from_template}',
                fields=(FieldIssue('from_template', f'no template {source.from_template}; one of {known}'),),
            )
        profile_id = source.profile_id or _pemda_profile_id(deps, template.id_suffix)
        return dict(template.rules), f'template:{source.from_template}', profile_id
    assert source.copy_of is not None
    ref = source.copy_of
    record = deps.store.get(KIND_PROFILE, _record_id(ref.profile_id, ref.version))
    if record is None:
        raise ValidationFailed(
            f'unknown rule profile version {ref.profile_id} v{ref.version}',
            fields=(FieldIssue('copy_of', f'rule profile {ref.profile_id} has no version {ref.version}'),),
        )
    copied = ProfileVersion.model_validate(record.data)
    return dict(copied.rules), f'copy:{copied.profile_id}@v{copied.version}', source.profile_id or ref.profile_id


def _profile_id_of(rules: Mapping[str, Any]) -> str:
    profile_id = rules.get('profile_id')
    if not isinstance(profile_id, str) or not re.fullmatch(PROFILE_ID_PATTERN, profile_id):
        issue = FieldIssue('profile_id', '2-40 letters, digits, - or _, starting with a letter or digit')
        raise ValidationFailed('a draft needs a valid profile_id', fields=(issue,))
    return profile_id


def _check_not_reserved(profile_id: str) -> None:
    if profile_id in TEMPLATES:
        issue = FieldIssue('profile_id', f'{profile_id} is a shipped template; give the pemda its own id')
        raise ValidationFailed(f'{profile_id} is reserved', fields=(issue,))


def _pemda_profile_id(deps: Deps, suffix: str) -> str:
    record = deps.store.get(KIND_PEMDA, 'settings')
    code = PemdaSettings.model_validate(record.data).code if record else 'pemda'
    slug = re.sub(r'[^a-z0-9]+', '-', code.lower()).strip('-')[:34] or 'pemda'
    return f'{slug}-{suffix}'


def _numbered(rules: Mapping[str, Any], profile_id: str, number: int) -> dict[str, Any]:
    """The rules under their profile id and server-given version; a body naming others is refused."""
    issues: list[FieldIssue] = []
    if rules.get('profile_id', profile_id) != profile_id:
        issues.append(FieldIssue('profile_id', f'this is a draft of {profile_id}; leave profile_id out or match it'))
    if rules.get('version', number) not in (number, None):
        issues.append(FieldIssue('version', f'versions are numbered by the server: this draft is v{number}'))
    if issues:
        raise ValidationFailed('the draft names another profile or version', fields=tuple(issues))
    rest = {key: value for key, value in rules.items() if key not in ('profile_id', 'version')}
    issues += _unstorable(rest, '')
    if issues:
        raise ValidationFailed('the draft cannot be stored as given', fields=tuple(issues))
    return {'profile_id': profile_id, 'version': number, **rest}


def _unstorable(value: Any, path: str, depth: int = 0) -> list[FieldIssue]:
    """What the directory table cannot hold, though JSON parsing let it through (NaN, huge numbers, deep
    nesting, empty keys): a draft is stored before it is validated, so it must be refused here, not at the write."""
    where = path or 'body'
    if depth > MAX_DRAFT_DEPTH:
        return [FieldIssue(where, f'nested deeper than {MAX_DRAFT_DEPTH} levels')]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, int | float):
        finite = isinstance(value, int) or math.isfinite(value)
        return [] if finite and abs(value) < MAX_DRAFT_NUMBER else [FieldIssue(where, 'not a storable number')]
    if isinstance(value, list):
        return [i for n, item in enumerate(value) for i in _unstorable(item, f'{path}[{n}]', depth + 1)]
    if isinstance(value, dict):
        issues = [FieldIssue(where, 'an empty key') for key in value if not key]
        return issues + [
            i
            for key, item in value.items()
            if key
            for i in _unstorable(item, f'{path}.{key}' if path else key, depth + 1)
        ]
    return [FieldIssue(where, f'not JSON: {type(value).__name__}')]
