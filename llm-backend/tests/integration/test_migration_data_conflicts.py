"""db.py --migrate on rows that violate a constraint the models declare: the constraint is
skipped with a warning (table, columns, rows), the rest of the run completes, and a later run
applies it once the rows are fixed. Real PostgreSQL, one fresh database per test."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, text

import lambda_handler
from db import main as db_main
from db import run_migrations
from tests.support.app_database import use_database
from tests.support.lambda_context import FakeLambdaContext

DDL_PREFIXES = ("CREATE", "ALTER", "DROP")
COUNTRY_NOT_NULL = {
    "table": "books",
    "columns": ["country"],
    "constraint": "NOT NULL",
    "rows": 2,
}
PAGES_UNIQUE = {
    "table": "book_pages",
    "columns": ["book_id", "page_number"],
    "constraint": "UNIQUE uq_book_pages_number",
    "rows": 5,
}


@pytest.fixture
def engine(fresh_database):
    use_database(fresh_database)
    engine = create_engine(fresh_database)
    run_migrations(engine)
    yield engine
    engine.dispose()


def _sql(engine, *statements: str) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def _scalar(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def _nullable(engine, table: str, column: str) -> str:
    return _scalar(
        engine,
        "SELECT is_nullable FROM information_schema.columns "
        f"WHERE table_name = '{table}' AND column_name = '{column}'",
    )


def _index_def(engine, name: str) -> str | None:
    return _scalar(engine, f"SELECT indexdef FROM pg_indexes WHERE indexname = '{name}'")


def _skipped(report: dict) -> list[dict]:
    return [{k: item[k] for k in ("table", "columns", "constraint", "rows")} for item in report]


def _ddl_of(engine, run) -> list[str]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return [s for s in statements if s.upper().startswith(DDL_PREFIXES)]


def test_null_country_skips_not_null_and_a_later_run_applies_it(engine, capsys):
    # An older database: books.country nullable, two books without one; work for later steps
    # (a missing index on the same table, an empty llm_config) shows the run goes on.
    _sql(
        engine,
        "ALTER TABLE books ALTER COLUMN country DROP NOT NULL",
        "DROP INDEX idx_books_curriculum",
        "DELETE FROM llm_config",
        "INSERT INTO books (id, title, country, board, grade, subject, s3_prefix) VALUES "
        "('b1', 'Maths 5', NULL, 'CBSE', 5, 'Maths', 'books/b1/'), "
        "('b2', 'Maths 6', NULL, 'CBSE', 6, 'Maths', 'books/b2/'), "
        "('b3', 'Maths 7', 'India', 'CBSE', 7, 'Maths', 'books/b3/')",
    )

    assert db_main(["--status"]) == 0
    status = capsys.readouterr().out
    assert "NOT NULL on books (country) not applied: 2 rows have books.country NULL" in status
    assert "Work pending." in status

    assert db_main(["--migrate"]) == 0
    out = capsys.readouterr().out
    assert "! skipped: NOT NULL on books (country) not applied: 2 rows" in out
    assert "create index idx_books_curriculum" in out
    assert "seed llm_config with 6 default rows" in out
    assert "1 constraint(s) skipped" in out
    assert _nullable(engine, "books", "country") == "YES"
    assert _index_def(engine, "idx_books_curriculum") is not None
    assert _scalar(engine, "SELECT COUNT(*) FROM llm_config") == 8

    # Still violated: every later run completes, reports it again and changes nothing.
    report = run_migrations(engine)
    assert not report.changed
    assert _skipped(report.skipped) == [COUNTRY_NOT_NULL]
    assert _ddl_of(engine, lambda: run_migrations(engine)) == []
    handler_report = lambda_handler.migrate_handler({}, FakeLambdaContext())
    assert handler_report["changed"] is False
    assert _skipped(handler_report["skipped"]) == [COUNTRY_NOT_NULL]
    step = next(s for s in handler_report["steps"] if s["name"] == "apply_remaining_schema")
    assert _skipped(step["skipped"]) == [COUNTRY_NOT_NULL]
    status = lambda_handler.migrate_handler({"status": True}, FakeLambdaContext())
    assert _skipped(status["skipped"]) == [COUNTRY_NOT_NULL]

    _sql(engine, "UPDATE books SET country = 'India' WHERE country IS NULL")
    fixed = run_migrations(engine)

    actions = {s["name"]: s["actions"] for s in fixed.steps}
    assert actions["apply_remaining_schema"] == ["set books.country NOT NULL"]
    assert fixed.skipped == []
    assert _nullable(engine, "books", "country") == "NO"
    assert not run_migrations(engine).changed


def test_duplicate_page_numbers_skip_the_unique_index_until_fixed(engine, capsys):
    _sql(
        engine,
        "DROP INDEX uq_book_pages_number",
        "INSERT INTO books (id, title, country, board, grade, subject, s3_prefix) VALUES "
        "('b1', 'Maths 5', 'India', 'CBSE', 5, 'Maths', 'books/b1/')",
        "INSERT INTO book_pages (id, book_id, page_number) VALUES "
        "('p1', 'b1', 1), ('p1b', 'b1', 1), ('p2', 'b1', 2), ('p2b', 'b1', 2), ('p2c', 'b1', 2), "
        "('p3', 'b1', 3)",
    )

    assert db_main(["--migrate"]) == 0
    out = capsys.readouterr().out
    assert (
        "UNIQUE uq_book_pages_number on book_pages (book_id, page_number) not applied: "
        "5 rows of book_pages share (book_id, page_number) with another row"
    ) in out
    assert _index_def(engine, "uq_book_pages_number") is None
    report = run_migrations(engine, dry_run=True)
    assert _skipped(report.skipped) == [PAGES_UNIQUE]

    _sql(engine, "DELETE FROM book_pages WHERE id IN ('p1b', 'p2b', 'p2c')")
    fixed = run_migrations(engine)

    actions = {s["name"]: s["actions"] for s in fixed.steps}
    assert actions["apply_remaining_schema"] == ["create index uq_book_pages_number"]
    assert fixed.skipped == []
    assert "UNIQUE" in _index_def(engine, "uq_book_pages_number")


def test_an_out_of_date_index_is_kept_while_rows_block_its_unique_replacement(engine):
    old_index = "CREATE INDEX uq_book_pages_number ON public.book_pages USING btree (book_id)"
    _sql(
        engine,
        "DROP INDEX uq_book_pages_number",
        old_index,
        "INSERT INTO books (id, title, country, board, grade, subject, s3_prefix) VALUES "
        "('b1', 'Maths 5', 'India', 'CBSE', 5, 'Maths', 'books/b1/')",
        "INSERT INTO book_pages (id, book_id, page_number) VALUES ('p1', 'b1', 1), ('p2', 'b1', 1)",
    )

    report = run_migrations(engine)

    assert not report.changed
    assert _skipped(report.skipped) == [{**PAGES_UNIQUE, "rows": 2}]
    assert _index_def(engine, "uq_book_pages_number") == old_index

    _sql(engine, "UPDATE book_pages SET page_number = 2 WHERE id = 'p2'")
    actions = {s["name"]: s["actions"] for s in run_migrations(engine).steps}
    assert actions["apply_remaining_schema"] == [
        "drop out of date index uq_book_pages_number",
        "create index uq_book_pages_number",
    ]
    assert "UNIQUE" in _index_def(engine, "uq_book_pages_number")


def test_a_step_that_resolves_its_duplicates_still_builds_its_index(engine):
    """The paused-session index un-pauses older duplicates itself; nothing is skipped."""
    _sql(
        engine,
        "DROP INDEX idx_sessions_one_paused_per_user_guideline",
        "INSERT INTO users (id, cognito_sub) VALUES ('u1', 'sub-1')",
        "INSERT INTO sessions (id, user_id, guideline_id, is_paused, updated_at) VALUES "
        "('old', 'u1', 'g1', true, now() - interval '1 day'), ('new', 'u1', 'g1', true, now())",
    )

    status = run_migrations(engine, dry_run=True)
    report = run_migrations(engine)

    assert status.skipped == [] and report.skipped == []
    actions = {s["name"]: s["actions"] for s in report.steps}
    assert actions["apply_learning_modes_columns"] == [
        "un-pause older duplicate paused sessions",
        "create index idx_sessions_one_paused_per_user_guideline",
    ]
    assert _scalar(engine, "SELECT id FROM sessions WHERE is_paused") == "new"


def test_a_row_written_between_the_check_and_the_ddl_is_a_skip_too(engine, fresh_database):
    """A writer commits a NULL country after the migrator counted none: SET NOT NULL fails with
    23502, and that is reported like any other violation instead of failing the run."""
    _sql(engine, "ALTER TABLE books ALTER COLUMN country DROP NOT NULL", "DELETE FROM llm_config")
    writer = create_engine(fresh_database)

    def insert_null_row_first(_conn, _cursor, statement, *_args):
        if statement.startswith("ALTER TABLE books ALTER COLUMN country SET NOT NULL"):
            _sql(
                writer,
                "INSERT INTO books (id, title, country, board, grade, subject, s3_prefix) VALUES "
                "('late', 'Maths 5', NULL, 'CBSE', 5, 'Maths', 'books/late/')",
            )

    event.listen(engine, "before_cursor_execute", insert_null_row_first)
    try:
        report = run_migrations(engine)
    finally:
        event.remove(engine, "before_cursor_execute", insert_null_row_first)
        writer.dispose()

    assert _skipped(report.skipped) == [{**COUNTRY_NOT_NULL, "rows": 1}]
    actions = {s["name"]: s["actions"] for s in report.steps}
    assert "set books.country NOT NULL" not in actions["apply_remaining_schema"]
    assert actions["seed_llm_config"] == ["seed llm_config with 6 default rows"]
    assert _nullable(engine, "books", "country") == "YES"
