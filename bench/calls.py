"""Counting the AWS calls a piece of work makes, for the benchmarks and the tests that hold call budgets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def counting_calls(service: str | None = None) -> Iterator[Counter[str]]:
    """Every call made through botocore (boto3 and pynamodb alike) while the block runs: keyed by operation for
    one ``service`` ('dynamodb'), otherwise by 'service:Operation'."""
    from botocore.client import BaseClient

    counts: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counted(self: Any, operation: str, params: Any) -> Any:
        name = self.meta.service_model.service_name
        if service is None:
            counts[f'{name}:{operation}'] += 1
        elif name == service:
            counts[operation] += 1
        return original(self, operation, params)

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def of_service(calls: Counter[str], service: str) -> dict[str, int]:
    """One service's share of a 'service:Operation' count, by operation."""
    return {name.split(':', 1)[1]: n for name, n in sorted(calls.items()) if name.startswith(f'{service}:')}
