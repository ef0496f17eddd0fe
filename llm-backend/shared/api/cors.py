"""CORS: browser pages on the allowed origins (setting CORS_ALLOWED_ORIGINS) may call the API.

The app's outermost middleware (main.py), so that every answer passes through it: the request
guard's 413/422, the error handlers' bodies and the last-resort 500 of the request-id
middleware all carry the CORS headers, and a browser shows the error instead of a network
failure. A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered
here, on any path, before authentication and the request guard; a preflight that asks for
something not allowed is a 400 error body without `Access-Control-Allow-Origin`.

No credentials: the frontend sends its token in `Authorization` and no cookies, so
`Access-Control-Allow-Credentials` is never sent, even with `*`.

API Gateway answers preflights itself in AWS; infra/template.yaml's `CorsConfiguration` uses
these same lists (tests/infra check it).
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware as StarletteCors
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from config import get_settings
from shared.api.asgi import HttpMiddleware
from shared.errors import error_body

ALLOW_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# The frontend sends Authorization and Content-Type (JSON, even on GET); this project's
# console sends If-Match on page deletes; a client may name its request id.
ALLOW_HEADERS = ("Authorization", "Content-Type", "If-Match", "X-Request-ID")
EXPOSE_HEADERS = ("ETag", "Retry-After", "X-Request-ID")
MAX_AGE_SECONDS = 600


class _Cors(StarletteCors):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        # Starlette refuses with plain text; the API's errors are all one JSON body.
        message = (
            f"This cross-origin request is not allowed "
            f"({bytes(response.body).decode('utf-8', 'replace')})."
        )
        headers = {
            k: v for k, v in response.headers.items() if k.lower().startswith(("access-", "vary"))
        }
        return Response(
            json.dumps(error_body("cors_not_allowed", message)),
            status_code=400,
            headers=headers,
            media_type="application/json",
        )


class CorsMiddleware(HttpMiddleware):
    """Reads the allowed origins from the settings per request (they are cached, and tests
    change them), and keeps one Starlette CORS middleware per set of origins."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app)
        self._origins: tuple[str, ...] | None = None
        self._cors: _Cors | None = None

    def _for(self, origins: tuple[str, ...]) -> _Cors:
        if self._cors is None or origins != self._origins:
            self._cors = _Cors(
                self.app,
                allow_origins=origins,
                allow_methods=ALLOW_METHODS,
                allow_headers=ALLOW_HEADERS,
                expose_headers=EXPOSE_HEADERS,
                allow_credentials=False,
                max_age=MAX_AGE_SECONDS,
            )
            self._origins = origins
        return self._cors

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        cors = self._for(get_settings().effective_cors_allowed_origins)
        await cors(scope, receive, send)
