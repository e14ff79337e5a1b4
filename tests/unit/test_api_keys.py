from __future__ import annotations

import hashlib
import inspect
import os
from collections.abc import Callable
from datetime import timedelta
from unittest.mock import create_autospec

import pytest

from chalicelib.domain import api_keys
from chalicelib.domain.errors import Conflict, Forbidden, Unauthenticated, ValidationFailed
from chalicelib.domain.models import ApiKeyRecord, Principal, Role
from chalicelib.ports import Create, PunchLedger, Record
from chalicelib.services import keys
from chalicelib.services.common import KIND_KEY, KIND_OPD, Deps
from tests.fakes import FakeDirectoryStore, TickingClock


def counting_bytes() -> Callable[[int], bytes]:
    """Deterministic 'random' bytes that still differ from call to call."""
    calls = iter(range(1, 1_000_000))

    def random_bytes(n: int) -> bytes:
        return bytes([next(calls) % 256]) * n

    return random_bytes


def make_deps(clock: TickingClock | None = None, random_bytes: Callable[[int], bytes] = os.urandom) -> Deps:
    clock = clock or TickingClock()
    store = FakeDirectoryStore(clock)
    # The ledger is not used by key handling; a spec'd double fails loudly if that ever changes.
    return Deps(store, store.audit_log, create_autospec(PunchLedger, instance=True), clock, random_bytes)


def stored_key(deps: Deps, key_id: str) -> ApiKeyRecord:
    record = deps.store.get(KIND_KEY, key_id)
    assert record is not None
    return ApiKeyRecord.model_validate(record.data)


# --- tokens -------------------------------------------------------------------------------------


def test_a_token_carries_the_key_id_and_secret_and_parses_back() -> None:
    key_id = api_keys.key_id_from_bytes(b'\x01' * api_keys.KEY_ID_BYTES)
    secret = api_keys.secret_from_bytes(b'\x02' * api_keys.SECRET_BYTES)
    token = api_keys.format_token(key_id, secret)
    assert token.startswith('hdr_') and len(key_id) == 13 and len(secret) == 43
    assert api_keys.parse_token(token) == (key_id, secret)


@pytest.mark.parametrize(
    'token',
    [
        '',
        'hdr_aaaaaaaaaaaaa',
        'xyz_aaaaaaaaaaaaa_' + 'a' * 43,
        'hdr_AAAAAAAAAAAAA_' + 'a' * 43,  # key ids are lower-case base32
        'hdr_aaaaaaaaaaaa_' + 'a' * 43,
        'hdr_aaaaaaaaaaaaa_' + 'a' * 42,
        'hdr_aaaaaaaaaaaaa_' + 'a' * 42 + '!',
        'hdr_aaaaaaaaaaaaa_' + 'a' * 43 + '\n',
    ],
)
def test_a_string_that_is_not_a_token_does_not_parse(token: str) -> None:
    assert api_keys.parse_token(token) is None


def test_only_a_sha256_of_the_secret_is_kept_and_it_matches_only_that_secret() -> None:
    secret = api_keys.secret_from_bytes(os.urandom(api_keys.SECRET_BYTES))
    stored = api_keys.hash_secret(secret)
    assert stored == hashlib.sha256(secret.encode()).hexdigest() and secret not in stored
    assert api_keys.secret_matches(secret, stored)
    assert not api_keys.secret_matches(secret[:-1] + ('A' if secret[-1] != 'A' else 'B'), stored)


def test_secrets_are_compared_in_constant_time() -> None:
    # A timing test would be flaky; instead pin the implementation to hmac.compare_digest.
    source = inspect.getsource(api_keys.secret_matches)
    assert 'hmac.compare_digest(' in source and '==' not in source


# --- issuing ------------------------------------------------------------------------------------


def test_new_key_stores_the_hash_and_shows_the_token_once() -> None:
    # Given deps with real randomness
    deps = make_deps()
    # When a key is minted
    record, token = keys.new_key(deps, name='ops', role=Role.AUDITOR, created_by='k-super')
    # Then the record holds the hash of the token's secret, and nothing from which the token could be rebuilt
    key_id, secret = api_keys.parse_token(token) or ('', '')
    assert record.key_id == key_id
    assert record.secret_hash == api_keys.hash_secret(secret)
    assert secret not in record.model_dump_json()


