"""A score import (or a JSON score batch) seen whole or not at all: one import per month at a time, a journal
written before the first score, and a roll-forward of an import that stopped half-way.

A DynamoDB transaction holds 100 items, so a file of 20,000 scores is committed in many transactions. So that
no reader pays on half of it, and no colliding import writes half of its own:

1. the import claims the month (a ``score_import`` record created only if none exists): a second import of the
   month meanwhile is refused with 409 ``score_import_in_progress`` before it writes anything;
2. it writes its journal (every score it will set, in pages) and marks the claim ``ready``;
3. it commits the scores in chunks (each audited), then removes the claim and the journal.

The month close reads a month's scores only when no claim is held (``settle``): a claim younger than
``CLAIM_SECONDS`` is an import still running, and the close fails to be run again by the next hourly job; an
older one is an import that stopped (a Lambda timeout): a ``ready`` claim is rolled forward from its journal (the
scores still different are written, audited by the system), one not yet ready wrote no score and is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.errors import Conflict
from chalicelib.domain.models import Principal
from chalicelib.observability import logger
from chalicelib.ports import AuditDraft, Create, Record, Remove, Replace, Write
from chalicelib.services.common import KIND_SCORE, SYSTEM_ACTOR, Deps

KIND_IMPORT = 'score_import'  # the month's claim: one import at a time
KIND_JOURNAL = 'score_journal'  # the claim's scores, in pages
PAGE = 400  # journal entries per record (a score record's data is about 250 bytes; an item holds 400 KB)
CLAIM_SECONDS = 300  # longer than any API request (29 s) or job that imports: an older claim has stopped
CHUNK = 50


@contextmanager
def claimed(deps: Deps, principal: Principal, month: str, records: Sequence[Record]) -> Iterator[None]:
    """Hold the month's claim with the journal of ``records`` while the body commits them."""
    settle(deps, month, waiting_is=_busy)
    import_id = deps.new_id('imp')
    claim = Record(KIND_IMPORT, month, {'month': month, 'import_id': import_id, 'by': principal.key_id,
                                        'started_at': deps.clock().isoformat(), 'ready': False,
                                        'pages': -(-len(records) // PAGE)})  # fmt: skip
    try:
        deps.store.commit([Create(claim, 'another score import of this month is running')], None)
    except Conflict:
        raise _busy(month) from None
    pages = [Record(KIND_JOURNAL, f'{month}#{import_id}#{n}', {'scores': [r.data for r in records[i : i + PAGE]]},
                    list_key=f'{month}#{import_id}#{n:05d}')
             for n, i in enumerate(range(0, len(records), PAGE))]  # fmt: skip
    deps.store.put_many(pages)
    deps.store.commit([Replace(Record(KIND_IMPORT, month, {**claim.data, 'ready': True}, 0))], None)
    yield
    _release(deps, month, import_id, len(pages), expected_version=1)


def settle(deps: Deps, month: str, waiting_is: Any = None) -> None:
    """Make the month's scores whole before they are read: roll a stopped import forward, or drop its claim.

    Raises Conflict (``score_import_in_progress``) while an import is still running.
    """
    claim = deps.store.get(KIND_IMPORT, month)
    if claim is None:
        return
    started = datetime.fromisoformat(claim.data['started_at'])
    if deps.clock() - started < timedelta(seconds=CLAIM_SECONDS):
        raise (waiting_is or _busy)(month)
    import_id, pages = claim.data['import_id'], int(claim.data['pages'])
    if claim.data['ready']:
        entries = [e for n in range(pages) for e in _page(deps, month, import_id, n)]
        written = _roll_forward(deps, month, entries)
        logger.warning('score import rolled forward', extra={'month': month, 'import_id': import_id,
                                                             'written': written})  # fmt: skip
    _release(deps, month, import_id, pages, expected_version=claim.version)


def _page(deps: Deps, month: str, import_id: str, n: int) -> list[dict[str, Any]]:
    record = deps.store.get(KIND_JOURNAL, f'{month}#{import_id}#{n}')
    return list(record.data['scores']) if record else []


def _roll_forward(deps: Deps, month: str, entries: list[dict[str, Any]]) -> int:
    ids = [f'{month}#{e["employee_id"]}' for e in entries]
    stored = deps.store.get_many(KIND_SCORE, ids) if ids else {}
    writes: list[tuple[Write, dict[str, Any]]] = []
    for entry, record_id in zip(entries, ids, strict=True):
        before = stored.get(record_id)
        if before is not None and before.data == entry:
            continue
        record = Record(KIND_SCORE, record_id, entry, before.version if before else 0,
                        list_key=f'{month}#{entry["opd_id"]}#{entry["employee_id"]}')  # fmt: skip
        write: Write = Replace(record) if before else Create(record, 'score set meanwhile')
        writes.append((write, {'employee_id': entry['employee_id'], 'before': before.data['score'] if before else None,
                               'after': entry['score']}))  # fmt: skip
    for start in range(0, len(writes), CHUNK):
        chunk = writes[start : start + CHUNK]
        deps.store.commit(
            [w for w, _ in chunk],
            AuditDraft(SYSTEM_ACTOR, 'score.set', f'scores/{month}', None,
                       {c['employee_id']: c['before'] for _, c in chunk},
                       {c['employee_id']: c['after'] for _, c in chunk}),
        )  # fmt: skip
    return len(writes)


def _release(deps: Deps, month: str, import_id: str, pages: int, expected_version: int) -> None:
    deps.store.commit([Remove(KIND_IMPORT, month, expected_version=expected_version)], None)
    removals: list[Write] = [Remove(KIND_JOURNAL, f'{month}#{import_id}#{n}') for n in range(pages)]
    for start in range(0, len(removals), 25):
        deps.store.commit(removals[start : start + 25], None)


def _busy(month: str) -> Conflict:
    return Conflict(f'a score import of {month} is running; nothing was saved. Try again in a few minutes',
                    code='score_import_in_progress')  # fmt: skip
