"""Concurrent job starts on one book through the HTTP app, on real PostgreSQL: every answer is
2xx or 409 `job_running`, exactly one job is accepted, it runs to completion, and PostgreSQL
detects no deadlock.

The accepted job's worker claims it while the other requests are still starting (that claim
is what used to deadlock with them), then waits for the race to end before doing its work, so
a fast job cannot finish early and let a second start in."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from config import reset_settings
from database import reset_db_manager
from shared.jobs import lifecycle
from tests.support.books import ADMIN, wait_jobs_idle
from tests.support.races import (
    answer,
    deadlocks,
    job_statuses,
    race,
    race_book,
    requests_for,
)

OK = {200, 201, 202, 204}
# The 16-way mix: every request kind that starts a job or changes the book's pages.
MIX = {
    "bulk": 3,
    "upload": 2,
    "retry_ocr": 2,
    "delete_page": 1,
    "extract": 2,
    "finalize": 2,
    "sync": 2,
    "resume": 1,
    "study_plans": 1,
}


@pytest.fixture
def gate(auth_client, local_storage, fake_llm, monkeypatch) -> Iterator[threading.Event]:
    """A pool large enough that no connection is closed during a race (so `deadlocks()` can
    flush every backend's statistics), and claims that hold their job until the gate opens."""
    monkeypatch.setenv("DB_POOL_SIZE", "40")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "0")
    reset_settings()
    reset_db_manager()
    opened = threading.Event()
    opened.set()  # closed only while a race runs
    real_claim = lifecycle.claim

    def gated_claim(**kwargs):
        lease = real_claim(**kwargs)
        opened.wait()
        return lease

    monkeypatch.setattr(lifecycle, "claim", gated_claim)
    yield opened
    opened.set()
    wait_jobs_idle()


def _run_round(client, book, kinds: list[str], gate: threading.Event) -> list[tuple]:
    calls = requests_for(client, book)
    gate.clear()
    try:
        results = race([(kind, calls[kind]) for kind in kinds])
    finally:
        gate.set()
    wait_jobs_idle()
    return [(kind, response, answer(response)) for kind, response in results]


def _check_round(results: list[tuple]) -> None:
    unexpected = [
        (kind, code, response.text)
        for kind, response, code in results
        if code[0] not in OK and code != (409, "job_running")
    ]
    assert unexpected == []
    accepted = [response.json()["job_id"] for _, response, code in results if code[0] == 202]
    assert len(accepted) == 1, [(kind, code) for kind, _, code in results]
    assert job_statuses(accepted) == ["completed"]


def test_twenty_parallel_job_starts_accept_one_job_that_completes(auth_client, gate, fake_llm):
    book = race_book(fake_llm)
    kinds = ["bulk", "finalize", "sync", "extract", "resume", "study_plans"]
    before = deadlocks()

    results = _run_round(auth_client, book, [kinds[n % len(kinds)] for n in range(20)], gate)

    _check_round(results)
    assert deadlocks() == before


def test_sixteen_way_mixed_race_five_times_without_a_deadlock(auth_client, gate, fake_llm):
    book = race_book(fake_llm)
    kinds = [kind for kind, count in MIX.items() for _ in range(count)]
    assert len(kinds) == 16
    before = deadlocks()

    for _ in range(5):
        _check_round(_run_round(auth_client, book, kinds, gate))

    assert deadlocks() == before


def test_a_book_delete_racing_job_starts_wins_or_loses_whole(auth_client, gate, fake_llm):
    """Either the delete wins (204; the rest find no book) or one start wins (202; the delete
    is a 409 job_running); never both, never a 5xx or a deadlock."""
    kinds = ["delete_book", "bulk", "bulk", "upload", "retry_ocr", "delete_page", "extract"]
    kinds += ["finalize", "sync", "resume", "study_plans"]
    gone = {(404, "book_not_found"), (404, "guideline_not_found")}
    before = deadlocks()

    for n in range(3):
        book = race_book(fake_llm, edition_year=2020 + n)
        delete = ("delete_book", lambda book=book: auth_client.delete(
            f"/admin/books/{book.book_id}", headers=ADMIN
        ))  # fmt: skip
        calls = requests_for(auth_client, book)
        gate.clear()
        try:
            results = race([delete] + [(kind, calls[kind]) for kind in kinds[1:]])
        finally:
            gate.set()
        wait_jobs_idle()
        codes = [(kind, answer(response)) for kind, response in results]
        deleted = codes[0][1] == (204, None)
        accepted = [r.json()["job_id"] for _, r in results if r.status_code == 202]
        allowed = {(409, "job_running")} | (gone if deleted else set())
        assert [c for c in codes if c[1][0] not in OK and c[1] not in allowed] == []
        assert len(accepted) == (0 if deleted else 1), codes
        if not deleted:
            assert codes[0][1] == (409, "job_running")
            assert job_statuses(accepted) == ["completed"]

    assert deadlocks() == before
