"""Scheduled functions. Each job is a plain function in JOBS too, so the CLI and the local
scheduler run exactly what the schedule runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice.app import Blueprint, Cron

from chalicelib import resource_names as names
from chalicelib.domain.strict import parse_date
from chalicelib.observability import logger, metrics

STALE_PENDING_MINUTES = 10  # a queued face check normally completes within a minute or two
IMPORT_ACTOR = 'job:import-holidays'  # the audit entry's actor: no API key runs a scheduled job

bp = Blueprint(__name__)


def run_audit_verify(**_: Any) -> dict[str, Any]:
    """Nightly: the whole chain, held to the latest anchor."""
    from chalicelib.services.audit import report_json, verify_audit
    from chalicelib.wiring import get_anchors, get_deps

    deps = get_deps()
    report = verify_audit(deps, get_anchors())
    metrics.add_metric(name='AuditChainBroken', unit=MetricUnit.Count, value=0 if report.ok else 1)
    if not report.ok:
        logger.error('audit chain broken', extra={'seq': report.broken_seq, 'reason': report.reason})
    return {'broken_seq': report.broken_seq, 'reason': report.reason, **report_json(report, now=deps.clock())}


def run_anchor_audit(**_: Any) -> dict[str, Any]:
    """Hourly: the chain's head, written once for this UTC hour to the Object Lock bucket."""
    from chalicelib.services.audit import anchor_audit
    from chalicelib.wiring import get_anchors, get_deps

    return anchor_audit(get_deps(), get_anchors())


def run_reconcile(full: bool = False, **_: Any) -> dict[str, Any]:
    from chalicelib.services import machine_summary
    from chalicelib.services.ingest import machine_health, reconcile
    from chalicelib.settings import get_settings
    from chalicelib.wiring import get_deps, get_uploads

    totals = reconcile(get_deps(), get_uploads(), get_settings(), full=full)
    if totals['accepted']:  # only new punches can complete a short day: check the short list again
        totals['short_days'] = machine_summary.refresh_short_days(get_deps())
    lag = totals['oldest_upload_age_seconds']
    metrics.add_metric(name=names.METRIC_RECONCILE_LAG, unit=MetricUnit.Seconds, value=lag)
    health = machine_health(get_deps(), get_settings(), None, None)
    totals['machines_offline'] = health['summary']['offline']
    metrics.add_metric(name=names.METRIC_MACHINES_OFFLINE, unit=MetricUnit.Count, value=health['summary']['offline'])
    metrics.add_metric(name='PunchesAccepted', unit=MetricUnit.Count, value=totals['accepted'])
    metrics.add_metric(name='UploadLinesRejected', unit=MetricUnit.Count, value=totals['rejected'])
    return totals


def run_close_day(date: str | None = None, force: bool = False, **_: Any) -> dict[str, Any]:
    """Hourly: close, in each OPD zone, the local date that has ended there (services.nightly). With a date:
    close that date for every OPD, with the days marked for re-close up to it; a date not over yet in some
    zone is refused unless forced (allowance.day_to_close)."""
    from chalicelib.services import allowance, employee_history, nightly
    from chalicelib.wiring import get_books, get_deps

    deps = get_deps()
    if date is None:
        report = nightly.run_nightly(deps, get_books)
        # After the close: the last day before an upcoming change (a TMT, a transfer) is closed under the old state.
        report.update(employee_history.apply_due_changes(deps))
    else:
        report = nightly.close_date(deps, get_books, allowance.day_to_close(deps, date, force=force))
    metrics.add_metric(name='DayRecordsWritten', unit=MetricUnit.Count, value=report['written'])
    return report


def run_propose_outages(date: str | None = None, **_: Any) -> dict[str, Any]:
    """Hourly: each OPD's working mornings due since the last run, missed ones included. With a date: that
    date for every OPD."""
    from chalicelib.services import outages
    from chalicelib.wiring import get_deps

    return outages.propose_silent_mornings(get_deps(), parse_date(date, 'date') if date else None)


def run_close_month(date: str | None = None, **_: Any) -> dict[str, Any]:
    """Hourly: last month from the pemda's close day, and requested re-closes (services.month_end). With a
    date: that month now."""
    from chalicelib.services import allowance, month_end
    from chalicelib.wiring import get_books, get_deps

    deps = get_deps()
    if date is None:
        return month_end.scheduled_close(deps, get_books())
    return allowance.close_month(deps, get_books(), allowance.month_to_close(deps, date))


def run_export_tpp(date: str | None = None, **_: Any) -> dict[str, Any]:
    """Hourly: from the pemda's export day, the files of last month's latest revision if not yet written."""
    from chalicelib.services import allowance, month_end
    from chalicelib.wiring import get_books, get_deps

    deps = get_deps()
    if date is None:
        return month_end.scheduled_export(deps, get_books())
    return allowance.export_month(deps, get_books(), allowance.month_to_close(deps, date))


def run_sweep_face_checks(**_: Any) -> dict[str, Any]:
    from chalicelib.services import checkins
    from chalicelib.wiring import get_mobile

    return checkins.requeue_stale_pending(get_mobile(), timedelta(minutes=STALE_PENDING_MINUTES))


