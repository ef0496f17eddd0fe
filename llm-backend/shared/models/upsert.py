"""`INSERT … ON CONFLICT` for the two databases the project runs on: PostgreSQL, and SQLite
(the embedded default). SQLAlchemy spells the clause per dialect, so the dialect is picked here
once, from the session's bind, for every upsert."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.errors import AppError


def insert_on_conflict(session: Session, entity: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `entity` (a mapped class or a table) that takes `on_conflict_do_nothing`
    and `on_conflict_do_update` (with `excluded`) on the session's database."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(entity)
    if dialect == "sqlite":
        return sqlite.insert(entity)
    raise AppError(f"Unsupported database dialect: {dialect}")
