"""Performance scores of a month (set as JSON or imported from an e-kinerja CSV export) and the PP 94 discipline
alerts raised at month close. The contract is docs/scores.md."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import CSV, Ctx, QueryParam, flag_param, month_param, page, route, year_param

bp = Blueprint(__name__)
READERS = ('super', 'auditor', 'opd_admin')
WRITERS = ('super', 'opd_admin')
# Windows browsers label .csv files as application/vnd.ms-excel; the content decides.
SCORE_FILE_TYPES = (CSV, 'text/plain', 'application/octet-stream', 'application/vnd.ms-excel')
DRY_RUN = flag_param('dry_run', 'true: check and report what would change, write nothing (default false)')


@route(bp, '/v1/scores/{month}', 'PUT', tag='scores', roles=WRITERS,
       body='chalicelib.services.scores:ScoreBatch', query=(DRY_RUN,),
       summary='Set performance scores of a month from a list of {nip or employee_id, score} (audited; all or '
               'nothing)')  # fmt: skip
def set_scores(ctx: Ctx) -> Any:
    from chalicelib.services import scores
    from chalicelib.wiring import get_books

    dry_run = scores.dry_run_flag(ctx.query('dry_run'))
    return scores.set_scores(ctx.deps, get_books().records, ctx.principal, ctx.params['month'], ctx.body, dry_run)


@route(bp, '/v1/imports/scores', 'POST', tag='scores', roles=WRITERS, body_types=SCORE_FILE_TYPES,
       query=(month_param('YYYY-MM', required=True), DRY_RUN),
       summary='Import performance scores of a month from an e-kinerja CSV export (audited; the file is accepted '
               'or refused whole, every problem listed with its line)')  # fmt: skip
def import_scores(ctx: Ctx) -> Any:
    from chalicelib.services import scores
    from chalicelib.wiring import get_books

    dry_run = scores.dry_run_flag(ctx.query('dry_run'))
    return scores.import_scores(ctx.deps, get_books().records, ctx.principal, ctx.query('month'), ctx.raw_body, dry_run)


@route(bp, '/v1/scores', 'GET', tag='scores', roles=READERS, paginated=True,
       summary='Performance scores of a month, by OPD then employee',
       query=(month_param('YYYY-MM', required=True), QueryParam('opd', 'only this OPD')))  # fmt: skip
def list_scores(ctx: Ctx) -> Any:
    from chalicelib.services import scores

    return page(*scores.list_scores(ctx.deps, ctx.principal, ctx.query('month'), ctx.query('opd'), ctx.limit,
                                    ctx.cursor))  # fmt: skip


@route(bp, '/v1/discipline/alerts', 'GET', tag='discipline', roles=READERS, paginated=True,
       summary='PP 94 discipline alerts of a year (alert only), each with the employee\'s current standing',
       query=(year_param('YYYY, default this year'), QueryParam('opd', 'only this OPD')))  # fmt: skip
def discipline_alerts(ctx: Ctx) -> Any:
    from chalicelib.services import allowance, discipline

    today = allowance.local_today(ctx.deps)
    return page(*discipline.list_alerts(ctx.deps, ctx.principal, ctx.query('year'), ctx.query('opd'), today,
                                        ctx.limit, ctx.cursor))  # fmt: skip
