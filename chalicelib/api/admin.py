"""Keys, audit, and who-am-I."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import Ctx, QueryParam, page, route

bp = Blueprint(__name__)


@route(bp, '/v1/keys', 'GET', summary='List API keys (never their secrets)', tag='keys', roles=('super', 'auditor'),
       paginated=True)  # fmt: skip
def list_keys(ctx: Ctx) -> Any:
    from chalicelib.services import keys

    return page(*keys.list_keys(ctx.deps, ctx.principal, ctx.limit, ctx.cursor))


@route(bp, '/v1/keys', 'POST', summary='Issue an API key; the token is shown once', tag='keys', roles=('super',),
       body='chalicelib.services.keys:KeyCreate', status=201, idempotent=True)  # fmt: skip
def create_key(ctx: Ctx) -> Any:
    from chalicelib.services import keys

    return keys.create_key(ctx.deps, ctx.principal, ctx.body)


@route(bp, '/v1/keys/{key_id}', 'GET', summary='One API key', tag='keys', roles=('super', 'auditor'))
def get_key(ctx: Ctx) -> Any:
    from chalicelib.services import keys

    return keys.get_key(ctx.deps, ctx.principal, ctx.params['key_id'])


@route(bp, '/v1/actors', 'GET', tag='keys', roles=('super', 'auditor', 'opd_admin'),
       summary="Who acted, by name: the keys whose actions the caller can read (an OPD admin: their OPD's and "
               'the pemda-wide ones); no secrets')  # fmt: skip
def actor_names(ctx: Ctx) -> Any:
    from chalicelib.services import keys

    return keys.actor_names(ctx.deps, ctx.principal)


@route(bp, '/v1/keys/{key_id}', 'DELETE', summary='Revoke an API key', tag='keys', roles=('super',))
def revoke_key(ctx: Ctx) -> Any:
    from chalicelib.services import keys

    return keys.revoke_key(ctx.deps, ctx.principal, ctx.params['key_id'])


AUDIT_READERS = ('super', 'auditor', 'opd_admin')


@route(bp, '/v1/audit', 'GET', summary='Audit entries, newest first', tag='audit', roles=AUDIT_READERS,
       query=(QueryParam('opd', 'only entries about this OPD'),), paginated=True)  # fmt: skip
def list_audit(ctx: Ctx) -> Any:
    from chalicelib.services import audit

    return page(*audit.list_audit(ctx.deps, ctx.principal, ctx.query('opd'), ctx.limit, ctx.cursor))


@route(bp, '/v1/audit/verify', 'POST', summary="Check the audit chain's links and hold it to its latest anchor",
       tag='audit', roles=('super', 'auditor'))  # fmt: skip
def verify_audit(ctx: Ctx) -> Any:
    from chalicelib.services import audit
    from chalicelib.wiring import get_anchors

    return audit.verify_for_console(ctx.deps, ctx.principal, get_anchors())


@route(bp, '/v1/me/key', 'GET', summary='The calling key: role and scope', tag='keys',
       roles=('super', 'auditor', 'opd_admin', 'finance', 'bridge'))  # fmt: skip
def whoami(ctx: Ctx) -> Any:
    return ctx.principal.model_dump(mode='json')
