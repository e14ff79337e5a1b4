"""A phone in tests: an ECDSA P-256 key pair that signs requests exactly as the web app does (docs/checkin.md)."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from chalicelib.domain.device_auth import signed_text


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip('=')


class Phone:
    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.device_id: str | None = None

    def public_jwk(self) -> dict[str, str]:
        numbers = self.key.public_key().public_numbers()
        return {'kty': 'EC', 'crv': 'P-256', 'x': b64url(numbers.x.to_bytes(32, 'big')),
                'y': b64url(numbers.y.to_bytes(32, 'big'))}  # fmt: skip

    def sign(
        self, method: str, path: str, body: bytes = b'', query: Mapping[str, str] | None = None, *,
        timestamp_ms: int | None = None, nonce: str | None = None, device_id: str | None = None,
    ) -> dict[str, str]:  # fmt: skip
        timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
        nonce = nonce or b64url(secrets.token_bytes(16))
        text = signed_text(method, path, query or {}, timestamp, nonce, body)
        r, s = decode_dss_signature(self.key.sign(text, ec.ECDSA(hashes.SHA256())))
        return {
            'X-Hadir-Device': device_id or self.device_id or '', 'X-Hadir-Timestamp': timestamp,
            'X-Hadir-Nonce': nonce, 'X-Hadir-Signature': b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big')),
        }  # fmt: skip

    def signed_json(self, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[bytes, dict[str, str]]:
        raw = json.dumps(body).encode() if body is not None else b''
        headers = self.sign(method, path, raw, **kwargs)
        if body is not None:
            headers['Content-Type'] = 'application/json'
        return raw, headers
