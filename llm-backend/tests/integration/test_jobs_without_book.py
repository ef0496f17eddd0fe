"""Job rows that belong to no book (evaluation runs): many active at once, beside a book's one
active job, run by the engine with `book_id` None, and swept by their own id."""

from __future__ import annotations

import pytest

from book_ingestion.services import job_lock_service
from database import session_scope
from shared.errors import ConflictError
from shared.jobs import lifecycle
from shared.jobs.detail import JobDetail
from shared.jobs.dispatch import set_dispatcher
from shared.jobs.engine import ItemHandler
from shared.jobs.items import ItemOutcome, JobContext
from shared.jobs.messages import JobMessage
from shared.jobs.registry import register, unregister
from tests.support.book_jobs import HeldDispatcher, age_heartbeat, load_job, new_book
from tests.support.books import wait_jobs_idle


def _ownerless(total: int = 1, job_type: str = "ownerless_test") -> str:
    with session_scope() as session:
        return lifecycle.acquire(
            session, book_id=None, job_type=job_type, total_items=total, detail=JobDetail()
        ).id


def test_many_jobs_without_a_book_are_active_beside_a_books_one(local_storage, db):
    set_dispatcher(HeldDispatcher())
    book_id = new_book()
    with session_scope() as session:
        book = job_lock_service.lock_for_start(session=session, book_id=book_id)
        book_job = job_lock_service.acquire(
            session=session, book=book, job_type="sync", total_items=1, detail=JobDetail()
        ).id

    ids = [_ownerless() for _ in range(3)]

    jobs = [load_job(i) for i in ids]
    assert [(j.status, j.book_id) for j in jobs] == [("pending", None)] * 3
    assert len(set(ids)) == 3
    # The book keeps its one-active-job rule.
    with pytest.raises(ConflictError, match=book_job), session_scope() as session:
        book = job_lock_service.lock_for_start(session=session, book_id=book_id)
        job_lock_service.acquire(
            session=session, book=book, job_type="sync", total_items=1, detail=JobDetail()
        )


def test_sweep_by_job_id_fails_only_that_stale_job(local_storage, db):
    set_dispatcher(HeldDispatcher())
    first, second = _ownerless(), _ownerless()
    age_heartbeat(first, 10_000)
    age_heartbeat(second, 10_000)

    with session_scope() as session:
        assert lifecycle.sweep_stale(session, job_id=first) == [first]
        assert lifecycle.sweep_stale(session, job_id=first) == []

    assert (load_job(first).status, load_job(first).error_message) == (
        "failed",
        lifecycle.stale_message(180),
    )
    assert load_job(second).status == "pending"


class _Recorder(ItemHandler[JobDetail]):
    job_type = "ownerless_test"
    detail_type = JobDetail

    def __init__(self) -> None:
        self.seen: list[tuple[int, str | None, str]] = []

    def process(self, ctx: JobContext[JobDetail], item: int) -> ItemOutcome:
        with pytest.raises(LookupError) as caught:
            _ = ctx.book
        owner = str(caught.value)
        self.seen.append((item, ctx.book_id, owner))
        return ItemOutcome(note={"item": item})


def test_the_engine_runs_a_job_without_a_book_to_completion(local_storage, db):
    handler = _Recorder()
    register(handler.job_type, handler)
    try:
        job_id = _ownerless(total=2)
        lifecycle.start(JobMessage(job_id=job_id, job_type=handler.job_type))
        wait_jobs_idle()
    finally:
        unregister(handler.job_type)

    job = load_job(job_id)
    assert (job.status, job.completed_items, job.last_completed_item, job.book_id) == (
        "completed", 2, 2, None,
    )  # fmt: skip
    message = f"ownerless_test job {job_id} belongs to no book"
    assert sorted(handler.seen) == [(1, None, message), (2, None, message)]
    assert job.progress_detail.results == [{"item": 1}, {"item": 2}]
