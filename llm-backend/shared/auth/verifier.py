"""Verifies Cognito-style JWTs: RS256 signature from the issuer's JWKS, then the claims.

One `TokenVerifier` per process, built from settings on first use (`get_verifier()`); in
`AUTH_MODE=local` it trusts the local development issuer's key through the same code.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import jwt

from config import AuthMode, Environment, Settings, get_settings
from shared.auth.errors import token_error
from shared.auth.identity import VerifiedIdentity
from shared.auth.jwks import JwksCache, JwksFetcher, http_fetcher
from shared.errors import ConfigurationError
from shared.observability.logging import get_logger

ALGORITHM = "RS256"
TOKEN_USES = ("id", "access")
MAX_TOKEN_LENGTH = 16_384  # Cognito tokens are a few KB even with many groups
# Tokens whose verification is remembered until they expire: a client sends the same token on
# every request for its lifetime (an hour for Cognito's), and checking it again each time
# (base64, JSON, RSA, claims) was a visible share of a tutor turn's CPU. Bounded, least
# recently used first out; an unknown token is always verified in full.
VERIFIED_CACHE_SIZE = 1024

_CLAIM_ERRORS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    # Order matters: subclasses before their bases.
    (jwt.ExpiredSignatureError, "token_expired"),
    (jwt.ImmatureSignatureError, "token_not_yet_valid"),
    (jwt.InvalidIssuerError, "invalid_issuer"),
    (jwt.InvalidSignatureError, "invalid_signature"),
    (jwt.DecodeError, "malformed_token"),
)


class TokenVerifier:
    """Checks signature, `exp`/`nbf`/`iat` (with leeway), `iss`, `token_use` and the client
    (`aud` for id tokens, `client_id` for access tokens). Every failure is a 401 whose code
    names the reason; a key server that cannot be reached is a 503."""

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        jwks: JwksCache,
        leeway: int = 30,
        clock: Callable[[], float] = time.time,
    ):
        self.issuer = issuer
        self.client_id = client_id
        self.jwks = jwks
        self.leeway = leeway
        # token -> (its `exp`, the identity it proved)
        self._verified: OrderedDict[str, tuple[float, VerifiedIdentity]] = OrderedDict()
        self._verified_lock = threading.Lock()
        self._clock = clock

    def verify(self, token: str) -> VerifiedIdentity:
        """The token's identity. A token verified before is taken from the cache, keyed by
        the whole token, until its `exp` (without the leeway: a token accepted only by the
        leeway is verified every time); a new or expired one is checked in full."""
        now = self._clock()
        with self._verified_lock:
            cached = self._verified.get(token)
            if cached is not None:
                if now < cached[0]:
                    self._verified.move_to_end(token)
                    return cached[1]
                del self._verified[token]
        claims = self.verify_claims(token)
        identity = VerifiedIdentity.from_claims(claims)
        expires = claims.get("exp")
        if isinstance(expires, int | float) and now < expires:
            with self._verified_lock:
                self._verified[token] = (float(expires), identity)
                self._verified.move_to_end(token)
                while len(self._verified) > VERIFIED_CACHE_SIZE:
                    self._verified.popitem(last=False)
        return identity

    def verify_claims(self, token: str) -> dict[str, Any]:
        if len(token) > MAX_TOKEN_LENGTH:
            raise token_error("malformed_token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise token_error("malformed_token") from None
        # Decide the algorithm from our policy, never from the token: this is what stops
        # `alg: none` and HS256-signed-with-the-public-key forgeries.
        if header.get("alg") != ALGORITHM:
            raise token_error("unsupported_algorithm")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise token_error("unknown_key")
        key = self.jwks.get_key(kid)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                leeway=self.leeway,
                options={
                    "require": ["exp", "iat", "iss", "sub", "token_use"],
                    # The audience check depends on token_use, so it is done below.
                    "verify_aud": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise token_error(_reason(exc)) from None
        self._check_use_and_client(claims)
        if not isinstance(claims.get("sub"), str) or not claims["sub"].strip():
            raise token_error("invalid_token")
        return claims

    def _check_use_and_client(self, claims: dict[str, Any]) -> None:
        token_use = claims.get("token_use")
        if token_use not in TOKEN_USES:
            raise token_error("invalid_token_use")
        if token_use == "id":
            audience = claims.get("aud")
            audiences = audience if isinstance(audience, list) else [audience]
            if self.client_id not in audiences:
                raise token_error("invalid_audience")
        elif claims.get("client_id") != self.client_id:
            raise token_error("invalid_audience")


def _reason(exc: jwt.PyJWTError) -> str:
    for error_type, reason in _CLAIM_ERRORS:
        if isinstance(exc, error_type):
            return reason
    return "invalid_token"  # missing required claim, non-numeric exp/iat, ...


def build_verifier(settings: Settings, *, fetch: JwksFetcher | None = None) -> TokenVerifier:
    """A verifier for the configured issuer. Raises `ConfigurationError` when the settings
    cannot be used: local mode in production, or Cognito settings missing."""
    mode = settings.effective_auth_mode
    # Unset Cognito settings are None; each branch leaves all three set or raises.
    issuer: str | None
    client_id: str | None
    source: str | None
    if mode == AuthMode.local:
        if settings.environment == Environment.production:
            raise _misconfigured("AUTH_MODE=local is refused when ENVIRONMENT=production")
        from shared.auth.local_issuer import LOCAL_CLIENT_ID, LOCAL_ISSUER, get_local_issuer

        issuer, client_id, source = LOCAL_ISSUER, LOCAL_CLIENT_ID, "the local issuer key"
        fetch = fetch or get_local_issuer(settings).jwks
    else:
        issuer, client_id = settings.cognito_issuer, settings.cognito_app_client_id
        source = settings.effective_cognito_jwks_url
        if not (issuer and client_id and source):
            raise _misconfigured(
                "AUTH_MODE=cognito needs COGNITO_USER_POOL_ID and COGNITO_APP_CLIENT_ID "
                "(and COGNITO_REGION unless the pool id starts with it)"
            )
        try:
            fetch = fetch or http_fetcher(source, timeout=settings.jwks_fetch_timeout_seconds)
        except ValueError as exc:
            raise _misconfigured(f"COGNITO_JWKS_URL: {exc}") from None
    jwks = JwksCache(
        fetch=fetch, source=source, refetch_interval=settings.jwks_refetch_interval_seconds
    )
    return TokenVerifier(
        issuer=issuer, client_id=client_id, jwks=jwks, leeway=settings.jwt_leeway_seconds
    )


def _misconfigured(reason: str) -> ConfigurationError:
    get_logger().error("authentication is misconfigured: %s", reason)
    # The reason names settings, so it goes to the log; the client learns only what failed.
    return ConfigurationError(
        "Authentication is misconfigured on this server; its log says why.",
        code="auth_misconfigured",
    )


_verifier: TokenVerifier | None = None
_verifier_lock = threading.Lock()


def get_verifier() -> TokenVerifier:
    """The process's verifier, built on first use (no I/O at import; keys fetched lazily)."""
    global _verifier
    if _verifier is None:
        with _verifier_lock:
            if _verifier is None:
                _verifier = build_verifier(get_settings())
    return _verifier


def reset_verifier() -> None:
    """Forget the cached verifier and its keys (tests, settings changes)."""
    global _verifier
    with _verifier_lock:
        _verifier = None
