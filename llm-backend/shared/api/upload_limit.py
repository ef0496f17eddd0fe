"""A request-body cap for upload routes, enforced while the body streams in.

FastAPI parses a multipart body (spooling every file to disk) before the handler runs, so a
per-file size check alone would still let a client stream gigabytes first. A route class
derived from `CappedBodyRoute` refuses a declared Content-Length over its cap before reading
anything, and stops reading a chunked body as soon as it passes the cap. The cap leaves room
for multipart framing; the precise per-file check (naming the file) runs when the file is read
(shared.uploads.read_limited). Every other body has the request guard's smaller cap
(shared/api/request_guard.py), which steps aside for these routes.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from starlette.exceptions import HTTPException
from starlette.types import Message

from shared.api.request_guard import OWN_BODY_LIMIT
from shared.api.route import ApiRoute
from shared.errors import PayloadTooLargeError
from shared.uploads import size_text

MULTIPART_OVERHEAD = 1024 * 1024  # headers and boundaries around the files


class _BodyTooLarge(HTTPException):
    # An HTTPException, so FastAPI's body parsing re-raises it unchanged for us to translate.
    def __init__(self) -> None:
        super().__init__(status_code=413)


class CappedBodyRoute(ApiRoute):
    """Subclasses say how large the body of a route may be, and how large one of its files."""

    # One file of the body, as the 413 names it ("each image", "a recording").
    file_role = "each file"

    def body_limit(self) -> int:
        raise NotImplementedError

    def file_limit(self) -> int:
        raise NotImplementedError

    def too_large(self, limit: int) -> PayloadTooLargeError:
        return PayloadTooLargeError(
            f"The upload is larger than {size_text(limit)}; "
            f"{self.file_role} may be at most {size_text(self.file_limit())}.",
            code="request_too_large",
        )

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited_handler(request: Request) -> Response:
            limit = self.body_limit()
            # Tells the app-wide request guard that this route caps its own body.
            request.scope[OWN_BODY_LIMIT] = limit
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise self.too_large(limit)
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
                raise self.too_large(limit) from None

        return limited_handler
