"""The signing keys (JWKS) of a token issuer, fetched once and cached per process.

Cognito rotates keys rarely, so a key, once fetched, is kept for the life of the process. A token
naming an unknown `kid` triggers a refetch, but at most once per `refetch_interval`: otherwise
anyone could make every request hit the key server by inventing key ids. While the key server
is down, tokens whose key is cached keep working; a token whose key is not cached cannot be
judged, which is a 503 (try again), not a 401 (your token is bad).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlparse

import jwt

from shared.auth.errors import token_error
from shared.errors import KeyServerUnavailableError
from shared.observability.logging import get_logger

JwksFetcher = Callable[[], Mapping[str, Any]]
Clock = Callable[[], float]

MAX_JWKS_BYTES = 1_000_000
# After a failed fetch, wait this long before the next attempt (capped by refetch_interval):
# short, so a one-off blip at a cold start does not lock everyone out for a minute.
FAILURE_BACKOFF_SECONDS = 5.0


class JwksFetchError(Exception):
    """The key server did not answer with a usable key set."""


def http_fetcher(url: str, *, timeout: float) -> JwksFetcher:
    """A fetcher that GETs `url` with a short timeout (stdlib only: no client to keep alive)."""
    if urlparse(url).scheme not in ("http", "https"):
        raise ValueError(f"JWKS URL must be http(s): {url!r}")

    def fetch() -> Mapping[str, Any]:
        request = urllib.request.Request(
            url, headers={"Accept": "application/json", "User-Agent": "tutor-backend-jwks"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read(MAX_JWKS_BYTES + 1)
        except (OSError, http.client.HTTPException) as exc:  # URLError/HTTPError/timeouts
            raise JwksFetchError(f"{type(exc).__name__}: {exc}") from exc
        if len(body) > MAX_JWKS_BYTES:
            raise JwksFetchError("key set larger than 1 MB")
        try:
            keys: Mapping[str, Any] = json.loads(body)
            return keys
        except ValueError as exc:
            raise JwksFetchError("key set is not JSON") from exc

    return fetch


def parse_key_set(document: Any) -> dict[str, jwt.PyJWK]:
    """The RS256 signing keys of a JWKS document, by `kid`; keys of other kinds are skipped."""
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise JwksFetchError("key set has no 'keys' list")
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document["keys"]:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("kty") != "RSA" or entry.get("alg", "RS256") != "RS256":
            continue
        if entry.get("use", "sig") != "sig":
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK(dict(entry), algorithm="RS256")
        except (jwt.PyJWTError, ValueError, TypeError):
            continue
    if not keys:
        raise JwksFetchError("key set holds no RS256 signing key")
    return keys


class JwksCache:
    """Keys by `kid`; thread-safe (FastAPI runs sync dependencies in a thread pool)."""

    def __init__(
        self,
        *,
        fetch: JwksFetcher,
        source: str,
        refetch_interval: float = 60.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.source = source  # for log lines only
        self._refetch_interval = refetch_interval
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._last_attempt: float | None = None
        self._last_failed = False
        self._lock = threading.Lock()
        self.fetch_count = 0  # attempts, successful or not (tests, metrics)

    def get_key(self, kid: str) -> jwt.PyJWK:
        key = self._keys.get(kid)
        if key is not None:
            return key
        with self._lock:
            # Another thread may have fetched while this one waited for the lock.
            key = self._keys.get(kid)
            if key is None and self._may_fetch():
                self._refresh()
            key = self._keys.get(kid)
            if key is not None:
                return key
            if self._last_failed:
                raise KeyServerUnavailableError(
                    "The sign-in key server is unreachable and this token's key is not cached; "
                    "try again shortly."
                )
            raise token_error("unknown_key")

    def _may_fetch(self) -> bool:
        if self._last_attempt is None:
            return True
        wait = self._refetch_interval
        if self._last_failed:
            wait = min(FAILURE_BACKOFF_SECONDS, self._refetch_interval)
        return self._clock() - self._last_attempt >= wait

    def _refresh(self) -> None:
        self._last_attempt = self._clock()
        self.fetch_count += 1
        try:
            fresh = parse_key_set(self._fetch())
        except Exception as exc:  # any failure of an injected fetcher means "no keys now"
            self._last_failed = True
            get_logger().warning(
                "JWKS fetch from %s failed (%s); %d cached key(s) still served",
                self.source,
                exc if isinstance(exc, JwksFetchError) else type(exc).__name__,
                len(self._keys),
            )
            return
        self._last_failed = False
        # Replace, not merge: a key the issuer withdrew is no longer trusted. (Cognito keeps a
        # retiring key in its JWKS while tokens signed with it can still be valid.)
        self._keys = fresh
