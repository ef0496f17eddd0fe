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


def test_new_connections_use_the_rotated_database_secret(db, app_database_url, monkeypatch):
    """In AWS the URL is built from the secret once per container; after a rotation, new
    connections must log in with the secret's current credentials. Under the test server's
    trust authentication a changed password proves nothing, so the rotation changes the user."""
    import json

    import boto3
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from tests.support.app_database import use_database
    from tests.support.aws import REGION, mocked_aws

    target = make_url(app_database_url)
    rotated_user = "tutor_rotated_login"
    with db.connect() as conn:
        conn.execute(text(f"DROP ROLE IF EXISTS {rotated_user}"))
        conn.execute(text(f"CREATE ROLE {rotated_user} LOGIN PASSWORD 'second'"))
        conn.commit()
    try:
        with mocked_aws(monkeypatch):
            secrets_client = boto3.client("secretsmanager", region_name=REGION)
            secret = {
                "username": target.username,
                "password": target.password or "first",
                "host": "writer.cluster-abc.us-east-1.rds.amazonaws.com",
                "port": target.port or 5432,
                "dbname": target.database,
            }
            arn = secrets_client.create_secret(Name="tutor/db", SecretString=json.dumps(secret))[
                "ARN"
            ]
            monkeypatch.setenv("DATABASE_SECRET_ARN", arn)
            monkeypatch.setenv("DB_HOST", target.host)
            monkeypatch.setenv("DB_SSLMODE", "disable")
            monkeypatch.setenv("SECRETS_CACHE_SECONDS", "0")
            use_database(None)
            engine = get_db_manager().engine

            with engine.connect() as conn:
                before = conn.execute(text("SELECT current_user")).scalar_one()
            rotated = {**secret, "username": rotated_user, "password": "second"}
            secrets_client.put_secret_value(SecretId=arn, SecretString=json.dumps(rotated))
            engine.dispose()  # the pooled connection ends; the next one logs in anew
            with engine.connect() as conn:
                after = conn.execute(text("SELECT current_user")).scalar_one()
            assert engine is get_db_manager().engine  # the same engine, new credentials
            assert make_url(str(engine.url)).username == target.username
            reset_db_manager()
    finally:
        use_database(app_database_url)
        with get_db_manager().engine.connect() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {rotated_user}"))
            conn.commit()

    assert (before, after) == (target.username, rotated_user)


def test_idle_sessions_end_on_the_server_when_configured(db, monkeypatch):
    """An auto-pausing database needs the functions' pooled connections to go away while idle:
    the server ends them, and the pool replaces the dead one on the next checkout."""
    from sqlalchemy import text

    from config import reset_settings

    monkeypatch.setenv("DB_IDLE_SESSION_TIMEOUT_MS", "300000")
    monkeypatch.setenv("DB_LOCK_TIMEOUT_MS", "1500")
    # As in Lambda: one pooled connection; an overflow one is closed when returned.
    monkeypatch.setenv("DB_POOL_SIZE", "1")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "1")
    reset_settings()
    reset_db_manager()
    engine = get_db_manager().engine
    with engine.connect() as pooled:
        assert pooled.execute(text("SHOW idle_session_timeout")).scalar_one() == "5min"
        # The lock timeout still travels in the same startup options.
        assert pooled.execute(text("SHOW lock_timeout")).scalar_one() == "1500ms"
        backend = pooled.execute(text("SELECT pg_backend_pid()")).scalar_one()
        pooled.rollback()
        # What the server does once the timeout passes: the pooled connection's session ends.
        with engine.connect() as other:
            ended = other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            assert ended.scalar_one() is True
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_idle_sessions_are_kept_by_default(db, monkeypatch):
    from sqlalchemy import text

    from config import reset_settings

    monkeypatch.delenv("DB_IDLE_SESSION_TIMEOUT_MS", raising=False)
    reset_settings()
    reset_db_manager()
    with get_db_manager().engine.connect() as conn:
        assert conn.execute(text("SHOW idle_session_timeout")).scalar_one() == "0"
