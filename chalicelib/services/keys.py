"""API keys: issue (shown once), authenticate (constant time), list, revoke."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain import api_keys
from chalicelib.domain.access import Permission, authorize
from chalicelib.domain.errors import Conflict, FieldIssue, Unauthenticated, ValidationFailed
from chalicelib.domain.models import ApiKeyRecord, Principal, Role
from chalicelib.domain.text import PlainName
from chalicelib.ports import AuditDraft, Create, Page, Record, Replace, Write
from chalicelib.services.common import (
    KIND_BRIDGE,
    KIND_KEY,
    KIND_OPD,
    SYSTEM_ACTOR,
    Deps,
    all_records,
    build,
    require,
    unknown_reference,
)

# Compared against when the key id is unknown, so a miss costs the same time as a hit.
_DUMMY_HASH = api_keys.hash_secret('not-a-key')


def key_record(key: ApiKeyRecord, version: int = 0) -> Record:
    return Record(
        KIND_KEY,
        key.key_id,
        key.model_dump(mode='json'),
        version,
        list_key=f'{key.created_at.isoformat()}#{key.key_id}',
    )


def public_view(key: ApiKeyRecord) -> dict[str, Any]:
    view = key.model_dump(mode='json', exclude={'secret_hash'})
    view['active'] = key.active
    return view


def new_key(
    deps: Deps, *, name: str, role: Role, created_by: str, opd_id: str | None = None, bridge_id: str | None = None
) -> tuple[ApiKeyRecord, str]:
    """Mint a key. Returns the record to store and the token to show once."""
    key_id = api_keys.key_id_from_bytes(deps.random_bytes(api_keys.KEY_ID_BYTES))
    secret = api_keys.secret_from_bytes(deps.random_bytes(api_keys.SECRET_BYTES))
    record = build(
        ApiKeyRecord,
        {
            'key_id': key_id,
            'name': name,
            'role': role,
            'opd_id': opd_id,
            'bridge_id': bridge_id,
            'secret_hash': api_keys.hash_secret(secret),
            'created_at': deps.clock(),
            'created_by': created_by,
        },
    )
    return record, api_keys.format_token(key_id, secret)


def authenticate(deps: Deps, token: str | None, resolution_seconds: int) -> Principal:
    if not token:
        raise Unauthenticated('missing X-API-Key header')
    parsed = api_keys.parse_token(token.strip())
    if parsed is None:
        raise Unauthenticated('X-API-Key is not a Hadir API key (expected hdr_<id>_<secret>)')
    key_id, secret = parsed
    stored = deps.store.get(KIND_KEY, key_id)
    key = ApiKeyRecord.model_validate(stored.data) if stored else None
    if not api_keys.secret_matches(secret, key.secret_hash if key else _DUMMY_HASH) or key is None or stored is None:
        raise Unauthenticated('API key is not valid')
    if key.revoked_at is not None:
        raise Unauthenticated(f'API key {key_id} was revoked at {key.revoked_at.isoformat()}')
    now = deps.clock()
    if key.last_used_at is None or now - key.last_used_at >= timedelta(seconds=resolution_seconds):
        deps.store.set_field(KIND_KEY, key_id, 'last_used_at', now.isoformat())
    return Principal(key_id=key.key_id, role=key.role, opd_id=key.opd_id, bridge_id=key.bridge_id)


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    name: PlainName = Field(min_length=2, max_length=160)
    role: Literal[Role.SUPER, Role.OPD_ADMIN, Role.AUDITOR, Role.FINANCE]
    opd_id: str | None = None


def create_key(deps: Deps, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    authorize(principal, Permission.KEY_WRITE)
    request = build(KeyCreate, body)
    if request.role is Role.OPD_ADMIN:
        if not request.opd_id:
            raise ValidationFailed(
                'an opd_admin key needs its OPD', fields=(FieldIssue('opd_id', 'required for opd_admin'),)
            )
        if deps.store.get(KIND_OPD, request.opd_id) is None:
            raise unknown_reference('opd_id', 'OPD', request.opd_id)
    elif request.opd_id is not None:
        raise ValidationFailed(
            'only opd_admin keys are bound to an OPD', fields=(FieldIssue('opd_id', 'must be empty'),)
        )
    key, token = new_key(deps, name=request.name, role=request.role, created_by=principal.key_id, opd_id=request.opd_id)
    _commit_key(deps, principal.key_id, [Create(key_record(key), 'key id collision; retry')], 'key.create', key, None)
    return {**public_view(key), 'token': token}


def _commit_key(
    deps: Deps, actor: str, writes: list[Write], action: str, after: ApiKeyRecord, before: ApiKeyRecord | None
) -> None:
    deps.store.commit(
        writes,
        AuditDraft(
            actor_key_id=actor,
            action=action,
            target=f'key/{after.key_id}',
            opd_id=after.opd_id,
            before=public_view(before) if before else None,
            after=public_view(after),
        ),
    )


def get_key(deps: Deps, principal: Principal, key_id: str) -> dict[str, Any]:
    authorize(principal, Permission.KEY_READ)
    return public_view(ApiKeyRecord.model_validate(require(deps.store, KIND_KEY, key_id).data))


def list_keys(
    deps: Deps, principal: Principal, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    authorize(principal, Permission.KEY_READ)
    page: Page = deps.store.list(KIND_KEY, limit=limit, cursor=cursor)
    return [public_view(ApiKeyRecord.model_validate(r.data)) for r in page.items], page.next_cursor


def actor_names(deps: Deps, principal: Principal) -> dict[str, Any]:
    """Who acted, by name: the API keys whose actions the caller can read in records and the audit (the console
    shows "Admin BKPSDM" where a record keeps the key's id). An OPD-bound key gets its OPD's keys and the
    pemda-wide ones (BKPSDM, auditors, finance), not another OPD's admins or bridges. Never a secret, nor when a
    key was last used."""
    authorize(principal, Permission.AUDIT_READ)
    bridge_opds = {r.id: r.data.get('opd_id') for r in all_records(deps.store, KIND_BRIDGE)}
    items = []
    for stored in all_records(deps.store, KIND_KEY):
        key = ApiKeyRecord.model_validate(stored.data)
        opd_id = bridge_opds.get(key.bridge_id, '') if key.bridge_id else key.opd_id  # a bridge is its OPD's
        if principal.opd_id is not None and opd_id not in (None, principal.opd_id):
            continue
        items.append({'key_id': key.key_id, 'name': key.name, 'role': key.role.value, 'opd_id': opd_id or None,
                      'active': key.active})  # fmt: skip
    return {'items': items, 'count': len(items)}


def revoke_key(deps: Deps, principal: Principal, key_id: str) -> dict[str, Any]:
    authorize(principal, Permission.KEY_WRITE)
    if key_id == principal.key_id:
        raise Conflict('a key cannot revoke itself; use another super key so nobody is locked out')
    stored = require(deps.store, KIND_KEY, key_id)
    before = ApiKeyRecord.model_validate(stored.data)
    if before.role == Role.BRIDGE:
        raise Conflict('bridge keys are revoked through their bridge (DELETE or rotate-key)')
    if before.revoked_at is not None:
        return public_view(before)
    after = before.model_copy(update={'revoked_at': deps.clock()})
    _commit_key(deps, principal.key_id, [Replace(key_record(after, stored.version))], 'key.revoke', after, before)
    return public_view(after)


def bootstrap_super_key(deps: Deps, name: str) -> str:
    """The first super key of an installation (CLI only: nobody can call the API yet)."""
    key, token = new_key(deps, name=name, role=Role.SUPER, created_by=SYSTEM_ACTOR)
    _commit_key(deps, SYSTEM_ACTOR, [Create(key_record(key), 'key id collision; retry')], 'key.bootstrap', key, None)
    return token


def bridge_key(deps: Deps, actor: str, bridge_id: str, name: str) -> tuple[ApiKeyRecord, str, Write]:
    """A bridge's key: bound to the bridge, not to an OPD, since a bridge may serve several offices."""
    key, token = new_key(deps, name=name, role=Role.BRIDGE, created_by=actor, bridge_id=bridge_id)
    return key, token, Create(key_record(key), 'key id collision; retry')


def opd_key_revocations(deps: Deps, opd_id: str) -> list[Write]:
    """Writes revoking every active key bound to an OPD."""
    now = deps.clock()
    writes: list[Write] = []
    for stored in all_records(deps.store, KIND_KEY):
        key = ApiKeyRecord.model_validate(stored.data)
        if key.opd_id == opd_id and key.revoked_at is None:
            writes.append(Replace(key_record(key.model_copy(update={'revoked_at': now}), stored.version)))
    return writes


def revocation(deps: Deps, key_id: str) -> tuple[Write, ApiKeyRecord] | None:
    """The write that revokes a key, or None when it is already gone or revoked."""
    stored = deps.store.get(KIND_KEY, key_id)
    if stored is None:
        return None
    key = ApiKeyRecord.model_validate(stored.data)
    if key.revoked_at is not None:
        return None
    after = key.model_copy(update={'revoked_at': deps.clock()})
    return Replace(key_record(after, stored.version)), after
