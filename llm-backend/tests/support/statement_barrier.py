"""Make concurrent requests meet at one SQL statement, so a race is reproduced every run.

`barrier_before(engine, pattern, parties)` holds the first `parties` statements whose SQL
matches `pattern` until all of them have arrived, then lets them run together: every request
has done all its work up to that statement before any of them executes it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event


@contextmanager
def barrier_before(
    engine: Engine, pattern: str, parties: int, *, timeout: float = 30.0
) -> Iterator[threading.Barrier]:
    barrier = threading.Barrier(parties, timeout=timeout)
    regex = re.compile(pattern, re.IGNORECASE | re.DOTALL)
    lock = threading.Lock()
    arrived = 0

    def hold(conn, cursor, statement, parameters, context, executemany) -> None:
        nonlocal arrived
        if not regex.search(statement):
            return
        with lock:
            if arrived >= parties:
                return  # the barrier is single-use: later matches run freely
            arrived += 1
        barrier.wait()

    event.listen(engine, "before_cursor_execute", hold)
    try:
        yield barrier
    finally:
        event.remove(engine, "before_cursor_execute", hold)
