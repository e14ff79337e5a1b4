"""The one pynamodb Meta, driven by settings, for every table."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pynamodb.connection import Connection

from chalicelib.settings import get_settings

CONNECT_TIMEOUT_SECONDS = 2


def meta_for(purpose: str) -> Any:
    settings = get_settings()
    attrs: dict[str, Any] = {
        'table_name': settings.table(purpose),
        'region': settings.region,
        'billing_mode': 'PAY_PER_REQUEST',
        'connect_timeout_seconds': CONNECT_TIMEOUT_SECONDS,
        'read_timeout_seconds': settings.aws_read_timeout_seconds,
    }
    if settings.aws_endpoint_url:
        attrs['host'] = settings.aws_endpoint_url
    return type('Meta', (), attrs)


def index_meta(name: str) -> Any:
    from pynamodb.indexes import AllProjection

    return type('Meta', (), {'index_name': name, 'projection': AllProjection()})


@lru_cache(maxsize=1)
def connection() -> Connection:
    """One connection (and botocore client) per container: building a client costs ~0.1 s."""
    settings = get_settings()
    return Connection(region=settings.region, host=settings.aws_endpoint_url or None)
