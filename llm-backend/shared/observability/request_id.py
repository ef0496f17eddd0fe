"""ASGI middleware: a request id for every request, in every log line and the response header.

It is also the last line of defence: an exception nothing else handled is logged with its trace
and answered with a generic 500 that never echoes the exception.
"""

from __future__ import annotations

import json
import re
import uuid

from starlette.types import Message, Receive, Scope, Send

from shared.api.asgi import HttpMiddleware
from shared.errors import error_body
from shared.observability.logging import get_logger, request_id_var

HEADER = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _pick_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == HEADER.encode():
            candidate: str = value.decode("latin-1")
            if _SAFE_ID.match(candidate):
                return candidate
    context = scope.get("aws.context")
    lambda_id = getattr(context, "aws_request_id", None)
    if lambda_id:
        return str(lambda_id)
    return uuid.uuid4().hex


class RequestIdMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = _pick_request_id(scope)
        token = request_id_var.set(request_id)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            get_logger().exception(
                "unhandled error", extra={"path": scope.get("path"), "method": scope.get("method")}
            )
            if started:
                raise
            content = error_body("internal_error", "An unexpected error occurred.")
            body = json.dumps(content).encode()
            await send_with_id(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send_with_id({"type": "http.response.body", "body": body})
        finally:
            request_id_var.reset(token)
