"""A request-body cap for the upload routes, enforced while the body streams in.

FastAPI parses a multipart body (spooling every file to disk) before the handler runs, so the
per-file 20 MB check alone would still let a client stream gigabytes first. Routes of
`UploadLimitRoute` refuse a declared Content-Length over the cap before reading anything, and
stop reading a chunked body as soon as it passes the cap. The cap leaves room for multipart
framing; the precise per-file check (naming the file) still runs in `page_service`. Every other
body has the request guard's smaller cap (shared/api/request_guard.py), which steps aside for
these routes.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from starlette.exceptions import HTTPException
from starlette.types import Message

from config import get_settings
from shared.api.request_guard import OWN_BODY_LIMIT
from shared.api.route import ApiRoute
from shared.errors import PayloadTooLargeError

MULTIPART_OVERHEAD = 1024 * 1024  # headers and boundaries around the files


class _BodyTooLarge(HTTPException):
    # An HTTPException, so FastAPI's body parsing re-raises it unchanged for us to translate.
    def __init__(self) -> None:
        super().__init__(status_code=413)


def body_limit(path: str) -> int:
    settings = get_settings()
    files = settings.max_bulk_files if path.endswith("/bulk") else 1
    return files * settings.max_upload_bytes + MULTIPART_OVERHEAD


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The upload is larger than {limit // (1024 * 1024)} MB; "
        f"each image may be at most {get_settings().max_upload_bytes // (1024 * 1024)} MB.",
        code="request_too_large",
    )


class UploadLimitRoute(ApiRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        path = self.path

        async def limited_handler(request: Request) -> Response:
            limit = body_limit(path)
            # Tells the app-wide request guard that this route caps its own body.
            request.scope[OWN_BODY_LIMIT] = limit
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise _too_large(limit)
            received = 0
            receive = request.receive

            async def limited_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise _BodyTooLarge()
                return message

            try:
                return await handler(Request(request.scope, limited_receive))
            except _BodyTooLarge:
                raise _too_large(limit) from None

        return limited_handler
