"""The employee's own month on the phone, signed by the device key like the other mobile routes."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import Ctx, month_param, route

bp = Blueprint(__name__)


@route(bp, '/v1/me/month', 'GET', tag='mobile', device=True,
       query=(month_param('YYYY-MM, default this month'),),
       summary='My month: every closed day with codes, times, deduction and reason; the TPP of the latest closed '
               'revision, or closed: false')  # fmt: skip
def my_month(ctx: Ctx) -> Any:
    from chalicelib.services import me
    from chalicelib.wiring import get_books, get_mobile

    books = get_books()
    return me.my_month(get_mobile(), books.records, books.profiles, ctx.caller, ctx.query('month'))
