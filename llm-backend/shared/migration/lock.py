"""A PostgreSQL advisory lock held for a whole migration run, so concurrent deploys serialize."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

from shared.errors import MigrationError

# Arbitrary but fixed: every copy of this project's migrator contends for the same key.
MIGRATION_LOCK_KEY = 727_401_115
POLL_SECONDS = 0.25


@contextmanager
def migration_lock(conn: Connection, *, wait_seconds: float) -> Iterator[float]:
    """Hold the migration lock on `conn`; yields how long it waited for it.

    A waiter polls instead of blocking in `pg_advisory_lock`, so it gives up with a clear
    message after `wait_seconds` rather than hanging behind a stuck migrator.
    """
    if conn.dialect.name != "postgresql":
        yield 0.0
        return
    started = time.monotonic()
    while True:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        acquired = bool(got.scalar())
        conn.commit()
        if acquired:
            break
        waited = time.monotonic() - started
        if waited >= wait_seconds:
            raise MigrationError(
                f"another migration has held the migration lock for over {wait_seconds:.0f}s; "
                "wait for it to finish (or end its session) and run `python db.py --migrate` again"
            )
        time.sleep(POLL_SECONDS)
    try:
        yield time.monotonic() - started
    finally:
        conn.rollback()
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
        conn.commit()
