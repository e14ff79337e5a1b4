"""When last month is closed and its finance files written: the pemda's configured days, and the super
admin's requests to close a past month again (a correction after the close).

The jobs run every hour and act on the pemda's days (PemdaSettings.tpp_close_day and tpp_export_day, local
dates, from ``LOCAL_HOUR``), so a pemda changes its payroll calendar without a deployment:

- close: from the close day, last month if it was never closed (a missed run is caught up; a closed month is
  never re-closed by the schedule), then every month whose close was requested by hand;
- export: from the export day, the latest closed revision's files if it has none yet, so a correction
  reaches finance within the hour, beside the old files, never over them.

A close by hand is a request, not a close inside the API call: closing a province's month takes longer than
an API Gateway request may last (29 s), so the API records it (audited) and answers 202.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.access import Permission, authorize
from chalicelib.domain.errors import Conflict, FieldIssue, ValidationFailed
from chalicelib.domain.models import PemdaSettings, Principal
from chalicelib.domain.tpp.records import month_of
from chalicelib.observability import logger
from chalicelib.ports import AuditDraft, Create, Record, Remove, Replace
from chalicelib.services import allowance, discipline
from chalicelib.services.allowance import AllowanceBooks
from chalicelib.services.common import KIND_PEMDA, Deps, all_records

KIND_CLOSE_REQUEST = 'monthclose'
LOCAL_HOUR = 3  # after the day close (01:00 local); the close day is the 2nd at the earliest (night shifts)
CORRECTION_MONTHS = 12  # older months whose corrected revisions the export job still writes
DEFAULTS = PemdaSettings(name='pemda', code='pemda', zone='Asia/Jakarta', province='none')


def scheduled_close(deps: Deps, books: AllowanceBooks) -> dict[str, Any]:
    """Last month on or after the close day if never closed, then the months requested by hand."""
    settings = _settings(deps)
    local = _local_now(deps, settings)
    month = _last_month(local.date())
    report: dict[str, Any] = {'month': month}
    before_close_day = (local.day, local.hour) < (settings.tpp_close_day, LOCAL_HOUR)
    if before_close_day:
        report['skipped'] = f'the month is closed on day {settings.tpp_close_day}'
    elif _closed(books, month):
        report['skipped'] = 'already closed; a correction is requested by hand'
    else:
        report.update(allowance.close_month(deps, books, month))
    # Last month's request waits for the close day: its last days are not closed before then.
    requests = [r for r in all_records(deps.store, KIND_CLOSE_REQUEST) if not (before_close_day and r.id == month)]
    report['requested'] = []
    for request in requests:
        report['requested'].append(allowance.close_month(deps, books, request.id))
        try:  # a request renewed while this close ran is a newer version: it stays for the next run
            deps.store.commit([Remove(KIND_CLOSE_REQUEST, request.id, expected_version=request.version)], None)
        except Conflict:
            logger.info('close request renewed during the close; kept', extra={'month': request.id})
    retried = discipline.retry_pending(deps, books.records, books.profiles)
    if retried:
        report['alerts_retried'] = retried
    return report


def scheduled_export(deps: Deps, books: AllowanceBooks) -> dict[str, Any]:
    """From the export day, the files of last month's latest revision if it has none yet; at any time, those
    of an older month's correction (a revision closed on request, within the last year)."""
    settings = _settings(deps)
    local = _local_now(deps, settings)
    month = _last_month(local.date())
    report: dict[str, Any] = {'month': month}
    if (local.day, local.hour) < (settings.tpp_export_day, LOCAL_HOUR):
        report['skipped'] = f'the files are written from day {settings.tpp_export_day}'
    elif not _closed(books, month):
        report['skipped'] = 'the month has not been closed'
    else:
        report.update(allowance.export_month(deps, books, month))
    report['corrections'] = [
        allowance.export_month(deps, books, older) for older in _older_months(month) if _unexported(books, older)
    ]
    return report


def request_close(deps: Deps, principal: Principal, month: str) -> dict[str, Any]:
    """Ask the next hourly close to close a past month again (audited). An unchanged month keeps its
    revision; a changed one gets the next, whose files the export job writes beside the old ones."""
    authorize(principal, Permission.MONTH_CLOSE)
    _check_past(deps, month)
    request = {'month': month, 'requested_at': deps.clock().isoformat(), 'requested_by': principal.key_id}
    stored = deps.store.get(KIND_CLOSE_REQUEST, month)  # a request still pending is renewed
    record = Record(KIND_CLOSE_REQUEST, month, request, version=stored.version if stored else 0, list_key=month)
    deps.store.commit(
        [Replace(record) if stored else Create(record, f'a close of {month} was requested at the same moment')],
        AuditDraft(principal.key_id, 'month.close_requested', f'month/{month}', None, None, request),
    )
    return {**request, 'state': 'requested', 'message': 'the month is closed again within the hour; see /v1/exports'}


def _check_past(deps: Deps, month: str) -> None:
    allowance.check_month(month)
    if month >= month_of(allowance.local_today(deps)):
        raise ValidationFailed(f'{month} has not ended yet', fields=(FieldIssue('month', 'must be a past month'),))


def _older_months(month: str) -> list[str]:
    first = date.fromisoformat(f'{month}-01')
    months = []
    for _ in range(CORRECTION_MONTHS):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(month_of(first))
    return months


def _unexported(books: AllowanceBooks, month: str) -> bool:
    complete = [r for r in books.records.revisions(month) if r.complete]
    return bool(complete) and not complete[-1].files


def _closed(books: AllowanceBooks, month: str) -> bool:
    return any(r.complete for r in books.records.revisions(month))


def _settings(deps: Deps) -> PemdaSettings:
    record = deps.store.get(KIND_PEMDA, 'settings')
    return PemdaSettings.model_validate(record.data) if record else DEFAULTS


def _local_now(deps: Deps, settings: PemdaSettings) -> datetime:
    now: datetime = deps.clock()
    return now.astimezone(ZoneInfo(settings.zone))


def _last_month(today: date) -> str:
    return month_of(today.replace(day=1) - timedelta(days=1))
