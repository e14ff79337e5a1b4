"""One suite, two implementations: the in-memory fake and the DynamoDB adapter (under moto) must agree."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from chalicelib.adapters.dynamodb.directory import DynamoAuditLog, DynamoDirectoryStore
from chalicelib.adapters.dynamodb.tables import ensure_tables
from chalicelib.domain.audit_chain import GENESIS_HASH, entry_hash, verify_chain
from chalicelib.domain.errors import Conflict, MalformedRequest, NotFound
from chalicelib.ports import AuditDraft, AuditLog, Create, DirectoryStore, Record, Remove, Replace
from tests.fakes import FakeDirectoryStore, TickingClock


@dataclass
class Backend:
    store: DirectoryStore
    audit_log: AuditLog
    clock: TickingClock


@pytest.fixture(params=['fake', pytest.param('dynamodb', marks=pytest.mark.integration)])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    clock = TickingClock()
    if request.param == 'fake':
        fake = FakeDirectoryStore(clock)
        yield Backend(fake, fake.audit_log, clock)
        return
    with mock_aws():
        ensure_tables()
        yield Backend(DynamoDirectoryStore(clock), DynamoAuditLog(), clock)


def employee(record_id: str, opd_id: str = 'OPDA', **data: Any) -> Record:
    return Record('employee', record_id, {'name': record_id, **data}, list_key=f'{opd_id}#{record_id}')


def draft(
    action: str = 'employee.create', opd_id: str | None = 'OPDA', after: dict[str, Any] | None = None
) -> AuditDraft:
    return AuditDraft('actor1', action, 'employee/e1', opd_id, None, after or {'name': 'e1'})


def all_pages(backend: Backend, kind: str, prefix: str, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = backend.store.list(kind, prefix, limit=limit, cursor=cursor)
        assert len(page.items) <= limit
        pages.append([r.id for r in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def test_created_record_reads_back_with_version_zero_and_plain_json_data(backend: Backend) -> None:
    # Given a record with nested data, a list key and a lookup pair
    data = {'name': 'Budi', 'grade': 7, 'ratio': 1.5, 'active': True, 'unit': None, 'tags': ['a', {'b': 1}], 'm': {}}
    record = Record('machine', 'SN1', data, version=9, list_key='OPDA#SN1', lookup=('BRIDGE#BR1', 'SN1'))
    # When it is created
    backend.store.commit([Create(record, 'exists')], None)
    # Then it reads back equal, at version 0 whatever version the caller passed
    got = backend.store.get('machine', 'SN1')
    assert got == Record('machine', 'SN1', data, 0, 'OPDA#SN1', ('BRIDGE#BR1', 'SN1'))


def test_unknown_record_is_none_and_kinds_do_not_share_ids(backend: Backend) -> None:
    # Given an employee with id X
    backend.store.commit([Create(employee('X'), 'exists')], None)
    # When a machine with the same id, or an unknown employee, is read
    # Then neither exists
    assert backend.store.get('machine', 'X') is None
    assert backend.store.get('employee', 'Y') is None


def test_get_many_returns_only_the_records_found(backend: Backend) -> None:
    # Given two employees
    backend.store.commit([Create(employee('e1'), 'x'), Create(employee('e2'), 'x')], None)
    # When three ids (one repeated, one unknown) are asked for
    found = backend.store.get_many('employee', ['e1', 'nope', 'e2', 'e1'])
    # Then the two stored ones come back by id
    assert sorted(found) == ['e1', 'e2']
    assert found['e2'].data == {'name': 'e2'}


def test_list_returns_one_kind_in_list_key_order_limited_by_prefix(backend: Backend) -> None:
    # Given employees of OPDA and OPDAB (a prefix trap), a machine, and an unlisted record
    backend.store.commit(
        [
            Create(employee('e3', 'OPDA'), 'x'),
            Create(employee('e1', 'OPDAB'), 'x'),
            Create(employee('e2', 'OPDA'), 'x'),
            Create(Record('machine', 'm1', {}, list_key='OPDA#m1'), 'x'),
            Create(Record('employee', 'hidden', {}), 'x'),
        ],
        None,
    )
    # When employees are listed whole and by the OPDA# prefix
    everyone = backend.store.list('employee', limit=50)
    opda = backend.store.list('employee', 'OPDA#', limit=50)
    # Then only listed employees appear, ordered by list key; the prefix excludes OPDAB
    assert [r.id for r in everyone.items] == ['e2', 'e3', 'e1']
    assert [r.id for r in opda.items] == ['e2', 'e3']
    assert everyone.next_cursor is None and opda.next_cursor is None


@pytest.mark.parametrize('limit', [1, 3, 7, 10])
def test_cursor_pages_visit_every_record_exactly_once(backend: Backend, limit: int) -> None:
    # Given seven employees of OPDA and two of OPDB
    ids = [f'e{i}' for i in range(7)]
    writes = [Create(employee(i), 'x') for i in ids] + [Create(employee(f'b{i}', 'OPDB'), 'x') for i in range(2)]
    backend.store.commit(writes, None)
    # When OPDA is paged through
    pages = all_pages(backend, 'employee', 'OPDA#', limit)
    # Then every OPDA record appears once, in order, and no page but the last is short
    assert [i for page in pages for i in page] == ids
    assert all(len(page) == limit for page in pages[:-1] if page)


@pytest.mark.parametrize(
    'cursor',
    [
        'not base64 !',
        base64.urlsafe_b64encode(b'[1, 2]').decode(),
        base64.urlsafe_b64encode(json.dumps({'pk': 'x'}).encode()).decode(),
    ],
)
def test_a_cursor_the_store_did_not_issue_is_refused(backend: Backend, cursor: str) -> None:
    # Given a stored employee
    backend.store.commit([Create(employee('e1'), 'x')], None)
    # When a listing is asked to continue from a forged cursor
    # Then it is refused as a malformed request
    with pytest.raises(MalformedRequest):
        backend.store.list('employee', limit=5, cursor=cursor)


def test_lookup_finds_records_by_their_second_access_path(backend: Backend) -> None:
    # Given two PIN mappings on machine SN1, one on SN2, and a machine of bridge BR1
    def pinmap(serial: str, pin: str) -> Record:
        return Record('pinmap', f'{serial}#{pin}', {'pin': pin}, lookup=(f'MACHINE#{serial}', f'{pin}#2026-01-01'))

    backend.store.commit(
        [
            Create(pinmap('SN1', '12'), 'x'),
            Create(pinmap('SN1', '7'), 'x'),
            Create(pinmap('SN2', '12'), 'x'),
            Create(Record('machine', 'SN1', {}, lookup=('BRIDGE#BR1', 'SN1')), 'x'),
        ],
        None,
    )
    # When SN1's mappings are listed, whole and for PIN 12 only
    whole = backend.store.list_lookup('MACHINE#SN1', limit=50)
    pin12 = backend.store.list_lookup('MACHINE#SN1', '12#', limit=50)
    # Then only SN1's mappings appear, ordered by lookup key
    assert [r.id for r in whole.items] == ['SN1#12', 'SN1#7']
    assert [r.id for r in pin12.items] == ['SN1#12']
    assert [r.kind for r in backend.store.list_lookup('BRIDGE#BR1', limit=5).items] == ['machine']


def test_lookup_pages_visit_every_record_exactly_once(backend: Backend) -> None:
    # Given five machines collected by one bridge
    serials = [f'SN{i}' for i in range(5)]
    backend.store.commit([Create(Record('machine', s, {}, lookup=('BRIDGE#BR1', s)), 'x') for s in serials], None)
    # When they are paged two at a time
    seen, cursor = [], None
    while True:
        page = backend.store.list_lookup('BRIDGE#BR1', limit=2, cursor=cursor)
        seen += [r.id for r in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    # Then each appears once
    assert seen == serials


def test_replace_bumps_the_version_and_moves_the_record_in_listings(backend: Backend) -> None:
    # Given a machine of OPDA collected by bridge BR1
    backend.store.commit([Create(Record('machine', 'SN1', {'v': 1}, 0, 'OPDA#SN1', ('BRIDGE#BR1', 'SN1')), 'x')], None)
    # When it is replaced at version 0 with a new OPD and no bridge
    backend.store.commit([Replace(Record('machine', 'SN1', {'v': 2}, 0, 'OPDB#SN1', None))], None)
    # Then it is at version 1 under OPDB, and the bridge no longer finds it
    assert backend.store.get('machine', 'SN1') == Record('machine', 'SN1', {'v': 2}, 1, 'OPDB#SN1', None)
    assert [r.id for r in backend.store.list('machine', 'OPDB#', limit=5).items] == ['SN1']
    assert backend.store.list('machine', 'OPDA#', limit=5).items == []
    assert backend.store.list_lookup('BRIDGE#BR1', limit=5).items == []


def test_replace_at_a_stale_version_is_a_conflict_and_changes_nothing(backend: Backend) -> None:
    # Given an employee replaced once (now at version 1)
    backend.store.commit([Create(employee('e1', grade=1), 'x')], None)
    backend.store.commit([Replace(employee('e1', grade=2))], None)
    # When someone replaces it from the version they read earlier (0)
    with pytest.raises(Conflict) as refused:
        backend.store.commit([Replace(employee('e1', grade=3), conflict='reload e1')], None)
    # Then the write's own message explains it and the stored record is untouched
    assert refused.value.message == 'reload e1'
    stored = backend.store.get('employee', 'e1')
    assert stored is not None and (stored.version, stored.data['grade']) == (1, 2)


def test_replace_of_a_missing_record_is_a_conflict(backend: Backend) -> None:
    # Given no record; When one is replaced; Then it is a conflict, and nothing is created
    with pytest.raises(Conflict, match='gone'):
        backend.store.commit([Replace(employee('ghost'), conflict='gone')], None)
    assert backend.store.get('employee', 'ghost') is None


def test_create_of_an_existing_id_is_a_conflict_with_its_message(backend: Backend) -> None:
    # Given an employee
    backend.store.commit([Create(employee('e1', grade=1), 'x')], None)
    # When it is created again
    with pytest.raises(Conflict) as refused:
        backend.store.commit([Create(employee('e1', grade=9), 'employee e1 already exists')], None)
    # Then the conflict carries the message and the first record stays
    assert refused.value.message == 'employee e1 already exists'
    stored = backend.store.get('employee', 'e1')
    assert stored is not None and stored.data['grade'] == 1


def test_remove_deletes_the_record_from_every_access_path(backend: Backend) -> None:
    # Given a PIN mapping, listed and looked up
    record = Record('pinmap', 'SN1#12', {}, 0, 'OPDA#SN1#12', ('MACHINE#SN1', '12#2026-01-01'))
    backend.store.commit([Create(record, 'x')], None)
    # When it is removed at its version
    backend.store.commit([Remove('pinmap', 'SN1#12', expected_version=0)], None)
    # Then no path finds it
    assert backend.store.get('pinmap', 'SN1#12') is None
    assert backend.store.list('pinmap', limit=5).items == []
    assert backend.store.list_lookup('MACHINE#SN1', limit=5).items == []


@pytest.mark.parametrize('expected_version', [None, 0])
def test_remove_of_a_missing_record_is_a_conflict(backend: Backend, expected_version: int | None) -> None:
    with pytest.raises(Conflict, match='unique NIP#1 was changed or removed by someone else'):
        backend.store.commit([Remove('unique', 'NIP#1', expected_version)], None)


def test_remove_at_a_stale_version_is_a_conflict_and_keeps_the_record(backend: Backend) -> None:
    # Given an employee at version 1
    backend.store.commit([Create(employee('e1'), 'x')], None)
    backend.store.commit([Replace(employee('e1'))], None)
    # When it is removed expecting version 0
    with pytest.raises(Conflict):
        backend.store.commit([Remove('employee', 'e1', expected_version=0)], None)
    # Then it is still there
    assert backend.store.get('employee', 'e1') is not None


def test_commit_is_all_or_nothing_when_one_write_conflicts(backend: Backend) -> None:
    # Given an employee e1 and a NIP guard already held
    backend.store.commit([Create(employee('e1'), 'x'), Create(Record('unique', 'NIP#1', {'owner': 'e1'}), 'x')], None)
    before = list(backend.audit_log.walk())
    # When one commit creates e2, replaces e1 and claims the taken NIP, with an audit entry
    with pytest.raises(Conflict) as refused:
        backend.store.commit(
            [
                Create(employee('e2'), 'x'),
                Replace(employee('e1', grade=5)),
                Create(Record('unique', 'NIP#1', {'owner': 'e2'}), 'NIP 1 is already registered'),
            ],
            draft(),
        )
    # Then the conflict names the NIP, and neither the other writes nor the audit entry happened
    assert refused.value.message == 'NIP 1 is already registered'
    assert backend.store.get('employee', 'e2') is None
    e1 = backend.store.get('employee', 'e1')
    assert e1 is not None and e1.version == 0 and 'grade' not in e1.data
    guard = backend.store.get('unique', 'NIP#1')
    assert guard is not None and guard.data == {'owner': 'e1'}
    assert list(backend.audit_log.walk()) == before


def test_commit_appends_an_audit_entry_whose_hash_covers_the_previous_one(backend: Backend) -> None:
    # Given an empty log
    # When two commits carry audit drafts
    first = backend.store.commit([Create(employee('e1'), 'x')], draft(after={'name': 'e1', 'grade': 7}))
    second = backend.store.commit([Replace(employee('e1'))], draft('employee.update', 'OPDA'))
    # Then they are entries 1 and 2, the second chained to the first, each hash recomputable
    assert first is not None and second is not None
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert first.after == {'name': 'e1', 'grade': 7} and first.actor_key_id == 'actor1'
    for entry in (first, second):
        fields = entry.model_dump(exclude={'hash'})
        assert entry.hash == entry_hash(**fields)
    # And the log walks them back in order, as a valid chain
    assert list(backend.audit_log.walk()) == [first, second]
    assert verify_chain(backend.audit_log.walk()).checked == 2


def test_commit_without_a_draft_appends_no_audit_entry(backend: Backend) -> None:
    assert backend.store.commit([Create(employee('e1'), 'x')], None) is None
    assert list(backend.audit_log.walk()) == []


def test_audit_entries_come_newest_first_filtered_by_opd_and_paged(backend: Backend) -> None:
    # Given five entries: OPDA, OPDB, OPDA, none, OPDA
    for opd in ('OPDA', 'OPDB', 'OPDA', None, 'OPDA'):
        backend.store.commit([], draft(opd_id=opd))
    # When all entries, and OPDA's two at a time, are read
    everything = backend.audit_log.entries(opd_id=None, limit=10, cursor=None)
    first = backend.audit_log.entries(opd_id='OPDA', limit=2, cursor=None)
    assert first.next_cursor is not None
    rest = backend.audit_log.entries(opd_id='OPDA', limit=2, cursor=first.next_cursor)
    # Then the whole log is newest first, and OPDA's pages hold exactly its entries
    assert [e.seq for e in everything.items] == [5, 4, 3, 2, 1]
    assert [e.seq for e in first.items] == [5, 3]
    assert [e.seq for e in rest.items] == [1]


def test_set_field_changes_one_field_without_a_version_bump_or_audit_entry(backend: Backend) -> None:
    # Given a key record at version 0
    backend.store.commit([Create(Record('key', 'k1', {'name': 'ops', 'last_used_at': None}), 'x')], None)
    # When its last-used time is set
    backend.store.set_field('key', 'k1', 'last_used_at', '2026-01-05T01:00:00+00:00')
    # Then only that field changed
    assert backend.store.get('key', 'k1') == Record(
        'key', 'k1', {'name': 'ops', 'last_used_at': '2026-01-05T01:00:00+00:00'}, 0
    )
    assert list(backend.audit_log.walk()) == []


def test_set_field_on_a_missing_record_is_not_found(backend: Backend) -> None:
    # Given no key k1; When its field is set; Then the store says it does not exist and creates nothing
    with pytest.raises(NotFound):
        backend.store.set_field('key', 'k1', 'last_used_at', 'now')
    assert backend.store.get('key', 'k1') is None


def test_stored_data_is_a_copy_of_what_callers_hand_over(backend: Backend) -> None:
    # Given a record created from a dict the caller keeps
    data: dict[str, Any] = {'name': 'e1', 'tags': ['a']}
    backend.store.commit([Create(Record('employee', 'e1', data, list_key='OPDA#e1'), 'x')], None)
    # When the caller mutates its dict and the one it read back
    data['tags'].append('b')
    got = backend.store.get('employee', 'e1')
    assert got is not None
    got.data['name'] = 'changed'
    # Then the stored record is unaffected
    again = backend.store.get('employee', 'e1')
    assert again is not None and again.data == {'name': 'e1', 'tags': ['a']}


def test_put_many_writes_bookkeeping_records_idempotently_without_audit(backend: Backend) -> None:
    # Given 60 index records (more than one batch) written twice
    records = [employee(f'u{n:03d}') for n in range(60)]
    backend.store.put_many(records)
    backend.store.put_many(records)
    # Then each exists once, listed in order, and no audit entry was appended
    assert [r.id for r in backend.store.list('employee', limit=500).items] == [f'u{n:03d}' for n in range(60)]
    assert backend.audit_log.entries(opd_id=None, limit=10, cursor=None).items == []
