"""TPP rule profiles: the shipped templates, versions drafted, validated, published (audited) and read."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import Ctx, route

bp = Blueprint(__name__)
READERS = ('super', 'auditor', 'opd_admin')
WRITERS = ('super',)
VERSION = '/v1/profiles/{profile_id}/versions/{version}'


@route(
    bp,
    '/v1/profiles',
    'GET',
    tag='profile',
    roles=READERS,
    summary='Every rule profile with its versions and states, and which version prices each employee type today',
)
def list_profiles(ctx: Ctx) -> Any:
    from chalicelib.services import profiles

    return profiles.list_profiles(ctx.deps, ctx.principal)


@route(
    bp,
    '/v1/profile-templates',
    'GET',
    tag='profile',
    roles=READERS,
    summary='The profiles Hadir ships (the ASN default; the TKK example, marked example) to start a draft from',
)
def list_templates(ctx: Ctx) -> Any:
    from chalicelib.services import profiles

    return profiles.list_templates(ctx.principal)


@route(
    bp,
    '/v1/profiles',
    'POST',
    tag='profile',
    roles=WRITERS,
    body='chalicelib.services.profiles:ProfileDraftRequest',
    status=201,
    summary='Draft a version: the full rules, a shipped template or a copy of a stored version (audited)',
)
def create_draft(ctx: Ctx) -> Any:
    from chalicelib.services import profiles

    return profiles.create_draft(ctx.deps, ctx.principal, ctx.body)


@route(bp, VERSION, 'GET', summary='One version: its rules and publication record', tag='profile', roles=READERS)
def get_version(ctx: Ctx) -> Any:
    from chalicelib.services import profiles

    return profiles.get_version(ctx.deps, ctx.principal, ctx.params['profile_id'], ctx.params['version'])


@route(
    bp,
    VERSION,
    'PUT',
    tag='profile',
    roles=WRITERS,
    body='chalicelib.services.profiles:ProfileDraftBody',
    summary='Replace a draft whole (audited); a published version never changes (409)',
)
def replace_draft(ctx: Ctx) -> Any:
    from chalicelib.services import profiles

    return profiles.replace_draft(ctx.deps, ctx.principal, ctx.params['profile_id'], ctx.params['version'], ctx.body)


@route(
    bp,
    f'{VERSION}/validate',
    'POST',
    tag='profile',
    roles=READERS,
    summary='Every issue that would stop the publication, with field paths (200 with valid true or false)',
)
def validate_version(ctx: Ctx) -> Any:
    from chalicelib.services import profiles

    return profiles.validate_version(ctx.deps, ctx.principal, ctx.params['profile_id'], ctx.params['version'])


@route(
    bp,
    f'{VERSION}/publish',
    'POST',
    tag='profile',
    roles=WRITERS,
    body='chalicelib.services.profiles:PublishRequest',
    summary='Publish a draft (audited): it supersedes the previous version from its effective_from; '
    'closed days it prices anew are marked for re-close',
)
def publish_version(ctx: Ctx) -> Any:
    from chalicelib.services import profiles

    params = ctx.params
    return profiles.publish_version(ctx.deps, ctx.principal, params['profile_id'], params['version'], ctx.body)


@route(
    bp,
    VERSION,
    'DELETE',
    summary='Delete a draft (audited); a published version stays (409)',
    tag='profile',
    roles=WRITERS,
)
def delete_draft(ctx: Ctx) -> Any:
    from chalicelib.services import profiles

    return profiles.delete_draft(ctx.deps, ctx.principal, ctx.params['profile_id'], ctx.params['version'])
