"""Throwaway PostgreSQL databases on the test server.

`server_url` is any database on the server the tests may use (TEST_DATABASE_URL); new databases
are created and dropped from a connection to it.
"""

from __future__ import annotations

import os
import socket
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import normalize_database_url


def url_with_database(server_url: str, database: str) -> str:
    url = make_url(normalize_database_url(server_url)).set(database=database)
    return url.render_as_string(hide_password=False)


def unreachable_database_url() -> str:
    """A PostgreSQL URL on loopback where nothing listens: a port just bound and released."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"postgresql://postgres@127.0.0.1:{port}/tutor"


def _run_autocommit(server_url: str, sql: str) -> None:
    engine = create_engine(normalize_database_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def create_database(server_url: str, prefix: str = "tutor_test") -> str:
    """Create an empty database and return its URL. Its name says which pytest-xdist worker
    made it (gw0, gw1...; "main" without xdist): the workers share one server."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{prefix}_{worker}_{uuid.uuid4().hex[:10]}"
    _run_autocommit(server_url, f'CREATE DATABASE "{name}"')
    return url_with_database(server_url, name)


def drop_database(server_url: str, url: str) -> None:
    name = make_url(url).database
    _run_autocommit(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
