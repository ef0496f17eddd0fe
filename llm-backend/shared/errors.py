"""The one error hierarchy: each error carries a code, an HTTP status and a message safe to show.

Domain code raises these; `shared.api.error_handlers` turns them into the one error body
(`error_body`):

    {"error": {"code": ..., "message": ...}, "detail": ..., "errors": [...]}

- `detail` is what the learnlikemagic frontend shows (it reads `body.detail`): the message
  again, as a string; or, for an error raised with `detail_fields`, an object
  `{"message": <the message>, **detail_fields}` (the exam conflict's
  `{message, existing_session_id}`, which the client follows to the existing session).
- `errors` is on every 422 only: one `{loc, msg, type}` per invalid field, `loc` as FastAPI
  spells it (`["body", "title"]`, `["query", "limit"]`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def field_error(loc: Sequence[str | int], msg: str, type_: str) -> dict[str, Any]:
    """One entry of a 422's `errors` list."""
    return {"loc": list(loc), "msg": msg, "type": type_}


def error_body(
    code: str,
    message: str,
    *,
    detail: str | Mapping[str, Any] | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "error": {"code": code, "message": message},
        "detail": message if detail is None else detail,
    }
    if errors is not None:
        body["errors"] = [dict(e) for e in errors]
    return body


class AppError(Exception):
    status_code: int = 500
    code: str = "internal_error"
    # Seconds after which the same request may work; the response's `Retry-After` header.
    # A class sets it for all its errors, or an error is raised with its own.
    retry_after_seconds: int | None = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        detail_fields: Mapping[str, Any] | None = None,
        retry_after_seconds: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if retry_after_seconds is not None:
            self.retry_after_seconds = retry_after_seconds
        self.headers = dict(headers or {})
        if self.retry_after_seconds is not None:
            self.headers["Retry-After"] = str(self.retry_after_seconds)
        # Extra fields a client acts on; the body's `detail` becomes {message, **fields}.
        self.detail_fields = dict(detail_fields or {})
        if "message" in self.detail_fields:
            raise ValueError("detail_fields must not override the message")

    @property
    def detail(self) -> str | dict[str, Any]:
        if not self.detail_fields:
            return self.message
        return {"message": self.message, **self.detail_fields}


class BadRequestError(AppError):
    status_code = 400
    code = "bad_request"


class AuthenticationError(AppError):
    status_code = 401
    code = "unauthorized"


class PermissionDeniedError(AppError):
    status_code = 403
    code = "forbidden"


class NotFoundError(AppError):
    status_code = 404
    code = "not_found"


class ConflictError(AppError):
    status_code = 409
    code = "conflict"


class PreconditionFailedError(AppError):
    """A conditional request (`If-Match`) whose condition no longer holds: nothing was done."""

    status_code = 412
    code = "precondition_failed"


class PayloadTooLargeError(AppError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaTypeError(AppError):
    status_code = 415
    code = "unsupported_media_type"


class ValidationFailedError(AppError):
    status_code = 422
    code = "validation_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
    ):
        super().__init__(message, code=code)
        # Without a field list the error is about the request as a whole (`loc` empty).
        self.errors = list(errors) if errors else [field_error([], message, self.code)]


class TooManyRequestsError(AppError):
    """A client went over a rate limit; `Retry-After` says when its window ends."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message, retry_after_seconds=retry_after_seconds)


class ServiceUnavailableError(AppError):
    """A dependency (database, model provider, storage, key server) is not answering."""

    status_code = 503
    code = "service_unavailable"


class DatabaseUnavailableError(ServiceUnavailableError):
    """The server cannot be reached: refused or lost connection, shutdown, pool exhausted."""

    code = "database_unavailable"


class DatabaseBusyError(ServiceUnavailableError):
    """The database answered but could not finish the work now: a deadlock or serialization
    failure that outlived its retries, or a lock wait past DB_LOCK_TIMEOUT_MS. Nothing was
    changed; the same request can be sent again after `Retry-After` seconds."""

    code = "database_busy"
    retry_after_seconds = 1

    def __init__(self, message: str = "The database is busy; try again in a moment.") -> None:
        super().__init__(message)


class KeyServerUnavailableError(ServiceUnavailableError):
    """The token signing keys (JWKS) could not be fetched and the token's key is not cached."""

    code = "key_server_unavailable"


class ConfigurationError(AppError):
    """The server's settings are wrong or contradictory (e.g. AUTH_MODE=local in production);
    the full reason is logged, the response says only that the server is misconfigured."""

    code = "server_misconfigured"


class MigrationError(AppError):
    """A schema migration could not run; the message says what to do."""

    code = "migration_failed"
