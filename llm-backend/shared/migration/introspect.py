"""Reads the live schema and renders DDL for single model columns and indexes.

Migrations compare what the database has with what the models declare, so every ALTER is
generated from the model itself and an upgraded database ends up identical to a fresh one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, DefaultClause, Index, Table, inspect, text
from sqlalchemy.sql.elements import TextClause

_LITERAL = re.compile(r"'([^']*)'")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class IndexState:
    unique: bool
    columns: tuple[str, ...]
    predicate: str | None
    valid: bool = True


def index_table(index: Index) -> Table:
    """The table a model index is declared on (an index in `__table_args__` always has one)."""
    if index.table is None:
        raise ValueError(f"index {index.name} is not attached to a table")
    return index.table


def index_name(index: Index) -> str:
    """A model index's name: the live schema is looked up by it, so an unnamed one has none."""
    if index.name is None:
        raise ValueError(f"an index on {index_table(index).name} has no name")
    return str(index.name)


def table_names(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def column_names(conn: Connection, table: str) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(table)}


def nullable_columns(conn: Connection, table: str) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(table) if c["nullable"]}


def model_predicate(index: Index, dialect_name: str) -> str | None:
    where = index.dialect_options[dialect_name].get("where")
    if where is None:
        return None
    return where.text if isinstance(where, TextClause) else str(where)


def predicate_signature(
    predicate: str | None, column_names_: set[str]
) -> tuple[frozenset[str], frozenset[str]] | None:
    """What a predicate filters on: the columns it names and the string literals it compares.

    PostgreSQL rewrites predicates (`status IN ('a','b')` comes back as `= ANY (ARRAY[...])`),
    so texts cannot be compared; their columns and literals can.
    """
    if predicate is None:
        return None
    literals = frozenset(_LITERAL.findall(predicate))
    stripped = _LITERAL.sub("", predicate)
    words = frozenset(w for w in _WORD.findall(stripped) if w in column_names_)
    return (words, literals)


def index_state(conn: Connection, table: str, name: str) -> IndexState | None:
    if conn.dialect.name == "postgresql":
        return _pg_index_state(conn, name)
    return _sqlite_index_state(conn, table, name)


def _pg_index_state(conn: Connection, name: str) -> IndexState | None:
    row = conn.execute(
        text(
            """
            SELECT i.indisvalid, i.indisunique, pg_get_expr(i.indpred, i.indrelid),
                   ARRAY(SELECT a.attname
                         FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                         JOIN pg_attribute a
                           ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                         ORDER BY k.ord)
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relname = :name AND n.nspname = current_schema()
            """
        ),
        {"name": name},
    ).first()
    if row is None:
        return None
    valid, unique, predicate, columns = row
    return IndexState(unique=unique, columns=tuple(columns), predicate=predicate, valid=valid)


def _sqlite_index_state(conn: Connection, table: str, name: str) -> IndexState | None:
    sql = conn.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"),
        {"name": name},
    ).scalar()
    if sql is None:
        return None
    columns = tuple(r[2] for r in conn.execute(text(f'PRAGMA index_info("{name}")')))
    unique = sql.lstrip().upper().startswith("CREATE UNIQUE")
    match = re.search(r"\bWHERE\b(.*)$", sql, flags=re.IGNORECASE | re.DOTALL)
    return IndexState(unique=unique, columns=columns, predicate=match.group(1) if match else None)


def index_matches(state: IndexState, index: Index, dialect_name: str) -> bool:
    names = {c.name for c in index_table(index).columns}
    return (
        state.valid
        and state.unique == bool(index.unique)
        and state.columns == tuple(c.name for c in index.columns)
        and predicate_signature(state.predicate, names)
        == predicate_signature(model_predicate(index, dialect_name), names)
    )


def default_sql(column: Column[Any], conn: Connection) -> str | None:
    default = column.server_default
    # A server default declared with a value is a DefaultClause (a bare FetchedValue names
    # none, so there is nothing to backfill with).
    if not isinstance(default, DefaultClause):
        return None
    arg = default.arg
    if isinstance(arg, str):
        return "'" + arg.replace("'", "''") + "'"
    if isinstance(arg, TextClause):
        return arg.text
    return str(arg.compile(dialect=conn.dialect))


def add_column_sql(column: Column[Any], conn: Connection) -> str:
    """`ALTER TABLE … ADD COLUMN` for a model column, always nullable at first.

    NOT NULL is applied by the caller after backfilling, so existing rows never block it.
    """
    preparer = conn.dialect.identifier_preparer
    parts = [
        f"ALTER TABLE {preparer.quote(column.table.name)} ADD COLUMN",
        preparer.quote(column.name),
        column.type.compile(dialect=conn.dialect),
    ]
    default = default_sql(column, conn)
    if default is not None and not _sqlite_refuses_default(default, conn):
        parts.append(f"DEFAULT {default}")
    # SQLite cannot add a UNIQUE column; there the uniqueness comes only from create_all.
    if column.unique and conn.dialect.name != "sqlite":
        parts.append("UNIQUE")
    for fk in column.foreign_keys:
        target = fk.column
        ref = f"REFERENCES {preparer.quote(target.table.name)} ({preparer.quote(target.name)})"
        if fk.ondelete:
            ref += f" ON DELETE {fk.ondelete}"
        parts.append(ref)
    return " ".join(parts)


# SQLite's ADD COLUMN takes only constant defaults. Such a column is added without its default
# and its existing rows are backfilled with the expression (ensure_columns); new rows get the
# value from the model's Python-side default.
_SQLITE_NON_CONSTANT = ("CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME")


def _sqlite_refuses_default(default: str, conn: Connection) -> bool:
    if conn.dialect.name != "sqlite":
        return False
    expression = default.strip().upper()
    return expression in _SQLITE_NON_CONSTANT or expression.startswith("(")
