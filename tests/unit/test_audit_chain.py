from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.audit_chain import GENESIS_HASH, canonical_json, entry_hash, hash_of, verify_chain
from chalicelib.domain.models import AuditEntry

T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def chain(length: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for seq in range(1, length + 1):
        fields: dict[str, Any] = {
            'seq': seq,
            'at': T0 + timedelta(minutes=seq),
            'actor_key_id': 'k1',
            'action': 'employee.update',
            'target': f'employee/e{seq}',
            'opd_id': 'OPDA',
            'before': {'grade': seq},
            'after': {'grade': seq + 1},
            'prev_hash': entries[-1].hash if entries else GENESIS_HASH,
        }
        entries.append(AuditEntry(**fields, hash=entry_hash(**fields)))
    return entries


def test_canonical_json_ignores_key_order_and_keeps_unicode() -> None:
    assert canonical_json({'b': 1, 'a': 'Dinas Pendidikan é'}) == canonical_json({'a': 'Dinas Pendidikan é', 'b': 1})
    assert canonical_json({'a': 'é'}) == '{"a":"é"}'


@pytest.mark.parametrize(
    ('field', 'value'),
    [
        ('seq', 2),
        ('at', T0 + timedelta(seconds=1)),
        ('actor_key_id', 'k2'),
        ('action', 'employee.create'),
        ('target', 'employee/e2'),
        ('opd_id', 'OPDB'),
        ('before', {'grade': 2}),
        ('after', None),
        ('prev_hash', 'f' * 64),
    ],
)
def test_the_hash_covers_every_field_including_the_previous_hash(field: str, value: object) -> None:
    # Given one entry's fields
    base: dict[str, Any] = {
        'seq': 1, 'at': T0, 'actor_key_id': 'k1', 'action': 'employee.update', 'target': 'employee/e1',
        'opd_id': 'OPDA', 'before': {'grade': 1}, 'after': {'grade': 2}, 'prev_hash': GENESIS_HASH,
    }  # fmt: skip
    # When any one field changes
    # Then the hash changes, while recomputing the unchanged entry gives the same hash
    assert entry_hash(**{**base, field: value}) != entry_hash(**base)
    assert entry_hash(**base) == entry_hash(**dict(base))


def test_an_intact_chain_verifies_and_counts_its_entries() -> None:
    report = verify_chain(chain(5))
    assert report.ok and report.checked == 5 and report.reason is None


def test_an_empty_log_is_a_valid_chain() -> None:
    assert verify_chain([]).ok


def test_an_altered_entry_is_reported_by_its_sequence_number() -> None:
    # Given a chain whose third entry was edited after the fact
    entries = chain(5)
    entries[2] = entries[2].model_copy(update={'after': {'grade': 99}})
    # When it is verified
    report = verify_chain(entries)
    # Then entry 3 is named as altered, after two good entries
    assert (report.ok, report.broken_seq, report.checked) == (False, 3, 2)
    assert report.reason is not None and 'altered' in report.reason


def test_an_altered_entry_with_a_recomputed_hash_breaks_the_next_link() -> None:
    # Given entry 3 edited and re-hashed by someone covering their tracks
    entries = chain(5)
    forged = entries[2].model_copy(update={'after': {'grade': 99}})
    entries[2] = forged.model_copy(update={'hash': hash_of(forged)})
    # When it is verified; Then entry 4 no longer points at entry 3
    report = verify_chain(entries)
    assert report.broken_seq == 4
    assert report.reason is not None and 'prev_hash' in report.reason


def test_a_deleted_entry_is_reported_as_missing() -> None:
    entries = chain(5)
    del entries[1]
    report = verify_chain(entries)
    assert report.broken_seq == 2
    assert report.reason is not None and 'missing' in report.reason


def test_a_chain_must_start_from_the_genesis_hash() -> None:
    # Given a log whose first entry claims a predecessor
    first = chain(1)[0]
    fields = {**first.model_dump(exclude={'hash'}), 'prev_hash': 'a' * 64}
    rebased = AuditEntry(**fields, hash=entry_hash(**fields))
    # When verified; Then entry 1 is broken
    assert verify_chain([rebased]).broken_seq == 1


def test_hash_of_matches_the_stored_hash_of_a_well_formed_entry() -> None:
    entry = chain(1)[0]
    assert hash_of(entry) == entry.hash
    assert len(entry.hash) == 64 and int(entry.hash, 16) >= 0
