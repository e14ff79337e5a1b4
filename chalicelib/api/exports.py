"""Finance exports: the monthly TPP files of each closed month, with presigned download links."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import Ctx, month_param, route

bp = Blueprint(__name__)


FINANCE_READERS = ('finance', 'super', 'auditor')


@route(bp, '/v1/exports', 'GET', summary='Finance TPP files of a month, every revision, with download links',
       tag='exports', roles=FINANCE_READERS, query=(month_param('YYYY-MM', required=True),))  # fmt: skip
def list_exports(ctx: Ctx) -> Any:
    from chalicelib.services import allowance
    from chalicelib.wiring import get_books

    return allowance.list_exports(ctx.deps, get_books(), ctx.query('month'), ctx.settings.export_link_seconds)


@route(bp, '/v1/months/{month}/close', 'POST', tag='exports', roles=('super',), status=202,
       summary='Have a past month closed again within the hour (audited): a changed month gets a new revision, '
               'whose files are written beside the old ones')  # fmt: skip
def request_month_close(ctx: Ctx) -> Any:
    from chalicelib.services import month_end

    return month_end.request_close(ctx.deps, ctx.principal, ctx.params['month'])