def test_keys_are_random() -> None:
    deps = make_deps()
    tokens = {keys.new_key(deps, name='ops', role=Role.AUDITOR, created_by='x')[1] for _ in range(50)}
    assert len(tokens) == 50
    assert len({api_keys.parse_token(t)[0] for t in tokens if api_keys.parse_token(t)}) == 50  # type: ignore[index]


def test_the_key_id_and_secret_come_from_the_injected_randomness() -> None:
    deps = make_deps(random_bytes=counting_bytes())
    _, token = keys.new_key(deps, name='ops', role=Role.AUDITOR, created_by='x')
    expected_id = api_keys.key_id_from_bytes(b'\x01' * api_keys.KEY_ID_BYTES)
    assert token == api_keys.format_token(expected_id, api_keys.secret_from_bytes(b'\x02' * api_keys.SECRET_BYTES))


def test_bootstrap_issues_a_super_key_that_authenticates_and_is_audited() -> None:
    deps = make_deps()
    token = keys.bootstrap_super_key(deps, 'first admin')
    principal = keys.authenticate(deps, token, 60)
    assert principal.role is Role.SUPER
    [entry] = list(deps.audit_log.walk())
    assert (entry.action, entry.actor_key_id) == ('key.bootstrap', keys.SYSTEM_ACTOR)
    assert entry.after is not None and 'secret_hash' not in entry.after


def test_create_key_returns_the_token_but_its_audit_entry_and_listing_never_hold_the_secret() -> None:
    # Given a super key
    deps = make_deps()
    admin = keys.authenticate(deps, keys.bootstrap_super_key(deps, 'root'), 60)
    # When an auditor key is created
    created = keys.create_key(deps, admin, {'name': 'BPK auditor', 'role': 'auditor'})
    # Then the response has the token, and nothing else that is stored or listed shows it or its hash
    token = created['token']
    secret = token.split('_', 2)[2]  # the secret itself may hold '_'
    listed, _ = keys.list_keys(deps, admin, 50, None)
    audit_text = str([e.model_dump() for e in deps.audit_log.walk()])
    for shown in (str(listed), str(keys.get_key(deps, admin, created['key_id'])), audit_text):
        assert secret not in shown and 'secret_hash' not in shown


def test_an_opd_admin_key_must_name_an_existing_opd() -> None:
    deps = make_deps()
    admin = keys.authenticate(deps, keys.bootstrap_super_key(deps, 'root'), 60)
    with pytest.raises(ValidationFailed, match='needs its OPD') as missing:
        keys.create_key(deps, admin, {'name': 'admin A', 'role': 'opd_admin'})
    with pytest.raises(ValidationFailed, match='unknown OPD OPDA') as unknown:
        keys.create_key(deps, admin, {'name': 'admin A', 'role': 'opd_admin', 'opd_id': 'OPDA'})
    assert [f.path for f in missing.value.fields + unknown.value.fields] == ['opd_id', 'opd_id']
    deps.store.commit([Create(Record(KIND_OPD, 'OPDA', {}), 'x')], None)
    assert keys.create_key(deps, admin, {'name': 'admin A', 'role': 'opd_admin', 'opd_id': 'OPDA'})['opd_id'] == 'OPDA'


def test_bridge_keys_cannot_be_issued_directly() -> None:
    deps = make_deps()
    admin = keys.authenticate(deps, keys.bootstrap_super_key(deps, 'root'), 60)
    with pytest.raises(ValidationFailed) as refused:
        keys.create_key(deps, admin, {'name': 'sneaky', 'role': 'bridge'})
    assert [f.path for f in refused.value.fields] == ['role']


# --- authenticating -----------------------------------------------------------------------------


@pytest.mark.parametrize(('header', 'message'), [(None, 'missing'), ('', 'missing'), ('Bearer abc', 'not a Hadir')])
def test_a_missing_or_malformed_header_is_unauthenticated(header: str | None, message: str) -> None:
    with pytest.raises(Unauthenticated, match=message):
        keys.authenticate(make_deps(), header, 60)


