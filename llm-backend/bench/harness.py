"""What every benchmark needs: a throwaway migrated PostgreSQL database on the server in
BENCH_DATABASE_URL (or TEST_DATABASE_URL), and the fake model server with the SDKs pointed at
it. Both are removed afterwards."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


class NoBenchDatabase(RuntimeError):
    pass


def server_url() -> str:
    server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not server:
        raise NoBenchDatabase("Set BENCH_DATABASE_URL to a PostgreSQL server URL.")
    return server


@contextmanager
def bench_environment(**env: str) -> Iterator[object]:
    """Yields the started fake model server; `env` adds settings for the run."""
    from tests.fakes.llm_server import FakeLLMServer
    from tests.support.pg import create_database, drop_database

    server = server_url()
    fake = FakeLLMServer(keep_alive=True).start()
    url = create_database(server, prefix="tutor_bench")
    os.environ.update(
        DATABASE_URL=url,
        OPENAI_BASE_URL=f"{fake.url}/v1",
        OPENAI_API_KEY="sk-bench",
        DB_POOL_SIZE="10",
        DB_MAX_OVERFLOW="30",
        LOG_LEVEL="WARNING",
        **env,
    )
    try:
        from config import reset_settings
        from db import run_migrations

        reset_settings()
        run_migrations()
        yield fake
    finally:
        from database import reset_db_manager

        reset_db_manager()
        drop_database(server, url)
        fake.stop()


def run(main) -> None:
    """`sys.exit(main())`, turning a missing database into a message and exit code 2."""
    try:
        sys.exit(main())
    except NoBenchDatabase as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)


def new_session_body(*, user: str, guideline_id: str | None) -> dict:
    """The `POST /sessions` body every turn benchmark starts a teach_me session with."""
    return {
        "student": {"id": user, "grade": 5},
        "goal": {
            "topic": "Fractions",
            "syllabus": "CBSE-G5",
            "learning_objectives": [],
            "guideline_id": guideline_id,
        },
        "mode": "teach_me",
    }
