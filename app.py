"""Hadir's Chalice app: wiring only. Routes and schedules live in chalicelib Blueprints."""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice, ConvertToMiddleware, Request

from chalicelib.api import (
    admin,
    attendance,
    bridges,
    directory,
    discipline_decisions,
    employee_history,
    exports,
    imports,
    me,
    mobile,
    profiles,
    recap,
    requests,
    schedules,
    scores,
    statuses,
    system,
)
from chalicelib.api.routing import CSV, XLSX, request_id_of
from chalicelib.events import face_checks, jobs
from chalicelib.observability import get_tracer, logger, metrics, tracing_enabled

app = Chalice(app_name='hadir')
# Uploads stay bytes end to end: a Windows-1252 CSV must not be re-encoded by API Gateway.
app.api.binary_types.extend([XLSX, CSV, 'application/vnd.ms-excel'])

app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context(clear_state=True)))
if tracing_enabled():  # a Tracer imports the X-Ray SDK; where tracing is off, its wrapper only passes the call on
    app.register_middleware(ConvertToMiddleware(get_tracer().capture_lambda_handler))
app.register_middleware(ConvertToMiddleware(metrics.log_metrics))


@app.middleware('http')
def correlate(event: Request, get_response: Any) -> Any:
    logger.set_correlation_id(request_id_of(event))
    logger.append_keys(method=event.method, path=event.path)
    return get_response(event)


for blueprint in (
    system.bp,
    directory.bp,
    imports.bp,
    bridges.bp,
    admin.bp,
    jobs.bp,
    exports.bp,
    mobile.bp,
    statuses.bp,
    profiles.bp,
    schedules.bp,
    recap.bp,
    scores.bp,
    me.bp,
    attendance.bp,
    discipline_decisions.bp,
    employee_history.bp,
    face_checks.bp,
    requests.bp,
):
    app.register_blueprint(blueprint)
