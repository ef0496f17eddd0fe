"""Database errors through the HTTP app, classified by SQLSTATE, on real PostgreSQL: a real
deadlock is retried and the request succeeds; a deadlock that outlives its retries and a lock
timeout answer 503 `database_busy` with Retry-After; an unreachable server answers 503
`database_unavailable`; log lines name the SQLSTATE and table, never a value.

A second connection (the "partner") plays the other transaction. It waits 60 s before looking
for deadlocks (the request's backend waits 1 s), so the request's transaction is always the
one PostgreSQL aborts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, text

from config import reset_settings
from database import get_db_manager, reset_db_manager, session_scope
from shared.jobs.models import BookJob
from shared.models.base import utcnow
from tests.support.app_database import use_database
from tests.support.books import ADMIN, BOOK, image_bytes, stored_keys, wait_jobs_idle
from tests.support.errors import error_json
from tests.support.pg import unreachable_database_url

BUSY = error_json("database_busy", "The database is busy; try again in a moment.")


@pytest.fixture
def book_id(auth_client, local_storage, fake_llm) -> str:
    response = auth_client.post("/admin/books", json=BOOK, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
def partner() -> Iterator:
    conn = get_db_manager().engine.connect()
    tx = conn.begin()
    conn.execute(text("SET LOCAL deadlock_timeout = '60s'"))
    yield conn
    if tx.is_active:
        tx.rollback()
    conn.close()


def _bulk(client, book_id: str):
    files = [("images", ("a.png", image_bytes(), "image/png"))]
    return client.post(f"/admin/books/{book_id}/pages/bulk", files=files, headers=ADMIN)


def _deadlocked_bulk(client, book_id: str, partner) -> object:
    """A bulk upload whose first transaction deadlocks with the partner: the partner holds an
    uncommitted pending job (the request's INSERT waits for it in the unique index), then asks
    for the book's row, which the request holds."""
    partner.execute(
        BookJob.__table__.insert().values(
            id="partner-job",
            book_id=book_id,
            job_type="sync",
            status="pending",
            created_at=utcnow(),
        )
    )
    inserting = threading.Event()

    def watch(conn, _cursor, statement, *_args) -> None:
        if conn is not partner and statement.startswith("INSERT INTO book_jobs"):
            inserting.set()

    engine = get_db_manager().engine
    event.listen(engine, "before_cursor_execute", watch)
    answers = []
    request = threading.Thread(target=lambda: answers.append(_bulk(client, book_id)))
    try:
        request.start()
        assert inserting.wait(30)
        partner.execute(
            text("SELECT id FROM books WHERE id = :id FOR NO KEY UPDATE"), {"id": book_id}
        )
        partner.rollback()  # the request's retry (if any) proceeds
        request.join()
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    return answers[0]


def _database_logs(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.getMessage().startswith(("database", "transaction"))
    ]


RETRIED = "transaction retried ({} of 2): sqlstate=40P01 table=book_jobs error=DeadlockDetected"


def test_a_deadlocked_start_is_retried_and_its_job_runs(auth_client, book_id, partner, caplog):
    with caplog.at_level(logging.WARNING):
        response = _deadlocked_bulk(auth_client, book_id, partner)

    assert response.status_code == 202, response.text
    wait_jobs_idle()
    with session_scope() as session:
        jobs = session.execute(select(BookJob.id, BookJob.status)).all()
    assert jobs == [(response.json()["job_id"], "completed")]
    # One retry; on a loaded machine the retry can take the book's row before the partner
    # wakes up and deadlock once more (see database.run_transaction), still within the bound.
    logs = _database_logs(caplog)
    assert logs in (
        [RETRIED.format(1)],
        [RETRIED.format(1), RETRIED.format(2)],
    )


def test_a_deadlock_past_its_retries_is_503_database_busy(
    auth_client, book_id, partner, caplog, monkeypatch
):
    monkeypatch.setenv("DB_RETRY_ATTEMPTS", "1")
    reset_settings()

    with caplog.at_level(logging.WARNING):
        response = _deadlocked_bulk(auth_client, book_id, partner)

    assert (response.status_code, response.json()) == (503, BUSY)
    assert response.headers["retry-after"] == "1"
    assert _database_logs(caplog) == [
        "database busy: sqlstate=40P01 table=book_jobs error=DeadlockDetected"
    ]
    assert book_id not in caplog.text
    with session_scope() as session:
        assert session.scalars(select(BookJob.id)).all() == []
    assert stored_keys() == [f"books/{book_id}/metadata.json"]


def test_a_lock_timeout_is_503_database_busy(auth_client, book_id, caplog, monkeypatch):
    monkeypatch.setenv("DB_LOCK_TIMEOUT_MS", "100")
    reset_settings()
    reset_db_manager()
    holder = get_db_manager().engine.connect()
    try:
        holder.begin()
        # A backstop, not a synchronisation: without a lock timeout the request would wait
        # for this lock until the server ends the idle transaction.
        holder.execute(text("SET LOCAL idle_in_transaction_session_timeout = '20s'"))
        holder.execute(
            text("SELECT id FROM books WHERE id = :id FOR NO KEY UPDATE"), {"id": book_id}
        )
        with caplog.at_level(logging.WARNING):
            response = _bulk(auth_client, book_id)
    finally:
        holder.close()

    assert (response.status_code, response.json()) == (503, BUSY)
    assert response.headers["retry-after"] == "1"
    assert _database_logs(caplog) == [
        "database busy: sqlstate=55P03 table=books error=LockNotAvailable"
    ]
    assert book_id not in caplog.text


def test_an_unreachable_database_is_503_database_unavailable(db, cognito_env, caplog):
    use_database(unreachable_database_url())
    with TestClient(__import__("main").create_app()) as client, caplog.at_level(logging.WARNING):
        response = client.get("/admin/books", headers=ADMIN)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert "retry-after" not in response.headers
    assert _database_logs(caplog) == ["database unavailable: error=OperationalError"]


def test_a_database_bug_is_a_500_whose_log_names_the_constraint_but_no_value(
    db, local_storage, caplog
):
    """A unique violation's message quotes the key (`DETAIL: Key (id)=(…) already exists`);
    the log line names SQLSTATE, constraint and table instead."""
    from book_ingestion.schemas import BookCreate
    from book_ingestion.services import book_service
    from main import create_app

    secret = book_service.create_book(data=BookCreate(**BOOK), created_by="admin-1").id
    app = create_app()

    @app.post("/probe/duplicate")
    def duplicate() -> dict:
        with session_scope() as session:
            session.execute(
                text("INSERT INTO books SELECT * FROM books WHERE id = :id"), {"id": secret}
            )
        return {}

    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.WARNING):
        response = client.post("/probe/duplicate")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    logs = _database_logs(caplog)
    assert len(logs) == 1
    assert logs[0].startswith(
        "database error: sqlstate=23505 constraint=books_pkey table=books error=UniqueViolation\n"
    )
    assert secret not in caplog.text
