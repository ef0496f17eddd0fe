"""SQLite's way to change a column's constraints: rebuild the table from the model.

SQLite's ALTER TABLE cannot make a NOT NULL column nullable. Its documented procedure
(sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema Changes") is followed:
with foreign-key enforcement off, in one transaction, a new table is created from the model, the
rows are copied, the old table is dropped, the new one takes its name, the model's indexes are
created and the foreign keys are checked. The result is the table a fresh database gets, with
every row kept; a failure leaves the old table exactly as it was.
"""

from __future__ import annotations

from sqlalchemy import Connection, MetaData, Table
from sqlalchemy.schema import CreateTable

from shared.migration import introspect


def rebuild_table(conn: Connection, table: Table) -> None:
    """Rebuilds `table` (present in the database) in the model's shape, keeping its rows."""
    quote = conn.dialect.identifier_preparer.quote
    scratch_name = f"_rebuild_{table.name}"
    live = introspect.column_names(conn, table.name)
    columns = ", ".join(quote(c.name) for c in table.columns if c.name in live)
    # The copy lives beside copies of every other table, so its foreign keys resolve.
    scratch = MetaData()
    for other in table.metadata.sorted_tables:
        if other is not table:
            other.to_metadata(scratch)
    copy = table.to_metadata(scratch, name=scratch_name)
    conn.commit()
    # The pragma is a no-op inside a transaction, so it is set before BEGIN.
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        # Python's sqlite3 opens transactions only before DML; DDL needs an explicit BEGIN to
        # be part of one.
        conn.exec_driver_sql("BEGIN")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {quote(scratch_name)}")
        conn.execute(CreateTable(copy))
        conn.exec_driver_sql(
            f"INSERT INTO {quote(scratch_name)} ({columns}) "
            f"SELECT {columns} FROM {quote(table.name)}"
        )
        conn.exec_driver_sql(f"DROP TABLE {quote(table.name)}")
        conn.exec_driver_sql(f"ALTER TABLE {quote(scratch_name)} RENAME TO {quote(table.name)}")
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            index.create(bind=conn)
        broken = conn.exec_driver_sql(f"PRAGMA foreign_key_check({quote(table.name)})").all()
        if broken:
            raise ValueError(f"rebuilding {table.name}: {len(broken)} rows reference missing rows")
        conn.commit()
    except Exception:
        conn.rollback()
        raise
    finally:
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()
