"""The embedded SQLite default: the same migration and a smoke flow."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from book_ingestion.models.database import BookPage
from config import DATA_DIR, Settings
from database import get_db_manager, session_scope
from db import run_migrations
from evaluation.services import runs
from main import create_app
from shared.jobs.models import BookJob
from shared.models.base import utcnow
from shared.models.entities import LLMConfig, Session, User
from tests.support.app_database import use_database
from tests.support.books import wait_jobs_idle
from tests.support.eval_runs import EvalScript, conversations
from tests.support.schema import comparable_live_view, live_snapshot
from tests.support.tutor import add_guideline


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'tutor.db'}"
    previous = os.environ.get("DATABASE_URL")
    use_database(url)
    yield url
    use_database(previous)


def test_unset_database_url_means_sqlite_under_data_dir(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)
    assert settings.effective_database_url == f"sqlite:///{DATA_DIR / 'tutor.db'}"
    assert settings.is_sqlite


def test_sqlite_migrates_idempotently_and_serves_a_smoke_flow(sqlite_url):
    first = run_migrations()
    second = run_migrations()

    assert first.changed and not second.changed
    assert second.render().endswith("Schema is up to date; nothing changed.")
    with session_scope() as session:
        assert len(session.scalars(select(LLMConfig)).all()) == 8  # six first defaults, two voice
        user = User(cognito_sub="sqlite-sub", name="Asha")
        session.add(user)
        session.flush()
        session.add(Session(user_id=user.id, guideline_id="g1", is_paused=True))
    with session_scope() as session:
        stored = session.scalars(select(Session)).one()
        assert (stored.mode, stored.state_version, stored.is_paused) == ("teach_me", 1, True)
        # SQLite keeps no zone; the column type hands times back as aware UTC all the same.
        assert stored.created_at.utcoffset() == timedelta(0)
        seeded = session.get(LLMConfig, "tutor").updated_at
        assert seeded.tzinfo is not None and abs(utcnow() - seeded) < timedelta(minutes=5)
    with pytest.raises(Exception, match="UNIQUE constraint failed"), session_scope() as session:
        session.add(Session(user_id=stored.user_id, guideline_id="g1", is_paused=True))
    with get_db_manager().engine.connect() as conn:
        indexes = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
    assert {"idx_sessions_one_paused_per_user_guideline", "idx_book_running_job"} <= indexes

    with TestClient(create_app()) as client:
        assert client.get("/health/db").json() == {"status": "ok", "database": "ok"}


def test_sqlite_legacy_sessions_table_gains_new_columns(sqlite_url):
    with get_db_manager().engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE sessions (id VARCHAR PRIMARY KEY, student_json TEXT, goal_json TEXT,"
                " state_json TEXT, mastery FLOAT DEFAULT 0.0 NOT NULL,"
                " step_idx INTEGER DEFAULT 0 NOT NULL,"
                " created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL,"
                " updated_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL)"
            )
        )
        conn.execute(text("INSERT INTO sessions (id, state_json) VALUES ('old', '{}')"))

    report = run_migrations()

    actions = {s["name"]: s["actions"] for s in report.steps}
    assert "add column sessions.mode" in actions["apply_learning_modes_columns"]
    assert not run_migrations().changed
    with get_db_manager().engine.connect() as conn:
        row = conn.execute(
            text("SELECT mode, is_paused, state_version, state_json FROM sessions")
        ).one()
    assert tuple(row) == ("teach_me", 0, 1, "{}")


def test_sqlite_renames_the_old_exam_spelling_in_the_column_and_the_json(sqlite_url):
    run_migrations()
    with session_scope() as session:
        session.execute(
            text(
                "INSERT INTO sessions (id, mode, state_json, goal_json) VALUES "
                "('old', 'exam_me', :state, :goal)"
            ),
            {
                "state": '{"mode":"exam_me","guideline_id":"g"}',
                "goal": '{"guideline_id": "g", "mode": "exam_me"}',
            },
        )

    actions = dict((s["name"], s["actions"]) for s in run_migrations().steps)

    assert actions["rename_exam_mode"] == [
        "rename sessions.mode exam_me -> exam (1 rows)",
        "rename the exam mode in sessions.state_json (1 rows)",
        "rename the exam mode in sessions.goal_json (1 rows)",
    ]
    with session_scope() as session:
        row = session.execute(
            text("SELECT mode, state_json, goal_json FROM sessions WHERE id = 'old'")
        ).one()
    assert tuple(row) == (
        "exam",
        '{"mode":"exam","guideline_id":"g"}',
        '{"guideline_id": "g", "mode": "exam"}',
    )
    assert not run_migrations().changed


def test_sqlite_original_book_jobs_gain_later_columns_keeping_rows(sqlite_url, tmp_path):
    # `book_jobs` as the schema document first had it: no progress, lease or creation time,
    # and no `book_pages` table. SQLite cannot ADD a column whose default is CURRENT_TIMESTAMP,
    # so `created_at` is added bare and backfilled.
    with get_db_manager().engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE books (id VARCHAR PRIMARY KEY, title VARCHAR NOT NULL,"
                " author VARCHAR, edition VARCHAR, edition_year INTEGER,"
                " country VARCHAR NOT NULL, board VARCHAR NOT NULL, grade INTEGER NOT NULL,"
                " subject VARCHAR NOT NULL, s3_prefix VARCHAR NOT NULL, metadata_s3_key VARCHAR,"
                " cover_image_s3_key VARCHAR,"
                " created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL,"
                " updated_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL,"
                " created_by VARCHAR DEFAULT 'admin' NOT NULL)"
            )
        )
        conn.execute(
            text(
                "CREATE TABLE book_jobs (id VARCHAR PRIMARY KEY,"
                " book_id VARCHAR NOT NULL REFERENCES books (id) ON DELETE CASCADE,"
                " job_type VARCHAR NOT NULL, status VARCHAR DEFAULT 'pending' NOT NULL,"
                " started_at DATETIME, completed_at DATETIME, error_message TEXT)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO books (id, title, country, board, grade, subject, s3_prefix) "
                "VALUES ('b1', 'Maths 5', 'India', 'CBSE', 5, 'Maths', 'books/b1/')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO book_jobs (id, book_id, job_type, status) VALUES "
                "('j-running', 'b1', 'extraction', 'running'), "
                "('j-done', 'b1', 'sync', 'completed')"
            )
        )
        conn.execute(
            text("CREATE INDEX idx_books_curriculum ON books (country, board, grade, subject)")
        )

    report = run_migrations()

    actions = {s["name"]: s["actions"] for s in report.steps}
    assert "create table book_pages" in actions["create_tables"]
    assert actions["apply_remaining_schema"] == [
        "add column book_jobs.lease_id",
        "add column book_jobs.created_at",
        "backfill book_jobs.created_at = CURRENT_TIMESTAMP (2 rows)",
        "create index idx_book_jobs_book",
    ]
    assert actions["allow_jobs_without_book"] == [
        "rebuild table book_jobs to allow NULL in book_id"
    ]
    assert not run_migrations().changed
    with session_scope() as session:
        jobs = {j.id: j for j in session.scalars(select(BookJob))}
        assert {k: (j.status, j.lease_id, j.completed_items) for k, j in jobs.items()} == {
            "j-running": ("failed", None, 0),
            "j-done": ("completed", None, 0),
        }
        assert all(abs(utcnow() - j.created_at) < timedelta(minutes=5) for j in jobs.values())
        session.add(BookPage(book_id="b1", page_number=1))
    # The rebuilt table is the one a fresh database gets: same columns, indexes and keys.
    fresh_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    fresh = create_engine(fresh_url)
    try:
        run_migrations(fresh)
        rebuilt = comparable_live_view(live_snapshot(get_db_manager().engine))["book_jobs"]
        assert rebuilt == comparable_live_view(live_snapshot(fresh))["book_jobs"]
        assert rebuilt["columns"]["book_id"] == ("VARCHAR", True)
    finally:
        fresh.dispose()
    with session_scope() as session:  # a job without a book, and the book's cascade
        session.add(BookJob(book_id=None, job_type="evaluation", status="running"))
    with session_scope() as session:
        session.execute(text("DELETE FROM books WHERE id = 'b1'"))
    with session_scope() as session:
        left = session.execute(text("SELECT job_type, book_id FROM book_jobs")).all()
    assert [tuple(r) for r in left] == [("evaluation", None)]


def test_sqlite_runs_an_evaluation_job_without_a_book(sqlite_url, local_storage, fake_llm):
    run_migrations()
    fake_llm.responder = EvalScript({"average_student": [[7, 7, 7, 7, 8]]})
    gid = add_guideline()
    with session_scope() as session:
        run_id = runs.start_run(session=session, admin=None, guideline_id=gid, max_turns=1).id
    wait_jobs_idle()

    with session_scope() as session:
        detail = runs.get_run(session=session, run_id=run_id)
    assert (detail.summary.status, detail.summary.avg_score) == ("complete", 7.2)
    assert [(c.status, len(c.messages)) for c in conversations(run_id)] == [("judged", 3)]
    assert detail.job is not None and detail.job.status == "completed"
