"""moto changed where its cost model is not DynamoDB's, for benches that report both figures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def transactions_snapshot_their_items() -> Iterator[None]:
    """moto 5 deep-copies every table a TransactWriteItems touches, once per item, so that it can roll back: a
    cost that grows with the table (10 copies of the bench's directory table per check-in), which DynamoDB's
    does not. Inside this block a transaction snapshots only the items it names and restores them on failure:
    the same conditions, all or nothing, at the cost of the items it writes."""
    import copy
    from types import SimpleNamespace

    from moto.dynamodb import models

    original = models.DynamoDBBackend.transact_write_items

    def transact(self: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshots = []
        for entry in transact_items:
            op = next(iter(entry.values()))
            table = self.get_table(op['TableName'])
            key = op.get('Key') or {
                name: op['Item'][name] for name in (table.hash_key_attr, table.range_key_attr) if name is not None
            }
            current = self.get_item(op['TableName'], key)
            snapshots.append((op['TableName'], key, None if current is None else current.to_json()['Attributes']))
        models.copy = SimpleNamespace(  # type: ignore[assignment]
            deepcopy=lambda value, memo=None: value if isinstance(value, models.Table) else copy.deepcopy(value, memo)
        )
        try:
            original(self, transact_items)
        except Exception:
            for table_name, key, attributes in reversed(snapshots):
                if attributes is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, copy.deepcopy(attributes))
            raise
        finally:
            models.copy = copy  # type: ignore[assignment]

    models.DynamoDBBackend.transact_write_items = transact  # type: ignore[method-assign]
    try:
        yield
    finally:
        models.DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]
