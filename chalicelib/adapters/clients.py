"""Lazily created, cached boto3 clients: importing a module never opens a connection."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.settings import get_settings


@cache
def boto3_client(service: str, region: str | None = None) -> Any:
    settings = get_settings()
    client: Any = boto3.client(  # type: ignore[call-overload]
        service,
        region_name=region or settings.region,
        endpoint_url=settings.aws_endpoint_url or None,
        config=Config(
            retries={'mode': 'standard', 'max_attempts': 5},
            connect_timeout=2,
            read_timeout=settings.aws_read_timeout_seconds,
        ),
    )
    return client


def reset_clients() -> None:
    boto3_client.cache_clear()
