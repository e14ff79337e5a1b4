"""The embedded AWS answers DynamoDB reads as plain JSON.

moto 5.2 serialises every answer through a generic, shape-driven serializer: each attribute value of each item
walks the botocore shape of AttributeValue (ten members), so a read of 1,000 employee records (19 attribute
values each) spends seconds there, and a console screen of a 1,000-person OPD takes several seconds on
`make run` that DynamoDB serves in a fraction of one. The item reads (GetItem, BatchGetItem, Query, Scan) are
answered here as DynamoDB itself writes them, JSON with binary values in base64; every other operation, and
every error, still goes through moto's serializer. Local stack only: nothing under chalicelib imports this.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

FAST_OPERATIONS = frozenset({'GetItem', 'BatchGetItem', 'Query', 'Scan'})


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f'{type(value).__name__} is not serialisable')


def install() -> None:
    """Answer DynamoDB item reads of this process's moto (in-process or server) as plain JSON."""
    from moto.core import serialize

    class ItemReadSerializer(serialize.JSONSerializer):
        def _serialize_result(self, resp: Any, result: Any) -> Any:
            if self.operation_model.name not in FAST_OPERATIONS or not isinstance(result, dict):
                return super()._serialize_result(resp, result)
            resp['body'] = json.dumps(result, default=_plain, separators=(',', ':'))
            resp['headers']['Content-Type'] = self._get_protocol_specific_content_type()
            return resp

    serialize.SERVICE_SPECIFIC_SERIALIZERS.setdefault('dynamodb', {})['json'] = ItemReadSerializer
