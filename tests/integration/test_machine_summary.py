"""The daily count reconciliation and per-OPD machine summary on moto: the bridge's heartbeat counts against
the ledger, backfills opened once per machine and day, and GET /v1/machines/summary with its OPD scope."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.events.jobs import JOBS
from chalicelib.wiring import get_deps
from tests.integration.builders import bridge_body, employee_body, machine_body, opd_body
from tests.integration.test_ingest import punch, upload
from tests.support import Harness

SERIAL = 'CKJX201960001'
DAY = '2026-11-20'
PEMDA = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': 'Asia/Makassar', 'province': 'Sulawesi Selatan'}


@dataclass
class Office:
    bridge_token: str


@pytest.fixture
def office(hx: Harness) -> Office:
    # Given a pemda in WITA, OPD DINKES with an employee, a bridge and a push machine whose PIN 7 is the employee
    assert hx.call('PUT', '/v1/pemda', hx.super_key, PEMDA).status == 200
    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DINKES')).status == 201
    employee = hx.call('POST', '/v1/employees', hx.super_key, employee_body('DINKES', 1)).body
    bridge = hx.call('POST', '/v1/bridges', hx.super_key, bridge_body('BRG-A', 'DINKES')).body
    body = machine_body(SERIAL, 'DINKES', bridge_id='BRG-A', zone='Asia/Makassar')
    assert hx.call('POST', '/v1/machines', hx.super_key, body).status == 201
    mapping = {'pin': '7', 'employee_id': employee['employee_id'], 'valid_from': '2026-01-01'}
    assert hx.call('POST', f'/v1/machines/{SERIAL}/pins', hx.super_key, mapping).status == 201
    return Office(bridge['token'])


def _z(moment: datetime) -> str:
    return moment.isoformat().replace('+00:00', 'Z')


def heartbeat(
    hx: Harness, office: Office, day_counts: list[dict[str, Any]], counter: dict[str, Any] | None = None
) -> None:
    machine = {'serial': SERIAL, 'last_contact': _z(datetime.now(UTC)), 'day_counts': day_counts, 'counter': counter}
    assert hx.call('POST', '/v1/bridge/heartbeat', office.bridge_token, {'machines': [machine]}).status == 200


def counts(day: str, punches: int, unsent: int = 0, machine: int | None = None, sent_ago: int = 60) -> dict[str, Any]:
    sent = _z(datetime.now(UTC) - timedelta(minutes=sent_ago)) if punches else None
    return {'date': day, 'punches': punches, 'unsent': unsent, 'last_sent_at': sent, 'machine': machine}


def reconciled(hx: Harness, office: Office, lines: list[dict[str, Any]]) -> None:
    upload(hx, office.bridge_token, [json.dumps(line) for line in lines])
    JOBS['reconcile'].run()


def summarize(day: str = DAY) -> dict[str, Any]:
    return JOBS['machine-summary'].run(date=day)


def system_backfills() -> list[Any]:
    return [e for e in get_deps().audit_log.walk() if e.action == 'backfill.request' and e.actor_key_id == 'system']


def test_a_day_whose_ledger_holds_every_punch_matches_and_opens_nothing(hx: Harness, office: Office) -> None:
    # Given two punches of the day reconciled, and a heartbeat saying the bridge holds two
    reconciled(hx, office, [punch('7', f'{DAY} 07:41:10'), punch('7', f'{DAY} 16:05:00')])
    heartbeat(hx, office, [counts(DAY, 2)])
    # When the daily job runs
    report = summarize()
    # Then the day matches, nothing is opened, and the OPD's summary says so
    assert (report['findings'], report['backfills_opened']) == ({'match': 1}, [])
    summary = hx.call('GET', f'/v1/machines/summary?date={DAY}&opd=DINKES', hx.super_key).body['items'][0]
    [machine] = summary['machines']
    assert (machine['ledger_punches'], machine['bridge_punches'], machine['finding']) == (2, 2, 'match')
    assert machine['state'] == 'online' and summary['totals']['online'] == 1
    assert summary['totals']['count_shortfalls'] == 0 and summary['totals']['ledger_punches'] == 2


def test_a_short_day_opens_one_backfill_for_that_machine_and_day_exactly_once(hx: Harness, office: Office) -> None:
    # Given the ledger holds 2 punches of the day while the bridge, which uploaded everything an hour ago, holds 3
    reconciled(hx, office, [punch('7', f'{DAY} 07:41:10'), punch('7', f'{DAY} 16:05:00')])
    heartbeat(hx, office, [counts(DAY, 3)])
    # When the daily job runs, and runs again
    first, second = summarize(), summarize()
    # Then one backfill over that local day was opened by the first run only, audited as the system's
    request_id = f'auto-{SERIAL}-20261120'
    assert first['backfills_opened'] == [request_id] and second['backfills_opened'] == []
    assert len(system_backfills()) == 1
    # And the bridge sees exactly that one request, with the whole machine-local day as its window
    pending = hx.call('GET', '/v1/bridge/backfills', office.bridge_token).body['items']
    assert pending == [{'request_id': request_id, 'serial': SERIAL, 'start': f'{DAY} 00:00:00',
                        'end': f'{DAY} 23:59:59'}]  # fmt: skip
    # And the summary names the shortfall and the request
    summary = hx.call('GET', f'/v1/machines/summary?date={DAY}', hx.super_key).body['items'][0]
    machine = summary['machines'][0]
    assert (machine['finding'], machine['shortfall'], machine['backfill_id']) == ('short', 1, request_id)
    assert machine['backfill_state'] == 'pending' and summary['totals']['count_shortfalls'] == 1
    # When the bridge reports the request done and the day is still short the next morning
    done = hx.call('POST', f'/v1/bridge/backfills/{request_id}', office.bridge_token, {'state': 'done'})
    assert done.status == 200
    third = summarize()
    # Then nothing more is asked of the bridge: a day still short after its backfill is for a person to look at
    assert third['backfills_opened'] == [] and len(system_backfills()) == 1
    machine = hx.call('GET', f'/v1/machines/summary?date={DAY}', hx.super_key).body['items'][0]['machines'][0]
    assert (machine['finding'], machine['backfill_state']) == ('short', 'done')


def test_a_day_whose_punches_are_still_going_up_is_in_transit_not_short(hx: Harness, office: Office) -> None:
    # Given the bridge holds 3 punches of the day, one not yet uploaded, and another uploaded a minute ago
    reconciled(hx, office, [punch('7', f'{DAY} 07:41:10')])
    heartbeat(hx, office, [counts(DAY, 3, unsent=1)])
    # When the job runs; Then nothing is opened
    assert summarize()['findings'] == {'in_transit': 1}
    heartbeat(hx, office, [counts(DAY, 3, sent_ago=1)])
    assert summarize()['findings'] == {'in_transit': 1}
    assert system_backfills() == []


def test_a_machine_that_counted_more_than_its_bridge_holds_gets_a_re_read(hx: Harness, office: Office) -> None:
    # Given the machine's own count of the day (VERIFY SUM) is 3, the bridge holds 2 and the ledger 2
    reconciled(hx, office, [punch('7', f'{DAY} 07:41:10'), punch('7', f'{DAY} 16:05:00')])
    heartbeat(hx, office, [counts(DAY, 2, machine=3)])
    # When the job runs; Then the day is short by one on the bridge and one backfill is opened for it
    report = summarize()
    assert report['findings'] == {'short': 1} and report['backfills_opened'] == [f'auto-{SERIAL}-20261120']
    machine = hx.call('GET', f'/v1/machines/summary?date={DAY}', hx.super_key).body['items'][0]['machines'][0]
    assert (machine['machine_punches'], machine['bridge_punches'], machine['shortfall']) == (3, 2, 1)


def test_a_counter_gap_asks_the_bridge_to_re_read_since_the_baseline(hx: Harness, office: Office) -> None:
    # Given the machine's running counter grew by 10 since the bridge saw its log cleared, and the bridge got 7
    counter = {'machine_count': 10, 'machine_added': 10, 'bridge_added': 7, 'since': '2026-11-12 09:30:00'}
    heartbeat(hx, office, [counts(DAY, 0)], counter)
    # When the job runs twice
    first, second = summarize(), summarize()
    # Then one request covers the span from the clear to the end of the day
    request_id = f'auto-{SERIAL}-gap-20261112093000-3'
    assert first['backfills_opened'] == [request_id] and second['backfills_opened'] == []
    [pending] = hx.call('GET', '/v1/bridge/backfills', office.bridge_token).body['items']
    assert (pending['start'], pending['end']) == ('2026-11-12 09:30:00', f'{DAY} 23:59:59')
    machine = hx.call('GET', f'/v1/machines/summary?date={DAY}', hx.super_key).body['items'][0]['machines'][0]
    assert (machine['counter_gap'], machine['counter_backfill_id']) == (3, request_id)


def test_the_summary_counts_unmapped_punches_and_operlog_flags_of_the_day(hx: Harness, office: Office) -> None:
    # Given a punch of an unmapped PIN and an OPERLOG record of the clock being set by hand, both of the day
    event = {'v': 1, 'kind': 'oplog', 'id': f'O#{SERIAL}#21#0#{DAY}T09:00:00#0#0#0', 'serial': SERIAL,
             'op_type': 21, 'op_who': '0', 'time': f'{DAY} 09:00:00', 'values': ['0', '0', '0'], 'source': 'push',
             'received_at': '2026-11-20T01:00:00Z', 'raw': f'OPLOG 21\t0\t{DAY} 09:00:00'}  # fmt: skip
    reconciled(hx, office, [punch('7', f'{DAY} 07:41:10'), punch('99', f'{DAY} 07:45:00'), event])
    heartbeat(hx, office, [counts(DAY, 2)])
    # When the job runs
    summarize()
    # Then the OPD's day shows the unmapped punch and the flag
    summary = hx.call('GET', f'/v1/machines/summary?date={DAY}&opd=DINKES', hx.super_key).body['items'][0]
    assert (summary['totals']['unmapped_punches'], summary['totals']['operlog_flags']) == (1, 1)
    assert summary['operlog_flags'][0]['flag'] == 'machine clock set by hand'
    assert summary['machines'][0]['finding'] == 'match'


def test_earlier_days_are_checked_when_reported_and_left_alone_once_complete(hx: Harness, office: Office) -> None:
    # Given a bridge back from days offline reports a short 18 November and a complete 19 November
    reconciled(hx, office, [punch('7', '2026-11-19 07:30:00')])
    heartbeat(hx, office, [counts('2026-11-18', 1), counts('2026-11-19', 1), counts(DAY, 0)])
    # When the job for the 20th runs
    first = summarize()
    # Then both earlier days were checked: the 18th opened its own backfill, the 19th matched
    assert first['days_checked'] == ['2026-11-18', '2026-11-19', DAY]
    assert first['backfills_opened'] == [f'auto-{SERIAL}-20261118']
    summary = hx.call('GET', f'/v1/machines/summary?date={DAY}', hx.super_key).body['items'][0]
    assert [(e['day'], e['finding']) for e in summary['earlier_days']] == [('2026-11-18', 'short'),
                                                                         ('2026-11-19', 'match')]  # fmt: skip
    # When it runs again with the same counts; Then the complete 19th needs no new look at the ledger
    assert summarize()['days_checked'] == ['2026-11-18', DAY]


def test_the_summary_route_keeps_an_opd_admin_to_its_own_opd(hx: Harness, office: Office) -> None:
    # Given a summary for DINKES, and the admin of another OPD
    heartbeat(hx, office, [counts(DAY, 0)])
    summarize()
    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('DISDIK')).status == 201
    other = hx.make_key('opd_admin', 'DISDIK')
    own = hx.make_key('opd_admin', 'DINKES')
    # When each reads the day
    refused = hx.call('GET', f'/v1/machines/summary?date={DAY}&opd=DINKES', other)
    unfiltered = hx.call('GET', f'/v1/machines/summary?date={DAY}', other)
    mine = hx.call('GET', f'/v1/machines/summary?date={DAY}', own)
    auditor = hx.call('GET', f'/v1/machines/summary?date={DAY}', hx.make_key('auditor'))
    # Then the other OPD's admin is refused DINKES and sees only its own (empty) OPD
    assert refused.status == 403 and unfiltered.status == 200 and unfiltered.body['items'] == []
    assert [i['opd_id'] for i in mine.body['items']] == ['DINKES']
    assert [i['opd_id'] for i in auditor.body['items']] == ['DINKES']
    # And a date that is not one is a 422 naming the parameter
    bad = hx.call('GET', '/v1/machines/summary?date=20-11-2026', hx.super_key)
    assert bad.status == 422 and bad.body['error']['fields'][0]['path'] == 'query.date'


def test_without_a_date_the_summary_is_of_yesterday_in_the_pemdas_zone(hx: Harness, office: Office) -> None:
    # Given the job runs on its schedule, with no date
    heartbeat(hx, office, [])
    report = JOBS['machine-summary'].run()
    # Then it summarised yesterday (WITA), which the route also serves by default
    from zoneinfo import ZoneInfo

    yesterday = (datetime.now(ZoneInfo('Asia/Makassar')).date() - timedelta(days=1)).isoformat()
    assert report['day'] == yesterday
    reply = hx.call('GET', '/v1/machines/summary', hx.super_key).body
    assert reply['day'] == yesterday and [i['opd_id'] for i in reply['items']] == ['DINKES']


# ---- issue 16: one shortfall, one re-read; which side is short; a current summary; silent machines ----------------


def test_a_shortfall_the_counter_also_sees_opens_exactly_one_backfill_over_the_short_day(
    hx: Harness, office: Office
) -> None:
    # Given the machine counted 3 punches of the day (VERIFY SUM), the bridge and the ledger hold 2, and the
    # machine's running counter is 1 ahead of what the bridge received: the same missing punch, seen twice
    reconciled(hx, office, [punch('7', f'{DAY} 07:41:10'), punch('7', f'{DAY} 16:05:00')])
    counter = {'machine_count': 3, 'machine_added': 3, 'bridge_added': 2, 'since': None}
    heartbeat(hx, office, [counts(DAY, 2, machine=3)], counter)
    # When the daily job runs
    report = summarize()
    # Then exactly one backfill is opened, and its window is the short day, not a month of logs
    assert report['backfills_opened'] == [f'auto-{SERIAL}-20261120'] and len(system_backfills()) == 1
    [pending] = hx.call('GET', '/v1/bridge/backfills', office.bridge_token).body['items']
    assert (pending['start'], pending['end']) == (f'{DAY} 00:00:00', f'{DAY} 23:59:59')
    # And the summary says the counter gap is explained by the day's finding
    machine = hx.call('GET', f'/v1/machines/summary?date={DAY}', hx.super_key).body['items'][0]['machines'][0]
    assert (machine['counter_gap'], machine['counter_gap_explained'], machine['counter_backfill_id']) == (1, True, None)


def test_a_counter_gap_no_day_explains_is_re_read_from_the_last_matching_counter(hx: Harness, office: Office) -> None:
    # Given the counter matched when 17 November was summarised
    heartbeat(hx, office, [], {'machine_count': 5, 'machine_added': 5, 'bridge_added': 5, 'since': None})
    summarize('2026-11-17')
    # When it is 3 ahead on the 20th with no short day to account for it
    heartbeat(hx, office, [counts(DAY, 0)], {'machine_count': 8, 'machine_added': 8, 'bridge_added': 5, 'since': None})
    report = summarize()
    # Then one counter request re-reads 17–20 November only
    assert report['backfills_opened'] == [f'auto-{SERIAL}-gap-all-3']
    [pending] = hx.call('GET', '/v1/bridge/backfills', office.bridge_token).body['items']
    assert (pending['start'], pending['end']) == ('2026-11-17 00:00:00', f'{DAY} 23:59:59')


def test_a_spool_that_lost_sent_records_leaves_the_ledger_complete_and_asks_nothing(
    hx: Harness, office: Office
) -> None:
    # Given the machine counted 3 and the ledger holds all 3, but the bridge's spool now holds only 1 (it lost 2
    # records it had already sent)
    lines = [punch('7', f'{DAY} 07:41:10'), punch('7', f'{DAY} 12:00:00'), punch('7', f'{DAY} 16:05:00')]
    reconciled(hx, office, lines)
    heartbeat(hx, office, [counts(DAY, 1, machine=3)])
    # When the daily job runs
    report = summarize()
    # Then the day is judged by the ledger: complete, nothing opened, and both sides are reported
    assert (report['findings'], report['backfills_opened']) == ({'match': 1}, [])
    machine = hx.call('GET', f'/v1/machines/summary?date={DAY}', hx.super_key).body['items'][0]['machines'][0]
    assert (machine['finding'], machine['shortfall'], machine['ledger_complete']) == ('match', 0, True)
    assert (machine['missing_on_bridge'], machine['missing_in_ledger']) == (2, 0)


def test_the_summary_is_refreshed_when_the_backfill_is_reported_done(hx: Harness, office: Office) -> None:
    from chalicelib.services.ingest import reconcile
    from chalicelib.settings import get_settings
    from chalicelib.wiring import get_uploads

    # Given a short day (the bridge holds 3, the ledger 2) with its backfill pending
    reconciled(hx, office, [punch('7', f'{DAY} 07:41:10'), punch('7', f'{DAY} 16:05:00')])
    heartbeat(hx, office, [counts(DAY, 3)])
    summarize()
    request_id = f'auto-{SERIAL}-20261120'
    # When the bridge sends the missing punch again, the cloud takes it in, and the bridge reports the request done
    upload(hx, office.bridge_token, [json.dumps(punch('7', f'{DAY} 12:01:00'))])
    reconcile(get_deps(), get_uploads(), get_settings())
    done = hx.call('POST', f'/v1/bridge/backfills/{request_id}', office.bridge_token, {'state': 'done'})
    assert done.status == 200, done.body
    # Then the day's summary is current at once: complete, with the backfill done, no next morning needed
    summary = hx.call('GET', f'/v1/machines/summary?date={DAY}', hx.super_key).body['items'][0]
    machine = summary['machines'][0]
    assert (machine['finding'], machine['ledger_punches'], machine['backfill_state']) == ('match', 3, 'done')
    assert summary['totals']['count_shortfalls'] == 0 and 'refreshed_at' in summary


def test_a_machine_that_sent_nothing_is_silent_beside_its_outage_record(hx: Harness, office: Office) -> None:
    # Given a machine that sent nothing all day, and an outage of DINKES proposed for the day and confirmed
    heartbeat(hx, office, [counts(DAY, 0, machine=0)])
    proposal = {'opd_id': 'DINKES', 'day': DAY, 'reason': 'mesin tidak menyala sejak pagi'}
    assert hx.call('POST', '/v1/outages', hx.super_key, proposal).status == 201
    decision = {'decision': 'confirm', 'reason': 'teknisi memastikan mesin rusak'}
    assert hx.call('POST', f'/v1/outages/DINKES@{DAY}/decision', hx.super_key, decision).status == 200
    # When the daily job runs
    report = summarize()
    # Then the machine is silent, not a match of 0 = 0, and the summary carries the outage record
    assert report['findings'] == {'silent': 1}
    summary = hx.call('GET', f'/v1/machines/summary?date={DAY}', hx.super_key).body['items'][0]
    assert (summary['machines'][0]['finding'], summary['totals']['silent'], summary['silent']) == ('silent', 1, True)
    outage = summary['outage']
    assert (outage['outage_id'], outage['state'], outage['decision_reason']) == (
        f'DINKES@{DAY}', 'confirmed', 'teknisi memastikan mesin rusak',
    )  # fmt: skip
    assert outage['decided_by']


def test_a_backfill_keeps_each_steps_count_as_its_evidence(hx: Harness, office: Office) -> None:
    # Given a short day's backfill
    reconciled(hx, office, [punch('7', f'{DAY} 07:41:10')])
    heartbeat(hx, office, [counts(DAY, 2)])
    summarize()
    path = f'/v1/bridge/backfills/auto-{SERIAL}-20261120'
    # When the bridge reports the re-send (queued), then the machine's answer (done)
    queued = {'state': 'queued', 'detail': '1 spooled punches sent again; DATA QUERY ATTLOG queued', 'resent': 1}
    assert hx.call('POST', path, office.bridge_token, queued).status == 200
    done = {'state': 'done', 'detail': '1 spooled punches sent again; device returned 0', 'device_return': 0}
    reply = hx.call('POST', path, office.bridge_token, done)
    # Then the request keeps both counts, not only the last note
    assert reply.status == 200 and (reply.body['resent'], reply.body['device_return']) == (1, 0)


def test_a_short_day_is_refreshed_by_the_reconcile_run_that_completes_it(hx: Harness, office: Office) -> None:
    # Given a short day (the bridge holds 2, the ledger 1)
    reconciled(hx, office, [punch('7', f'{DAY} 07:41:10')])
    heartbeat(hx, office, [counts(DAY, 2)])
    assert summarize()['findings'] == {'short': 1}
    # When the missing punch arrives with the next reconcile run (before any report from the bridge)
    reconciled(hx, office, [punch('7', f'{DAY} 16:05:00')])
    # Then the summary of the day is already complete
    machine = hx.call('GET', f'/v1/machines/summary?date={DAY}', hx.super_key).body['items'][0]['machines'][0]
    assert (machine['finding'], machine['ledger_punches'], machine['shortfall']) == ('match', 2, 0)
