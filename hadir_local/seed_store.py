"""The demo seed stages in memory and lands in DynamoDB by batch writes.

The seed goes through the same use cases as the API, so what it writes is what the API would write. Against
moto, ~500 audited transactions took minutes: TransactWriteItems copies every table it touches and each query
sorts the whole table. Staged in the in-memory store (the one the contract suite holds to the DynamoDB
adapter's behaviour), the use cases run in memory; the records, with their versions, and the audit chain, with
its hashes, then land in two batch writes. Only an empty directory is staged, so the chain starts at genesis.
"""

from __future__ import annotations

from dataclasses import replace

from chalicelib.adapters.dynamodb.directory import DynamoAuditLog
from chalicelib.adapters.memory import MemoryAuditLog, MemoryDirectoryStore
from chalicelib.domain.errors import Conflict
from chalicelib.services.common import KIND_PEMDA, Deps


def staging(deps: Deps) -> tuple[Deps, MemoryDirectoryStore]:
    """Deps whose directory and audit log are in memory, for a seed of an empty local stack."""
    if next(iter(deps.audit_log.walk()), None) is not None:
        raise Conflict('the audit log is not empty: the seed stages only into an empty stack')
    audit_log = MemoryAuditLog()
    store = MemoryDirectoryStore(deps.clock, audit_log)
    return replace(deps, store=store, audit_log=audit_log), store


def land(deps: Deps, staged: MemoryDirectoryStore) -> int:
    """Write the staged records and audit entries into the real store; returns how many items were written."""
    audit_log = deps.audit_log
    if not isinstance(audit_log, DynamoAuditLog):
        raise TypeError('the seed lands only in the DynamoDB audit log')
    entries = list(staged.audit_log.walk())
    records = staged.records()
    audit_log.put_entries(entries)
    # The pemda settings last: demo_is_seeded reads them, so a seed cut short is not taken for a finished one.
    deps.store.put_many([r for r in records if r.kind != KIND_PEMDA])
    deps.store.put_many([r for r in records if r.kind == KIND_PEMDA])
    return len(records) + len(entries)
