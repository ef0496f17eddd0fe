"""Starting a single-step job (finalization, sync) on a book's extracted guidelines."""

from __future__ import annotations

from sqlalchemy.orm import Session

from book_ingestion.services import job_lock_service
from book_ingestion.services.guideline_store import load_state
from database import run_transaction
from shared.errors import ConflictError
from shared.jobs import lifecycle
from shared.jobs.detail import JobDetail
from shared.jobs.messages import JobMessage


def start_on_extracted_guidelines(
    *, book_id: str, job_type: str, action: str, detail: JobDetail | None = None
) -> str:
    """Takes the book's job lock for a one-item `job_type` job and dispatches it; 409 when the
    book has nothing extracted to `action` (or already has an active job)."""

    def work(session: Session) -> str:
        book = job_lock_service.lock_for_start(session=session, book_id=book_id)
        # An active job comes first: an extraction may be rebuilding the guidelines just now.
        lifecycle.refuse_active_job(session, book_id=book_id)
        if not load_state(book_id).subtopics:
            raise ConflictError(
                f"Book {book_id} has no extracted guidelines to {action}.", code="no_guidelines"
            )
        job = job_lock_service.acquire(
            session=session,
            book=book,
            job_type=job_type,
            total_items=1,
            detail=detail if detail is not None else JobDetail(errors=[]),
        )
        return job.id

    job_id = run_transaction(work)
    lifecycle.start(JobMessage(job_id=job_id, job_type=job_type))
    return job_id
