"""Shared fixtures: a real PostgreSQL server, a migrated database per run, clean tables per test.

The server comes from TEST_DATABASE_URL when set; otherwise pytest-postgresql starts a
throwaway cluster from the local PostgreSQL binaries.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_postgresql import factories
from sqlalchemy import Engine

# Tests never use a developer's .env or the embedded SQLite file by accident.
os.environ.setdefault("ENVIRONMENT", "development")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "TutorBackendTests")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

pytest_plugins = [
    "tests.fakes.fixtures",
    "tests.support.browser",
    "tests.support.books",
    "tests.support.pages",
]

from database import get_db_manager, reset_db_manager  # noqa: E402
from tests.support.app_database import empty_all_tables, use_database  # noqa: E402
from tests.support.pg import create_database, drop_database  # noqa: E402

NO_POSTGRES_MESSAGE = """
The tests need PostgreSQL. Either:
  * set TEST_DATABASE_URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres
    (a role that may CREATE DATABASE), or
  * install PostgreSQL's server binaries (pg_ctl on PATH or `pg_config --bindir`) and run the
    tests as a non-root user, so a throwaway cluster can be started for the run.
"""


def _pg_bin_dir() -> Path | None:
    if shutil.which("pg_ctl"):
        return Path(shutil.which("pg_ctl")).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    return candidates[0].parent if candidates else None


_PG_BIN = _pg_bin_dir()
# Only started when TEST_DATABASE_URL is unset (see pg_server_url).
throwaway_postgresql = factories.postgresql_proc(
    executable=str(_PG_BIN / "pg_ctl") if _PG_BIN else None, port=None
)


def _no_server_possible() -> bool:
    # initdb refuses to run as root, so root needs a server of its own.
    return not os.environ.get("TEST_DATABASE_URL") and (
        _PG_BIN is None or (hasattr(os, "geteuid") and os.geteuid() == 0)
    )


def pytest_configure(config) -> None:
    # With xdist workers, checked before any starts: a worker that exits hides the message
    # behind an internal error. One process stops only when a test needs the database.
    parallel = getattr(config.option, "numprocesses", None)
    if parallel and _no_server_possible() and not config.option.collectonly:
        pytest.exit(NO_POSTGRES_MESSAGE, returncode=3)


@pytest.fixture(scope="session")
def pg_server_url(request) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    if _no_server_possible():
        pytest.exit(NO_POSTGRES_MESSAGE, returncode=3)
    proc = request.getfixturevalue("throwaway_postgresql")
    return f"postgresql://{proc.user}@{proc.host}:{proc.port}/postgres"


@pytest.fixture(scope="session")
def app_database_url(pg_server_url) -> Iterator[str]:
    """One migrated database for the run (for each pytest-xdist worker: session fixtures run
    once per worker); each test leaves it clean (see `db`)."""
    url = create_database(pg_server_url)
    previous = os.environ.get("DATABASE_URL")
    use_database(url)
    from db import run_migrations

    run_migrations()
    yield url
    reset_db_manager()
    drop_database(pg_server_url, url)
    use_database(previous)


@pytest.fixture
def db(app_database_url) -> Iterator[Engine]:
    """The migrated test database's engine; every table is emptied (and reseeded) afterwards."""
    use_database(app_database_url)
    engine = get_db_manager().engine
    yield engine
    use_database(app_database_url)  # a test may have pointed the app elsewhere
    empty_all_tables(get_db_manager().engine)
    reset_db_manager()


@pytest.fixture
def fresh_database(pg_server_url) -> Iterator[str]:
    """An empty database of its own, dropped afterwards (migration tests)."""
    url = create_database(pg_server_url, prefix="tutor_mig")
    yield url
    reset_db_manager()
    drop_database(pg_server_url, url)


@pytest.fixture
def client(db):
    from fastapi.testclient import TestClient

    from main import create_app

    with TestClient(create_app()) as test_client:
        yield test_client
