"""The SQL statements a block of code sends, in order, for tests that pin how many round trips
an operation costs (one batched INSERT rather than one per row, one lock, one sweep)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from database import get_db_manager


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    """Every statement the app's engine executes inside the block (an executemany or a
    batched multi-row INSERT counts once per round trip)."""
    seen: list[str] = []
    engine = get_db_manager().engine

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def matching(statements: list[str], pattern: str) -> list[str]:
    """The statements `pattern` finds (case-insensitive, across lines)."""
    regex = re.compile(pattern, re.IGNORECASE | re.DOTALL)
    return [s for s in statements if regex.search(s)]