def test_an_unknown_key_id_and_a_wrong_secret_are_refused_alike() -> None:
    # Given a real key
    deps = make_deps()
    token = keys.bootstrap_super_key(deps, 'root')
    key_id, secret = api_keys.parse_token(token) or ('', '')
    unknown_id = api_keys.format_token('a' * 13, secret)
    wrong_secret = api_keys.format_token(key_id, secret[::-1])
    # When either forgery is presented; Then both get the same answer, so key ids cannot be probed
    messages = []
    for forged in (unknown_id, wrong_secret):
        with pytest.raises(Unauthenticated) as refused:
            keys.authenticate(deps, forged, 60)
        messages.append(refused.value.message)
    assert messages == ['API key is not valid', 'API key is not valid']


def test_a_revoked_key_is_refused_with_the_revocation_time() -> None:
    # Given an auditor key revoked by a super key
    deps = make_deps()
    admin = keys.authenticate(deps, keys.bootstrap_super_key(deps, 'root'), 60)
    created = keys.create_key(deps, admin, {'name': 'temp', 'role': 'auditor'})
    keys.revoke_key(deps, admin, created['key_id'])
    # When the revoked key is used; Then it is unauthenticated
    with pytest.raises(Unauthenticated, match='was revoked at'):
        keys.authenticate(deps, created['token'], 60)


def test_last_used_time_is_recorded_at_most_once_per_resolution_window() -> None:
    # Given a key never used, and a clock that advances one second per reading
    clock = TickingClock()
    deps = make_deps(clock)
    token = keys.bootstrap_super_key(deps, 'root')
    key_id = (api_keys.parse_token(token) or ('', ''))[0]
    assert stored_key(deps, key_id).last_used_at is None
    # When it is used, and used again within the window
    keys.authenticate(deps, token, 60)
    first_use = stored_key(deps, key_id).last_used_at
    keys.authenticate(deps, token, 60)
    # Then the first use is recorded and the second does not rewrite it
    assert first_use is not None
    assert stored_key(deps, key_id).last_used_at == first_use
    # When the window has passed; Then the next use is recorded
    clock.now += timedelta(seconds=61)
    keys.authenticate(deps, token, 60)
    later = stored_key(deps, key_id).last_used_at
    assert later is not None and later > first_use


def test_recording_last_use_neither_bumps_the_version_nor_writes_audit() -> None:
    deps = make_deps()
    token = keys.bootstrap_super_key(deps, 'root')
    key_id = (api_keys.parse_token(token) or ('', ''))[0]
    keys.authenticate(deps, token, 0)
    record = deps.store.get(KIND_KEY, key_id)
    assert record is not None and record.version == 0
    assert [e.action for e in deps.audit_log.walk()] == ['key.bootstrap']


# --- revoking -----------------------------------------------------------------------------------


def test_a_key_cannot_revoke_itself() -> None:
    deps = make_deps()
    admin = keys.authenticate(deps, keys.bootstrap_super_key(deps, 'root'), 60)
    with pytest.raises(Conflict, match='cannot revoke itself'):
        keys.revoke_key(deps, admin, admin.key_id)


def test_revoking_twice_changes_nothing_the_second_time() -> None:
    deps = make_deps()
    admin = keys.authenticate(deps, keys.bootstrap_super_key(deps, 'root'), 60)
    created = keys.create_key(deps, admin, {'name': 'temp', 'role': 'finance'})
    first = keys.revoke_key(deps, admin, created['key_id'])
    second = keys.revoke_key(deps, admin, created['key_id'])
    assert first == second and first['active'] is False
    assert [e.action for e in deps.audit_log.walk()].count('key.revoke') == 1


def test_only_super_keys_issue_or_revoke_keys() -> None:
    auditor = Principal(key_id='k-aud', role=Role.AUDITOR)
    deps = make_deps()
    with pytest.raises(Forbidden):
        keys.create_key(deps, auditor, {'name': 'x', 'role': 'auditor'})
    with pytest.raises(Forbidden):
        keys.revoke_key(deps, auditor, 'whatever')
