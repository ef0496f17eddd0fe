"""A comparable snapshot of a live schema, and the same view of the models."""

from __future__ import annotations

from sqlalchemy import Engine, MetaData, inspect

from shared.migration.introspect import model_predicate, predicate_signature


def _type_name(type_, dialect) -> str:
    name = type_.compile(dialect=dialect)
    # PostgreSQL stores FLOAT as DOUBLE PRECISION and reports it back that way.
    return {"FLOAT": "DOUBLE PRECISION"}.get(name, name)


def _predicate(index: dict, dialect_name: str) -> str | None:
    """A partial index's WHERE text (SQLite's inspector hands back a clause, not a string)."""
    where = (index.get("dialect_options") or {}).get(f"{dialect_name}_where")
    return None if where is None else str(where)


def live_snapshot(engine: Engine) -> dict:
    """Tables -> columns (type, nullable, default), indexes (columns, unique, predicate),
    unique constraints, foreign keys and primary key, all order-independent."""
    insp = inspect(engine)
    snap = {}
    for table in sorted(insp.get_table_names()):
        columns = {
            c["name"]: (_type_name(c["type"], engine.dialect), c["nullable"], c.get("default"))
            for c in insp.get_columns(table)
        }
        indexes = {
            i["name"]: (
                tuple(i["column_names"]),
                bool(i["unique"]),
                _predicate(i, engine.dialect.name),
            )
            for i in insp.get_indexes(table)
            if not i.get("duplicates_constraint")  # listed under uniques instead
        }
        uniques = sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table))
        fks = sorted(
            (
                tuple(fk["constrained_columns"]),
                fk["referred_table"],
                tuple(fk["referred_columns"]),
                (fk.get("options") or {}).get("ondelete"),
            )
            for fk in insp.get_foreign_keys(table)
        )
        pk = tuple(insp.get_pk_constraint(table)["constrained_columns"])
        snap[table] = {
            "columns": columns,
            "indexes": indexes,
            "uniques": uniques,
            "fks": fks,
            "pk": pk,
        }
    return snap


def model_view(metadata: MetaData, dialect) -> dict:
    """What the models declare, in the shape of `live_snapshot` minus server-rendered text."""
    view = {}
    for table in metadata.sorted_tables:
        names = {c.name for c in table.columns}
        view[table.name] = {
            "columns": {
                c.name: (_type_name(c.type, dialect), bool(c.nullable)) for c in table.columns
            },
            "indexes": {
                i.name: (
                    tuple(c.name for c in i.columns),
                    bool(i.unique),
                    predicate_signature(model_predicate(i, dialect.name), names),
                )
                for i in table.indexes
            },
            "uniques": sorted((c.name,) for c in table.columns if c.unique),
            "fks": sorted(
                (
                    (fk.parent.name,),
                    fk.column.table.name,
                    (fk.column.name,),
                    fk.ondelete,
                )
                for fk in table.foreign_keys
            ),
            "pk": tuple(c.name for c in table.primary_key.columns),
        }
    return view


def comparable_live_view(snapshot: dict) -> dict:
    """Reduce a live snapshot to `model_view`'s shape (predicates by signature)."""
    view = {}
    for table, parts in snapshot.items():
        names = set(parts["columns"])
        view[table] = {
            "columns": {n: (t, nullable) for n, (t, nullable, _d) in parts["columns"].items()},
            "indexes": {
                n: (cols, unique, predicate_signature(pred, names))
                for n, (cols, unique, pred) in parts["indexes"].items()
            },
            "uniques": parts["uniques"],
            "fks": parts["fks"],
            "pk": parts["pk"],
        }
    return view
