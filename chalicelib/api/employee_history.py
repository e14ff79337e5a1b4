"""An employee's history with effective dates (mutasi, TMT, pensiun, berhenti, meninggal, promotion): recorded
(audited, applied to the directory record) and listed. The month close prices a month it cuts in parts
(chalicelib/domain/tpp/midmonth.py; docs/allowance.md §2)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import Ctx, QueryParam, route

bp = Blueprint(__name__)
READERS = ('super', 'auditor', 'opd_admin')
WRITERS = ('super', 'opd_admin')


@route(bp, '/v1/employees/{employee_id}/changes', 'POST', tag='directory', roles=WRITERS,
       body='chalicelib.services.employee_history:ChangeRequest', status=201, idempotent=True,
       summary='Record a change of OPD, type, jabatan, kelas, pagu or activity from a date (audited)')  # fmt: skip
def record_change(ctx: Ctx) -> Any:
    from chalicelib.services import employee_history

    return employee_history.record_change(ctx.deps, ctx.principal, ctx.params['employee_id'], ctx.body)


@route(bp, '/v1/employees/{employee_id}/changes', 'GET', tag='directory', roles=READERS,
       summary="An employee's history: every change with its date and the states before and after")  # fmt: skip
def list_changes(ctx: Ctx) -> Any:
    from chalicelib.services import employee_history

    return employee_history.list_changes(ctx.deps, ctx.principal, ctx.params['employee_id'])


@route(bp, '/v1/employees/{employee_id}/changes/{change_id}/withdrawal', 'POST', tag='directory', roles=WRITERS,
       body='chalicelib.services.employee_history:WithdrawalRequest', idempotent=True,
       summary='Withdraw an upcoming change (not applied yet, the latest first), saying why (audited)')  # fmt: skip
def withdraw_change(ctx: Ctx) -> Any:
    from chalicelib.services import employee_history

    return employee_history.withdraw_change(
        ctx.deps, ctx.principal, ctx.params['employee_id'], ctx.params['change_id'], ctx.body
    )


@route(bp, '/v1/employee-changes/upcoming', 'GET', tag='directory', roles=READERS,
       query=(QueryParam('opd', "only changes of employees in this OPD before or after (an OPD admin: their own)"),),
       summary='Every change waiting for its day, soonest first, with the employee (transfers, promotions, pensions)',
       )  # fmt: skip
def upcoming_changes(ctx: Ctx) -> Any:
    from chalicelib.services import employee_history

    return employee_history.upcoming_changes(ctx.deps, ctx.principal, ctx.query('opd'))
