"""Bulk imports: employees from a SIASN/SIMPEG CSV or XLSX export."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import CSV, XLSX, Ctx, QueryParam, flag_param, route

bp = Blueprint(__name__)
# Browsers and curl label files loosely; the content decides whether it is XLSX or CSV.
# Windows browsers label .csv files as application/vnd.ms-excel.
IMPORT_TYPES = (CSV, XLSX, 'text/plain', 'application/octet-stream', 'application/vnd.ms-excel')
IMPORT_QUERY = (
    QueryParam('mode', 'all_or_nothing (default): nothing is written unless every row is valid; best_effort: '
               'valid rows are written and the others reported', enum=('all_or_nothing', 'best_effort')),
    flag_param('dry_run', 'true: validate and report, write nothing (default false)'),
)  # fmt: skip


@route(bp, '/v1/employees/import', 'POST', summary='Import employees from a SIASN/SIMPEG CSV or XLSX export',
       tag='employee', roles=('super', 'opd_admin'), body_types=IMPORT_TYPES, query=IMPORT_QUERY,
       idempotent=True)  # fmt: skip
def import_employees(ctx: Ctx) -> Any:
    from chalicelib.domain.employee_import import import_options
    from chalicelib.services import employee_import as svc

    options = import_options(ctx.query('mode'), ctx.query('dry_run'))
    return svc.import_employees(
        ctx.deps, ctx.principal, ctx.raw_body, ctx.content_type, options,
        time_budget_seconds=ctx.settings.import_write_budget_seconds,
    )  # fmt: skip
