"""The embedded SQLite default: the same migration and a smoke flow."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from config import DATA_DIR, Settings
from database import get_db_manager, session_scope
from db import run_migrations
from main import create_app
from shared.models.base import utcnow
from shared.models.entities import LLMConfig, Session, User
from tests.conftest import use_database


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
        assert len(session.scalars(select(LLMConfig)).all()) == 6
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
