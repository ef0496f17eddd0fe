"""The database-backed fixed-window counter: windows end, buckets are independent, expired
rows are pruned, and Retry-After is the time left in the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from database import session_scope
from shared.errors import TooManyRequestsError
from shared.models.rate_limit import RateLimitCounter
from shared.services.rate_limit_service import RateLimit, hit

LIMIT = RateLimit(scope="test", kind="ip", max_hits=2, window_seconds=60, message="Slow down.")
T0 = datetime(2030, 1, 1, 12, 0, 10, tzinfo=UTC)  # 10 s into a 60 s window


def buckets() -> dict[str, tuple[int, datetime]]:
    with session_scope() as session:
        rows = session.execute(
            select(RateLimitCounter.bucket, RateLimitCounter.hits, RateLimitCounter.expires_at)
        )
        return {bucket: (hits, expires) for bucket, hits, expires in rows}


def test_a_window_allows_max_hits_then_says_when_to_retry(db):
    assert [hit(limit=LIMIT, value="a", now=T0 + timedelta(seconds=i)) for i in (0, 1)] == [1, 2]
    with pytest.raises(TooManyRequestsError) as refused:
        hit(limit=LIMIT, value="a", now=T0 + timedelta(seconds=5))
    assert refused.value.retry_after_seconds == 45  # the window ends at 12:01:00
    assert refused.value.headers == {"Retry-After": "45"}
    assert refused.value.message == "Slow down."
    assert hit(limit=LIMIT, value="b", now=T0) == 1  # another client has its own count


def test_the_next_window_starts_again_and_a_lagging_clock_counts_in_the_newer_one(db):
    hit(limit=LIMIT, value="a", now=T0)
    hit(limit=LIMIT, value="a", now=T0)
    assert hit(limit=LIMIT, value="a", now=T0 + timedelta(seconds=50)) == 1
    # A container whose clock is still in the old window adds to the stored, newer one.
    assert hit(limit=LIMIT, value="a", now=T0 + timedelta(seconds=49)) == 2
    ((hits, expires),) = buckets().values()
    assert (hits, expires) == (2, datetime(2030, 1, 1, 12, 2, tzinfo=UTC))


def test_expired_rows_are_pruned_when_a_window_starts(db):
    hit(limit=LIMIT, value="old", now=T0)
    hit(limit=LIMIT, value="current", now=T0 + timedelta(seconds=45))
    assert len(buckets()) == 2  # both in the 12:00 window, expiring at 12:01
    hit(limit=LIMIT, value="new", now=T0 + timedelta(seconds=115))  # 12:02: a new window
    assert list(buckets().values()) == [(1, datetime(2030, 1, 1, 12, 3, tzinfo=UTC))]


@pytest.mark.sqlite
def test_the_counter_works_on_the_embedded_sqlite_default(tmp_path, db):
    from db import run_migrations
    from tests.support.app_database import use_database

    use_database(f"sqlite:///{tmp_path / 'tutor.db'}")
    run_migrations()
    assert [hit(limit=LIMIT, value="a", now=T0) for _ in range(2)] == [1, 2]
    with pytest.raises(TooManyRequestsError) as refused:
        hit(limit=LIMIT, value="a", now=T0)
    assert refused.value.retry_after_seconds == 50
    assert hit(limit=LIMIT, value="a", now=T0 + timedelta(seconds=60)) == 1
