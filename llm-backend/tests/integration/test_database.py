"""DatabaseManager, session_scope and get_db against real PostgreSQL."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from database import get_db, get_db_manager, reset_db_manager, safe_url, session_scope
from shared.models.entities import LLMConfig, User


def test_session_scope_commits_on_success(db):
    with session_scope() as session:
        session.add(User(cognito_sub="sub-commit", email="a@example.com"))
    with session_scope() as session:
        user = session.scalars(select(User).where(User.cognito_sub == "sub-commit")).one()
    assert user.email == "a@example.com"
    assert user.is_active is True
    assert user.onboarding_complete is False
    assert user.auth_provider == "email"


def test_session_scope_rolls_back_on_error(db):
    with pytest.raises(RuntimeError, match="stop"), session_scope() as session:
        session.add(User(cognito_sub="sub-rollback"))
        session.flush()
        raise RuntimeError("stop")
    with session_scope() as session:
        found = session.scalars(select(User).where(User.cognito_sub == "sub-rollback")).all()
    assert found == []


def test_get_db_yields_a_session_and_closes_it(db):
    generator = get_db()
    session = next(generator)
    assert session.scalars(select(LLMConfig.component_key)).all() != []
    pool = get_db_manager().engine.pool
    assert pool.checkedout() == 1
    with pytest.raises(StopIteration):
        next(generator)
    assert pool.checkedout() == 0


def test_pool_settings_come_from_config(db, monkeypatch):
    monkeypatch.setenv("DB_POOL_SIZE", "2")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "1")
    monkeypatch.setenv("DB_POOL_TIMEOUT", "7")
    from config import reset_settings

    reset_settings()
    reset_db_manager()
    pool = get_db_manager().engine.pool
    assert (pool.size(), pool._max_overflow, pool._timeout) == (2, 1, 7)
    assert pool._pre_ping is True
    assert get_db_manager().engine.url.drivername == "postgresql+psycopg2"


def test_manager_is_a_lazy_singleton(db):
    reset_db_manager()
    manager = get_db_manager()
    assert manager is get_db_manager()
    assert manager._engine is None  # nothing connects until first use
    assert manager.health_check() is True
    assert manager._engine is not None


def test_password_never_reaches_the_logs(db, monkeypatch, caplog):
    url = "postgresql://tutor:hunter2@127.0.0.1:1/tutor"
    assert "hunter2" not in safe_url(url)
    monkeypatch.setenv("DATABASE_URL", url)
    from config import reset_settings

    reset_settings()
    reset_db_manager()
    with caplog.at_level(logging.DEBUG):
        get_db_manager().health_check()
    assert caplog.records, "the engine creation and failed check are logged"
    assert all("hunter2" not in r.getMessage() for r in caplog.records)
