"""Book job lock, heartbeats, stale sweeps, races, resume and a kill -9 of a worker process,
on real PostgreSQL with the fake model server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from book_ingestion.models.database import BookPage
from book_ingestion.services import book_service, job_lock_service, job_service
from database import session_scope
from shared.errors import ConflictError
from shared.jobs import lifecycle
from shared.jobs.detail import JobDetail
from shared.jobs.dispatch import set_dispatcher
from shared.jobs.heartbeat import Heartbeat
from shared.models.base import utcnow
from tests.fakes.llm_server import Fail, Reply
from tests.support.book_jobs import (
    HeldDispatcher,
    age_heartbeat,
    load_job,
    new_book,
    sweep_stale_jobs,
    upload_pages,
)
from tests.support.books import stored_keys, wait_for, wait_jobs_idle
from tests.support.settings import use_settings

BACKEND_DIR = Path(__file__).resolve().parents[2]


def _page_statuses(book_id: str) -> list[str]:
    with session_scope() as session:
        rows = session.query(BookPage).filter_by(book_id=book_id).order_by(BookPage.page_number)
        return [p.status for p in rows]


@pytest.fixture
def held(local_storage, db):
    dispatcher = HeldDispatcher()
    set_dispatcher(dispatcher)
    return dispatcher


def test_second_acquire_is_a_conflict_naming_the_active_job(held):
    book_id = new_book()
    job_id = upload_pages(book_id, 1)

    with pytest.raises(ConflictError) as caught, session_scope() as session:
        job_lock_service.acquire(
            session=session,
            book=job_lock_service.lock_for_start(session=session, book_id=book_id),
            job_type="ocr_batch",
            total_items=1,
            detail=JobDetail(),
        )

    assert caught.value.status_code == 409
    assert caught.value.message == (
        f"Book {book_id} already has a pending ocr_batch job ({job_id}); wait for it to finish."
    )


def test_worker_finishes_then_sweeper_runs(held):
    book_id = new_book()
    job_id = upload_pages(book_id, 1)
    lease = lifecycle.claim(job_id=job_id, handoff=None)

    assert lifecycle.complete(job_id=job_id, lease=lease) is True
    age_heartbeat(job_id, 10_000)
    assert sweep_stale_jobs(book_id) == []

    job = load_job(job_id)
    assert (job.status, job.error_message) == ("completed", None)


def test_sweeper_runs_then_worker_tries_to_finish(held):
    book_id = new_book()
    job_id = upload_pages(book_id, 2)
    lease = lifecycle.claim(job_id=job_id, handoff=None)
    age_heartbeat(job_id, 10_000)

    assert sweep_stale_jobs(book_id) == [job_id]
    # The swept worker's later writes all update nothing.
    assert lifecycle.heartbeat(job_id=job_id, lease=lease) is False
    with session_scope() as session:
        assert (
            lifecycle.checkpoint(
                session, job_id=job_id, lease=lease, completed_items=2, last_completed_item=2
            )
            is False
        )
    assert lifecycle.complete(job_id=job_id, lease=lease) is False
    assert lifecycle.fail(job_id=job_id, lease=lease, message="late") is False

    job = load_job(job_id)
    assert (job.status, job.completed_items, job.last_completed_item) == ("failed", 0, None)
    assert job.error_message == lifecycle.stale_message(180)


def test_sweeper_and_worker_racing_never_overwrite_each_other(held):
    """Both commit at once, many times: the job ends in exactly the winner's state."""
    for _ in range(10):
        book_id = new_book()
        job_id = upload_pages(book_id, 1)
        lease = lifecycle.claim(job_id=job_id, handoff=None)
        age_heartbeat(job_id, 10_000)
        barrier = threading.Barrier(2)
        outcome = {}

        def finish(job_id=job_id, lease=lease, barrier=barrier, outcome=outcome):
            barrier.wait()
            outcome["completed"] = lifecycle.complete(job_id=job_id, lease=lease)

        def sweep(book_id=book_id, barrier=barrier, outcome=outcome):
            barrier.wait()
            outcome["swept"] = sweep_stale_jobs(book_id) != []

        threads = [threading.Thread(target=finish), threading.Thread(target=sweep)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert outcome["completed"] != outcome["swept"]
        assert load_job(job_id).status == ("completed" if outcome["completed"] else "failed")
        book_service.delete_book(book_id=book_id)


def test_heartbeat_thread_stops_the_worker_when_the_job_is_taken(held, monkeypatch):
    book_id = new_book()
    job_id = upload_pages(book_id, 1)
    lease = lifecycle.claim(job_id=job_id, handoff=None)
    age_heartbeat(job_id, 10_000)
    sweep_stale_jobs(book_id)

    with Heartbeat(job_id=job_id, lease=lease, interval=0.05) as heartbeat:
        assert heartbeat.lost.wait(10)

    assert load_job(job_id).status == "failed"


def test_duplicate_claim_gets_nothing(held):
    job_id = upload_pages(new_book(), 1)

    assert lifecycle.claim(job_id=job_id, handoff=None) is not None
    assert lifecycle.claim(job_id=job_id, handoff=None) is None


def test_healthy_job_running_past_the_stale_limit_is_never_swept(
    local_storage, db, fake_llm, monkeypatch
):
    # Each page takes longer than the stale limit; only the heartbeat thread keeps it alive.
    use_settings(monkeypatch, JOB_STALE_SECONDS=1, JOB_HEARTBEAT_SECONDS=0.1, OCR_CONCURRENCY=1)
    fake_llm.push(Reply("slow page", delay=1.4), Reply("slow page", delay=1.4))
    book_id = new_book()
    job_id = upload_pages(book_id, 2)
    swept: list[str] = []

    def finished():
        swept.extend(sweep_stale_jobs())
        return load_job(job_id).status in ("completed", "failed")

    wait_for(finished, timeout=30, every=0.1)
    wait_jobs_idle()

    job = load_job(job_id)
    assert swept == []
    assert (job.status, job.completed_items, job.error_message) == ("completed", 2, None)
    assert _page_statuses(book_id) == ["pending_review", "pending_review"]


def test_item_failures_are_recorded_and_the_job_goes_on(local_storage, db, fake_llm, monkeypatch):
    use_settings(monkeypatch, OCR_CONCURRENCY=1)
    fake_llm.push(Reply("one"), Fail(400, message="bad image"), Reply("three"))
    book_id = new_book()
    job_id = upload_pages(book_id, 3)
    wait_jobs_idle()

    job = book_service.job_read(load_job(job_id))
    assert (job.status, job.completed_items, job.failed_items, job.last_completed_item) == (
        "completed", 2, 1, 3,
    )  # fmt: skip
    assert [(e["item"], e["page"]) for e in job.errors] == [(2, 2)]
    assert _page_statuses(book_id) == ["pending_review", "ocr_failed", "pending_review"]


def test_kill_minus_9_then_stale_then_resume(local_storage, db, fake_llm, monkeypatch):
    use_settings(monkeypatch, OCR_CONCURRENCY=1, JOB_HEARTBEAT_SECONDS=0.2)
    pages = 6
    fake_llm.push(*[Reply("slow page", delay=0.4) for _ in range(pages)])
    set_dispatcher(HeldDispatcher())
    book_id = new_book()
    job_id = upload_pages(book_id, pages)
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.support.run_job", job_id, "ocr_batch"],
        cwd=BACKEND_DIR,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: load_job(job_id).completed_items >= 2, timeout=60)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)

    killed = load_job(job_id)
    done = killed.last_completed_item
    assert killed.status == "running"
    assert 2 <= done < pages
    assert sweep_stale_jobs(book_id) == []  # the default stale limit (180 s) has not passed

    use_settings(monkeypatch, JOB_STALE_SECONDS=1)
    assert wait_for(lambda: sweep_stale_jobs(book_id), timeout=30, every=0.2) == [job_id]
    failed = load_job(job_id)
    assert (failed.status, failed.error_message) == ("failed", lifecycle.stale_message(1))
    requests_before = len(fake_llm.requests)

    set_dispatcher(None)  # the local executor runs the resumed job
    new_id = job_service.resume_job(book_id=book_id, job_id=job_id)
    wait_jobs_idle()

    resumed = book_service.job_read(load_job(new_id))
    assert (resumed.status, resumed.total_items, resumed.completed_items) == (
        "completed", pages - done, pages - done,
    )  # fmt: skip
    assert resumed.detail["resumed_from"] == {"job_id": job_id, "item": done + 1}
    assert len(fake_llm.requests) - requests_before == pages - done
    assert _page_statuses(book_id) == ["pending_review"] * pages
    with session_scope() as session:
        page_ids = session.query(BookPage.id).filter_by(book_id=book_id).all()
    assert stored_keys(f"books/{book_id}/pages/") == sorted(
        f"books/{book_id}/pages/{i}.{ext}" for (i,) in page_ids for ext in ("png", "txt")
    )


