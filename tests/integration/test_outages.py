"""Outages: proposed by the morning check when every machine of an OPD is silent, decided by the
personnel office, audited."""

from __future__ import annotations

from datetime import UTC, date, datetime

from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.domain.models import Punch, PunchSource
from chalicelib.events.jobs import JOBS
from chalicelib.services.common import Deps
from chalicelib.services.outages import confirmed_outage, propose_silent_mornings
from chalicelib.wiring import get_deps
from tests.integration.builders import bridge_body, machine_body, opd_body
from tests.support import Harness

# Friday 2026-11-20, 03:30 UTC = 10:30 WIB: the morning check has passed in Jakarta
FRIDAY_MORNING = datetime(2026, 11, 20, 3, 30, tzinfo=UTC)


def at(moment: datetime) -> Deps:
    deps = get_deps()
    return Deps(deps.store, deps.audit_log, deps.ledger, lambda: moment, deps.random_bytes)


def setup(hx: Harness) -> str:
    for opd in ('SILENT', 'ALIVE'):
        assert hx.call('POST', '/v1/opds', hx.super_key, opd_body(opd, zone='Asia/Jakarta')).status == 201
    bridge = hx.call('POST', '/v1/bridges', hx.super_key, bridge_body('BRG-A', 'SILENT')).body
    for serial, opd in (('SILENT01', 'SILENT'), ('ALIVE001', 'ALIVE')):
        assert hx.call('POST', '/v1/machines', hx.super_key, machine_body(serial, opd, bridge_id='BRG-A')).status == 201
    # SILENT's machine was last heard yesterday evening, ALIVE's this morning at 07:10 WIB
    machines = [{'serial': 'SILENT01', 'last_contact': '2026-11-19T10:00:00Z'},
                {'serial': 'ALIVE001', 'last_contact': '2026-11-20T00:10:00Z'}]  # fmt: skip
    assert hx.call('POST', '/v1/bridge/heartbeat', bridge['token'], {'machines': machines}).status == 200
    return str(bridge['token'])


def test_a_silent_working_morning_is_proposed_once_and_only_for_that_opd(hx: Harness) -> None:
    setup(hx)
    # When the morning check runs twice after 10:00 WIB
    first = propose_silent_mornings(at(FRIDAY_MORNING))
    second = propose_silent_mornings(at(FRIDAY_MORNING))
    # Then one outage is proposed for the silent OPD only, and the re-run adds nothing
    assert first['proposed'] == ['SILENT@2026-11-20'] and second['proposed'] == []
    listed = hx.call('GET', '/v1/outages', hx.super_key).body['items']
    assert [(o['opd_id'], o['state'], o['machines']) for o in listed] == [('SILENT', 'proposed', ['SILENT01'])]


def test_no_proposal_before_ten_on_weekends_or_holidays(hx: Harness) -> None:
    setup(hx)
    assert propose_silent_mornings(at(datetime(2026, 11, 20, 1, 0, tzinfo=UTC)))['proposed'] == []  # 08:00 WIB
    assert propose_silent_mornings(at(datetime(2026, 11, 21, 3, 30, tzinfo=UTC)))['proposed'] == []  # Saturday
    holiday = {'day': '2026-11-20', 'name': 'Hari Jadi Kabupaten', 'kind': 'regional'}
    assert hx.call('POST', '/v1/holidays', hx.super_key, holiday).status == 201
    assert propose_silent_mornings(at(FRIDAY_MORNING))['proposed'] == []


