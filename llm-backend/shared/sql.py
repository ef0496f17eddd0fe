"""Typed forms of the SQLAlchemy calls whose own types are looser than what they return.

- `conflict_insert`: `INSERT ... ON CONFLICT` for the two databases the project runs on
  (PostgreSQL and SQLite each have their own `Insert` construct).
- `execute_dml`: `Session.execute` for an UPDATE/DELETE whose `rowcount` the caller reads.
- `table_of`: a mapped class's Core `Table`, for statements that bypass the ORM.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, Delete, Table, Update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.errors import AppError
from shared.models.base import Base

ConflictInsert = postgresql.Insert | sqlite.Insert


def conflict_insert(session: Session, entity: type[Base]) -> ConflictInsert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(entity)
    if dialect == "sqlite":
        return sqlite.insert(entity)
    raise AppError(f"Unsupported database dialect: {dialect}")  # pragma: no cover


def execute_dml(
    session: Session, statement: Update | Delete, params: dict[str, Any] | None = None
) -> CursorResult[Any]:
    """Runs an UPDATE or DELETE in the session (autoflush and all) and returns its cursor
    result, whose `rowcount` says how many rows matched."""
    result = session.execute(statement, params)
    # Session.execute is typed as returning any Result, but for an UPDATE/DELETE (ORM-enabled
    # or Core) SQLAlchemy always returns the CursorResult carrying the DBAPI rowcount.
    assert isinstance(result, CursorResult)
    return result


def table_of(entity: type[Base]) -> Table:
    """The Core table a declarative class is mapped to (`__table__` is typed as any FromClause
    because imperative mappings may map a join or a select; ours are all declarative tables)."""
    table = entity.__table__
    assert isinstance(table, Table)  # every model here declares `__tablename__`
    return table
