"""Claim as one statement, and `run_transaction` retrying a unit of work after a real deadlock,
on real PostgreSQL."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from book_ingestion.models.database import Book
from database import run_transaction, session_scope
from shared.db_errors import DEADLOCK, sqlstate
from shared.jobs import lifecycle
from shared.jobs.dispatch import set_dispatcher
from tests.support.book_jobs import HeldDispatcher, load_job, new_book, upload_pages
from tests.support.races import deadlocks
from tests.support.statements import matching, recorded_statements


@pytest.fixture
def held(local_storage, db):
    set_dispatcher(HeldDispatcher())


def _job_statements(action) -> list[str]:
    """The SQL statements on book_jobs that `action()` sends, whitespace folded."""
    with recorded_statements() as sent:
        action()
    return [" ".join(s.split()) for s in matching(sent, r"\bbook_jobs\b")]


def test_claim_is_one_update_that_keeps_the_first_start_time(held):
    job_id = upload_pages(new_book(), 1)
    leases = []

    sent = _job_statements(lambda: leases.append(lifecycle.claim(job_id=job_id, handoff=None)))

    assert len(sent) == 1 and sent[0].startswith("UPDATE book_jobs SET")
    assert "started_at=coalesce(book_jobs.started_at" in sent[0].replace(" ", "")
    first = load_job(job_id)
    assert (first.status, first.lease_id, first.started_at is not None) == (
        "running", leases[0], True,
    )  # fmt: skip
    # A continuation's claim keeps the job's first start time.
    token = lifecycle.release_for_continuation(job_id=job_id, lease=leases[0])
    again = _job_statements(lambda: leases.append(lifecycle.claim(job_id=job_id, handoff=token)))
    assert len(again) == 1
    assert (load_job(job_id).status, load_job(job_id).started_at) == ("running", first.started_at)


def _lock(session, book_id: str) -> None:
    session.execute(text("SELECT id FROM books WHERE id = :id FOR NO KEY UPDATE"), {"id": book_id})


def _crossing(first: str, second: str, barrier: threading.Barrier, runs: list[str]):
    """A unit of work that locks `first`, meets the other thread, then locks `second`; only
    the first run meets (a retry runs straight through)."""

    def work(session) -> str:
        runs.append(first)
        _lock(session, first)
        if runs.count(first) == 1:
            barrier.wait()
        _lock(session, second)
        session.execute(text("UPDATE books SET title = title || '+' WHERE id = :id"), {"id": first})
        return first

    return work


def test_a_real_deadlock_is_retried_and_both_units_of_work_succeed(held, caplog):
    a, b = new_book(), new_book()
    barrier, runs, results = threading.Barrier(2), [], {}
    before = deadlocks()

    def run(first: str, second: str) -> None:
        results[first] = run_transaction(_crossing(first, second, barrier, runs))

    threads = [threading.Thread(target=run, args=pair) for pair in ((a, b), (b, a))]
    with caplog.at_level(logging.WARNING, logger="database"):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert results == {a: a, b: b}
    # The loser ran again. On a loaded machine its retry can still take its first lock before
    # the winner wakes up and deadlock once more (the retry's jitter makes that rare); either
    # way both finish within DB_RETRY_ATTEMPTS, each deadlock was a real one, and each was
    # retried and logged.
    counts = sorted(runs.count(x) for x in (a, b))
    assert counts in ([1, 2], [1, 3])
    retries = counts[1] - 1
    assert deadlocks() == before + retries
    retried = [r.getMessage() for r in caplog.records if "retried" in r.getMessage()]
    assert retried == [
        f"transaction retried ({n} of 2): sqlstate=40P01 table=books error=DeadlockDetected"
        for n in range(1, retries + 1)
    ]
    with session_scope() as session:
        assert [session.get(Book, x).title.count("+") for x in (a, b)] == [1, 1]


def test_retries_are_bounded_and_other_errors_are_not_retried(held):
    a, b = new_book(), new_book()
    barrier, runs = threading.Barrier(2), []
    errors = []

    def run(first: str, second: str) -> None:
        try:
            run_transaction(_crossing(first, second, barrier, runs), attempts=1)
        except OperationalError as exc:
            errors.append(sqlstate(exc))

    threads = [threading.Thread(target=run, args=pair) for pair in ((a, b), (b, a))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (errors, len(runs)) == ([DEADLOCK], 2)

    calls = []

    def duplicate(session) -> None:
        calls.append(1)
        session.execute(
            text("INSERT INTO books (id) SELECT id FROM books WHERE id = :id"), {"id": a}
        )

    with pytest.raises(IntegrityError):
        run_transaction(duplicate)
    assert calls == [1]