def test_the_personnel_office_confirms_and_it_is_audited_and_final(hx: Harness) -> None:
    setup(hx)
    propose_silent_mornings(at(FRIDAY_MORNING))
    opd_admin = hx.make_key('opd_admin', 'SILENT')
    decision = {'decision': 'confirm', 'reason': 'mesin rusak, teknisi datang jam 11'}
    # When the OPD's own admin tries to decide, then the personnel office decides, then decides again
    refused = hx.call('POST', '/v1/outages/SILENT@2026-11-20/decision', opd_admin, decision)
    confirmed = hx.call('POST', '/v1/outages/SILENT@2026-11-20/decision', hx.super_key, decision)
    again = hx.call('POST', '/v1/outages/SILENT@2026-11-20/decision', hx.super_key, {**decision, 'decision': 'dismiss'})
    # Then only the personnel office decides, once, and the decision is in the audit log
    assert (refused.status, confirmed.status, again.status) == (403, 200, 409)
    assert confirmed_outage(get_deps(), 'SILENT', datetime(2026, 11, 20).date())
    actions = [e['action'] for e in hx.call('GET', '/v1/audit?opd=SILENT', hx.super_key).body['items']]
    assert actions[0] == 'outage.confirm' and 'outage.propose' in actions
    # And the day, already past, is marked for the next close to recompute with the outage
    from chalicelib.services.reclose import pending_recloses

    assert [m.data['day'] for m in pending_recloses(get_deps())] == ['2026-11-20']


def test_an_opd_admin_may_propose_for_its_own_opd_only(hx: Harness) -> None:
    setup(hx)
    admin = hx.make_key('opd_admin', 'ALIVE')
    own = hx.call('POST', '/v1/outages', admin, {'opd_id': 'ALIVE', 'day': '2026-11-18', 'reason': 'listrik padam'})
    other = hx.call('POST', '/v1/outages', admin, {'opd_id': 'SILENT', 'day': '2026-11-18', 'reason': 'listrik padam'})
    assert (own.status, other.status) == (201, 403)
    assert hx.call('GET', '/v1/outages?opd=SILENT', admin).status == 403


def _alive_punched(*days: date) -> None:
    """ALIVE's machine recorded a punch at 07:10 WIB (00:10 UTC) on each of these days."""
    DynamoPunchLedger().record([
        Punch(punch_id=f'M#ALIVE001#1#{d.isoformat()}T07:10:00', source=PunchSource.MACHINE, employee_id=None,
              opd_id='ALIVE', at_utc=datetime(d.year, d.month, d.day, 0, 10, tzinfo=UTC), local_date=d,
              zone='Asia/Jakarta', machine_serial='ALIVE001', machine_pin='1', received_at=datetime.now(UTC))
        for d in days
    ])  # fmt: skip


def test_mornings_whose_hourly_runs_all_failed_are_caught_up(hx: Harness) -> None:
    setup(hx)
    _alive_punched(*(date(2026, 11, d) for d in (16, 17, 18, 19)))
    # Given the check ran on Sunday 15 November after 10:00 WIB (no working morning to judge)
    assert propose_silent_mornings(at(datetime(2026, 11, 15, 3, 30, tzinfo=UTC)))['proposed'] == []
    # When every run from Monday to Thursday failed and the next one to succeed is Friday's at 10:30
    friday = propose_silent_mornings(at(FRIDAY_MORNING))
    # Then the missed mornings are judged too (by the ledger: SILENT's machine had no punch those mornings,
    # ALIVE's had), and today by the machines' last contact
    assert friday['proposed'] == [f'SILENT@2026-11-{d}' for d in (16, 17, 18, 19, 20)]
    assert 'ALIVE@2026-11-17' in friday['judged']
    # And a second run the same day judges nothing again
    assert propose_silent_mornings(at(FRIDAY_MORNING)) == {'proposed': [], 'judged': []}


def test_propose_outages_with_a_date_judges_that_past_day_and_proposes_once(hx: Harness) -> None:
    setup(hx)
    _alive_punched(date(2026, 11, 18))
    # When the job is run for Wednesday 18 November, twice
    first = JOBS['propose-outages'].run(date='2026-11-18')
    second = JOBS['propose-outages'].run(date='2026-11-18')
    # Then the silent OPD's day is proposed once, and the OPD whose machine punched that morning is not
    assert first['proposed'] == ['SILENT@2026-11-18'] and second['proposed'] == []
    listed = hx.call('GET', '/v1/outages', hx.super_key).body['items']
    assert [(o['outage_id'], o['state']) for o in listed] == [('SILENT@2026-11-18', 'proposed')]
