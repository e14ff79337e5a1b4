"""Statuses of employees (leave, DL/TD/DK, izin, sickness): recorded as approved, listed, cancelled."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import Ctx, page, route

bp = Blueprint(__name__)
READERS = ('super', 'auditor', 'opd_admin')
WRITERS = ('super', 'opd_admin')


@route(bp, '/v1/employees/{employee_id}/statuses', 'POST',
       summary='Record an approved status (leave, DL/TD/DK, izin, sick) over a date range (audited)', tag='status',
       roles=WRITERS, body='chalicelib.services.statuses:StatusRequest', status=201, idempotent=True)  # fmt: skip
def record_status(ctx: Ctx) -> Any:
    from chalicelib.services import statuses
    from chalicelib.wiring import get_books

    return statuses.record_status(ctx.deps, get_books().profiles, ctx.principal, ctx.params['employee_id'], ctx.body)


@route(bp, '/v1/employees/{employee_id}/statuses', 'GET', summary="An employee's statuses, cancelled ones included",
       tag='status', roles=READERS, paginated=True)  # fmt: skip
def list_statuses(ctx: Ctx) -> Any:
    from chalicelib.services import statuses

    return page(*statuses.list_statuses(ctx.deps, ctx.principal, ctx.params['employee_id'], ctx.limit, ctx.cursor))


@route(bp, '/v1/statuses/{status_id}/cancel', 'POST', summary='Cancel an approved status (audited; it is kept)',
       tag='status', roles=WRITERS, body='chalicelib.services.statuses:StatusCancellation')  # fmt: skip
def cancel_status(ctx: Ctx) -> Any:
    from chalicelib.services import statuses
    from chalicelib.wiring import get_books

    return statuses.cancel_status(ctx.deps, get_books().profiles, ctx.principal, ctx.params['status_id'], ctx.body)
