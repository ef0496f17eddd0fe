"""Order concurrent requests at SQL statements, so a race is reproduced every run.

`barrier_before(engine, pattern, parties)` holds the first `parties` statements whose SQL
matches `pattern` until all of them have arrived, then lets them run together: every request
has done all its work up to that statement before any of them executes it.

`hold_before(engine, pattern)` stops the first matching statement until the test releases it,
so the test can run another request in between.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

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


@dataclass
class Hold:
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()


@contextmanager
def hold_before(engine: Engine, pattern: str, *, timeout: float = 30.0) -> Iterator[Hold]:
    state = Hold()
    regex = re.compile(pattern, re.IGNORECASE | re.DOTALL)
    lock = threading.Lock()

    def hold(conn, cursor, statement, parameters, context, executemany) -> None:
        if not regex.search(statement):
            return
        with lock:
            if state.arrived.is_set():
                return
            state.arrived.set()
        if not state.released.wait(timeout):
            raise TimeoutError(f"statement held for {timeout} s and never released")

    event.listen(engine, "before_cursor_execute", hold)
    try:
        yield state
    finally:
        state.release()
        event.remove(engine, "before_cursor_execute", hold)
