from datetime import UTC, datetime

import pytest

from hadir_local.scheduler import LocalScheduler, aws_cron_to_croniter


def test_aws_cron_drops_the_year_and_question_marks() -> None:
    # Given an EventBridge cron with a year field and '?'
    # When it is converted for croniter
    # Then the five classic fields remain
    assert aws_cron_to_croniter('30 17 * * ? *') == '30 17 * * *'


def test_rejects_a_cron_without_six_fields() -> None:
    with pytest.raises(ValueError, match='6 fields'):
        aws_cron_to_croniter('30 17 * * *')


def test_next_run_follows_the_cron_in_utc() -> None:
    # Given a job at 17:30 UTC and a clock at 12:00 UTC
    fixed = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    scheduler = LocalScheduler({'audit-verify': ('30 17 * * ? *', dict)}, lambda *_: None, clock=lambda: fixed)
    # When the next runs are computed
    # Then the job fires the same day at 17:30 UTC (00:30 WIB)
    assert scheduler.next_runs()['audit-verify'] == datetime(2026, 11, 20, 17, 30, tzinfo=UTC)
