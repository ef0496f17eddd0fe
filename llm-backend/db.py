"""Imperative, idempotent schema migrations.

    python db.py --migrate   bring the database to the models' shape (safe to run repeatedly)
    python db.py --status    print each step and whether it still has work to do

Each step inspects the live schema and does only what is missing, so the same run brings an
empty database, or one from any earlier shape, to the current schema; a second run changes
nothing. On PostgreSQL the run holds an advisory lock so concurrent deploys serialize.

Data never wedges a deploy: a NOT NULL or unique index that existing rows violate is skipped
with a warning (table, columns, violating rows) in the output and the report, the rest of the
run completes, and the first run after the rows are fixed applies it.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from config import get_settings
from database import get_db_manager, safe_url
from shared.errors import MigrationError
from shared.llm.components import SPEECH_TO_TEXT, TEXT_TO_SPEECH
from shared.llm.prices import seeded_price_rows
from shared.migration import introspect
from shared.migration.context import StepContext
from shared.migration.lock import migration_lock
from shared.models.registry import all_metadata

logger = logging.getLogger("db")

METADATA = all_metadata()
TABLES = METADATA.tables

DEFAULT_LLM_CONFIG = [
    ("tutor", "Main tutoring pipeline (safety + master tutor + welcome)"),
    ("book_ingestion", "All book ingestion services (OCR, boundaries, merge, etc.)"),
    ("study_plan_generator", "Study plan creation from teaching guidelines"),
    ("study_plan_reviewer", "Study plan review and improvement"),
    ("eval_evaluator", "Evaluation judge (scores tutor quality)"),
    ("eval_simulator", "Student simulator for evaluations"),
]
DEFAULT_PROVIDER, DEFAULT_MODEL = "openai", "gpt-5.2"
# Components added after the first seeding: (key, provider, model, description). Every
# migration adds the ones a database lacks, so an existing database gains them too.
ADDED_LLM_CONFIG = [
    (
        SPEECH_TO_TEXT,
        "openai",
        "gpt-4o-mini-transcribe",
        "Voice input: transcribes the student's recordings (POST /transcribe)",
    ),
    (
        TEXT_TO_SPEECH,
        "openai",
        "gpt-4o-mini-tts",
        "Voice output: reads the tutor's messages aloud (POST /text-to-speech)",
    ),
]
LOCK_NOT_AVAILABLE = "55P03"  # SQLSTATE raised when lock_timeout expires


def _row(key: str, provider: str, model: str, description: str) -> dict:
    return {
        "component_key": key,
        "provider": provider,
        "model_id": model,
        "description": description,
        "updated_by": "migration",
    }


def first_llm_config_rows() -> list[dict]:
    """What an empty llm_config is seeded with."""
    return [_row(key, DEFAULT_PROVIDER, DEFAULT_MODEL, desc) for key, desc in DEFAULT_LLM_CONFIG]


def added_llm_config_rows() -> list[dict]:
    return [_row(*item) for item in ADDED_LLM_CONFIG]


def default_llm_config_rows() -> list[dict]:
    """Every row a migrated database starts with."""
    return first_llm_config_rows() + added_llm_config_rows()


def _index(table: str, name: str):
    return next(i for i in TABLES[table].indexes if i.name == name)


def _create_tables(ctx: StepContext) -> None:
    missing = [t for t in METADATA.sorted_tables if t.name not in introspect.table_names(ctx.conn)]
    for table in missing:
        ctx.actions.append(f"create table {table.name}")
    if missing and not ctx.dry_run:
        METADATA.create_all(ctx.conn, tables=missing, checkfirst=True)
        ctx.conn.commit()


def _apply_session_columns(ctx: StepContext) -> None:
    sessions = TABLES["sessions"]
    ctx.ensure_columns(sessions, ["user_id", "subject"])
    ctx.ensure_index(_index("sessions", "idx_sessions_user_id"))
    ctx.ensure_index(_index("sessions", "idx_sessions_subject"))


def _apply_learning_modes_columns(ctx: StepContext) -> None:
    sessions = TABLES["sessions"]
    columns = ["mode", "is_paused", "exam_score", "exam_total", "guideline_id", "state_version"]
    # ensure_columns backfills mode = 'teach_me' (the column default) in batches.
    ctx.ensure_columns(sessions, columns)
    ctx.ensure_index(_index("sessions", "idx_sessions_mode"))
    ctx.ensure_index(_index("sessions", "idx_sessions_guideline_id"))

    def keep_newest_paused() -> None:
        # Older data may hold several paused sessions for one user and guideline; the newest
        # stays paused (resumable), the rest are un-paused so the unique index can be built.
        ctx.execute(
            """
            UPDATE sessions SET is_paused = false
            WHERE is_paused = true AND EXISTS (
                SELECT 1 FROM sessions newer
                WHERE newer.is_paused = true
                  AND newer.user_id = sessions.user_id
                  AND newer.guideline_id = sessions.guideline_id
                  AND (newer.updated_at > sessions.updated_at
                       OR (newer.updated_at = sessions.updated_at AND newer.id > sessions.id)))
            """,
            "un-pause older duplicate paused sessions",
        )

    ctx.ensure_index(
        _index("sessions", "idx_sessions_one_paused_per_user_guideline"),
        before_create=keep_newest_paused,
    )


def _apply_user_profile_columns(ctx: StepContext) -> None:
    # Nullable, no backfill: existing users read as "no preferred name, English" until they
    # choose (the API answers NULL languages as "en").
    users = TABLES["users"]
    ctx.ensure_columns(
        users, ["preferred_name", "text_language_preference", "audio_language_preference"]
    )


def _apply_book_job_columns(ctx: StepContext) -> None:
    jobs = TABLES["book_jobs"]
    progress = [
        "total_items",
        "completed_items",
        "failed_items",
        "current_item",
        "last_completed_item",
        "progress_detail",
        "heartbeat_at",
    ]
    ctx.ensure_columns(jobs, progress)
    if ctx.has_table(jobs) and "heartbeat_at" in introspect.column_names(ctx.conn, "book_jobs"):
        # A running job is claimed together with its first heartbeat, so one without any
        # heartbeat was started by a worker that predates heartbeats and can never finish.
        ctx.backfill(
            jobs,
            set_sql=(
                "status = 'failed', "
                "error_message = 'Marked failed by migration: legacy running job without a "
                "heartbeat; start it again or resume it', "
                "completed_at = CURRENT_TIMESTAMP"
            ),
            where_sql="status = 'running' AND heartbeat_at IS NULL",
            description="fail legacy running jobs without a heartbeat",
        )

    def fail_superseded_jobs() -> None:
        ctx.execute(
            """
            UPDATE book_jobs SET status = 'failed',
                   error_message = 'Marked failed by migration: a newer active job exists '
                                   || 'for this book',
                   completed_at = CURRENT_TIMESTAMP
            WHERE status IN ('pending', 'running') AND EXISTS (
                SELECT 1 FROM book_jobs newer
                WHERE newer.book_id = book_jobs.book_id
                  AND newer.status IN ('pending', 'running')
                  AND (COALESCE(newer.started_at, CURRENT_TIMESTAMP)
                         > COALESCE(book_jobs.started_at, CURRENT_TIMESTAMP)
                       OR (COALESCE(newer.started_at, CURRENT_TIMESTAMP)
                             = COALESCE(book_jobs.started_at, CURRENT_TIMESTAMP)
                           AND newer.id > book_jobs.id)))
            """,
            "fail older duplicate active jobs",
        )

    ctx.ensure_index(
        _index("book_jobs", "idx_book_running_job"), before_create=fail_superseded_jobs
    )


def _allow_jobs_without_book(ctx: StepContext) -> None:
    """Jobs that belong to no book (evaluation runs) have a NULL `book_jobs.book_id`; the
    column was NOT NULL before. After the catch-all, so on SQLite the rebuild copies a table
    that already has every model column."""
    ctx.ensure_nullable(TABLES["book_jobs"], ["book_id"])


# Unique indexes whose own step resolves conflicting rows before building them. The catch-all
# leaves them alone: after a real run they exist, and in a dry run (where the resolution is only
# planned) it would report their still-conflicting rows as a skip.
INDEXES_WITH_RESOLVER = frozenset(
    {"idx_sessions_one_paused_per_user_guideline", "idx_book_running_job"}
)


def _apply_remaining_schema(ctx: StepContext) -> None:
    """Catch-all for every other table: any model column or index the database lacks."""
    for table in METADATA.sorted_tables:
        ctx.ensure_columns(table)
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            if index.name not in INDEXES_WITH_RESOLVER:
                ctx.ensure_index(index)


def _rename_exam_mode(ctx: StepContext) -> None:
    """The exam mode is spelled `exam`, as the frontend sends and reads it; sessions written
    while it was `exam_me` are renamed in the column, the state and the goal (each a JSON text
    that the service wrote compactly or with json.dumps' spacing)."""
    sessions = TABLES["sessions"]
    # In a dry run the earlier steps only planned the mode column: nothing to rename yet.
    if not ctx.has_table(sessions) or "mode" not in introspect.column_names(ctx.conn, "sessions"):
        return
    ctx.backfill(
        sessions,
        set_sql="mode = 'exam'",
        where_sql="mode = 'exam_me'",
        description="rename sessions.mode exam_me -> exam",
    )
    for column in ("state_json", "goal_json"):
        ctx.backfill(
            sessions,
            set_sql=(
                f'{column} = replace(replace({column}, \'"mode":"exam_me"\', '
                f'\'"mode":"exam"\'), \'"mode": "exam_me"\', \'"mode": "exam"\')'
            ),
            # `\_` is a literal underscore; ESCAPE names the escape character, which SQLite
            # (unlike PostgreSQL) has no default for.
            where_sql=(
                f"{column} LIKE '%\"mode\":\"exam\\_me\"%' ESCAPE '\\' "
                f"OR {column} LIKE '%\"mode\": \"exam\\_me\"%' ESCAPE '\\'"
            ),
            description=f"rename the exam mode in sessions.{column}",
        )


def _seed_llm_config(ctx: StepContext) -> None:
    table = TABLES["llm_config"]
    if not ctx.has_table(table):
        ctx.actions.append(f"seed llm_config with {len(DEFAULT_LLM_CONFIG)} default rows")
        return
    count = ctx.conn.execute(select(func.count()).select_from(table)).scalar_one()
    ctx.conn.commit()
    if count:
        return
    ctx.actions.append(f"seed llm_config with {len(DEFAULT_LLM_CONFIG)} default rows")
    if ctx.dry_run:
        return
    ctx.conn.execute(table.insert(), first_llm_config_rows())
    ctx.conn.commit()


def _seed_added_llm_config(ctx: StepContext) -> None:
    """Rows for components added since the first seeding, only where missing: an admin's choice
    for one of them is never overwritten."""
    table = TABLES["llm_config"]
    wanted = added_llm_config_rows()
    present: set[str] = set()
    if ctx.has_table(table):
        keys = [row["component_key"] for row in wanted]
        query = select(table.c.component_key).where(table.c.component_key.in_(keys))
        present = set(ctx.conn.execute(query).scalars())
        ctx.conn.commit()
    missing = [row for row in wanted if row["component_key"] not in present]
    if not missing:
        return
    ctx.actions.append(
        "add llm_config rows for " + ", ".join(row["component_key"] for row in missing)
    )
    if ctx.dry_run:
        return
    ctx.conn.execute(table.insert(), missing)
    ctx.conn.commit()


def _seed_llm_prices(ctx: StepContext) -> None:
    """Dated prices for the seeded models, only where a (provider, model) has no row: a price
    an admin set is never overwritten."""
    table = TABLES["llm_prices"]
    present: set[tuple[str, str]] = set()
    if ctx.has_table(table):
        query = select(table.c.provider, table.c.model)
        present = {(provider, model) for provider, model in ctx.conn.execute(query)}
        ctx.conn.commit()
    missing = [r for r in seeded_price_rows() if (r["provider"], r["model"]) not in present]
    if not missing:
        return
    ctx.actions.append("add llm_prices for " + ", ".join(r["model"] for r in missing))
    if ctx.dry_run:
        return
    ctx.conn.execute(table.insert(), missing)
    ctx.conn.commit()


STEPS: list[tuple[str, Callable[[StepContext], None]]] = [
    ("create_tables", _create_tables),
    ("apply_session_columns", _apply_session_columns),
    ("apply_learning_modes_columns", _apply_learning_modes_columns),
    ("apply_book_job_columns", _apply_book_job_columns),
    ("apply_user_profile_columns", _apply_user_profile_columns),
    ("apply_remaining_schema", _apply_remaining_schema),
    ("allow_jobs_without_book", _allow_jobs_without_book),
    ("rename_exam_mode", _rename_exam_mode),
    ("seed_llm_config", _seed_llm_config),
    ("seed_added_llm_config", _seed_added_llm_config),
    ("seed_llm_prices", _seed_llm_prices),
]


@dataclass
class MigrationReport:
    dry_run: bool
    steps: list[dict] = field(default_factory=list)
    lock_wait_seconds: float = 0.0
    duration_seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(step["actions"] for step in self.steps)

    @property
    def skipped(self) -> list[dict]:
        """Tightenings existing rows violate: left out of this run, applied by a later one."""
        return [item for step in self.steps for item in step["skipped"]]

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "changed": self.changed,
            "skipped": self.skipped,
            "steps": self.steps,
            "lock_wait_seconds": round(self.lock_wait_seconds, 3),
            "duration_seconds": round(self.duration_seconds, 3),
        }

    def render(self) -> str:
        lines = []
        for step in self.steps:
            if not step["actions"] and not step["skipped"]:
                lines.append(f"  {step['name']}: up to date")
                continue
            verb = "pending" if self.dry_run else "applied"
            lines.append(f"  {step['name']}: {verb if step['actions'] else 'up to date'}")
            lines.extend(f"    - {action}" for action in step["actions"])
            lines.extend(f"    ! skipped: {item['message']}" for item in step["skipped"])
        if self.dry_run:
            summary = "Work pending." if self.changed else "Schema is up to date."
        else:
            summary = (
                "Migration applied." if self.changed else "Schema is up to date; nothing changed."
            )
        if self.skipped:
            summary += (
                f" Warning: {len(self.skipped)} constraint(s) skipped because existing rows "
                "violate them (listed above)."
            )
        return "\n".join([*lines, summary])


