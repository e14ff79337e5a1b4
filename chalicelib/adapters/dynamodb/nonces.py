"""Replay protection for signed device requests: each nonce is claimed once, in the idempotency table, and
expires with DynamoDB's TTL once its timestamp could no longer pass the freshness check anyway."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import PutError

from chalicelib.adapters.dynamodb.items import IdempotencyItem


class DynamoNonceBook:
    def claim(self, scope: str, nonce: str, expires_at: datetime) -> bool:
        item = IdempotencyItem(f'nonce#{scope}#{nonce}', expiration=expires_at)
        try:
            item.save(condition=IdempotencyItem.id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == 'ConditionalCheckFailedException':
                return False
            raise
        return True
