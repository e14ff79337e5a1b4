"""The audit log: one entry per admin write, hash-chained, readable by OPD, and tamper-evident."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib import resource_names as names
from chalicelib.adapters.dynamodb.directory import AUDIT_CHAIN
from chalicelib.adapters.dynamodb.items import AuditItem
from chalicelib.domain.audit_chain import anchor_period, entry_hash, verify_chain
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.models import Principal, Role
from chalicelib.events.jobs import JOBS, run_anchor_audit, run_audit_verify
from chalicelib.services.audit import (
    ANCHOR_LOOKBACK_PERIODS,
    CONSOLE_WINDOW,
    anchor_audit,
    current_head,
    report_json,
    verify_audit,
    verify_for_console,
)
from chalicelib.services.common import Deps
from chalicelib.settings import get_settings
from chalicelib.wiring import get_anchors, get_deps
from hadir_local import cli
from tests.integration.builders import audit_length, bridge_body, employee_body, machine_body, opd_body
from tests.support import Harness


def write(hx: Harness, method: str, path: str, body: dict[str, Any] | None = None, key: str | None = None) -> Any:
    reply = hx.call(method, path, key or hx.super_key, body)
    assert reply.status in (200, 201), reply.body
    return reply.body


def newest(hx: Harness) -> dict[str, Any]:
    entry: dict[str, Any] = hx.call('GET', '/v1/audit?limit=1', hx.super_key).body['items'][0]
    return entry


def test_each_admin_write_appends_exactly_one_entry_naming_it(hx: Harness) -> None:
    # Given a bootstrapped installation (one key.bootstrap entry)
    super_id = hx.super_key.split('_')[1]
    steps: list[tuple[str, str, dict[str, Any] | None, str, str]] = [
        ('POST', '/v1/opds', opd_body('OPDA'), 'opd.create', 'opd/OPDA'),
        ('PATCH', '/v1/opds/OPDA', {'name': 'Dinas Baru'}, 'opd.update', 'opd/OPDA'),
        ('POST', '/v1/machines', machine_body('CKX0001', 'OPDA'), 'machine.create', 'machine/CKX0001'),
        ('POST', '/v1/bridges', bridge_body('BR-1', 'OPDA'), 'bridge.create', 'bridge/BR-1'),
        ('POST', '/v1/bridges/BR-1/rotate-key', None, 'bridge.rotate_key', 'bridge/BR-1'),
        ('DELETE', '/v1/machines/CKX0001', None, 'machine.update', 'machine/CKX0001'),
        ('PUT', '/v1/pemda', {'name': 'Kab X', 'code': 'KAB-X', 'zone': 'Asia/Makassar', 'province': 'Sulsel'},
         'pemda.put', 'pemda'),
        ('POST', '/v1/keys', {'name': 'auditor', 'role': 'auditor'}, 'key.create', 'key/'),
    ]  # fmt: skip
    for method, path, body, action, target in steps:
        before = audit_length()
        # When one write is made
        write(hx, method, path, body)
        # Then exactly one entry is appended, naming the action, target and caller
        entry = newest(hx)
        assert audit_length() == before + 1, action
        assert (entry['action'], entry['actor_key_id']) == (action, super_id)
        assert entry['target'].startswith(target)


def test_an_entry_records_the_state_before_and_after_the_change(hx: Harness) -> None:
    write(hx, 'POST', '/v1/opds', opd_body('OPDA'))
    emp = write(hx, 'POST', '/v1/employees', employee_body('OPDA', 1))
    created = newest(hx)
    write(hx, 'PATCH', f'/v1/employees/{emp["employee_id"]}', {'jabatan': 'Kepala Seksi'})
    updated = newest(hx)
    assert (created['before'], created['after']['nip'], created['opd_id']) == (None, emp['nip'], 'OPDA')
    assert (updated['before']['jabatan'], updated['after']['jabatan']) == ('Analis Kepegawaian', 'Kepala Seksi')


def test_reads_refused_writes_and_key_bookkeeping_append_nothing(hx: Harness) -> None:
    # Given an OPD and a fresh auditor key
    write(hx, 'POST', '/v1/opds', opd_body('OPDA'))
    auditor = hx.make_key('auditor')
    before = audit_length()
    # When there are reads (recording last-used times), a refused write and a failed validation
    hx.call('GET', '/v1/opds/OPDA', auditor)
    hx.call('GET', '/v1/employees', hx.super_key)
    hx.call('POST', '/v1/opds', auditor, opd_body('OPDB'))
    hx.call('POST', '/v1/opds', hx.super_key, opd_body('OPDA'))
    # Then the log has not grown
    assert audit_length() == before


def test_the_chain_verifies_and_every_hash_covers_the_previous_one(hx: Harness) -> None:
    # Given a series of writes
    write(hx, 'POST', '/v1/opds', opd_body('OPDA'))
    for n in range(1, 4):
        write(hx, 'POST', '/v1/employees', employee_body('OPDA', n))
    # When the chain is read oldest first and verified
    entries = list(get_deps().audit_log.walk())
    report = verify_audit(get_deps())
    # Then it is intact, numbered from 1 without gaps, each entry pointing at its predecessor's hash
    assert report.ok and report.checked == len(entries) == 5
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(entries, entries[1:], strict=False))


def test_editing_one_stored_entry_is_reported_at_its_sequence_number(hx: Harness) -> None:
    # Given five entries, and someone who edits entry 3 directly in the table
    write(hx, 'POST', '/v1/opds', opd_body('OPDA'))
    for n in range(1, 4):
        write(hx, 'POST', '/v1/employees', employee_body('OPDA', n))
    item = AuditItem.get(AUDIT_CHAIN, 3)
    item.after = {**item.after, 'tpp_ceiling': 99_000_000}
    item.save()
    # When the chain is verified, directly and by the nightly job
    report = verify_audit(get_deps())
    nightly = run_audit_verify()
    # Then entry 3 is named as altered, after two good entries
    assert (report.ok, report.broken_seq, report.checked) == (False, 3, 2)
    assert report.reason is not None and 'altered' in report.reason
    assert (nightly['ok'], nightly['broken_seq']) == (False, 3)


def test_deleting_a_stored_entry_is_reported_as_a_gap(hx: Harness) -> None:
    write(hx, 'POST', '/v1/opds', opd_body('OPDA'))
    write(hx, 'POST', '/v1/employees', employee_body('OPDA', 1))
    AuditItem.get(AUDIT_CHAIN, 2).delete()
    report = verify_audit(get_deps())
    assert (report.broken_seq, report.checked) == (2, 1)


def test_opd_admin_sees_only_its_own_opds_entries(hx: Harness) -> None:
    # Given writes in OPDA and OPDB
    for opd in ('OPDA', 'OPDB'):
        write(hx, 'POST', '/v1/opds', opd_body(opd))
        write(hx, 'POST', '/v1/machines', machine_body(f'CKX{opd}', opd))
    admin = hx.make_key('opd_admin', 'OPDA')
    write(hx, 'POST', '/v1/employees', employee_body('OPDA', 1), key=admin)
    # When OPDA's admin reads the audit log, unfiltered and filtered to its own OPD
    unfiltered = hx.call('GET', '/v1/audit', admin).body['items']
    filtered = hx.call('GET', '/v1/audit?opd=OPDA', admin).body['items']
    other = hx.call('GET', '/v1/audit?opd=OPDB', admin)
    # Then it sees only OPDA's entries, newest first, and is refused OPDB's
    assert unfiltered == filtered
    assert {e['opd_id'] for e in unfiltered} == {'OPDA'}
    assert [e['action'] for e in unfiltered] == ['employee.create', 'key.create', 'machine.create', 'opd.create']
    assert [e['seq'] for e in unfiltered] == sorted((e['seq'] for e in unfiltered), reverse=True)
    assert other.status == 403


def test_super_and_auditor_read_the_whole_log_and_filter_by_opd(hx: Harness) -> None:
    for opd in ('OPDA', 'OPDB'):
        write(hx, 'POST', '/v1/opds', opd_body(opd))
    auditor = hx.make_key('auditor')
    everything = hx.call('GET', '/v1/audit', auditor).body['items']
    only_b = hx.call('GET', '/v1/audit?opd=OPDB', hx.super_key).body['items']
    assert len(everything) == audit_length()
    assert [(e['action'], e['opd_id']) for e in only_b] == [('opd.create', 'OPDB')]


def test_the_audit_log_pages_newest_first_without_repeats(hx: Harness) -> None:
    write(hx, 'POST', '/v1/opds', opd_body('OPDA'))
    for n in range(1, 6):
        write(hx, 'POST', '/v1/employees', employee_body('OPDA', n))
    seqs: list[int] = []
    path = '/v1/audit?limit=2'
    while True:
        body = hx.call('GET', path, hx.super_key).body
        seqs += [e['seq'] for e in body['items']]
        if not body['next_cursor']:
            break
        path = f'/v1/audit?limit=2&cursor={body["next_cursor"]}'
    assert seqs == list(range(audit_length(), 0, -1))


def test_finance_and_bridge_keys_cannot_read_the_audit_log(hx: Harness) -> None:
    write(hx, 'POST', '/v1/opds', opd_body('OPDA'))
    bridge = write(hx, 'POST', '/v1/bridges', bridge_body('BR-1', 'OPDA'))
    for key in (hx.make_key('finance'), bridge['token']):
        assert hx.call('GET', '/v1/audit', key).status == 403


# ---------------------------------------------------------------- anchors (issue 11, item 2; docs/audit.md)


def _writes(hx: Harness, employees: int) -> None:
    write(hx, 'POST', '/v1/opds', opd_body('OPDA'))
    for n in range(1, employees + 1):
        write(hx, 'POST', '/v1/employees', employee_body('OPDA', n))


def _rewrite(seq: int, **after: object) -> None:
    """What someone with write access to the table can do: change an entry and recompute its hash."""
    item = AuditItem.get(AUDIT_CHAIN, seq)
    item.after = {**(item.after or {}), **after}
    item.hash = entry_hash(
        seq=seq, at=datetime.fromisoformat(item.at), actor_key_id=item.actor_key_id, action=item.action,
        target=item.target, opd_id=item.opd_id, before=item.before, after=item.after, prev_hash=item.prev_hash,
    )  # fmt: skip
    item.save()


def _at(deps: Deps, moment: datetime) -> Deps:
    return replace(deps, clock=lambda: moment)


def test_without_an_anchor_a_deleted_or_rewritten_newest_entry_passes_the_links_check(hx: Harness) -> None:
    # Given five entries and no anchor (what verify had before issue 11: links only)
    _writes(hx, 3)
    # When the newest entry is deleted, and the one before it rewritten with a recomputed hash
    AuditItem.get(AUDIT_CHAIN, 5).delete()
    _rewrite(4, tpp_ceiling=99_000_000)
    # Then the links alone still hold: only an anchor outside the table can tell
    report = verify_audit(get_deps(), get_anchors())
    assert (report.ok, report.checked, report.anchor, report.unanchored_tail) == (True, 4, None, 4)


def test_the_anchor_job_writes_the_head_once_for_its_hour_in_the_locked_bucket(hx: Harness) -> None:
    # Given five entries
    _writes(hx, 3)
    head = current_head(get_deps())
    # When the hourly job runs, then runs again in the same hour after one more write
    first = JOBS['anchor-audit'].run()
    write(hx, 'POST', '/v1/employees', employee_body('OPDA', 4))
    again = run_anchor_audit()
    # Then the first run anchored the head of its hour, and the second left that anchor as it was
    assert (head.seq, first['written'], first['anchor']['seq'], first['anchor']['hash']) == (5, True, 5, head.hash)
    assert first['key'] == f'audit/{anchor_period(get_deps().clock())}.json'
    assert (again['written'], again['key'], again['anchor']) == (False, first['key'], first['anchor'])
    # And the object sits under Object Lock (its version cannot be deleted or replaced before the retention ends)
    s3 = boto3.client('s3', region_name=get_settings().region)
    stored = s3.get_object(Bucket=get_settings().bucket(names.BUCKET_ANCHORS), Key=first['key'])
    assert stored['ObjectLockMode'] == 'GOVERNANCE' and stored['ObjectLockRetainUntilDate'] > datetime.now(UTC)
    assert json.loads(stored['Body'].read()) == first['anchor']


def test_deleting_the_newest_entry_after_an_anchor_is_reported(hx: Harness) -> None:
    # Given five entries (the auditor key's creation is the fifth), anchored
    _writes(hx, 2)
    auditor = hx.make_key('auditor')
    run_anchor_audit()
    # When the newest (anchored) entry is deleted from the table
    AuditItem.get(AUDIT_CHAIN, 5).delete()
    # Then verify, the nightly job and the console's route all report it as deleted at 5
    report = verify_audit(get_deps(), get_anchors())
    nightly = run_audit_verify()
    route = hx.call('POST', '/v1/audit/verify', auditor).body
    assert (report.ok, report.broken_seq, report.checked) == (False, 5, 4)
    assert report.reason is not None and 'entry 5 is missing' in report.reason and 'deleted' in report.reason
    assert (nightly['ok'], nightly['broken_seq'], nightly['anchor']['seq']) == (False, 5, 5)
    assert (route['ok'], route['first_broken']['seq'], route['anchor']['seq']) == (False, 5, 5)
    assert 'deleted' in route['first_broken']['reason']
    # And the next write, which takes the deleted entry's number, does not hide it: 5 now differs from its anchor
    write(hx, 'POST', '/v1/employees', employee_body('OPDA', 3))
    after = verify_audit(get_deps(), get_anchors())
    assert (after.ok, after.broken_seq) == (False, 5) and after.reason is not None and 'anchor' in after.reason


def test_rewriting_the_newest_entry_with_a_recomputed_hash_after_an_anchor_is_reported(hx: Harness) -> None:
    # Given five entries, anchored
    _writes(hx, 3)
    run_anchor_audit()
    # When the newest entry is rewritten and its hash recomputed, so that its own hash and links still hold
    _rewrite(5, tpp_ceiling=99_000_000)
    assert verify_chain(get_deps().audit_log.walk()).ok
    # Then verify against the anchor reports it as rewritten
    report = verify_audit(get_deps(), get_anchors())
    route = hx.call('POST', '/v1/audit/verify', hx.super_key).body
    assert (report.ok, report.broken_seq, report.checked) == (False, 5, 4)
    assert report.reason is not None and 'rewritten' in report.reason
    assert (route['ok'], route['first_broken']['seq']) == (False, 5)


def test_rewriting_an_older_entry_and_every_hash_after_it_is_reported_at_the_anchor(hx: Harness) -> None:
    # Given five anchored entries, of which entry 2 is rewritten and every later hash and link recomputed
    _writes(hx, 3)
    run_anchor_audit()
    _rewrite(2, name='Orang Lain')
    for seq in (3, 4, 5):
        item = AuditItem.get(AUDIT_CHAIN, seq)
        item.prev_hash = AuditItem.get(AUDIT_CHAIN, seq - 1).hash
        item.save()
        _rewrite(seq)
    # Then the links hold, but the anchored entry no longer has its anchored hash
    assert verify_chain(get_deps().audit_log.walk()).ok
    report = verify_audit(get_deps(), get_anchors())
    assert (report.ok, report.broken_seq) == (False, 5)


def test_entries_after_the_anchor_are_the_unanchored_tail(hx: Harness) -> None:
    # Given five anchored entries and three written after the anchor
    _writes(hx, 3)
    run_anchor_audit()
    for n in range(4, 7):
        write(hx, 'POST', '/v1/employees', employee_body('OPDA', n))
    # When the chain is verified
    intact = verify_audit(get_deps(), get_anchors())
    # Then it is intact, with 3 entries not yet anchored
    assert (intact.ok, intact.checked, intact.anchor and intact.anchor.head.seq, intact.unanchored_tail) == (
        True,
        8,
        5,
        3,
    )
    # And deleting that tail goes unseen (the documented window), but deleting down past the anchor does not
    for seq in (8, 7, 6):
        AuditItem.get(AUDIT_CHAIN, seq).delete()
    assert verify_audit(get_deps(), get_anchors()).ok
    AuditItem.get(AUDIT_CHAIN, 5).delete()
    AuditItem.get(AUDIT_CHAIN, 4).delete()
    report = verify_audit(get_deps(), get_anchors())
    assert (report.ok, report.broken_seq) == (False, 4)
    assert report.reason is not None and 'entries 4 to 5 are missing' in report.reason


def test_verify_holds_the_chain_to_the_newest_anchor_within_the_lookback(hx: Harness) -> None:
    # Given an anchor at 02:55 with two entries, and one at 04:55 with five
    base = datetime(2026, 12, 7, 2, 55, tzinfo=UTC)
    write(hx, 'POST', '/v1/opds', opd_body('OPDA'))
    anchor_audit(_at(get_deps(), base), get_anchors())
    for n in range(1, 4):
        write(hx, 'POST', '/v1/employees', employee_body('OPDA', n))
    anchor_audit(_at(get_deps(), base + timedelta(hours=2)), get_anchors())
    # When verified at 05:30, at 03:10, and two days later
    at_0530 = verify_audit(_at(get_deps(), base + timedelta(hours=2, minutes=35)), get_anchors())
    at_0310 = verify_audit(_at(get_deps(), base + timedelta(minutes=15)), get_anchors())
    later = verify_audit(_at(get_deps(), base + timedelta(hours=2 + ANCHOR_LOOKBACK_PERIODS)), get_anchors())
    # Then each uses the newest anchor it can see, and none beyond the lookback
    assert at_0530.anchor is not None and (at_0530.anchor.period, at_0530.anchor.head.seq) == ('2026-12-07T04Z', 5)
    assert at_0310.anchor is not None and (at_0310.anchor.period, at_0310.unanchored_tail) == ('2026-12-07T02Z', 3)
    assert later.anchor is None and later.ok
    # And an anchor more than two periods old is flagged stale: runs were missed, the tail is longer than an hour
    fresh = report_json(at_0530, now=base + timedelta(hours=2, minutes=35))
    missed = report_json(at_0530, now=base + timedelta(hours=5))
    assert (fresh['anchor']['stale'], missed['anchor']['stale']) == (False, True)


def test_the_windowed_check_starts_before_the_anchor_and_leaves_older_entries_to_the_whole_check(
    hx: Harness,
) -> None:
    # Given eight anchored entries, of which entry 2 was edited without recomputing anything
    _writes(hx, 6)
    run_anchor_audit()
    item = AuditItem.get(AUDIT_CHAIN, 2)
    item.target = 'employee/someone-else'
    item.save()
    # When checked over a window of 4 entries up to the anchor, and over the whole chain
    windowed = verify_audit(get_deps(), get_anchors(), window=4)
    whole = verify_audit(get_deps(), get_anchors())
    # Then the window (entries 5 to 8) holds, and the whole check finds entry 2
    assert (windowed.ok, windowed.from_seq, windowed.checked) == (True, 5, 4)
    assert (whole.ok, whole.broken_seq) == (False, 2)


def test_verify_route_answers_super_and_auditor_with_the_anchor_and_the_tail(hx: Harness) -> None:
    # Given five anchored entries and one after the anchor (the auditor key is the sixth write)
    _writes(hx, 3)
    run_anchor_audit()
    auditor = hx.make_key('auditor')
    # When super and auditor ask for the check
    replies = [hx.call('POST', '/v1/audit/verify', key) for key in (hx.super_key, auditor)]
    # Then both get the same intact result, windowed, naming the anchor
    for reply in replies:
        assert reply.status == 200, reply.body
        body = reply.body
        assert (body['ok'], body['checked'], body['unanchored_tail'], body['from_seq']) == (True, 6, 1, 1)
        assert (body['whole_chain'], body['window'], 'first_broken' in body) == (True, CONSOLE_WINDOW, False)
        assert (body['anchor']['seq'], body['anchor']['hash']) == (5, AuditItem.get(AUDIT_CHAIN, 5).hash)
        assert (body['anchor']['key'], body['anchor']['stale']) == (f'audit/{body["anchor"]["period"]}.json', False)


def test_verify_route_refuses_opd_admin_finance_and_bridge_keys(hx: Harness) -> None:
    write(hx, 'POST', '/v1/opds', opd_body('OPDA'))
    bridge = write(hx, 'POST', '/v1/bridges', bridge_body('BR-1', 'OPDA'))
    for key in (hx.make_key('opd_admin', 'OPDA'), hx.make_key('finance'), bridge['token']):
        reply = hx.call('POST', '/v1/audit/verify', key)
        assert (reply.status, reply.body['error']['code']) == (403, 'forbidden'), reply.body
    assert hx.call('POST', '/v1/audit/verify').status == 401


def test_the_service_refuses_other_roles_too(hx: Harness) -> None:
    admin = Principal(key_id='k-admin', role=Role.OPD_ADMIN, opd_id='OPDA')
    with pytest.raises(Forbidden):
        verify_for_console(get_deps(), admin, get_anchors())


def test_the_local_anchors_bucket_is_object_locked(aws: None) -> None:
    s3 = boto3.client('s3', region_name=get_settings().region)
    config = s3.get_object_lock_configuration(Bucket=get_settings().bucket(names.BUCKET_ANCHORS))
    assert config['ObjectLockConfiguration']['ObjectLockEnabled'] == 'Enabled'
    assert config['ObjectLockConfiguration']['Rule']['DefaultRetention']['Mode'] == 'GOVERNANCE'


def test_hadir_job_help_lists_the_anchor_job(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(['job', '--help'])
    listed = capsys.readouterr().out
    assert 'anchor-audit' in listed and 'audit-verify' in listed


def test_hadir_audit_verify_prints_the_anchor_and_fails_on_a_deleted_anchored_entry(
    hx: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given five entries: first unanchored, then anchored with one entry after
    _writes(hx, 3)
    assert cli.verify_audit() == 0
    unanchored = capsys.readouterr().out
    run_anchor_audit()
    write(hx, 'POST', '/v1/employees', employee_body('OPDA', 4))
    assert cli.verify_audit() == 0
    anchored = capsys.readouterr().out
    # When the anchored entry and the one after it are deleted
    for seq in (6, 5):
        AuditItem.get(AUDIT_CHAIN, seq).delete()
    # Then the CLI (what `hadir audit verify` runs) fails, naming entry 5
    assert cli.verify_audit() == 1
    broken = capsys.readouterr().out
    assert 'intact: 5 entries verified, no anchor yet' in unanchored
    assert 'intact: 6 entries verified, anchored at entry 5' in anchored and '1 entry after it not yet' in anchored
    assert 'BROKEN at entry 5' in broken and 'deleted' in broken
