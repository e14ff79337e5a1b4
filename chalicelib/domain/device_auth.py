"""Device binding for the web app: requests signed by a non-extractable ECDSA P-256 key the browser made with
WebCrypto. The signed text is fixed by docs/checkin.md; this module is its one reader."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import quote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from chalicelib.domain.strict import ascii_int

SCHEME = 'HADIR-DEVICE-V1'
MAX_CLOCK_DIFFERENCE = timedelta(minutes=2)
NONCE_PATTERN = re.compile(r'[A-Za-z0-9_-]{16,64}')
TIMESTAMP_DIGITS = 15
P256_COORDINATE_BYTES = 32


class DeviceAuthError(ValueError):
    """Why a signed request is refused; `code` is the API's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError('not base64url') from None


def canonical_query(params: Mapping[str, str]) -> str:
    return '&'.join(f'{quote(k, safe="")}={quote(v, safe="")}' for k, v in sorted(params.items()))


def signed_text(method: str, path: str, query: Mapping[str, str], timestamp: str, nonce: str, body: bytes) -> bytes:
    lines = (SCHEME, method.upper(), path, canonical_query(query), timestamp, nonce, hashlib.sha256(body).hexdigest())
    return '\n'.join(lines).encode()


def public_key_from_jwk(jwk: Mapping[str, object]) -> ec.EllipticCurvePublicKey:
    """The P-256 public key of a WebCrypto JWK export; ValueError for anything else."""
    if jwk.get('kty') != 'EC' or jwk.get('crv') != 'P-256':
        raise ValueError('public_key must be an EC P-256 JWK')
    if 'd' in jwk:
        raise ValueError('public_key contains a private key; send only the public part')
    x, y = jwk.get('x'), jwk.get('y')
    if not isinstance(x, str) or not isinstance(y, str):
        raise ValueError('public_key needs x and y')
    x_bytes, y_bytes = b64url_decode(x), b64url_decode(y)
    if len(x_bytes) != P256_COORDINATE_BYTES or len(y_bytes) != P256_COORDINATE_BYTES:
        raise ValueError('public_key x and y must be 32 bytes each')
    try:
        return ec.EllipticCurvePublicNumbers(
            int.from_bytes(x_bytes, 'big'), int.from_bytes(y_bytes, 'big'), ec.SECP256R1()
        ).public_key()
    except ValueError:
        raise ValueError('public_key is not a point on P-256') from None


def signature_is_valid(jwk: Mapping[str, object], text: bytes, signature: str) -> bool:
    """WebCrypto's ECDSA signature is the raw r‖s (64 bytes), not DER."""
    try:
        raw = b64url_decode(signature)
        key = public_key_from_jwk(jwk)
    except ValueError:
        return False
    if len(raw) != 2 * P256_COORDINATE_BYTES:
        return False
    r, s = int.from_bytes(raw[:32], 'big'), int.from_bytes(raw[32:], 'big')
    try:
        key.verify(encode_dss_signature(r, s), text, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def check_freshness(timestamp: str, nonce: str, now: datetime) -> None:
    millis = ascii_int(timestamp, max_digits=TIMESTAMP_DIGITS)
    if millis is None:
        raise DeviceAuthError('device_signature_missing', 'X-Hadir-Timestamp must be Unix milliseconds')
    if not NONCE_PATTERN.fullmatch(nonce):
        raise DeviceAuthError('device_signature_missing', 'X-Hadir-Nonce must be 16-64 base64url characters')
    difference = abs(now.timestamp() * 1000 - millis)
    if difference > MAX_CLOCK_DIFFERENCE.total_seconds() * 1000:
        raise DeviceAuthError(
            'stale_timestamp',
            f'the request time is {difference / 60000:.1f} minutes away from the server time; '
            'set the phone clock to automatic and try again',
        )
