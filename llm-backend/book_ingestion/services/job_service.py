"""Reading a book's jobs (after a stale sweep) and resuming a failed one."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from book_ingestion.models.database import BookJob
from book_ingestion.schemas import JobRead
from book_ingestion.services import book_service, job_lock_service
from database import run_transaction, session_scope
from shared.errors import ConflictError
from shared.jobs.messages import JobMessage
from shared.models.enums import JobStatus, JobType


def list_jobs(*, book_id: str) -> list[JobRead]:
    with session_scope() as session:
        job_lock_service.sweep_stale(session, book_id=book_id)
        book_service.get_book(session, book_id=book_id)
        jobs = session.scalars(
            select(BookJob)
            .where(BookJob.book_id == book_id)
            .order_by(BookJob.created_at.desc(), BookJob.id)
        )
        return [book_service.job_read(job) for job in jobs]


def latest_job(*, book_id: str, job_type: JobType | None = None) -> JobRead | None:
    """The book's most recently requested job (of `job_type`, when given), after a stale
    sweep; None when there is none."""
    with session_scope() as session:
        job_lock_service.sweep_stale(session, book_id=book_id)
        book_service.get_book(session, book_id=book_id)
        stmt = select(BookJob).where(BookJob.book_id == book_id)
        if job_type is not None:
            stmt = stmt.where(BookJob.job_type == job_type)
        job = session.scalars(stmt.order_by(BookJob.created_at.desc(), BookJob.id).limit(1)).first()
        return book_service.job_read(job) if job is not None else None


def get_job(*, book_id: str, job_id: str) -> JobRead:
    with session_scope() as session:
        job_lock_service.sweep_stale(session, book_id=book_id)
        book_service.get_book(session, book_id=book_id)
        return book_service.job_read(
            job_lock_service.get_job(session, book_id=book_id, job_id=job_id)
        )


def resume_job(*, book_id: str, job_id: str) -> str:
    """A new job of the same type over the failed job's items from `last_completed_item + 1`."""

    def work(session: Session) -> tuple[str, str]:
        book_service.get_book(session, book_id=book_id, lock=True)
        job_lock_service.sweep_stale(session, book_id=book_id)
        old = job_lock_service.get_job(session, book_id=book_id, job_id=job_id)
        if old.status != JobStatus.FAILED:
            raise ConflictError(
                f"Job {job_id} is {old.status}; only a failed job can be resumed.",
                code="job_not_resumable",
            )
        detail = json.loads(old.progress_detail or "{}")
        start = (old.last_completed_item or 0) + 1
        # Item lists live under `items_key` (default page_ids); jobs without a list
        # (finalization, sync) redo their remaining steps. Other settings carry over.
        items_key = detail.get("items_key", "page_ids")
        items = detail.get(items_key)
        if items is not None:
            remaining = items[start - 1 :]
            total = len(remaining)
        else:
            remaining, total = None, max((old.total_items or 0) - start + 1, 0)
        skip = ("errors", "results", "resumed_from", items_key)
        new_detail = {k: v for k, v in detail.items() if k not in skip}
        new_detail.update(errors=[], resumed_from={"job_id": old.id, "item": start})
        if remaining is not None:
            new_detail[items_key] = remaining
        job = job_lock_service.acquire(
            session,
            book_id=book_id,
            job_type=old.job_type,
            total_items=total,
            detail=new_detail,
        )
        return job.id, job.job_type

    new_id, job_type = run_transaction(work)
    job_lock_service.start(JobMessage(job_id=new_id, job_type=job_type))
    return new_id
