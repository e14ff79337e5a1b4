"""API key tokens: `hdr_<key id>_<secret>`. Only a SHA-256 of the secret is ever stored.

The secret carries 256 random bits, so a fast hash is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

TOKEN_PREFIX = 'hdr'
SECRET_BYTES = 32
KEY_ID_BYTES = 8
_TOKEN = re.compile(r'^hdr_([a-z2-7]{13})_([A-Za-z0-9_-]{43})$')


def key_id_from_bytes(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip('=').lower()


def secret_from_bytes(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip('=')


def format_token(key_id: str, secret: str) -> str:
    return f'{TOKEN_PREFIX}_{key_id}_{secret}'


def parse_token(token: str) -> tuple[str, str] | None:
    match = _TOKEN.fullmatch(token)
    return (match.group(1), match.group(2)) if match else None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
