"""Maps every error to the one error body (`shared.errors.error_body`: `error {code, message}`,
`detail`, and on a 422 `errors`) with the right status."""

from __future__ import annotations

import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.db_errors import classify, log_text
from shared.errors import AppError, DatabaseBusyError, error_body, field_error
from shared.observability.logging import get_logger

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "service_unavailable",
}


def error_response(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    detail: str | dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    if status == 422 and errors is None:
        # Every 422 carries a field list; this one names no field (the request as a whole).
        errors = [field_error([], message, code)]
    return JSONResponse(
        status_code=status,
        content=error_body(code, message, detail=detail, errors=errors),
        headers=headers,
    )


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        location = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))
        parts.append(f"{location or 'request'}: {err.get('msg', 'invalid value')}")
    return "; ".join(parts) or "invalid request"


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only loc, msg and type: pydantic's `input` would echo what was sent (a password, a
    # megabyte of text) and its `ctx` can hold objects JSON cannot carry.
    return [
        field_error(err.get("loc", ()), err.get("msg", "invalid value"), err.get("type", "invalid"))
        for err in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return error_response(
            exc.status_code,
            exc.code,
            exc.message,
            exc.headers or None,
            detail=exc.detail,
            errors=getattr(exc, "errors", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(
            422, "validation_error", _describe_validation(exc), errors=_field_errors(exc)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(
            exc.status_code,
            code,
            message,
            getattr(exc, "headers", None),
            errors=getattr(exc, "field_errors", None),
        )

    @app.exception_handler(PoolTimeoutError)
    @app.exception_handler(DBAPIError)
    async def _database(_: Request, exc: Exception) -> JSONResponse:
        # Classified by SQLSTATE (shared.db_errors): busy (deadlock or serialization failure
        # after its retries, lock timeout) and unreachable are 503s; anything else from the
        # driver is a bug, a 500. Log lines carry the SQLSTATE, constraint and table only:
        # the driver's message can quote values (a unique violation's DETAIL does).
        error = classify(exc)
        if error is not None:
            kind = "busy" if isinstance(error, DatabaseBusyError) else "unavailable"
            get_logger().warning("database %s: %s", kind, log_text(exc))
            return error_response(503, error.code, error.message, error.headers or None)
        frames = "".join(traceback.format_tb(exc.__traceback__))
        get_logger().error("database error: %s\n%s", log_text(exc), frames)
        return error_response(500, "internal_error", "An unexpected error occurred.")
