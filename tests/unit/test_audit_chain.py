from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from chalicelib.domain.audit_chain import (
    EMPTY_HEAD,
    GENESIS_HASH,
    Anchor,
    anchor_period,
    canonical_json,
    entry_hash,
    hash_of,
    head_of,
    recent_periods,
    verify_anchored,
    verify_chain,
)
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


# ---------------------------------------------------------------- anchors


def anchor_of(entry: AuditEntry | None, period: str = '2026-01-05T01Z') -> Anchor:
    return Anchor(period=period, anchored_at=T0 + timedelta(minutes=55), head=head_of(entry))


def test_an_anchor_round_trips_through_its_json() -> None:
    anchor = anchor_of(chain(3)[-1])
    assert Anchor.from_json(json.loads(canonical_json(anchor.to_json()))) == anchor
    assert Anchor.from_json(anchor_of(None).to_json()).head == EMPTY_HEAD


@pytest.mark.parametrize(
    ('field', 'value'),
    [('version', 2), ('seq', -1), ('seq', True), ('seq', '3'), ('hash', 'abc'), ('period', None)],
)
def test_an_object_that_is_not_an_anchor_is_refused(field: str, value: object) -> None:
    with pytest.raises(ValueError):
        Anchor.from_json({**anchor_of(chain(1)[0]).to_json(), field: value})


def test_periods_are_utc_hours_newest_first() -> None:
    wib = timezone(timedelta(hours=7))
    assert anchor_period(datetime(2026, 12, 7, 9, 59, tzinfo=wib)) == '2026-12-07T02Z'
    assert recent_periods(datetime(2026, 12, 7, 1, 5, tzinfo=UTC), 3) == [
        '2026-12-07T01Z',
        '2026-12-07T00Z',
        '2026-12-06T23Z',
    ]


def test_a_chain_matching_its_anchor_reports_the_tail_after_it() -> None:
    entries = chain(6)
    report = verify_anchored(entries, anchor_of(entries[3]))
    assert (report.ok, report.checked, report.last_seq, report.unanchored_tail) == (True, 6, 6, 2)
    assert verify_anchored(entries, None).unanchored_tail == 6
    assert verify_anchored([], anchor_of(None)).ok


def test_a_chain_shorter_than_its_anchor_names_the_first_missing_entry() -> None:
    entries = chain(6)
    report = verify_anchored(entries[:3], anchor_of(entries[5]))
    assert (report.ok, report.broken_seq, report.checked) == (False, 4, 3)
    assert report.reason is not None and 'entries 4 to 6 are missing' in report.reason
    emptied = verify_anchored([], anchor_of(entries[0]))
    assert (emptied.broken_seq, emptied.reason is not None and 'entry 1 is missing' in emptied.reason) == (1, True)


def test_a_recomputed_anchored_entry_is_reported_as_rewritten() -> None:
    entries = chain(4)
    anchor = anchor_of(entries[3])
    fields = {**entries[3].model_dump(exclude={'hash'}), 'after': {'grade': 99}}
    forged = [*entries[:3], AuditEntry(**fields, hash=entry_hash(**fields))]
    assert verify_chain(forged).ok
    report = verify_anchored(forged, anchor)
    assert (report.ok, report.broken_seq) == (False, 4) and report.reason is not None and 'rewritten' in report.reason


def test_a_window_takes_its_first_link_as_read_but_checks_its_hash() -> None:
    entries = chain(6)
    assert verify_anchored(entries[3:], anchor_of(entries[4]), from_seq=4).ok
    altered = [entries[3].model_copy(update={'target': 'employee/other'}), *entries[4:]]
    report = verify_anchored(altered, anchor_of(entries[4]), from_seq=4)
    assert (report.ok, report.broken_seq) == (False, 4)
    gap = verify_anchored(entries[4:], anchor_of(entries[4]), from_seq=4)
    assert (gap.ok, gap.broken_seq) == (False, 4)
