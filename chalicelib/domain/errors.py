"""The DomainError tree. Each error carries a stable machine code; api/errors.py maps classes to HTTP."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldIssue:
    path: str
    message: str


class DomainError(Exception):
    code = 'domain_error'

    def __init__(
        self,
        message: str,
        *,
        fields: tuple[FieldIssue, ...] = (),
        details: dict[str, object] | None = None,
        code: str | None = None,
    ):
        super().__init__(message)
        if code is not None:
            self.code = code  # a more specific code the client acts on, under the class's HTTP status
        self.message = message
        self.fields = fields
        self.details = details or {}


class ValidationFailed(DomainError):
    code = 'validation_failed'


class MalformedRequest(DomainError):
    code = 'malformed_request'


class PayloadTooLarge(DomainError):
    code = 'payload_too_large'


class UnsupportedMediaType(DomainError):
    code = 'unsupported_media_type'


class Unauthenticated(DomainError):
    code = 'unauthenticated'


class Forbidden(DomainError):
    code = 'forbidden'


class NotFound(DomainError):
    code = 'not_found'


class Conflict(DomainError):
    code = 'conflict'


class IdempotencyKeyReused(DomainError):
    code = 'idempotency_key_reused'


class RequestInProgress(DomainError):
    code = 'request_in_progress'


class Gone(DomainError):
    code = 'gone'


class TooManyRequests(DomainError):
    code = 'too_many_requests'


class ServiceBusy(DomainError):
    code = 'service_busy'
