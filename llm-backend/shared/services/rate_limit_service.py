"""Fixed-window rate limits counted in the database, so every API container (each Lambda
container is its own process) sees the same counts.

One hit is one statement, `INSERT ... ON CONFLICT (bucket) DO UPDATE ... RETURNING hits`: the
row lock the upsert takes serializes concurrent hits on a bucket, so N simultaneous requests
are counted N times and exactly `max_hits` of them get through. Buckets hold a hash of the
client value (an IP address, a phone number), never the value itself.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.orm import Session

from database import run_transaction
from shared.errors import TooManyRequestsError
from shared.models.rate_limit import RateLimitCounter
from shared.sql import conflict_insert

# Expired rows deleted per pruning pass; a pass runs when a bucket starts a new window.
PRUNE_BATCH = 100


@dataclass(frozen=True)
class RateLimit:
    scope: str  # the protected operation, e.g. "phone_provision"
    kind: str  # what is counted, e.g. "ip" or "phone"
    max_hits: int
    window_seconds: int
    message: str  # the 429's message; it should say what to do


def bucket_key(limit: RateLimit, value: str) -> str:
    digest = hashlib.sha256(f"{limit.scope}\0{limit.kind}\0{value}".encode()).hexdigest()
    return f"{limit.scope}:{limit.kind}:{digest[:32]}"


def window_start(now: datetime, seconds: int) -> datetime:
    epoch = math.floor(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def hit(*, limit: RateLimit, value: str, now: datetime | None = None) -> int:
    """Count one request of `value` against `limit` (committed at once, whatever the request
    does next) and return the count in the current window. Over the limit raises
    `TooManyRequestsError` (429) with `Retry-After` = the seconds left in the window."""
    now = now or datetime.now(UTC)
    start = window_start(now, limit.window_seconds)
    end = start + timedelta(seconds=limit.window_seconds)
    key = bucket_key(limit, value)
    hits, expires_at = run_transaction(lambda session: _count(session, key, start, end))
    if hits == 1:
        run_transaction(lambda session: _prune(session, now))
    if hits > limit.max_hits:
        retry_after = max(1, math.ceil((expires_at - now).total_seconds()))
        raise TooManyRequestsError(limit.message, retry_after_seconds=retry_after)
    return hits


def _count(session: Session, key: str, start: datetime, end: datetime) -> tuple[int, datetime]:
    table = RateLimitCounter
    insert = conflict_insert(session, table).values(
        bucket=key, window_start=start, expires_at=end, hits=1
    )
    # A hit from a newer window restarts the count; one stamped with an older window (a
    # container whose clock lags a little) counts towards the stored, newer one.
    newer = insert.excluded.window_start > table.window_start
    upsert = insert.on_conflict_do_update(
        index_elements=[table.bucket],
        set_={
            "hits": case((newer, 1), else_=table.hits + 1),
            "window_start": case((newer, insert.excluded.window_start), else_=table.window_start),
            "expires_at": case((newer, insert.excluded.expires_at), else_=table.expires_at),
        },
    ).returning(table.hits, table.expires_at)
    # UTCDateTime reads `expires_at` back as aware UTC on SQLite too.
    hits, expires_at = session.execute(upsert).one()
    return hits, expires_at


def _prune(session: Session, now: datetime) -> None:
    # SKIP LOCKED: rows another request is counting right now are left for a later pass, so
    # pruning never waits on (or deadlocks with) a hit. SQLite ignores the clause.
    expired = (
        select(RateLimitCounter.bucket)
        .where(RateLimitCounter.expires_at <= now)
        .limit(PRUNE_BATCH)
        .with_for_update(skip_locked=True)
    )
    session.execute(delete(RateLimitCounter).where(RateLimitCounter.bucket.in_(expired)))
