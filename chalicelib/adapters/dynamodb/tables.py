"""Create the tables from the pynamodb models (the local stack and the tests; infra/ mirrors them)."""

from __future__ import annotations

from chalicelib.adapters.dynamodb.items import ALL_MODELS, DirectoryItem, IdempotencyItem


def ensure_tables() -> list[str]:
    created = []
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(billing_mode='PAY_PER_REQUEST', wait=True)
            created.append(model.Meta.table_name)
    _enable_ttl()
    return created


def _enable_ttl() -> None:
    IdempotencyItem.update_ttl(ignore_update_ttl_errors=True)
    DirectoryItem.update_ttl(ignore_update_ttl_errors=True)  # liveness challenges
