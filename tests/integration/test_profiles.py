"""Rule profiles through the routes: drafted, validated, published (audited), superseded by a new version
from a date, and priced by the day close with the version in force on each day; every refusal named.

The office is WIB; its PNS arrives 10 minutes late (TL1) on Monday 12 January and Monday 9 February 2026,
and so does its TKK.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.domain.models import Punch
from chalicelib.domain.tpp.defaults import ASN_DEFAULT, TKK_EXAMPLE
from chalicelib.services import allowance, nightly, reclose
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import employee_body, opd_body, phone_punch
from tests.support import Harness, Reply

ZONE = 'Asia/Jakarta'
JANUARY_LATE, FEBRUARY_LATE = date(2026, 1, 12), date(2026, 2, 9)
ASN = 'kab-contoh-asn'
TKK = 'kab-contoh-tkk'
APPROVAL = {'approval_note': 'Perbup Contoh No. 3 Tahun 2026, ditetapkan 2 Januari 2026'}


@dataclass
class Office:
    hx: Harness
    pns: str
    tkk: str
    auditor: str
    admin: str  # opd_admin of DISKOMINFO


def _punch(employee_id: str, day: date, hhmm: str) -> Punch:
    return phone_punch(employee_id, 'DISKOMINFO', day, hhmm, ZONE)


@pytest.fixture
def office(hx: Harness) -> Office:
    # Given a WIB pemda with one dinas, a PNS and a TKK who arrive at 07:40 on two Mondays and leave at 16:35
    key = hx.super_key
    pemda = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': ZONE, 'province': 'Jawa Tengah'}
    assert hx.call('PUT', '/v1/pemda', key, pemda).status == 200
    assert hx.call('POST', '/v1/opds', key, opd_body('DISKOMINFO', zone=ZONE)).status == 201
    pns = hx.call('POST', '/v1/employees', key, employee_body('DISKOMINFO', 1)).body['employee_id']
    tkk_body = {**employee_body('DISKOMINFO', 2, employee_type='TKK', nik='3330014101900001'), 'nip': None}
    tkk = hx.call('POST', '/v1/employees', key, tkk_body).body['employee_id']
    punches = [_punch(e, day, t) for e in (pns, tkk) for day in (JANUARY_LATE, FEBRUARY_LATE)
               for t in ('07:40', '16:35')]  # fmt: skip
    DynamoPunchLedger().record(punches)
    return Office(hx, pns, tkk, hx.make_key('auditor'), hx.make_key('opd_admin', 'DISKOMINFO'))


def _ok(reply: Reply, status: int = 200) -> dict[str, Any]:
    assert reply.status == status, reply.body
    return dict(reply.body)


def _refused(reply: Reply, status: int, code: str) -> dict[str, Any]:
    assert (reply.status, reply.body['error']['code']) == (status, code), reply.body
    return dict(reply.body['error'])


def _fields(reply: Reply) -> dict[str, str]:
    error = _refused(reply, 422, 'validation_failed')
    return {f['path']: f['message'] for f in error['fields']}


def _version_path(profile_id: str, version: int, action: str = '') -> str:
    return f'/v1/profiles/{profile_id}/versions/{version}' + (f'/{action}' if action else '')


def _tl1(amount: int, profile: dict[str, Any]) -> dict[str, Any]:
    tiers = [dict(t) for t in profile['late']['tiers']]
    tiers[0]['amount'] = amount
    return {**profile, 'late': {'tiers': tiers}}


def _asn_rules(**changes: Any) -> dict[str, Any]:
    return {**ASN_DEFAULT, 'profile_id': ASN, 'effective_from': '2026-01-01',
            'legal_basis': 'Perbup Contoh No. 3 Tahun 2026 tentang TPP, Pasal 12-15', **changes}  # fmt: skip


def _publish(hx: Harness, rules: dict[str, Any]) -> dict[str, Any]:
    draft = _ok(hx.call('POST', '/v1/profiles', hx.super_key, rules), 201)
    return _ok(hx.call('POST', _version_path(draft['profile_id'], draft['version'], 'publish'), hx.super_key,
                       APPROVAL))  # fmt: skip


def _day(employee_id: str, day: date) -> Any:
    return get_books().records.days([(employee_id, day)]).get((employee_id, day))


def _close(*days: date) -> None:
    for day in days:
        allowance.close_day(get_deps(), get_books(), day)


def _yesterday() -> date:
    return allowance.local_today(get_deps()) - timedelta(days=1)


def _marked(cause: str) -> list[str]:
    return sorted(m.data['day'] for m in reclose.pending_recloses(get_deps()) if m.data['cause'] == cause)


# --- the lifecycle ---------------------------------------------------------------------------------


def test_a_draft_from_the_template_is_validated_with_field_paths_fixed_and_published_with_its_record(
    office: Office,
) -> None:
    hx, key = office.hx, office.hx.super_key
    # When a draft is made from the shipped ASN template
    draft = _ok(hx.call('POST', '/v1/profiles', key, {'from_template': 'hadir-default-asn'}), 201)
    # Then it is v1 of the pemda's own profile, a DRAFT, holding the template's rules
    assert (draft['profile_id'], draft['version'], draft['state'], draft['source']) == (
        ASN, 1, 'DRAFT', 'template:hadir-default-asn',
    )  # fmt: skip
    assert draft['rules']['late'] == ASN_DEFAULT['late'] and draft['published_at'] is None
    # When it is replaced with rules that have a gap in the late tiers, weights that do not add up and a cap
    # above the absent day
    broken = _asn_rules(attendance_weight_bp=3_000, daily_cap=600)
    broken['late'] = {'tiers': [{**t, 'min_from': 32} if t['code'] == 'TL2' else t for t in broken['late']['tiers']]}
    _ok(hx.call('PUT', _version_path(ASN, 1), key, broken))
    # Then validate answers 200 with every issue and its field path
    check = _ok(hx.call('POST', _version_path(ASN, 1, 'validate'), key))
    assert check['valid'] is False
    assert {i['path']: i['message'] for i in check['issues']} == {
        'attendance_weight_bp': 'performance and attendance weights must sum to 10000 bp',
        'late.tiers[1].min_from': 'a gap: expected 31, got 32',
        'daily_cap': 'a present day must not cost more than an absent one (tk.amount)',
    }
    # And publishing it is refused with 422 and the same issues
    refused = hx.call('POST', _version_path(ASN, 1, 'publish'), key, APPROVAL)
    assert set(_fields(refused)) == {'attendance_weight_bp', 'late.tiers[1].min_from', 'daily_cap'}
    assert refused.body['error']['message'] == f'{ASN} v1 cannot be published: 3 issue(s), see fields'
    # When the draft is fixed, it validates
    _ok(hx.call('PUT', _version_path(ASN, 1), key, _asn_rules()))
    assert _ok(hx.call('POST', _version_path(ASN, 1, 'validate'), key))['valid'] is True
    # And when it is published
    published = _ok(hx.call('POST', _version_path(ASN, 1, 'publish'), key, APPROVAL))
    # Then the publication record sits beside the rules, and the audit entry holds the rules that took effect
    assert (published['state'], published['approval_note'], published['legal_basis']) == (
        'PUBLISHED', APPROVAL['approval_note'], 'Perbup Contoh No. 3 Tahun 2026 tentang TPP, Pasal 12-15',
    )  # fmt: skip
    assert published['published_by'] == published['created_by'] and len(published['rules_sha256']) == 64
    audit = hx.call('GET', '/v1/audit', key).body['items']
    assert [e['action'] for e in audit[:4]] == ['profile.publish', 'profile.draft_replace', 'profile.draft_replace',
                                                'profile.draft']  # fmt: skip
    assert audit[0]['target'] == f'profile/{ASN}/v1' and audit[0]['after']['rules'] == published['rules']
    # And the listing shows it in force for PNS and PPPK from 2026-01-01, the shipped default before that
    listing = _ok(hx.call('GET', '/v1/profiles', office.admin))
    [profile] = listing['items']
    assert [(v['version'], v['state'], v['in_force']) for v in profile['versions']] == [
        (1, 'PUBLISHED', {'from': '2026-01-01', 'to': None}),
    ]
    assert listing['in_force_today'] == {'PNS': f'{ASN} v1', 'PPPK': f'{ASN} v1', 'TKK': None}
    assert listing['shipped_default'] == [
        {'employee_types': ['PNS', 'PPPK'], 'in_force': {'from': '2023-01-01', 'to': '2025-12-31'}},
    ]


def test_a_published_version_is_never_edited_or_deleted(office: Office) -> None:
    hx, key = office.hx, office.hx.super_key
    # Given a published v1
    _publish(hx, _asn_rules())
    # When it is replaced, deleted or published again
    replies = [
        hx.call('PUT', _version_path(ASN, 1), key, _asn_rules(daily_cap=400)),
        hx.call('DELETE', _version_path(ASN, 1), key),
        hx.call('POST', _version_path(ASN, 1, 'publish'), key, APPROVAL),
    ]
    # Then each is a 409 that says how to change it: a new version
    for reply in replies:
        error = _refused(reply, 409, 'profile_published')
        assert error['message'].startswith(f'{ASN} v1 is published and its rules never change; draft the next')
        assert error['details']['version'] == 1
    assert _ok(hx.call('GET', _version_path(ASN, 1), key))['rules']['daily_cap'] == 500


def test_a_new_version_supersedes_from_its_date_and_each_day_is_priced_by_the_version_in_force(
    office: Office,
) -> None:
    hx, key = office.hx, office.hx.super_key
    # Given v1 published from 1 January with TL1 at 0.50 %
    _publish(hx, _asn_rules())
    # When v2 is drafted as a copy of v1 and TL1 raised to 0.75 % from 1 February, then published
    draft = _ok(hx.call('POST', '/v1/profiles', key, {'copy_of': {'profile_id': ASN, 'version': 1}}), 201)
    assert (draft['version'], draft['source'], draft['rules']['late']) == (2, f'copy:{ASN}@v1', ASN_DEFAULT['late'])
    v2 = _tl1(75, {**draft['rules'], 'effective_from': '2026-02-01'})
    _ok(hx.call('PUT', _version_path(ASN, 2), key, v2))
    _ok(hx.call('POST', _version_path(ASN, 2, 'publish'), key, APPROVAL))
    # Then v1 prices January only, v2 from February
    [profile] = _ok(hx.call('GET', '/v1/profiles', office.auditor))['items']
    assert [(v['version'], v['in_force']) for v in profile['versions']] == [
        (1, {'from': '2026-01-01', 'to': '2026-01-31'}),
        (2, {'from': '2026-02-01', 'to': None}),
    ]
    # When both late Mondays are closed
    _close(JANUARY_LATE, FEBRUARY_LATE)
    # Then each day is TL1, priced by the version in force that day
    january, february = _day(office.pns, JANUARY_LATE), _day(office.pns, FEBRUARY_LATE)
    assert (january.profile_version, january.day.codes, january.day.deduction) == (1, ('TL1',), 50)
    assert (february.profile_version, february.day.codes, february.day.deduction) == (2, ('TL1',), 75)
    # And a v3 starting before v2 is refused: a version never starts before the one it supersedes
    _ok(hx.call('POST', '/v1/profiles', key, {'copy_of': {'profile_id': ASN, 'version': 2}}), 201)
    _ok(hx.call('PUT', _version_path(ASN, 3), key, {**v2, 'version': 3, 'effective_from': '2026-01-15'}))
    assert _fields(hx.call('POST', _version_path(ASN, 3, 'publish'), key, APPROVAL)) == {
        'effective_from': f'must not be before 2026-02-01, the effective_from of {ASN} v2 that this version supersedes',
    }
    # While a v3 from the same day as v2 corrects v2 whole: v2 then prices no day at all
    _ok(hx.call('PUT', _version_path(ASN, 3), key, {**_tl1(60, v2), 'version': 3}))
    _ok(hx.call('POST', _version_path(ASN, 3, 'publish'), key, APPROVAL))
    _close(FEBRUARY_LATE)
    february = _day(office.pns, FEBRUARY_LATE)
    assert (february.profile_version, february.day.deduction) == (3, 60)
    versions = _ok(hx.call('GET', '/v1/profiles', key))['items'][0]['versions']
    assert [v['in_force'] for v in versions] == [{'from': '2026-01-01', 'to': '2026-01-31'}, None,
                                                 {'from': '2026-02-01', 'to': None}]  # fmt: skip


def test_tkk_staff_get_day_records_in_rupiah_once_a_tkk_profile_is_published(office: Office) -> None:
    hx, key = office.hx, office.hx.super_key
    # Given no TKK profile: the TKK's late Monday gets no record
    report = allowance.close_day(get_deps(), get_books(), JANUARY_LATE)
    assert (report.owed, report.no_profile) == (1, 1) and _day(office.tkk, JANUARY_LATE) is None
    # When the TKK example is drafted, and published unchanged
    draft = _ok(hx.call('POST', '/v1/profiles', key, {'from_template': 'hadir-example-tkk'}), 201)
    assert (draft['profile_id'], draft['rules']['unit']) == (TKK, 'RUPIAH')
    # Then it is refused: the example's legal basis (and with it its placeholder amounts) must be replaced
    assert _fields(hx.call('POST', _version_path(TKK, 1, 'publish'), key, APPROVAL)) == {
        'legal_basis': "still the template's; name the pemda's Perkada/Perbup and pasal",
    }
    # When it names the pemda's Perbup, takes TL1 at Rp7.500 from 1 January 2026, and is published
    rules = _tl1(7_500, {**draft['rules'], 'legal_basis': 'Perbup Contoh No. 9 Tahun 2025 tentang honorarium TKK',
                         'effective_from': '2026-01-01'})  # fmt: skip
    _ok(hx.call('PUT', _version_path(TKK, 1), key, rules))
    _ok(hx.call('POST', _version_path(TKK, 1, 'publish'), key, APPROVAL))
    # Then the close gives the TKK a day record with a rupiah deduction, and the PNS keeps the shipped default
    report = allowance.close_day(get_deps(), get_books(), JANUARY_LATE)
    assert (report.owed, report.no_profile) == (2, 0)
    tkk = _day(office.tkk, JANUARY_LATE)
    assert (tkk.profile_id, tkk.day.codes, tkk.day.deduction) == (TKK, ('TL1',), 7_500)
    assert 'Rp' in tkk.day.explanation
    assert _day(office.pns, JANUARY_LATE).profile_id == 'hadir-default-asn'


def test_publishing_with_a_past_effective_from_marks_the_closed_days_for_re_close(office: Office) -> None:
    hx = office.hx
    # Given the nightly close first ran in the night after 20 June 2025
    nightly.run_nightly(replace(get_deps(), clock=lambda: datetime(2025, 6, 20, 19, 0, tzinfo=UTC)), get_books)
    yesterday = _yesterday()
    # When an ASN profile from 1 January 2026 is published
    published = _publish(hx, _asn_rules())
    # Then every day from 1 January to yesterday is marked for re-close, and the answer says how many
    expected = (yesterday - date(2026, 1, 1)).days + 1
    assert published['reclose'] == {'days': expected, 'first': '2026-01-01', 'last': yesterday.isoformat()}
    marked = _marked(f'rule profile {ASN} v1 published')
    assert (len(marked), marked[0], marked[-1]) == (expected, '2026-01-01', yesterday.isoformat())
    # When a TKK profile from 2023 is published, the marking stops at the first closed day's bound: 400 days
    tkk = {**TKK_EXAMPLE, 'profile_id': TKK, 'legal_basis': 'Perbup Contoh No. 9 Tahun 2022 tentang honorarium'}
    reclose = _publish(hx, tkk)['reclose']
    first = yesterday - timedelta(days=399)
    assert reclose == {'days': 400, 'first': max(first, date(2025, 6, 20)).isoformat(), 'last': yesterday.isoformat()}
    # And a version from tomorrow marks nothing
    tomorrow = (yesterday + timedelta(days=2)).isoformat()
    draft = _ok(hx.call('POST', '/v1/profiles', hx.super_key, {'copy_of': {'profile_id': ASN, 'version': 1}}), 201)
    _ok(hx.call('PUT', _version_path(ASN, 2), hx.super_key, {**draft['rules'], 'effective_from': tomorrow}))
    later = _ok(hx.call('POST', _version_path(ASN, 2, 'publish'), hx.super_key, APPROVAL))
    assert later['reclose'] == {'days': 0, 'first': None, 'last': None}


def test_nothing_is_marked_before_the_nightly_close_ever_ran(office: Office) -> None:
    # Given an installation whose nightly close never ran; When a profile from 2026 is published
    published = _publish(office.hx, _asn_rules())
    # Then no day is marked: a re-close must not invent absent days before go-live
    assert published['reclose'] == {'days': 0, 'first': None, 'last': None}
    assert _marked(f'rule profile {ASN} v1 published') == []


def test_two_profiles_may_not_price_the_same_employee_type_on_the_same_day(office: Office) -> None:
    hx, key = office.hx, office.hx.super_key
    # Given the ASN profile published from 1 January 2026, open-ended
    _publish(hx, _asn_rules())
    # When another profile for PNS only, from 1 July 2026, is published
    other = _asn_rules(profile_id='kab-contoh-pns', effective_from='2026-07-01', employee_types=['PNS'])
    _ok(hx.call('POST', '/v1/profiles', key, other), 201)
    # Then it is refused, naming the profile that already prices PNS and how to hand over
    message = _fields(hx.call('POST', _version_path('kab-contoh-pns', 1, 'publish'), key, APPROVAL))['employee_types']
    assert message.startswith(f'PNS already priced by {ASN} v1 (from 2026-01-01): two profiles must not price')
    # When the ASN profile first publishes a last version ending on 30 June
    _ok(hx.call('POST', '/v1/profiles', key, {'copy_of': {'profile_id': ASN, 'version': 1}}), 201)
    _ok(hx.call('PUT', _version_path(ASN, 2), key, _asn_rules(version=2, effective_to='2026-06-30')))
    _ok(hx.call('POST', _version_path(ASN, 2, 'publish'), key, APPROVAL))
    # Then the PNS profile can take over from 1 July, and PPPK are left to the shipped default from then
    _ok(hx.call('POST', _version_path('kab-contoh-pns', 1, 'publish'), key, APPROVAL))
    listing = _ok(hx.call('GET', '/v1/profiles', key))
    assert listing['in_force_today'] == {'PNS': 'kab-contoh-pns v1', 'PPPK': None, 'TKK': None}


# --- drafts, templates, copies ---------------------------------------------------------------------


def test_templates_are_served_with_the_tkk_one_marked_as_an_example(office: Office) -> None:
    templates = _ok(office.hx.call('GET', '/v1/profile-templates', office.auditor))['items']
    assert [(t['template_id'], t['example'], t['employee_types']) for t in templates] == [
        ('hadir-default-asn', False, ['PNS', 'PPPK']),
        ('hadir-example-tkk', True, ['TKK']),
    ]
    assert templates[1]['rules'] == TKK_EXAMPLE and 'placeholders' in templates[1]['note']


def test_a_draft_can_be_deleted_and_drafted_again(office: Office) -> None:
    hx, key = office.hx, office.hx.super_key
    # Given a draft with the full rules in the body
    draft = _ok(hx.call('POST', '/v1/profiles', key, _asn_rules()), 201)
    assert (draft['version'], draft['source']) == (1, 'body')
    # When a second draft of the same profile is made, it is refused while the first exists
    error = _refused(hx.call('POST', '/v1/profiles', key, _asn_rules()), 409, 'profile_draft_exists')
    assert error['message'] == f'{ASN} already has a draft, v1; replace it (PUT) or delete it first'
    # When the draft is deleted
    assert _ok(hx.call('DELETE', _version_path(ASN, 1), key)) == {'deleted': f'{ASN} v1'}
    # Then it is gone, the deletion is audited, and the next draft is v1 again
    _refused(hx.call('GET', _version_path(ASN, 1), key), 404, 'not_found')
    assert hx.call('GET', '/v1/audit', key).body['items'][0]['action'] == 'profile.draft_delete'
    assert _ok(hx.call('POST', '/v1/profiles', key, {'from_template': 'hadir-default-asn'}), 201)['version'] == 1


@pytest.mark.parametrize(
    ('body', 'fields'),
    [
        ({'from_template': 'hadir-default-pns'},
         {'from_template': 'no template hadir-default-pns; one of hadir-default-asn, hadir-example-tkk'}),
        ({'copy_of': {'profile_id': 'nope', 'version': 4}}, {'copy_of': 'rule profile nope has no version 4'}),
        ({'from_template': 'hadir-default-asn', 'copy_of': {'profile_id': 'x1', 'version': 1}},
         {'from_template': 'give either from_template or copy_of, not both'}),
        ({'from_template': 'hadir-default-asn', 'name': 'x'}, {'name': 'Extra inputs are not permitted'}),
        ({'from_template': 'hadir-default-asn', 'profile_id': 'hadir-default-asn'},
         {'profile_id': 'hadir-default-asn is a shipped template; give the pemda its own id'}),
        ({**ASN_DEFAULT, 'profile_id': 'x'},
         {'profile_id': '2-40 letters, digits, - or _, starting with a letter or digit'}),
        ({**ASN_DEFAULT, 'profile_id': ASN, 'version': 2},
         {'version': 'versions are numbered by the server: this draft is v1'}),
    ],
    ids=['unknown template', 'unknown copy', 'both sources', 'source with rules', 'shipped id', 'bad id',
         'wrong version'],
)  # fmt: skip
def test_a_draft_request_naming_the_wrong_thing_is_refused_with_its_field(
    office: Office, body: dict[str, Any], fields: dict[str, str]
) -> None:
    assert _fields(office.hx.call('POST', '/v1/profiles', office.hx.super_key, body)) == fields


def test_malformed_oversized_and_unknown_requests_get_their_own_status(office: Office) -> None:
    hx, key = office.hx, office.hx.super_key
    _ok(hx.call('POST', '/v1/profiles', key, _asn_rules()), 201)
    # Malformed JSON is a 400 saying where
    bad = _refused(hx.call('POST', '/v1/profiles', key, raw='{"profile_id": '), 400, 'malformed_request')
    assert bad['message'].startswith('request body is not valid JSON')
    _refused(hx.call('PUT', _version_path(ASN, 1), key, raw='[1, 2]'), 400, 'malformed_request')
    # Numbers the store cannot hold (JSON parsing lets NaN through) are refused on their field
    nan = json.dumps(_asn_rules()).replace('"grace_minutes": 0', '"grace_minutes": NaN')
    assert _fields(hx.call('PUT', _version_path(ASN, 1), key, raw=nan)) == {'grace_minutes': 'not a storable number'}
    # A body over the limit is a 413
    huge = {**_asn_rules(), 'name': 'x' * 70_000}
    too_big = _refused(hx.call('PUT', _version_path(ASN, 1), key, raw=json.dumps(huge)), 413, 'payload_too_large')
    assert 'the limit for this endpoint is 65536' in too_big['message']
    # A version that does not exist, or is not a number, is a 404
    for path in (_version_path(ASN, 9), f'/v1/profiles/{ASN}/versions/one', _version_path('other', 1, 'validate')):
        assert _refused(hx.call('GET' if 'validate' not in path else 'POST', path, key), 404, 'not_found')
    # Publishing without an approval note is a 422 on that field; a PUT naming another profile is refused
    assert _fields(hx.call('POST', _version_path(ASN, 1, 'publish'), key, {'approval_note': ''})) == {
        'approval_note': 'String should have at least 5 characters',
    }
    assert _fields(hx.call('PUT', _version_path(ASN, 1), key, _asn_rules(profile_id='kab-lain'))) == {
        'profile_id': f'this is a draft of {ASN}; leave profile_id out or match it',
    }


# --- who may do what -------------------------------------------------------------------------------


def test_readers_read_and_validate_but_only_a_super_key_writes(office: Office) -> None:
    hx = office.hx
    _ok(hx.call('POST', '/v1/profiles', hx.super_key, _asn_rules()), 201)
    for token in (office.auditor, office.admin):
        # An auditor and an OPD admin read the profiles, a version, the templates, and may validate
        _ok(hx.call('GET', '/v1/profiles', token))
        _ok(hx.call('GET', _version_path(ASN, 1), token))
        _ok(hx.call('GET', '/v1/profile-templates', token))
        assert _ok(hx.call('POST', _version_path(ASN, 1, 'validate'), token))['valid'] is True
        # But cannot draft, replace, publish or delete
        refusals = [
            hx.call('POST', '/v1/profiles', token, {'from_template': 'hadir-example-tkk'}),
            hx.call('PUT', _version_path(ASN, 1), token, _asn_rules()),
            hx.call('POST', _version_path(ASN, 1, 'publish'), token, APPROVAL),
            hx.call('DELETE', _version_path(ASN, 1), token),
        ]
        assert [(r.status, r.body['error']['code']) for r in refusals] == [(403, 'forbidden')] * 4
    # And a finance key cannot even read them
    _refused(hx.call('GET', '/v1/profiles', hx.make_key('finance')), 403, 'forbidden')
    assert _ok(hx.call('GET', _version_path(ASN, 1), hx.super_key))['state'] == 'DRAFT'


def test_a_tkk_profile_starting_mid_month_prices_that_month_for_its_staff(office: Office) -> None:
    # Given the pemda's first TKK profile, in force from 5 February 2026
    rules = _tl1(7_500, {**TKK_EXAMPLE, 'profile_id': TKK, 'effective_from': '2026-02-05',
                         'legal_basis': 'Perbup Contoh No. 9 Tahun 2025 tentang honorarium TKK'})  # fmt: skip
    _publish(office.hx, rules)
    # When a later February day is closed, then the month
    allowance.close_day(get_deps(), get_books(), FEBRUARY_LATE)
    report = allowance.close_month(get_deps(), get_books(), '2026-02')
    # Then the TKK is in the month, priced by the profile that priced its days (not left out for the 1st)
    [tkk] = [r for r in get_books().records.month_records('2026-02', report['revision']) if r.employee_id == office.tkk]
    assert (tkk.result.profile_id, tkk.result.counts) == (TKK, {'TL1': 1})
