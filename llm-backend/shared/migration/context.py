"""The toolkit migration steps are written with: each action is planned, then done unless dry-run.

Every helper inspects the live schema first and only acts on what is missing, so a step can run
any number of times; in dry-run mode (`db.py --status`) it only reports what it would do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Connection, Index, Table, text
from sqlalchemy.exc import IntegrityError

from shared.migration import introspect, sqlite_rebuild
from shared.migration.tightening import (
    SkippedTightening,
    duplicate_rows,
    is_data_violation,
    null_rows,
)


@dataclass
class StepContext:
    conn: Connection
    dry_run: bool
    batch_size: int
    actions: list[str] = field(default_factory=list)
    skipped: list[SkippedTightening] = field(default_factory=list)

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    def execute(self, sql: str, description: str, params: dict[str, Any] | None = None) -> None:
        self.actions.append(description)
        if not self.dry_run:
            self.conn.execute(text(sql), params or {})
            self.conn.commit()

    def has_table(self, table: Table) -> bool:
        return table.name in introspect.table_names(self.conn)

    def ensure_columns(self, table: Table, names: list[str] | None = None) -> None:
        """Add the model's missing columns, backfill their NULLs, then enforce NOT NULL."""
        if not self.has_table(table):
            return  # create_tables makes it whole
        live = introspect.column_names(self.conn, table.name)
        wanted = [table.c[n] for n in (names or [c.name for c in table.columns])]
        added = []
        for column in wanted:
            if column.name not in live:
                self.execute(
                    introspect.add_column_sql(column, self.conn),
                    f"add column {table.name}.{column.name}",
                )
                added.append(column.name)
        if self.dry_run and added:
            wanted = [c for c in wanted if c.name not in added]
        nullable_live = introspect.nullable_columns(self.conn, table.name)
        for column in wanted:
            if column.nullable or column.name not in nullable_live:
                continue
            default = introspect.default_sql(column, self.conn)
            if default is not None:
                self.backfill(
                    table,
                    set_sql=f"{column.name} = {default}",
                    where_sql=f"{column.name} IS NULL",
                    description=f"backfill {table.name}.{column.name} = {default}",
                )
            # SQLite cannot change a column's nullability in place; it keeps the default only.
            if self.dialect != "postgresql":
                continue
            sql = f"ALTER TABLE {table.name} ALTER COLUMN {column.name} SET NOT NULL"
            # In a dry run the backfill above is only planned; it would leave no NULL.
            planned_clean = self.dry_run and default is not None
            self._tighten(
                f"set {table.name}.{column.name} NOT NULL",
                apply=partial(self.conn.execute, text(sql)),
                count=_no_rows
                if planned_clean
                else partial(null_rows, self.conn, table.name, column.name),
                skipped=partial(SkippedTightening, table.name, (column.name,), "NOT NULL"),
            )

    def ensure_nullable(self, table: Table, names: list[str]) -> None:
        """Let the model's nullable columns hold NULL where the live column is NOT NULL (a
        loosening: no row can violate it). PostgreSQL drops the constraint in place; SQLite
        can only rebuild the table (`shared.migration.sqlite_rebuild`)."""
        if not self.has_table(table):
            return
        live = introspect.column_names(self.conn, table.name)
        nullable_live = introspect.nullable_columns(self.conn, table.name)
        strict = [n for n in names if table.c[n].nullable and n in live and n not in nullable_live]
        if not strict:
            return
        if self.dialect == "postgresql":
            for name in strict:
                self.execute(
                    f"ALTER TABLE {table.name} ALTER COLUMN {name} DROP NOT NULL",
                    f"allow NULL in {table.name}.{name}",
                )
            return
        self.actions.append(f"rebuild table {table.name} to allow NULL in {', '.join(strict)}")
        if not self.dry_run:
            sqlite_rebuild.rebuild_table(self.conn, table)

    def _tighten(
        self,
        description: str,
        *,
        apply: Callable[[], object],
        count: Callable[[], int],
        skipped: Callable[[int], SkippedTightening],
    ) -> None:
        """Apply a constraint unless existing rows violate it, else record why it was skipped.
        Rows written between the count and the DDL make the DDL fail: that is a skip too."""
        rows = count()
        if rows:
            self._skip(skipped(rows))
            return
        self.actions.append(description)
        if self.dry_run:
            return
        try:
            apply()
            self.conn.commit()
        except IntegrityError as exc:
            if not is_data_violation(exc):
                raise
            self.conn.rollback()
            self.actions.remove(description)
            self._skip(skipped(count()))

    def _skip(self, item: SkippedTightening) -> None:
        item.log()
        self.skipped.append(item)

    def backfill(self, table: Table, *, set_sql: str, where_sql: str, description: str) -> int:
        """UPDATE matching rows in batches of `batch_size`, committing each, so no single
        statement locks or rewrites the whole table. Returns the rows changed (or to change)."""
        pk = next(iter(table.primary_key.columns)).name
        remaining = int(
            self.conn.execute(
                text(f"SELECT COUNT(*) FROM {table.name} WHERE {where_sql}")
            ).scalar_one()
        )
        self.conn.commit()
        if not remaining:
            return 0
        self.actions.append(f"{description} ({remaining} rows)")
        if self.dry_run:
            return remaining
        total = 0
        while True:
            changed = self.conn.execute(
                text(
                    f"UPDATE {table.name} SET {set_sql} WHERE {pk} IN "
                    f"(SELECT {pk} FROM {table.name} WHERE {where_sql} LIMIT :n)"
                ),
                {"n": self.batch_size},
            ).rowcount
            self.conn.commit()
            total += changed
            if changed == 0:
                return total

    def ensure_index(self, index: Index, before_create: Callable[[], None] | None = None) -> None:
        """Create a model index that is missing; drop and rebuild one that is INVALID (a failed
        concurrent build) or whose columns, uniqueness or predicate differ from the model.

        A unique index that existing rows violate is skipped with a warning, leaving any older
        index in place; `before_create` is how a step resolves such rows itself first (in a dry
        run it is only planned, so the rows it would resolve do not count)."""
        table = introspect.index_table(index)
        name = introspect.index_name(index)
        if not self.has_table(table):
            return
        missing_columns = {c.name for c in index.columns} - introspect.column_names(
            self.conn, table.name
        )
        if missing_columns and self.dry_run:
            self.actions.append(f"create index {name}")
            return
        state = introspect.index_state(self.conn, table.name, name)
        if state is not None and introspect.index_matches(state, index, self.dialect):
            return

        def count() -> int:
            if not index.unique or (self.dry_run and before_create is not None):
                return 0
            return duplicate_rows(self.conn, index)

        def skipped(rows: int) -> SkippedTightening:
            columns = tuple(c.name for c in index.columns)
            return SkippedTightening(table.name, columns, f"UNIQUE {name}", rows)

        if state is not None and before_create is None and (rows := count()):
            self._skip(skipped(rows))  # the older index stays until the data is fixed
            return
        if state is not None:
            reason = "invalid" if not state.valid else "out of date"
            self.execute(f"DROP INDEX {name}", f"drop {reason} index {name}")
        if before_create is not None:
            before_create()
        self._tighten(
            f"create index {name}",
            apply=lambda: index.create(bind=self.conn),
            count=count,
            skipped=skipped,
        )


def _no_rows() -> int:
    return 0
