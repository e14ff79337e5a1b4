"""Finance exports: the monthly TPP files of each closed month, with presigned download links."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import Ctx, QueryParam, route
from chalicelib.services import allowance
from chalicelib.wiring import get_books

bp = Blueprint(__name__)


FINANCE_READERS = ('finance', 'super', 'auditor')


@route(bp, '/v1/exports', 'GET', summary='Finance TPP files of a month, every revision, with download links',
       tag='exports', roles=FINANCE_READERS, query=(QueryParam('month', 'YYYY-MM (required)'),))  # fmt: skip
def list_exports(ctx: Ctx) -> Any:
    return allowance.list_exports(get_books(), ctx.query('month'), ctx.settings.export_link_seconds)
