"""A score import is seen whole or not at all, on moto: two colliding imports leave one whole import, and an
import stopped half-way is rolled forward before the month close reads the scores.

120 PNS in one OPD: an import of 120 scores is committed in three transactions of at most 50.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.errors import Conflict
from chalicelib.domain.models import Employee, Principal, Role
from chalicelib.ports import Create
from chalicelib.services import score_imports, scores
from chalicelib.services.common import KIND_EMPLOYEE, load
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import employee_body, opd_body
from tests.support import Harness

MONTH = '2026-01'
STAFF = 120
SUPER = Principal(key_id='key-super', role=Role.SUPER)


@pytest.fixture
def staff(hx: Harness) -> list[str]:
    assert hx.call('POST', '/v1/opds', hx.super_key, opd_body('BKPSDM')).status == 201
    ids = []
    for n in range(1, STAFF + 1):
        reply = hx.call('POST', '/v1/employees', hx.super_key, employee_body('BKPSDM', n))
        assert reply.status == 201, reply.body
        ids.append(reply.body['employee_id'])
    return ids


def _batch(ids: list[str], score: int) -> dict[str, Any]:
    return {'scores': [{'employee_id': e, 'score': score} for e in ids]}


def test_two_colliding_imports_leave_one_whole_import_never_a_mix(staff: list[str]) -> None:
    # Given two imports of the same month started at the same moment: every score 80, and every score 90
    start = threading.Barrier(2)
    outcomes: dict[int, Any] = {}

    def run(score: int) -> None:
        start.wait()
        try:
            outcomes[score] = scores.set_scores(get_deps(), get_books().records, SUPER, MONTH, _batch(staff, score),
                                                False)  # fmt: skip
        except Conflict as exc:
            outcomes[score] = exc

    threads = [threading.Thread(target=run, args=(s,)) for s in (80, 90)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then at least one import went through whole; a refused one says why and wrote nothing
    refused = [o for o in outcomes.values() if isinstance(o, Conflict)]
    assert len(refused) <= 1 and all(o.code == 'score_import_in_progress' for o in refused)
    # And the month's scores are all of one import: 120 equal scores, never some 80 and some 90
    stored = scores.scores_of_month(get_deps(), MONTH)
    assert len(stored) == STAFF and len(set(stored.values())) == 1
    if refused:
        winner = next(s for s, o in outcomes.items() if not isinstance(o, Conflict))
        assert set(stored.values()) == {Decimal(winner)}


def test_an_import_stopped_half_way_is_rolled_forward_before_the_close_reads_it(staff: list[str]) -> None:
    deps = get_deps()
    employees = [load(Employee, r) for r in deps.store.get_many(KIND_EMPLOYEE, staff).values()]
    journal = [scores._score_record(MONTH, e, Decimal(90), 'api', SUPER.key_id, 0) for e in employees]
    # Given an import that wrote its first 50 scores and stopped (a Lambda timeout)
    with pytest.raises(RuntimeError), score_imports.claimed(deps, SUPER, MONTH, journal):
        deps.store.commit([Create(r, 'set meanwhile') for r in journal[:50]], None)
        raise RuntimeError('Task timed out after 29.00 seconds')
    # When the month close reads the scores while the claim is fresh, Then it is refused (the job runs again)
    with pytest.raises(Conflict) as busy:
        scores.scores_of_month(deps, MONTH)
    assert busy.value.code == 'score_import_in_progress'
    # And a second import meanwhile is refused before writing anything
    with pytest.raises(Conflict):
        scores.set_scores(deps, get_books().records, SUPER, MONTH, _batch(staff, 70), False)
    # When the close reads them once the claim is older than any import can run
    later = replace(deps, clock=lambda: deps.clock() + timedelta(seconds=score_imports.CLAIM_SECONDS + 1))
    stored = scores.scores_of_month(later, MONTH)
    # Then the import was completed from its journal: all 120 scores are 90, and the claim is gone
    assert len(stored) == STAFF and set(stored.values()) == {Decimal(90)}
    assert deps.store.get(score_imports.KIND_IMPORT, MONTH) is None
    # And the next import runs normally
    report = scores.set_scores(deps, get_books().records, SUPER, MONTH, _batch(staff, 70), False)
    assert report['changed'] == STAFF