def run_machine_summary(date: str | None = None, **_: Any) -> dict[str, Any]:
    from chalicelib.services import machine_summary
    from chalicelib.settings import get_settings
    from chalicelib.wiring import get_deps

    deps = get_deps()
    report = machine_summary.summarize_machines(deps, get_settings(), machine_summary.day_to_summarize(deps, date))
    metrics.add_metric(name='MachineBackfillsOpened', unit=MetricUnit.Count, value=len(report['backfills_opened']))
    return report


def run_import_holidays(date: str | None = None, **_: Any) -> dict[str, Any]:
    """Yearly: this year's and next year's national holidays and cuti bersama that are missing. With a date
    (YYYY or any date of the year): that year only."""
    from chalicelib.services import allowance, schedules
    from chalicelib.wiring import get_deps

    deps = get_deps()
    years = [int(date[:4])] if date else [allowance.local_today(deps).year + n for n in (0, 1)]
    return {'years': [schedules.import_holidays(deps, IMPORT_ACTOR, year) for year in years]}


@dataclass(frozen=True)
class Job:
    name: str
    cron: str  # AWS cron (6 fields, UTC)
    run: Callable[..., dict[str, Any]]
    description: str


JOBS: dict[str, Job] = {
    'audit-verify': Job(
        'audit-verify',
        names.CRON_AUDIT_VERIFY,
        run_audit_verify,
        'verify the audit hash chain against its latest anchor',
    ),
    'anchor-audit': Job(
        'anchor-audit',
        names.CRON_ANCHOR_AUDIT,
        run_anchor_audit,
        "anchor the audit chain's head for this hour in the write-once anchors bucket",
    ),
    'reconcile': Job('reconcile', names.CRON_RECONCILE, run_reconcile, 'ingest bridge uploads into the punch ledger'),
    'close-day': Job(
        'close-day', names.CRON_CLOSE_DAY, run_close_day, 'day records of the day that ended in each zone (or --date)'
    ),
    'close-month': Job(
        'close-month', names.CRON_CLOSE_MONTH, run_close_month, "last month's records on the close day (or --date)"
    ),
    'export-tpp': Job(
        'export-tpp', names.CRON_EXPORT_TPP, run_export_tpp, "last month's finance CSVs from the export day (or --date)"
    ),
    'propose-outages': Job(
        'propose-outages',
        names.CRON_PROPOSE_OUTAGES,
        run_propose_outages,
        'propose an outage for each OPD whose machines were all silent a working morning (missed ones too, or --date)',
    ),
    'sweep-face-checks': Job(
        'sweep-face-checks',
        names.CRON_SWEEP_FACE_CHECKS,
        run_sweep_face_checks,
        'queue again the pending face checks whose message was lost',
    ),
    'machine-summary': Job(
        'machine-summary',
        names.CRON_MACHINE_SUMMARY,
        run_machine_summary,
        "count reconciliation of yesterday's machine punches (or --date), backfills, the per-OPD summary",
    ),
    'import-holidays': Job(
        'import-holidays',
        names.CRON_IMPORT_HOLIDAYS,
        run_import_holidays,
        "this and next year's missing national holidays and cuti bersama from the holidays package (or --date)",
    ),
}


@bp.schedule(Cron(*names.CRON_RECONCILE.split()), name='reconcile')
def handle_reconcile(event: Any) -> dict[str, Any]:
    return run_reconcile()


@bp.schedule(Cron(*names.CRON_PROPOSE_OUTAGES.split()), name='propose_outages')
def handle_propose_outages(event: Any) -> dict[str, Any]:
    return run_propose_outages()


@bp.schedule(Cron(*names.CRON_SWEEP_FACE_CHECKS.split()), name='sweep_face_checks')
def handle_sweep_face_checks(event: Any) -> dict[str, Any]:
    return run_sweep_face_checks()


@bp.schedule(Cron(*names.CRON_MACHINE_SUMMARY.split()), name='machine_summary')
def handle_machine_summary(event: Any) -> dict[str, Any]:
    return run_machine_summary()


@bp.schedule(Cron(*names.CRON_AUDIT_VERIFY.split()), name='audit_verify')
def handle_audit_verify(event: Any) -> dict[str, Any]:
    return run_audit_verify()


@bp.schedule(Cron(*names.CRON_ANCHOR_AUDIT.split()), name='anchor_audit')
def handle_anchor_audit(event: Any) -> dict[str, Any]:
    return run_anchor_audit()


@bp.schedule(Cron(*names.CRON_CLOSE_DAY.split()), name='close_day')
def handle_close_day(event: Any) -> dict[str, Any]:
    return run_close_day()


@bp.schedule(Cron(*names.CRON_CLOSE_MONTH.split()), name='close_month')
def handle_close_month(event: Any) -> dict[str, Any]:
    return run_close_month()


@bp.schedule(Cron(*names.CRON_EXPORT_TPP.split()), name='export_tpp')
def handle_export_tpp(event: Any) -> dict[str, Any]:
    return run_export_tpp()


@bp.schedule(Cron(*names.CRON_IMPORT_HOLIDAYS.split()), name='import_holidays')
def handle_import_holidays(event: Any) -> dict[str, Any]:
    return run_import_holidays()
