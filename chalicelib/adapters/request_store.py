"""RequestStore over the plain ports (a DirectoryStore and a PunchLedger): the in-memory stores of the benchmarks'
simulations and of unit tests. Claims are directory records of their own kind, checked first; the conditional
writes commit together next. It is not one transaction, which its single-threaded callers do not need
(DynamoDB's adapter is one)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chalicelib.domain.errors import Conflict
from chalicelib.ports import Claim, ClaimTaken, DirectoryStore, PunchLedger, Reads, Record, Unit

KIND_CLAIM = 'claim'


class PortsRequestStore:
    def __init__(self, store: DirectoryStore, ledger: PunchLedger) -> None:
        self._store = store
        self._ledger = ledger

    def read(self, records: Sequence[tuple[str, str]], claims: Sequence[str] = ()) -> Reads:
        found: dict[tuple[str, str], Record] = {}
        for kind in dict.fromkeys(kind for kind, _ in records):
            ids = [rid for k, rid in records if k == kind]
            found.update({(kind, rid): r for rid, r in self._store.get_many(kind, ids).items()})
        taken = {}
        for cid, record in self._store.get_many(KIND_CLAIM, list(claims)).items():
            taken[cid] = Claim(cid, datetime.fromisoformat(record.data['expires_at']), record.data.get('data'))
        return Reads(found, taken, frozenset(records), frozenset(claims))

    def commit(self, unit: Unit, now: datetime) -> None:
        for claim in unit.claims:
            stored = self._store.get(KIND_CLAIM, claim.id)
            if stored is not None and datetime.fromisoformat(stored.data['expires_at']) >= now:
                raise ClaimTaken(claim.id)
        if unit.writes:
            self._store.commit(unit.writes, None)
        repeated = [p for p in unit.punches if self._ledger.record([p]).duplicate]
        if repeated:
            raise Conflict(f'punch {repeated[0].punch_id} is in the ledger already')
        claimed = [
            Record(KIND_CLAIM, c.id, {'expires_at': c.expires_at.isoformat(), 'data': c.data}) for c in unit.claims
        ]
        if unit.records or claimed:
            self._store.put_many([*unit.records, *claimed])
        for change in unit.fields:
            self._store.set_field(change.kind, change.id, change.field, change.value)