def test_a_worker_swept_mid_run_stops_and_writes_nothing_more(
    local_storage, db, fake_llm, monkeypatch
):
    use_settings(monkeypatch, OCR_CONCURRENCY=1, JOB_HEARTBEAT_SECONDS=0.1)
    fake_llm.push(*[Reply("page", delay=0.3) for _ in range(5)])
    book_id = new_book()
    job_id = upload_pages(book_id, 5)
    wait_for(lambda: load_job(job_id).completed_items >= 1)

    with session_scope() as session:  # age and sweep in one transaction: no heartbeat between
        session.execute(
            text("UPDATE book_jobs SET heartbeat_at = :at WHERE id = :id"),
            {"at": utcnow() - timedelta(seconds=10_000), "id": job_id},
        )
        assert lifecycle.sweep_stale(session, book_id=book_id) == [job_id]
    swept = load_job(job_id)
    wait_jobs_idle()

    final = load_job(job_id)
    assert (final.status, final.error_message) == ("failed", lifecycle.stale_message(180))
    assert (final.completed_items, final.last_completed_item) == (
        swept.completed_items,
        swept.last_completed_item,
    )
    statuses = _page_statuses(book_id)
    assert statuses == ["pending_review"] * swept.completed_items + ["queued"] * (
        5 - swept.completed_items
    )
    assert len(fake_llm.requests) <= swept.completed_items + 1  # at most the one in flight
