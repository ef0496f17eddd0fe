"""JWKS caching, refetch limits and key-server outages, against a real HTTP server on 127.0.0.1.

Time is a `FakeClock` the tests move by hand; nothing sleeps.
"""

from __future__ import annotations

import threading

import pytest

from shared.auth.jwks import JwksCache, http_fetcher
from shared.auth.verifier import TokenVerifier
from shared.errors import AuthenticationError, KeyServerUnavailableError
from tests.support.auth import (
    CLIENT_ID,
    ISSUER,
    KEY,
    OTHER_KEY,
    FakeClock,
    JwksServer,
    claims,
    closed_port_url,
    jwks,
    sign,
)


@pytest.fixture
def server():
    srv = JwksServer(jwks(KEY)).start()
    yield srv
    srv.stop()


def make_verifier(url: str, clock: FakeClock, interval: float = 60.0) -> TokenVerifier:
    cache = JwksCache(
        fetch=http_fetcher(url, timeout=2.0), source=url, refetch_interval=interval, clock=clock
    )
    return TokenVerifier(issuer=ISSUER, client_id=CLIENT_ID, jwks=cache)


def test_keys_are_fetched_once_and_cached(server):
    verifier = make_verifier(server.url, FakeClock())
    for n in range(10):
        assert verifier.verify(sign(claims(sub=f"u{n}"), KEY)).sub == f"u{n}"
    assert server.requests == 1
    assert verifier.jwks.fetch_count == 1


def test_nothing_is_fetched_until_the_first_token(server):
    make_verifier(server.url, FakeClock())
    assert server.requests == 0


def test_unknown_kid_refetches_at_most_once_per_interval(server):
    clock = FakeClock()
    verifier = make_verifier(server.url, clock)
    verifier.verify(sign(claims(), KEY))  # first fetch
    stranger = sign(claims(), OTHER_KEY)

    for _ in range(5):
        with pytest.raises(AuthenticationError) as refused:
            verifier.verify(stranger)
        assert refused.value.code == "unknown_key"
    assert server.requests == 1  # within the minute after the first fetch: no refetch

    clock.advance(60)
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            verifier.verify(stranger)
    assert server.requests == 2  # one refetch, then quiet again

    clock.advance(59)
    with pytest.raises(AuthenticationError):
        verifier.verify(stranger)
    assert server.requests == 2


def test_rotated_key_is_picked_up_by_the_next_allowed_refetch(server):
    clock = FakeClock()
    verifier = make_verifier(server.url, clock)
    verifier.verify(sign(claims(), KEY))
    server.document = jwks(KEY, OTHER_KEY)  # the issuer publishes a new key
    rotated = sign(claims(sub="rotated"), OTHER_KEY)

    clock.advance(61)
    assert verifier.verify(rotated).sub == "rotated"
    assert verifier.verify(sign(claims(sub="old"), KEY)).sub == "old"
    assert server.requests == 2


def test_a_withdrawn_key_is_no_longer_trusted_after_a_refetch(server):
    clock = FakeClock()
    verifier = make_verifier(server.url, clock)
    verifier.verify(sign(claims(), KEY))
    server.document = jwks(OTHER_KEY)
    clock.advance(61)
    verifier.verify(sign(claims(), OTHER_KEY))  # refetch: KEY is gone from the set
    with pytest.raises(AuthenticationError) as refused:
        verifier.verify(sign(claims(), KEY))
    assert refused.value.code == "unknown_key"


def test_concurrent_first_requests_fetch_once(server):
    verifier = make_verifier(server.url, FakeClock())
    barrier = threading.Barrier(20)
    results: list[str] = []

    def worker(n: int) -> None:
        token = sign(claims(sub=f"t{n}"), KEY)
        barrier.wait()
        results.append(verifier.verify(token).sub)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == sorted(f"t{n}" for n in range(20))
    assert server.requests == 1


def test_outage_keeps_serving_cached_keys_and_answers_503_for_the_rest(server):
    clock = FakeClock()
    verifier = make_verifier(server.url, clock)
    verifier.verify(sign(claims(), KEY))
    server.stop()  # the key server goes away: connections are refused

    clock.advance(120)
    assert verifier.verify(sign(claims(sub="still-ok"), KEY)).sub == "still-ok"
    with pytest.raises(KeyServerUnavailableError) as unavailable:
        verifier.verify(sign(claims(), OTHER_KEY))
    assert unavailable.value.status_code == 503
    assert unavailable.value.code == "key_server_unavailable"
    assert "key server is unreachable" in unavailable.value.message
    assert verifier.verify(sign(claims(sub="still-ok-2"), KEY)).sub == "still-ok-2"


def test_cold_start_against_a_closed_port_is_503_not_500():
    verifier = make_verifier(closed_port_url(), FakeClock())
    with pytest.raises(KeyServerUnavailableError):
        verifier.verify(sign(claims(), KEY))


@pytest.mark.parametrize(
    ("status", "body"),
    [
        pytest.param(500, b'{"message": "internal error"}', id="HTTP 500"),
        pytest.param(200, b"<html>not json</html>", id="not JSON"),
        pytest.param(200, b'{"keys": "nope"}', id="keys not a list"),
        pytest.param(200, b'{"keys": [{"kid": "k", "kty": "EC"}]}', id="no RSA key"),
    ],
)
def test_key_server_answering_nonsense_is_503(server, status, body):
    server.status, server.body = status, body
    verifier = make_verifier(server.url, FakeClock())
    with pytest.raises(KeyServerUnavailableError):
        verifier.verify(sign(claims(), KEY))
    assert server.requests == 1


def test_failed_fetches_back_off_briefly_then_recover(server):
    clock = FakeClock()
    verifier = make_verifier(server.url, clock)
    server.status = 500
    for _ in range(3):
        with pytest.raises(KeyServerUnavailableError):
            verifier.verify(sign(claims(), KEY))
    assert server.requests == 1  # no hammering of a failing key server

    server.status = 200
    clock.advance(5)  # the short failure backoff, not the full minute
    assert verifier.verify(sign(claims(sub="back"), KEY)).sub == "back"
    assert server.requests == 2


def test_only_http_urls_are_fetched():
    with pytest.raises(ValueError, match="http"):
        http_fetcher("file:///etc/passwd", timeout=1.0)
