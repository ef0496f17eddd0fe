"""db.py --migrate against real PostgreSQL: fresh, legacy, repeated, concurrent, and failing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

from config import reset_settings
from db import main as db_main
from db import run_migrations
from shared.errors import MigrationError
from shared.migration.lock import MIGRATION_LOCK_KEY
from shared.models.registry import all_metadata
from tests.support.app_database import use_database
from tests.support.legacy import build_original_shape
from tests.support.pg import create_database, drop_database
from tests.support.schema import comparable_live_view, live_snapshot, model_view

BACKEND_DIR = Path(__file__).resolve().parents[2]
DDL_PREFIXES = ("CREATE", "ALTER", "DROP", "TRUNCATE", "COMMENT")


@pytest.fixture
def migrated_engine(fresh_database):
    use_database(fresh_database)
    engine = create_engine(fresh_database)
    yield engine
    engine.dispose()


def _capture_statements(engine) -> list[str]:
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    return statements


def test_fresh_database_matches_models_and_is_seeded(migrated_engine):
    report = run_migrations(migrated_engine)

    assert report.changed
    created = report.steps[0]["actions"]
    assert sorted(created) == sorted(f"create table {t}" for t in all_metadata().tables)
    view = comparable_live_view(live_snapshot(migrated_engine))
    assert view == model_view(all_metadata(), migrated_engine.dialect)
    with migrated_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT component_key, provider, model_id FROM llm_config ORDER BY 1")
        ).all()
    assert [r[0] for r in rows] == sorted(
        [
            "book_ingestion",
            "eval_evaluator",
            "eval_simulator",
            "speech_to_text",
            "study_plan_generator",
            "study_plan_reviewer",
            "text_to_speech",
            "tutor",
        ]
    )
    models = {r[0]: (r[1], r[2]) for r in rows}
    assert models.pop("speech_to_text") == ("openai", "gpt-4o-mini-transcribe")
    assert models.pop("text_to_speech") == ("openai", "gpt-4o-mini-tts")
    assert set(models.values()) == {("openai", "gpt-5.2")}


def test_partial_unique_indexes_have_their_predicates(migrated_engine):
    run_migrations(migrated_engine)
    with migrated_engine.connect() as conn:
        defs = dict(
            conn.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
                    "('idx_book_running_job', 'idx_sessions_one_paused_per_user_guideline')"
                )
            ).all()
        )
    assert "UNIQUE" in defs["idx_book_running_job"]
    assert "'pending'" in defs["idx_book_running_job"]
    assert "'running'" in defs["idx_book_running_job"]
    paused = defs["idx_sessions_one_paused_per_user_guideline"]
    assert "UNIQUE" in paused and "(user_id, guideline_id)" in paused
    assert "WHERE (is_paused = true)" in paused


def test_legacy_database_upgrades_to_the_fresh_schema_keeping_rows(pg_server_url, migrated_engine):
    run_migrations(migrated_engine)
    fresh = live_snapshot(migrated_engine)

    legacy_url = create_database(pg_server_url, prefix="tutor_legacy")
    legacy = create_engine(legacy_url)
    try:
        build_original_shape(legacy_url)
        report = run_migrations(legacy)
        actions = {s["name"]: s["actions"] for s in report.steps}
        assert "add column sessions.user_id" in actions["apply_session_columns"]
        assert "add column sessions.mode" in actions["apply_learning_modes_columns"]
        assert "drop out of date index idx_book_running_job" in actions["apply_book_job_columns"]
        assert (
            "fail legacy running jobs without a heartbeat (1 rows)"
            in actions["apply_book_job_columns"]
        )
        assert sorted(actions["create_tables"]) == [
            "create table book_pages",
            "create table eval_conversations",
            "create table eval_judgments",
            "create table eval_runs",
            "create table llm_calls",
            "create table llm_config",
            "create table rate_limit_counters",
        ]
        assert actions["apply_user_profile_columns"] == [
            "add column users.preferred_name",
            "add column users.text_language_preference",
            "add column users.audio_language_preference",
        ]
        # Columns this project added after the original schema, on a table with rows in it.
        assert actions["apply_remaining_schema"] == [
            "add column book_jobs.lease_id",
            "add column book_jobs.created_at",
            "set book_jobs.created_at NOT NULL",
            "create index idx_book_jobs_book",
        ]
        assert actions["allow_jobs_without_book"] == ["allow NULL in book_jobs.book_id"]

        assert live_snapshot(legacy) == fresh
        with legacy.connect() as conn:
            sessions = conn.execute(
                text(
                    "SELECT id, student_json, mastery, step_idx, mode, is_paused, state_version, "
                    "user_id FROM sessions ORDER BY id"
                )
            ).all()
            jobs = dict(conn.execute(text("SELECT id, status FROM book_jobs")).all())
            job_columns = conn.execute(
                text(
                    "SELECT COUNT(*), COUNT(created_at), COUNT(lease_id), "
                    "SUM(completed_items), SUM(failed_items) FROM book_jobs"
                )
            ).one()
            message = conn.execute(
                text("SELECT error_message FROM book_jobs WHERE id = 'j-running'")
            ).scalar_one()
            events = conn.execute(text("SELECT session_id, node FROM events")).all()
            seeded = conn.execute(text("SELECT COUNT(*) FROM llm_config")).scalar_one()
            users = conn.execute(
                text(
                    "SELECT id, name, board, onboarding_complete, preferred_name, "
                    "text_language_preference, audio_language_preference FROM users"
                )
            ).all()
        assert [tuple(r) for r in sessions] == [
            ("s1", '{"name": "student 1"}', 0.25, 1, "teach_me", False, 1, None),
            ("s2", '{"name": "student 2"}', 0.5, 2, "teach_me", False, 1, None),
            ("s3", '{"name": "student 3"}', 0.75, 3, "teach_me", False, 1, None),
        ]
        assert jobs == {"j-running": "failed", "j-done": "completed", "j-pending": "pending"}
        assert tuple(job_columns) == (3, 3, 0, 0, 0)  # every row got a creation time, no lease
        assert "legacy running job without a heartbeat" in message
        assert [tuple(e) for e in events] == [("s1", "Present")]
        assert seeded == 8  # the six first defaults and the two voice components
        assert [tuple(u) for u in users] == [("u1", "Meera", "CBSE", True, None, None, None)]
    finally:
        legacy.dispose()
        drop_database(pg_server_url, legacy_url)


def test_second_run_issues_no_ddl_and_says_so(migrated_engine, capsys):
    run_migrations(migrated_engine)
    statements = _capture_statements(migrated_engine)

    report = run_migrations(migrated_engine)

    assert not report.changed
    assert report.steps and all(step["actions"] == [] for step in report.steps)
    assert statements, "the second run must still inspect the schema"
    ddl = [s for s in statements if s.upper().startswith(DDL_PREFIXES)]
    assert ddl == []
    writes = [s for s in statements if s.upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert db_main(["--migrate"]) == 0
    assert "Schema is up to date; nothing changed." in capsys.readouterr().out


def test_status_lists_pending_work_without_changing_anything(pg_server_url):
    url = create_database(pg_server_url, prefix="tutor_status")
    engine = create_engine(url)
    try:
        build_original_shape(url)
        before = live_snapshot(engine)
        report = run_migrations(engine, dry_run=True)
        pending = {s["name"]: s["actions"] for s in report.steps}
        assert sorted(pending["create_tables"]) == [
            "create table book_pages",
            "create table eval_conversations",
            "create table eval_judgments",
            "create table eval_runs",
            "create table llm_calls",
            "create table llm_config",
            "create table rate_limit_counters",
        ]
        assert "add column book_jobs.lease_id" in pending["apply_remaining_schema"]
        assert "add column book_jobs.heartbeat_at" in pending["apply_book_job_columns"]
        assert pending["allow_jobs_without_book"] == ["allow NULL in book_jobs.book_id"]
        assert pending["seed_llm_config"] == ["seed llm_config with 6 default rows"]
        assert pending["seed_added_llm_config"] == [
            "add llm_config rows for speech_to_text, text_to_speech"
        ]
        assert live_snapshot(engine) == before
        assert "Work pending." in report.render()
        run_migrations(engine)
        after = run_migrations(engine, dry_run=True)
        assert not after.changed
        assert after.render().endswith("Schema is up to date.")
    finally:
        engine.dispose()
        drop_database(pg_server_url, url)


def test_backfill_runs_in_batches_and_restores_not_null(migrated_engine, monkeypatch):
    run_migrations(migrated_engine)
    with migrated_engine.begin() as conn:
        conn.execute(text("ALTER TABLE sessions ALTER COLUMN mode DROP NOT NULL"))
        conn.execute(
            text(
                "INSERT INTO sessions (id, mode) VALUES ('a', NULL), ('b', NULL), ('c', NULL), "
                "('d', NULL), ('e', NULL), ('f', 'exam_me')"
            )
        )
    monkeypatch.setenv("MIGRATION_BATCH_SIZE", "2")
    reset_settings()
    statements = _capture_statements(migrated_engine)

    report = run_migrations(migrated_engine)

    updates = [s for s in statements if s.startswith("UPDATE sessions SET mode = 'teach_me'")]
    assert len(updates) == 4  # 2 + 2 + 1, then an empty batch ends the loop
    assert all("LIMIT" in u for u in updates)
    actions = dict((s["name"], s["actions"]) for s in report.steps)
    assert actions["apply_learning_modes_columns"] == [
        "backfill sessions.mode = 'teach_me' (5 rows)",
        "set sessions.mode NOT NULL",
    ]
    with migrated_engine.connect() as conn:
        modes = dict(conn.execute(text("SELECT id, mode FROM sessions")).all())
        nullable = conn.execute(
            text(
                "SELECT is_nullable FROM information_schema.columns "
                "WHERE table_name = 'sessions' AND column_name = 'mode'"
            )
        ).scalar_one()
    assert modes == {
        "a": "teach_me",
        "b": "teach_me",
        "c": "teach_me",
        "d": "teach_me",
        "e": "teach_me",
        "f": "exam",  # renamed by rename_exam_mode
    }
    assert nullable == "NO"


def test_exam_sessions_written_as_exam_me_are_renamed_once(migrated_engine):
    from tutor.models.state import SessionState

    run_migrations(migrated_engine)
    old_state = (
        SessionState(mode="exam", guideline_id="g", subject="s", topic="t", subtopic="u")
        .model_dump_json()
        .replace('"mode":"exam"', '"mode":"exam_me"')
    )
    with migrated_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sessions (id, mode, state_json, goal_json) VALUES "
                "('old', 'exam_me', :state, :goal), ('teach', 'teach_me', NULL, NULL)"
            ),
            {"state": old_state, "goal": '{"guideline_id": "g", "mode": "exam_me"}'},
        )

    report = run_migrations(migrated_engine)
    again = run_migrations(migrated_engine)

    actions = dict((s["name"], s["actions"]) for s in report.steps)
    assert actions["rename_exam_mode"] == [
        "rename sessions.mode exam_me -> exam (1 rows)",
        "rename the exam mode in sessions.state_json (1 rows)",
        "rename the exam mode in sessions.goal_json (1 rows)",
    ]
    assert not again.changed
    with migrated_engine.connect() as conn:
        mode, state, goal = conn.execute(
            text("SELECT mode, state_json, goal_json FROM sessions WHERE id = 'old'")
        ).one()
        teach = conn.execute(text("SELECT mode FROM sessions WHERE id = 'teach'")).scalar_one()
    assert (mode, teach) == ("exam", "teach_me")
    assert SessionState.model_validate_json(state).mode == "exam"
    assert json.loads(goal) == {"guideline_id": "g", "mode": "exam"}


def test_invalid_index_from_failed_build_is_rebuilt(migrated_engine):
    run_migrations(migrated_engine)
    with migrated_engine.begin() as conn:
        conn.execute(text("DROP INDEX idx_sessions_one_paused_per_user_guideline"))
        conn.execute(
            text(
                "INSERT INTO users (id, cognito_sub) VALUES ('u1', 'sub-1');"
                "INSERT INTO sessions (id, user_id, guideline_id, is_paused, updated_at) VALUES "
                "('old', 'u1', 'g1', true, now() - interval '1 day'), "
                "('new', 'u1', 'g1', true, now())"
            )
        )
    autocommit = migrated_engine.execution_options(isolation_level="AUTOCOMMIT")
    with autocommit.connect() as conn, pytest.raises(Exception, match="could not create unique"):
        conn.execute(
            text(
                "CREATE UNIQUE INDEX CONCURRENTLY idx_sessions_one_paused_per_user_guideline "
                "ON sessions (user_id, guideline_id) WHERE is_paused = true"
            )
        )
    with migrated_engine.connect() as conn:
        valid = conn.execute(
            text(
                "SELECT indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = 'idx_sessions_one_paused_per_user_guideline'"
            )
        ).scalar_one()
    assert valid is False

    report = run_migrations(migrated_engine)

    actions = dict((s["name"], s["actions"]) for s in report.steps)
    assert actions["apply_learning_modes_columns"] == [
        "drop invalid index idx_sessions_one_paused_per_user_guideline",
        "un-pause older duplicate paused sessions",
        "create index idx_sessions_one_paused_per_user_guideline",
    ]
    with migrated_engine.connect() as conn:
        paused = dict(conn.execute(text("SELECT id, is_paused FROM sessions")).all())
        valid = conn.execute(
            text(
                "SELECT indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = 'idx_sessions_one_paused_per_user_guideline'"
            )
        ).scalar_one()
    assert paused == {"old": False, "new": True}
    assert valid is True


def test_waiter_gives_up_with_a_clear_message_when_lock_is_held(migrated_engine, monkeypatch):
    monkeypatch.setenv("MIGRATION_LOCK_WAIT_SECONDS", "1")
    reset_settings()
    holder = migrated_engine.connect()
    try:
        holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        with pytest.raises(MigrationError, match="another migration has held the migration lock"):
            run_migrations(migrated_engine)
    finally:
        holder.invalidate()  # ends the session, releasing its advisory lock
        holder.close()
    report = run_migrations(migrated_engine)  # the lock is free again: it proceeds
    assert report.steps[0]["name"] == "create_tables"
    assert report.changed


def test_ddl_does_not_queue_behind_a_long_transaction(pg_server_url, monkeypatch):
    url = create_database(pg_server_url, prefix="tutor_locked")
    engine = create_engine(url)
    monkeypatch.setenv("MIGRATION_STATEMENT_LOCK_TIMEOUT_MS", "300")
    reset_settings()
    try:
        build_original_shape(url)
        blocker = engine.connect()
        blocker.execute(text("SELECT COUNT(*) FROM sessions"))  # holds ACCESS SHARE until rollback
        try:
            with pytest.raises(MigrationError, match="waited more than 300 ms for a table lock"):
                run_migrations(engine)
        finally:
            blocker.rollback()
            blocker.close()
        assert run_migrations(engine).changed  # once the transaction ends, it goes through
        assert not run_migrations(engine).changed
    finally:
        engine.dispose()
        drop_database(pg_server_url, url)


def test_eight_concurrent_migrators_leave_one_correct_schema(migrated_engine, fresh_database):
    env = {**os.environ, "DATABASE_URL": fresh_database, "LOG_LEVEL": "WARNING"}
    procs = [
        subprocess.Popen(
            [sys.executable, "db.py", "--migrate"],
            cwd=BACKEND_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    results = [(p.wait(timeout=240), *p.communicate()) for p in procs]

    assert [code for code, _out, _err in results] == [0] * 8, [err for *_x, err in results]
    outputs = [out for _code, out, _err in results]
    assert sum("Migration applied." in out for out in outputs) == 1
    assert sum("nothing changed" in out for out in outputs) == 7
    view = comparable_live_view(live_snapshot(migrated_engine))
    assert view == model_view(all_metadata(), migrated_engine.dialect)
    with migrated_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM llm_config")).scalar_one() == 8
