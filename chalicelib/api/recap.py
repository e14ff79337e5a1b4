"""The monthly recap of an OPD for its administrators: the figures of the latest closed revision."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import Ctx, month_param, route

bp = Blueprint(__name__)
READERS = ('super', 'auditor', 'opd_admin')


@route(bp, '/v1/opds/{opd_id}/recap', 'GET', tag='recap', roles=READERS,
       summary="An OPD's closed month per employee: day codes, deductions and TPP of the latest revision",
       query=(month_param('YYYY-MM', required=True),))  # fmt: skip
def opd_recap(ctx: Ctx) -> Any:
    from chalicelib.services import allowance
    from chalicelib.wiring import get_books

    return allowance.opd_recap(ctx.deps, get_books(), ctx.principal, ctx.params['opd_id'], ctx.query('month'))
