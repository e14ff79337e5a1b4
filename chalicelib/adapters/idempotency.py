"""Retry-safe writes: Powertools idempotency on the DynamoDB idempotency table."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from chalicelib import resource_names as names
from chalicelib.adapters.clients import boto3_client
from chalicelib.domain.errors import IdempotencyKeyReused, RequestInProgress
from chalicelib.settings import get_settings

Result = dict[str, Any]


@lru_cache(maxsize=1)
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=get_settings().table(names.TABLE_IDEMPOTENCY), boto3_client=boto3_client('dynamodb')
    )


def run_once(
    scope: str, idempotency_key: str, payload: Any, operation: Callable[[], Result], lambda_context: Any = None
) -> Result:
    """Run `operation` once per (scope, key); a retry gets the first answer, a different payload an error."""
    config = IdempotencyConfig(
        event_key_jmespath='[scope, key]',
        payload_validation_jmespath='payload',
        expires_after_seconds=get_settings().idempotency_ttl_seconds,
        raise_on_no_idempotency_key=True,
    )
    if lambda_context is not None and hasattr(lambda_context, 'get_remaining_time_in_millis'):
        # Lets a record left in progress by a timed-out invocation expire with that invocation.
        config.register_lambda_context(lambda_context)

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument='request', persistence_store=_persistence(), config=config
    )
    def idempotent_write(request: dict[str, Any]) -> Result:
        return operation()

    try:
        result: Result = idempotent_write(request={'scope': scope, 'key': idempotency_key, 'payload': payload})
        return result
    except IdempotencyValidationError:
        raise IdempotencyKeyReused('this Idempotency-Key was already used with a different request body') from None
    except IdempotencyAlreadyInProgressError:
        raise RequestInProgress('a request with this Idempotency-Key is still being processed; retry shortly') from None


def reset_cache() -> None:
    _persistence.cache_clear()
