"""A development token issuer: a local RSA key that signs Cognito-shaped tokens.

With `AUTH_MODE=local` the verifier trusts this key's JWKS through the same code path as
Cognito's, so local runs exercise real signature and claim checks. The key lives under
`llm-backend/data/` (git-ignored), is created on first use with mode 0600, and is never used
in production (the verifier refuses local mode there).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

import config
from config import Settings, get_settings

# `.invalid` never resolves, so nobody can mistake these for a real issuer or client.
LOCAL_ISSUER = "https://local-issuer.tutor.invalid"
LOCAL_CLIENT_ID = "local-dev-client"
KEY_FILE_NAME = "local_auth_key.pem"


class LocalIssuer:
    def __init__(self, key_path: Path) -> None:
        self.key_path = key_path
        self._private_key: rsa.RSAPrivateKey | None = None
        self._lock = threading.Lock()

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        if self._private_key is None:
            with self._lock:
                if self._private_key is None:
                    self._private_key = _load_or_create_key(self.key_path)
        return self._private_key

    @property
    def kid(self) -> str:
        return _thumbprint(self.public_jwk_numbers())

    def public_jwk_numbers(self) -> dict[str, str]:
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {"kty": "RSA", "n": jwk["n"], "e": jwk["e"]}

    def jwks(self) -> dict[str, Any]:
        """The key set the verifier fetches in local mode (no HTTP involved)."""
        key = {**self.public_jwk_numbers(), "kid": self.kid, "alg": "RS256", "use": "sig"}
        return {"keys": [key]}

    def mint(
        self,
        *,
        sub: str,
        email: str | None = None,
        name: str | None = None,
        groups: Iterable[str] = (),
        token_use: str = "id",
        expires_in: int = 3600,
    ) -> str:
        """A token shaped like Cognito's: id tokens carry `aud` and profile claims, access
        tokens carry `client_id` and `username`."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": LOCAL_ISSUER,
            "sub": sub,
            "token_use": token_use,
            "auth_time": now,
            "iat": now,
            "exp": now + expires_in,
            "jti": str(uuid.uuid4()),
        }
        if groups := list(groups):
            claims["cognito:groups"] = groups
        if token_use == "access":
            claims.update(client_id=LOCAL_CLIENT_ID, username=sub, scope="aws.cognito.signin")
        else:
            claims.update({"aud": LOCAL_CLIENT_ID, "cognito:username": sub})
            if email:
                claims.update(email=email, email_verified=True)
            if name:
                claims["name"] = name
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})


def _thumbprint(public_numbers: dict[str, str]) -> str:
    """RFC 7638 key thumbprint: a new key gets a new `kid`, so stale tokens fail cleanly."""
    canonical = json.dumps(public_numbers, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


def _load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    if not path.exists():
        _create_key_file(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key")
    return key


def _create_key_file(path: Path) -> None:
    """Write a new key so that no reader ever sees a half-written file and, when two processes
    start at once (serve.sh's token printer and the server), both end up with the same key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".local_auth_key.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.chmod(tmp_name, 0o600)
        # link() fails if the file appeared meanwhile; then the other process's key wins.
        with contextlib.suppress(FileExistsError):
            os.link(tmp_name, path)
    finally:
        os.unlink(tmp_name)


def default_key_path(settings: Settings) -> Path:
    if settings.local_auth_key_file:
        return Path(settings.local_auth_key_file)
    return config.DATA_DIR / KEY_FILE_NAME


_issuers: dict[Path, LocalIssuer] = {}
_issuers_lock = threading.Lock()


def get_local_issuer(settings: Settings | None = None) -> LocalIssuer:
    """The issuer for the configured key file, cached per process (the key is read once)."""
    path = default_key_path(settings or get_settings())
    with _issuers_lock:
        if path not in _issuers:
            _issuers[path] = LocalIssuer(path)
        return _issuers[path]
