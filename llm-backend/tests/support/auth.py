"""Test helpers for authentication: RSA keys, Cognito-shaped tokens, a real JWKS HTTP server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter
from jwt.algorithms import RSAAlgorithm

# Module level: the probe routes' annotations are strings resolved in this module's globals.
from shared.auth.dependencies import AdminUser, OwnedSession

REGION = "eu-west-1"
POOL_ID = "eu-west-1_TestPool1"
CLIENT_ID = "test-app-client"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"


class SigningKey:
    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private_key = _rsa_key(kid)

    def public_jwk(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@cache
def _rsa_key(kid: str) -> rsa.RSAPrivateKey:
    # Key generation is the slow part; one key per kid for the whole run.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


KEY = SigningKey("test-key-1")  # the key the test pool's JWKS publishes
OTHER_KEY = SigningKey("test-key-2")  # a key nobody publishes


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [k.public_jwk() for k in keys]}


def claims(
    *,
    sub: str = "user-a",
    token_use: str = "id",
    groups: list[str] | None = None,
    issuer: str = ISSUER,
    client_id: str = CLIENT_ID,
    expires_in: int = 3600,
    issued_offset: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    """Claims like Cognito's: `aud` on id tokens, `client_id` on access tokens."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": issuer,
        "sub": sub,
        "token_use": token_use,
        "iat": now + issued_offset,
        "auth_time": now + issued_offset,
        "exp": now + expires_in,
        "jti": str(uuid.uuid4()),
    }
    if token_use == "access":
        payload.update(client_id=client_id, username=sub)
    else:
        payload.update({"aud": client_id, "cognito:username": sub})
    if groups is not None:
        payload["cognito:groups"] = groups
    payload.update(extra)
    return {k: v for k, v in payload.items() if v is not None}


def sign(payload: dict[str, Any], key: SigningKey, *, kid: str | None = "") -> str:
    headers = {} if kid is None else {"kid": kid or key.kid}
    return jwt.encode(payload, key.private_key, algorithm="RS256", headers=headers)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_token(header: dict, payload: dict, signature: bytes = b"") -> str:
    """A token assembled by hand, for forgeries PyJWT refuses to produce."""
    parts = [b64(json.dumps(header).encode()), b64(json.dumps(payload).encode())]
    return ".".join([*parts, b64(signature)])


def hs256_with_public_key(payload: dict[str, Any], key: SigningKey) -> str:
    """The classic key-confusion forgery: HMAC keyed with the RSA public key's PEM."""
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = ".".join(
        [b64(json.dumps(header).encode()), b64(json.dumps(payload).encode())]
    ).encode()
    digest = hmac.new(key.public_pem(), signing_input, hashlib.sha256).digest()
    return signing_input.decode() + "." + b64(digest)


def tamper(token: str, **changes: Any) -> str:
    """The token with its payload changed and the original signature kept."""
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded.update(changes)
    return ".".join([header, b64(json.dumps(decoded).encode()), signature])


class JwksServer:
    """A real HTTP server on 127.0.0.1 that serves a JWKS; it can be told to fail."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.status = 200
        self.body: bytes | None = None  # overrides the JSON document when set
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                body = server.body
                if body is None:
                    body = json.dumps(server.document).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll interval: shutdown() waits up to one interval.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/.well-known/jwks.json"

    def start(self) -> JwksServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


def closed_port_url() -> str:
    """A URL on a loopback port nobody listens on: connections are refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/.well-known/jwks.json"


class FakeClock:
    """Monotonic time the test moves by hand, so no test waits for a minute to pass."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def build_test_app():
    """The real app plus two probe routes: an admin route, and a route that loads a tutoring
    session through the ownership dependency (no session routes exist yet)."""
    from main import create_app

    probe = APIRouter()

    @probe.get("/api/admin/probe")
    def admin_probe(admin: AdminUser) -> dict:
        return {"admin": admin.cognito_sub}

    @probe.get("/test/sessions/{session_id}")
    def owned_session_probe(session: OwnedSession) -> dict:
        return {"id": session.id, "user_id": session.user_id}

    app = create_app()
    app.include_router(probe)
    return app
