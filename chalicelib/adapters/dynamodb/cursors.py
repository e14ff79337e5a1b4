"""Opaque pagination cursors: the DynamoDB LastEvaluatedKey, JSON, base64url."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chalicelib.domain.errors import MalformedRequest


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, sort_keys=True, separators=(',', ':')).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip('=')


def decode_cursor(cursor: str | None, expected_keys: frozenset[str]) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + '=' * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError):
        raise MalformedRequest('cursor is not one this API issued') from None
    if not isinstance(key, dict) or set(key) != expected_keys:
        raise MalformedRequest('cursor is not one this API issued')
    return key
