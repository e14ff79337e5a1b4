"""The count reconciliation's comparisons, and which upload keys a reconcile run lists: pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from chalicelib.domain.machine_counts import (
    CounterReport,
    DayCount,
    Finding,
    check_day,
    counter_backfill,
    day_backfill_id,
    day_window,
    gap_explained,
    parse_counter,
    parse_day_counts,
    settled_before,
)
from chalicelib.domain.upload_keys import key_time, plan_listing, upload_key

NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
DAY = date(2026, 11, 20)
SETTLE = timedelta(minutes=20)
LONG_AGO = NOW - timedelta(hours=3)


def reported(
    punches: int, unsent: int = 0, last_sent_at: datetime | None = LONG_AGO, machine: int | None = None
) -> DayCount:
    return DayCount(DAY, punches, unsent, last_sent_at, machine)


def check(counts: DayCount | None, ledger: int) -> tuple[Finding, int, int]:
    result = check_day(DAY, counts, ledger, now=NOW, settle=SETTLE)
    return result.finding, result.missing_on_bridge, result.missing_in_ledger


def test_a_day_whose_ledger_holds_every_punch_the_bridge_holds_matches() -> None:
    assert check(reported(412), 412) == (Finding.MATCH, 0, 0)
    # A machine that sent nothing all day is silent, not a match of 0 = 0
    assert check(reported(0), 0) == (Finding.SILENT, 0, 0)
    assert check(reported(0, machine=0), 0) == (Finding.SILENT, 0, 0)


def test_a_spool_that_lost_sent_records_leaves_a_complete_ledger_judged_by_the_ledger() -> None:
    # Given the machine counted 300, the bridge's spool now holds 260 (it lost 40 it had sent), the ledger 300
    result = check_day(DAY, reported(260, machine=300), 300, now=NOW, settle=SETTLE)
    # Then 40 are missing on the bridge, none in the ledger: the day matches and nothing is short
    assert (result.finding, result.missing_on_bridge, result.missing_in_ledger, result.shortfall) == (
        Finding.MATCH, 40, 0, 0,
    )  # fmt: skip
    assert result.ledger_complete
    # And with the ledger at 250 it is short by what the ledger lacks of the machine's count
    assert check_day(DAY, reported(260, machine=300), 250, now=NOW, settle=SETTLE).shortfall == 50


def test_a_short_ledger_is_judged_only_once_every_punch_is_uploaded_and_has_settled() -> None:
    # Given the bridge holds 10 punches of the day and the ledger 7
    # When 2 are still unsent, or the last upload was 5 minutes ago: the shortfall is expected, not a finding
    assert check(reported(10, unsent=2), 7) == (Finding.IN_TRANSIT, 0, 0)
    assert check(reported(10, last_sent_at=NOW - timedelta(minutes=5)), 7) == (Finding.IN_TRANSIT, 0, 0)
    # When everything went up long enough ago: the ledger is short by 3
    assert check(reported(10), 7) == (Finding.SHORT, 0, 3)
    assert check(reported(10, last_sent_at=NOW - SETTLE), 7) == (Finding.SHORT, 0, 3)


def test_a_machine_that_counted_more_than_its_bridge_holds_is_short_even_while_uploads_are_in_transit() -> None:
    assert check(reported(10, unsent=4, machine=12), 0) == (Finding.SHORT, 2, 0)
    # And both gaps add up: 2 the bridge never had, 3 more the ledger lacks
    result = check_day(DAY, reported(10, machine=12), 7, now=NOW, settle=SETTLE)
    assert (result.finding, result.shortfall) == (Finding.SHORT, 5)


def test_a_ledger_holding_more_than_the_bridge_and_a_day_not_reported_are_told_apart() -> None:
    assert check(reported(5), 8) == (Finding.LEDGER_AHEAD, 0, 0)
    assert check(None, 8) == (Finding.NOT_REPORTED, 0, 0)
    # A machine count below the bridge's proves nothing missing (the spool holds a re-pulled older day)
    assert check(reported(10, machine=9), 10) == (Finding.MATCH, 0, 0)


def test_day_counts_from_a_heartbeat_are_read_defensively() -> None:
    # Given a heartbeat's day counts with well-formed entries and broken ones
    value = [
        {'date': '2026-11-20', 'punches': 3, 'unsent': 0, 'last_sent_at': '2026-11-20T10:00:00Z', 'machine': 4},
        {'date': '2026-11-19', 'punches': 0, 'unsent': 0, 'last_sent_at': None},
        {'date': '2026-13-01', 'punches': 1, 'unsent': 0},
        {'date': '2026-11-18', 'punches': -1, 'unsent': 0},
        {'date': '2026-11-17', 'punches': 2, 'unsent': 3},
        {'date': '2026-11-16', 'punches': True, 'unsent': 0},
        'garbage',
    ]
    # When parsed; Then only the well-formed entries count
    counts = parse_day_counts(value)
    assert sorted(counts) == [date(2026, 11, 19), date(2026, 11, 20)]
    assert counts[date(2026, 11, 20)] == DayCount(DAY, 3, 0, datetime(2026, 11, 20, 10, tzinfo=UTC), 4)
    assert parse_day_counts(None) == {} and parse_day_counts({'date': '2026-11-20'}) == {}


def test_a_day_found_complete_is_not_looked_at_again_while_the_bridge_reports_the_same() -> None:
    stored = {'finding': 'match', 'bridge': 10, 'machine': None}
    assert settled_before(stored, reported(10))
    assert settled_before({**stored, 'finding': 'ledger_ahead'}, reported(10))
    assert not settled_before(stored, reported(11))  # the bridge received more of that day since
    assert not settled_before(stored, reported(10, machine=12))
    assert not settled_before({**stored, 'finding': 'short'}, reported(10))
    assert not settled_before(None, reported(10))


def test_counter_gap_is_what_the_machine_added_beyond_what_the_bridge_received() -> None:
    report = parse_counter({'machine_count': 1234, 'machine_added': 34, 'bridge_added': 30,
                            'since': '2026-11-02 08:15:00', 'reason': 'the counter dropped'})  # fmt: skip
    assert report == CounterReport(1234, 34, 30, datetime(2026, 11, 2, 8, 15))
    assert report is not None and report.gap == 4
    assert CounterReport(10, 10, 12, None).gap == 0
    assert parse_counter({'machine_count': 5}) is None and parse_counter(None) is None


def test_a_counter_gap_asks_for_the_span_since_its_baseline_once_per_gap() -> None:
    # Given a gap of 4 since a clear on 2 November, found on 20 November
    recent = CounterReport(1234, 34, 30, datetime(2026, 11, 2, 8, 15))
    request_id, start, end = counter_backfill('CKJX0001', recent, DAY, max_days=31)
    # Then the bridge re-reads from the clear to the end of the day
    assert (start, end) == ('2026-11-02 08:15:00', '2026-11-20 23:59:59')
    # And the same gap found the next day is the same request; a larger gap is a new one
    assert counter_backfill('CKJX0001', recent, DAY + timedelta(days=1), max_days=31)[0] == request_id
    assert counter_backfill('CKJX0001', CounterReport(1240, 40, 30, recent.since), DAY, max_days=31)[0] != request_id
    # And with no baseline (or an old one), the window is the last 31 days
    assert counter_backfill('CKJX0001', CounterReport(9, 9, 5, None), DAY, max_days=31)[1] == '2026-10-21 00:00:00'
    old = CounterReport(9, 9, 5, datetime(2026, 1, 1))
    assert counter_backfill('CKJX0001', old, DAY, max_days=31)[1] == '2026-10-21 00:00:00'


def test_a_counter_gap_the_short_days_explain_asks_for_nothing_more() -> None:
    # Given a day short by 50 on the bridge (machine 300, bridge 250) and a counter gap of 50
    short = check_day(DAY, reported(250, machine=300), 250, now=NOW, settle=SETTLE)
    assert gap_explained(50, [short])
    # And a larger gap, or one with no short day, is not explained
    assert not gap_explained(60, [short])
    assert not gap_explained(5, [check_day(DAY, reported(10), 10, now=NOW, settle=SETTLE)])


def test_a_counter_gap_window_starts_at_the_last_matching_counter() -> None:
    report = CounterReport(1234, 34, 30, None)
    # Given the counter last matched on 17 November: the window is 17–20 November, not 31 days
    assert counter_backfill('CKJX0001', report, DAY, max_days=31, last_match=date(2026, 11, 17))[1:] == (
        '2026-11-17 00:00:00', '2026-11-20 23:59:59',
    )  # fmt: skip
    # And a match longer ago than the bound is bounded
    assert counter_backfill('CKJX0001', report, DAY, max_days=31, last_match=date(2026, 1, 1))[1] == (
        '2026-10-21 00:00:00'
    )


def test_a_day_backfill_is_one_per_machine_and_day_over_the_whole_local_day() -> None:
    assert day_backfill_id('CKJX0001', DAY) == 'auto-CKJX0001-20261120'
    assert day_window(DAY) == ('2026-11-20 00:00:00', '2026-11-20 23:59:59')


# --- which upload keys a reconcile run lists ------------------------------------------------------

TTL = timedelta(minutes=15)


def test_upload_keys_sort_by_the_time_their_url_was_issued() -> None:
    early = upload_key('bridges/BRG-A/', 'f' * 32, datetime(2026, 11, 20, 23, 59, 59, tzinfo=UTC))
    late = upload_key('bridges/BRG-A/', '0' * 32, datetime(2026, 11, 21, 0, 0, 0, tzinfo=UTC))
    assert early == f'bridges/BRG-A/20261120T235959Z-{"f" * 32}.ndjson.gz'
    assert early < late and key_time(late) == datetime(2026, 11, 21, tzinfo=UTC)
    assert key_time(f'bridges/BRG-A/{"0" * 32}.ndjson.gz') is None  # the earlier, content-only form


def test_the_first_run_a_daily_run_and_a_requested_run_list_everything() -> None:
    assert plan_listing(last_run_started=None, last_full=None, now=NOW, url_ttl=TTL).full
    day_old = NOW - timedelta(hours=24)
    assert plan_listing(last_run_started=NOW - timedelta(minutes=5), last_full=day_old, now=NOW, url_ttl=TTL).full
    fresh = NOW - timedelta(hours=1)
    assert plan_listing(last_run_started=NOW, last_full=fresh, now=NOW, url_ttl=TTL, force_full=True).full


def test_other_runs_list_from_the_last_runs_start_less_the_url_lifetime_and_a_margin() -> None:
    # Given the last completed run started at 00:55 and URLs live 15 minutes
    plan = plan_listing(last_run_started=NOW - timedelta(minutes=5), last_full=NOW - timedelta(hours=2), now=NOW,
                        url_ttl=TTL)  # fmt: skip
    # Then keys issued from 00:25 on are listed: an URL issued earlier expired before that run listed
    assert not plan.full and plan.start_after_time == '20261121T002500Z'
    assert upload_key('p/', 'a' * 32, datetime(2026, 11, 21, 0, 25, tzinfo=UTC)) > f'p/{plan.start_after_time}'
