"""Attendance views for the console: today's live board (one OPD, or a row per OPD), an employee's month, an
OPD's month grid and its statuses of a month. The contract is docs/console-api.md."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import Ctx, QueryParam, route

bp = Blueprint(__name__)
READERS = ('super', 'auditor', 'opd_admin')
PEMDA_READERS = ('super', 'auditor')
MONTH = QueryParam('month', 'YYYY-MM, default this month in the OPD zone')


@route(bp, '/v1/opds/{opd_id}/today', 'GET', tag='attendance', roles=READERS,
       summary="Today's live attendance of an OPD: punches, lateness and approved statuses of everyone owing a "
               'shift')  # fmt: skip
def opd_today(ctx: Ctx) -> Any:
    from chalicelib.services import today
    from chalicelib.wiring import get_books

    return today.opd_today(ctx.deps, get_books().profiles, ctx.principal, ctx.params['opd_id'])


@route(bp, '/v1/today', 'GET', tag='attendance', roles=PEMDA_READERS,
       summary="Today's live attendance counts, one row per OPD")  # fmt: skip
def pemda_today(ctx: Ctx) -> Any:
    from chalicelib.services import today
    from chalicelib.wiring import get_books

    return today.pemda_today(ctx.deps, get_books().profiles, ctx.principal)


@route(bp, '/v1/employees/{employee_id}/month', 'GET', tag='attendance', roles=READERS, query=(MONTH,),
       summary="An employee's month: closed days with codes and explanations, schedule in force, statuses, "
               'the month result once closed')  # fmt: skip
def employee_month(ctx: Ctx) -> Any:
    from chalicelib.services import month_view
    from chalicelib.wiring import get_books

    books = get_books()
    return month_view.employee_month(
        ctx.deps, books.records, books.profiles, ctx.principal, ctx.params['employee_id'], ctx.query('month')
    )


GRID_OFFSET = QueryParam(
    'offset', 'employees to skip, in name order (default 0)', 'integer', minimum=0, maximum=100_000
)
GRID_SIZE = QueryParam('size', 'employees in this answer (1-500; default: all)', 'integer', minimum=1, maximum=500)


@route(bp, '/v1/opds/{opd_id}/days', 'GET', tag='attendance', roles=READERS, query=(MONTH, GRID_OFFSET, GRID_SIZE),
       summary="An OPD's month grid: each employee's closed days with codes and explanations, by page")  # fmt: skip
def opd_days(ctx: Ctx) -> Any:
    from chalicelib.services import month_view
    from chalicelib.wiring import get_books

    offset, size = ctx.query('offset'), ctx.query('size')
    return month_view.opd_days(
        ctx.deps, get_books().records, ctx.principal, ctx.params['opd_id'], ctx.query('month'),
        int(offset) if offset else 0, int(size) if size else None,
    )  # fmt: skip


@route(bp, '/v1/opds/{opd_id}/statuses', 'GET', tag='status', roles=READERS,
       query=(MONTH, QueryParam('state', 'approved (default), cancelled or all')),
       summary="The statuses of an OPD's employees touching a month (leave, DL/TD/DK, izin, sick)")  # fmt: skip
def opd_statuses(ctx: Ctx) -> Any:
    from chalicelib.services import month_view
    from chalicelib.wiring import get_books

    return month_view.opd_statuses(
        ctx.deps, get_books().profiles, ctx.principal, ctx.params['opd_id'], ctx.query('month'), ctx.query('state')
    )
