"""Scheduled functions. Each job is a plain function in JOBS too, so the CLI and the local
scheduler run exactly what the schedule runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice.app import Blueprint, Cron

from chalicelib import resource_names as names
from chalicelib.observability import logger, metrics
from chalicelib.services.audit import verify_audit
from chalicelib.services.ingest import machine_health, reconcile
from chalicelib.settings import get_settings
from chalicelib.wiring import get_deps, get_uploads

bp = Blueprint(__name__)


def run_audit_verify(**_: Any) -> dict[str, Any]:
    report = verify_audit(get_deps())
    metrics.add_metric(name='AuditChainBroken', unit=MetricUnit.Count, value=0 if report.ok else 1)
    if not report.ok:
        logger.error('audit chain broken', extra={'seq': report.broken_seq, 'reason': report.reason})
    return {'ok': report.ok, 'checked': report.checked, 'broken_seq': report.broken_seq, 'reason': report.reason}


def run_reconcile(**_: Any) -> dict[str, Any]:
    totals = reconcile(get_deps(), get_uploads(), get_settings())
    health = machine_health(get_deps(), get_settings(), None, None)
    totals['machines_offline'] = health['summary']['offline']
    metrics.add_metric(name=names.METRIC_MACHINES_OFFLINE, unit=MetricUnit.Count, value=health['summary']['offline'])
    metrics.add_metric(name='PunchesAccepted', unit=MetricUnit.Count, value=totals['accepted'])
    metrics.add_metric(name='UploadLinesRejected', unit=MetricUnit.Count, value=totals['rejected'])
    return totals


@dataclass(frozen=True)
class Job:
    name: str
    cron: str  # AWS cron (6 fields, UTC)
    run: Callable[..., dict[str, Any]]
    description: str


JOBS: dict[str, Job] = {
    'audit-verify': Job('audit-verify', names.CRON_AUDIT_VERIFY, run_audit_verify, 'verify the audit hash chain'),
    'reconcile': Job('reconcile', names.CRON_RECONCILE, run_reconcile, 'ingest bridge uploads into the punch ledger'),
}


@bp.schedule(Cron(*names.CRON_RECONCILE.split()), name='reconcile')
def handle_reconcile(event: Any) -> dict[str, Any]:
    return run_reconcile()


@bp.schedule(Cron(*names.CRON_AUDIT_VERIFY.split()), name='audit_verify')
def handle_audit_verify(event: Any) -> dict[str, Any]:
    return run_audit_verify()
