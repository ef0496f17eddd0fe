"""Maps every error to `{"error": {"code", "message"}}` with the right status."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import AppError
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


def error_response(status: int, code: str, message: str, headers: dict | None = None):
    return JSONResponse(
        status_code=status, content={"error": {"code": code, "message": message}}, headers=headers
    )


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        location = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))
        parts.append(f"{location or 'request'}: {err.get('msg', 'invalid value')}")
    return "; ".join(parts) or "invalid request"


UNAVAILABLE_ERRORS = (OperationalError, InterfaceError, PoolTimeoutError)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError):
        return error_response(exc.status_code, exc.code, exc.message, exc.headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        return error_response(422, "validation_error", _describe_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException):
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, message, getattr(exc, "headers", None))

    @app.exception_handler(PoolTimeoutError)
    @app.exception_handler(DBAPIError)
    async def _database(_: Request, exc: Exception):
        # A stopped server, a lost connection or an exhausted pool is a dependency failure
        # (503); anything else from the driver is a bug: a 500, logged with its trace.
        unavailable = isinstance(exc, UNAVAILABLE_ERRORS) or getattr(
            exc, "connection_invalidated", False
        )
        if unavailable:
            get_logger().warning("database unavailable: %s", type(exc).__name__)
            return error_response(
                503, "database_unavailable", "The database is not reachable; try again shortly."
            )
        get_logger().exception("database error")
        return error_response(500, "internal_error", "An unexpected error occurred.")
