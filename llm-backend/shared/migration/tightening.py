"""Constraints that existing rows can violate (NOT NULL, unique indexes), checked before they
are applied, so bad data makes a migration skip one tightening instead of failing the deploy.

A skipped tightening is reported (table, columns, violating rows) by `--migrate`, `--status`
and the migrate Lambda's report; the next run applies it once the rows are fixed.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Index, text

from shared.migration.introspect import index_table, model_predicate

logger = logging.getLogger("db")

# SQLSTATEs of a tightening refused by rows written after the check (a concurrent writer).
NOT_NULL_VIOLATION = "23502"
UNIQUE_VIOLATION = "23505"
DATA_VIOLATIONS = (NOT_NULL_VIOLATION, UNIQUE_VIOLATION)


@dataclass(frozen=True)
class SkippedTightening:
    table: str
    columns: tuple[str, ...]
    constraint: str  # "NOT NULL" or "UNIQUE <index name>"
    rows: int

    @property
    def message(self) -> str:
        columns = ", ".join(self.columns)
        if self.constraint == "NOT NULL":
            problem = f"{self.rows} rows have {self.table}.{columns} NULL"
        else:
            problem = f"{self.rows} rows of {self.table} share ({columns}) with another row"
        return (
            f"{self.constraint} on {self.table} ({columns}) not applied: {problem}; "
            "fix those rows and run the migration again"
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "columns": list(self.columns), "message": self.message}

    def log(self) -> None:
        logger.warning("migration skipped a tightening: %s", self.message)


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def null_rows(conn: Connection, table: str, column: str) -> int:
    count = conn.execute(
        text(f"SELECT COUNT(*) FROM {_quote(conn, table)} WHERE {_quote(conn, column)} IS NULL")
    ).scalar_one()
    conn.commit()
    return int(count)


def duplicate_rows(conn: Connection, index: Index) -> int:
    """Rows the unique index would refuse: those sharing all its (non-NULL) columns with another
    row inside the index's predicate. NULLs never collide in a unique index, so they are left out.
    """
    columns = [_quote(conn, c.name) for c in index.columns]
    conditions = [f"{c} IS NOT NULL" for c in columns]
    predicate = model_predicate(index, conn.dialect.name)
    if predicate is not None:
        conditions.append(f"({predicate})")
    group = ", ".join(columns)
    count = conn.execute(
        text(
            f"SELECT COALESCE(SUM(n), 0) FROM (SELECT COUNT(*) AS n "
            f"FROM {_quote(conn, index_table(index).name)} WHERE {' AND '.join(conditions)} "
            f"GROUP BY {group} HAVING COUNT(*) > 1) AS duplicates"
        )
    ).scalar_one()
    conn.commit()
    return int(count)


def is_data_violation(exc: BaseException) -> bool:
    return getattr(getattr(exc, "orig", None), "pgcode", None) in DATA_VIOLATIONS
