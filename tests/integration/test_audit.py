"""The audit log: one entry per admin write, hash-chained, readable by OPD, and tamper-evident."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamodb.directory import AUDIT_CHAIN
from chalicelib.adapters.dynamodb.items import AuditItem
from chalicelib.events.jobs import run_audit_verify
from chalicelib.services.audit import verify_audit
from chalicelib.wiring import get_deps
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
