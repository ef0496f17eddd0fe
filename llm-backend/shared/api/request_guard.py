"""The one input check at the edge, as a pure ASGI middleware (no per-route code).

Before any route runs:
- text the database cannot store (NUL, unpaired surrogates) in the query string, a JSON or
  URL-encoded body, or a multipart form's field names, values and file names is a 422
  `validation_error` naming the field (`input_scan`). Path parameters get the same check from
  `shared.api.route.ApiRoute` as soon as routing has named them;
- a request body above `max_json_body_bytes` is a 413 `payload_too_large`: a declared
  Content-Length is refused before a byte is read, a chunked body as soon as the running count
  passes the limit. Upload routes (multipart) keep their own, larger cap: they put it in the
  scope under OWN_BODY_LIMIT (shared/api/upload_limit.py) and this guard then only
  scans their headers and plain fields as they stream through.

Non-multipart bodies are read here, bounded, and replayed to the app, so no route parses one
that is too large or holds bad text. A multipart body streams on to the route; the guard
raises InputRejected (an HTTPException, which FastAPI's body parsing re-raises unchanged) from
`receive` when it sees a problem, and the app's HTTP error handler answers it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope, Send

from config import get_settings
from shared.api.asgi import HttpMiddleware
from shared.api.error_handlers import error_response
from shared.api.input_scan import BadText, MultipartScanner, check_json, check_pairs
from shared.uploads import size_text

# A route that caps its own (upload) body sets this scope key before reading the body.
OWN_BODY_LIMIT = "tutor.own_body_limit"


class InputRejected(HTTPException):
    """Raised from `receive` while a route reads a multipart body; 413 or 422."""

    def __init__(self, status_code: int, detail: str, bad: BadText | None = None) -> None:
        super().__init__(status_code, detail)
        # The app's HTTP error handler puts these in the 422's `errors`.
        self.field_errors = [bad.field_error()] if bad is not None else None


class _TooLarge(Exception):
    pass


def _too_large_message(limit: int) -> str:
    return f"The request body is larger than {size_text(limit)}; send a smaller body."


def _declared_length(headers: Headers) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _media_type(headers: Headers) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _is_json(media_type: str) -> bool:
    # No Content-Type is checked as JSON too: some FastAPI versions parse it as JSON.
    return media_type in ("", "application/json") or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, Message | None]:
    """The whole body (at most `limit` bytes), and a disconnect that ended it early, if any."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _replay(body: bytes, ended: Message | None, receive: Receive) -> Receive:
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    if ended is not None:
        pending = [ended]

    async def replay() -> Message:
        # After the body, further calls wait for the disconnect as they would have.
        return pending.pop(0) if pending else await receive()

    return replay


class _MultipartReceive:
    def __init__(self, scope: Scope, receive: Receive, headers: Headers) -> None:
        self._scope = scope
        self._receive = receive
        self._declared = _declared_length(headers)
        self._scanner = MultipartScanner(headers.get("content-type", ""))
        self._limit: int | None = None
        self._started = False
        self._received = 0

    async def __call__(self) -> Message:
        if not self._started:
            # Decided at the first read, when routing has run and an upload route has said
            # that it caps its own body.
            self._started = True
            if OWN_BODY_LIMIT not in self._scope:
                self._limit = get_settings().max_json_body_bytes
                if self._declared is not None and self._declared > self._limit:
                    raise InputRejected(413, _too_large_message(self._limit))
        message = await self._receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            self._received += len(chunk)
            if self._limit is not None and self._received > self._limit:
                raise InputRejected(413, _too_large_message(self._limit))
            try:
                self._scanner.feed(chunk)
            except BadText as exc:
                raise InputRejected(422, exc.message, exc) from None
        return message


class RequestGuardMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        media_type = _media_type(headers)
        limit = get_settings().max_json_body_bytes
        try:
            query = scope.get("query_string", b"").decode("latin-1")
            check_pairs("query", parse_qsl(query, keep_blank_values=True))
            if media_type == "multipart/form-data":
                receive = _MultipartReceive(scope, receive, headers)
            else:
                declared = _declared_length(headers)
                if declared is not None and declared > limit:
                    raise _TooLarge
                body, ended = await _read_body(receive, limit)
                if _is_json(media_type):
                    check_json(body)
                elif media_type == "application/x-www-form-urlencoded":
                    form = body.decode("latin-1")
                    check_pairs("form", parse_qsl(form, keep_blank_values=True))
                receive = _replay(body, ended, receive)
        except BadText as exc:
            response = error_response(
                422, "validation_error", exc.message, errors=[exc.field_error()]
            )
            await response(scope, receive, send)
            return
        except _TooLarge:
            message = _too_large_message(limit)
            await error_response(413, "payload_too_large", message)(scope, receive, send)
            return
        await self.app(scope, receive, send)
