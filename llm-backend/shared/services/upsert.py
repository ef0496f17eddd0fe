"""`INSERT ... ON CONFLICT` for the two databases the project runs on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from shared.errors import AppError


def dialect_insert(session: Session) -> Any:
    """The `insert` construct of the session's dialect, which has `on_conflict_do_*`."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    raise AppError(f"Unsupported database dialect: {dialect}")  # pragma: no cover
