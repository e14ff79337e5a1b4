"""Hukuman disiplin decisions (PP 94/2021): recorded, corrected and withdrawn by BKPSDM, audited; listed per
employee. The rules are chalicelib/domain/tpp/hukdis.py; docs/allowance.md §2 shows how a month prices them."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import Ctx, route

bp = Blueprint(__name__)
READERS = ('super', 'auditor', 'opd_admin')


@route(bp, '/v1/employees/{employee_id}/discipline-decisions', 'POST', tag='discipline', roles=('super',),
       body='chalicelib.services.discipline_decisions:DecisionRequest', status=201, idempotent=True,
       summary='Record a hukuman disiplin decision, or correct or withdraw one by a new record (audited)')  # fmt: skip
def record_decision(ctx: Ctx) -> Any:
    from chalicelib.services import discipline_decisions
    from chalicelib.wiring import get_books

    return discipline_decisions.record_decision(ctx.deps, get_books().profiles, ctx.principal,
                                                ctx.params['employee_id'], ctx.body)  # fmt: skip


@route(bp, '/v1/employees/{employee_id}/discipline-decisions', 'GET', tag='discipline', roles=READERS,
       summary="An employee's hukuman disiplin decisions, corrected and withdrawn too; the kinds allowed")  # fmt: skip
def list_decisions(ctx: Ctx) -> Any:
    from chalicelib.services import discipline_decisions
    from chalicelib.wiring import get_books

    return discipline_decisions.list_decisions(ctx.deps, ctx.principal, ctx.params['employee_id'],
                                               get_books().profiles)  # fmt: skip