def run_migrations(engine: Engine | None = None, *, dry_run: bool = False) -> MigrationReport:
    settings = get_settings()
    engine = engine or get_db_manager().engine
    report = MigrationReport(dry_run=dry_run)
    started = time.monotonic()
    step_name = "connect"
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                timeout = settings.migration_statement_lock_timeout_ms
                conn.execute(text(f"SET lock_timeout = {int(timeout)}"))
                conn.commit()
            lock = migration_lock(conn, wait_seconds=settings.migration_lock_wait_seconds)
            with lock as waited:
                report.lock_wait_seconds = waited
                for step_name, step in STEPS:
                    ctx = StepContext(
                        conn=conn, dry_run=dry_run, batch_size=settings.migration_batch_size
                    )
                    step(ctx)
                    report.steps.append(
                        {
                            "name": step_name,
                            "actions": ctx.actions,
                            "skipped": [item.as_dict() for item in ctx.skipped],
                        }
                    )
    except OperationalError as exc:
        raise MigrationError(_explain(exc, step_name, engine)) from exc
    except DBAPIError as exc:
        raise MigrationError(f"step {step_name} failed: {exc.orig}".strip()) from exc
    report.duration_seconds = time.monotonic() - started
    return report


def _explain(exc: OperationalError, step: str, engine: Engine) -> str:
    if getattr(exc.orig, "pgcode", None) == LOCK_NOT_AVAILABLE:
        timeout = get_settings().migration_statement_lock_timeout_ms
        return (
            f"step {step} waited more than {timeout} ms for a table lock held by another "
            "transaction; let that transaction finish and run the migration again"
        )
    if step == "connect":
        return f"cannot connect to the database at {safe_url(str(engine.url))}: {exc.orig}".strip()
    return f"step {step} failed: {exc.orig}".strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--migrate", action="store_true", help="apply pending migrations")
    group.add_argument("--status", action="store_true", help="show pending work per step")
    group.add_argument(
        "--seed-demo", action="store_true", help="add a small approved demo curriculum if none"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.seed_demo:
        from tutor.demo_curriculum import seed_demo

        print(seed_demo())
        return 0
    url = safe_url(get_settings().effective_database_url)
    try:
        report = run_migrations(dry_run=args.status)
    except MigrationError as exc:
        print(f"Migration failed: {exc.message}", file=sys.stderr)
        return 1
    print(f"Database: {url}")
    print(report.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
