"""Health and the API description: public, no key needed."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.openapi import openapi_document
from chalicelib.api.routing import Ctx, route

bp = Blueprint(__name__)


@route(bp, '/v1/health', 'GET', summary='Liveness and a database check', tag='system', public=True)
def get_health(ctx: Ctx) -> Any:
    from chalicelib.services.health import health

    return health(ctx.deps, ctx.settings.stage)


@route(bp, '/v1/openapi.json', 'GET', summary='This document', tag='system', public=True)
def get_openapi(ctx: Ctx) -> Any:
    return openapi_document()
