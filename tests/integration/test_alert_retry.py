"""The month close's PP 94 alert step, retried: a close whose alert step fails after the revision is saved
leaves the month owed, and the hourly close job's retry raises its alerts once, on moto.

January 2026 (1 January a holiday); Ani is absent on 5, 6 and 7 January: 3 TK days, the teguran lisan band.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.ports import AuditDraft, AuditEntry, Create, Write
from chalicelib.services import allowance, discipline
from chalicelib.services.common import KIND_DISCIPLINE_ALERT
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import employee_body, opd_body, phone_punch
from tests.support import Harness

ZONE = 'Asia/Jakarta'
ABSENT = {date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7)}


class _AlertsFail:
    """The directory store, except that storing a discipline alert fails (a throttled table, a timeout)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def commit(self, writes: Sequence[Write], audit: AuditDraft | None) -> AuditEntry | None:
        if any(isinstance(w, Create) and w.record.kind == KIND_DISCIPLINE_ALERT for w in writes):
            raise RuntimeError('alert table unavailable')
        result: AuditEntry | None = self._inner.commit(writes, audit)
        return result


def _alerts(hx: Harness) -> list[dict[str, Any]]:
    reply = hx.call('GET', '/v1/discipline/alerts?year=2026', hx.super_key)
    assert reply.status == 200, reply.body
    return list(reply.body['items'])


def test_a_failed_alert_step_is_retried_once_and_raises_each_alert_once(hx: Harness) -> None:
    key = hx.super_key
    assert hx.call('POST', '/v1/opds', key, opd_body('DISHUB', zone=ZONE)).status == 201
    holiday = {'day': '2026-01-01', 'name': 'Tahun Baru', 'kind': 'national'}
    assert hx.call('POST', '/v1/holidays', key, holiday).status == 201
    ani = hx.call('POST', '/v1/employees', key, employee_body('DISHUB', 1)).body['employee_id']
    january = [date(2026, 1, 1) + timedelta(days=n) for n in range(31)]
    DynamoPunchLedger().record([
        phone_punch(ani, 'DISHUB', day, t, ZONE)
        for day in january if day.weekday() < 5 and day not in ABSENT for t in ('07:20', '16:35')
    ])  # fmt: skip
    allowance.close_days(get_deps(), get_books(), january[0], january[-1])
    # When the month close's alert step fails after the revision is saved
    failing = replace(get_deps(), store=_AlertsFail(get_deps().store))
    with pytest.raises(RuntimeError):
        allowance.close_month(failing, get_books(), '2026-01')
    # Then the revision is complete, no alert is stored, and the month is owed its alert step
    assert [r.complete for r in get_books().records.revisions('2026-01')] == [True]
    assert _alerts(hx) == []
    assert get_deps().store.get(discipline.KIND_ALERTS_PENDING, '2026-01') is not None
    # When the hourly job retries the owed months
    retried = discipline.retry_pending(get_deps(), get_books().records, get_books().profiles)
    # Then the teguran lisan alert is raised once and nothing is owed any more
    assert [(r['month'], r['alerts_new']) for r in retried] == [('2026-01', 1)]
    assert [a['band'] for a in _alerts(hx)] == ['yearly-3']
    assert get_deps().store.get(discipline.KIND_ALERTS_PENDING, '2026-01') is None
    # And a second retry has nothing to do; a re-close raises nothing new
    assert discipline.retry_pending(get_deps(), get_books().records, get_books().profiles) == []
    assert allowance.close_month(get_deps(), get_books(), '2026-01')['discipline_alerts'] == 0
