"""The verifier remembers a token it verified until the token's `exp`: the same token skips the
full check, anything else (a new token, an expired one, one accepted only by the leeway) is
checked in full. Time is a `FakeClock`; nothing sleeps."""

from __future__ import annotations

import time

import pytest

from shared.auth import verifier as verifier_module
from shared.auth.jwks import JwksCache, http_fetcher
from shared.auth.verifier import TokenVerifier
from shared.errors import AuthenticationError
from tests.support.auth import (
    CLIENT_ID,
    ISSUER,
    KEY,
    FakeClock,
    JwksServer,
    claims,
    jwks,
    sign,
    tamper,
)


class CountingVerifier(TokenVerifier):
    """Counts the full checks (signature, claims) the cache did not spare."""

    full_checks = 0

    def verify_claims(self, token: str) -> dict:
        self.full_checks += 1
        return super().verify_claims(token)


@pytest.fixture
def server():
    srv = JwksServer(jwks(KEY)).start()
    yield srv
    srv.stop()


def make(server, clock) -> CountingVerifier:
    cache = JwksCache(fetch=http_fetcher(server.url, timeout=2.0), source=server.url)
    return CountingVerifier(issuer=ISSUER, client_id=CLIENT_ID, jwks=cache, clock=clock)


def wall_clock() -> FakeClock:
    clock = FakeClock()
    clock.now = time.time()
    return clock


def test_the_same_token_is_checked_in_full_once(server):
    verifier = make(server, wall_clock())
    token = sign(claims(sub="u1", groups=["admin"]), KEY)
    first = verifier.verify(token)
    again = [verifier.verify(token) for _ in range(5)]
    assert verifier.full_checks == 1
    assert all(identity == first for identity in again)
    assert first.sub == "u1" and first.is_admin


def test_a_remembered_token_is_checked_again_once_it_expires(server):
    clock = wall_clock()
    verifier = make(server, clock)
    token = sign(claims(expires_in=600), KEY)
    verifier.verify(token)
    clock.advance(599)
    verifier.verify(token)
    assert verifier.full_checks == 1
    clock.advance(2)  # past `exp` by the verifier's clock: no longer trusted from memory
    verifier.verify(token)  # PyJWT's own clock still finds it valid
    assert verifier.full_checks == 2


def test_a_token_accepted_only_by_the_leeway_is_never_remembered(server):
    verifier = make(server, wall_clock())
    token = sign(claims(expires_in=-10), KEY)  # expired, within the 30 s leeway
    for _ in range(3):
        verifier.verify(token)
    assert verifier.full_checks == 3


def test_an_altered_token_is_refused_even_after_the_original_was_remembered(server):
    verifier = make(server, wall_clock())
    token = sign(claims(sub="u1"), KEY)
    verifier.verify(token)
    with pytest.raises(AuthenticationError) as refused:
        verifier.verify(tamper(token, sub="admin-user"))
    assert refused.value.code == "invalid_signature"
    assert verifier.full_checks == 2


def test_the_memory_is_bounded_least_recently_used_first_out(server, monkeypatch):
    monkeypatch.setattr(verifier_module, "VERIFIED_CACHE_SIZE", 2)
    verifier = make(server, wall_clock())
    a, b, c = (sign(claims(sub=name), KEY) for name in ("a", "b", "c"))
    verifier.verify(a)
    verifier.verify(b)
    verifier.verify(a)  # a is now the most recently used
    verifier.verify(c)  # evicts b
    assert verifier.full_checks == 3
    verifier.verify(a)
    verifier.verify(c)
    assert verifier.full_checks == 3
    verifier.verify(b)
    assert verifier.full_checks == 4
