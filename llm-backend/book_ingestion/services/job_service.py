"""Reading a book's jobs (after a stale sweep) and resuming a failed one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from book_ingestion.schemas import JobRead
from book_ingestion.services import book_service, job_lock_service
from database import run_transaction
from shared.jobs import lifecycle
from shared.jobs.messages import JobMessage
from shared.jobs.models import BookJob
from shared.models.enums import JobType


def list_jobs(*, session: Session, book_id: str) -> list[JobRead]:
    book_service.swept_book(session=session, book_id=book_id)
    jobs = session.scalars(
        select(BookJob)
        .where(BookJob.book_id == book_id)
        .order_by(BookJob.created_at.desc(), BookJob.id)
    )
    return [book_service.job_read(job) for job in jobs]


def latest_job(
    *, session: Session, book_id: str, job_type: JobType | None = None
) -> JobRead | None:
    """The book's most recently requested job (of `job_type`, when given), after a stale
    sweep; None when there is none."""
    book_service.swept_book(session=session, book_id=book_id)
    stmt = select(BookJob).where(BookJob.book_id == book_id)
    if job_type is not None:
        stmt = stmt.where(BookJob.job_type == job_type)
    job = session.scalars(stmt.order_by(BookJob.created_at.desc(), BookJob.id).limit(1)).first()
    return book_service.job_read(job) if job is not None else None


def get_job(*, session: Session, book_id: str, job_id: str) -> JobRead:
    book_service.swept_book(session=session, book_id=book_id)
    return book_service.job_read(lifecycle.get_job(session, book_id=book_id, job_id=job_id))


def resume_job(*, book_id: str, job_id: str) -> str:
    """A new job of the same type over the failed job's items from `last_completed_item + 1`."""

    def work(session: Session) -> tuple[str, str]:
        book = job_lock_service.lock_for_start(session=session, book_id=book_id)
        old = lifecycle.get_job(session, book_id=book_id, job_id=job_id)
        total, detail = lifecycle.resumed(old)
        job = job_lock_service.acquire(
            session=session,
            book=book,
            job_type=old.job_type,
            total_items=total,
            detail=detail,
        )
        return job.id, job.job_type

    new_id, job_type = run_transaction(work)
    lifecycle.start(JobMessage(job_id=new_id, job_type=job_type))
    return new_id
