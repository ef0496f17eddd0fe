"""The book's side of the job engine: its lock, and the order in which every transaction that
touches a book's rows takes its locks. The job state machine itself (`acquire`, `claim`,
`heartbeat`, `checkpoint`, `complete`, `fail`, hand-off, sweep, resume) is `shared.jobs.lifecycle`.

Lock order. A transaction that touches a book's rows takes its locks in this order and never
the other way round, so no two of them can wait on each other in a cycle:

1. The `books` row, `SELECT … FOR NO KEY UPDATE` (`lock_for_start` in a job start,
   `book_service.get_book(lock=True)` elsewhere): first, in every request that starts a job
   or changes the book (bulk and single uploads, retry-OCR, page approve and delete,
   extraction, finalization, sync, bulk study plans, resume, book delete). It serializes those
   requests per book. It is NO KEY UPDATE, never FOR UPDATE, because the foreign-key checks of
   rows that reference the book (inserting a job, a page or a book guideline) take FOR KEY
   SHARE on it, which NO KEY UPDATE lets through: a job worker never waits for a start
   request. Only `delete_book` needs FOR UPDATE, and gets it from its DELETE, as its last lock.
2. The book's `book_jobs` rows: the stale sweep (`lifecycle.sweep_stale`, an UPDATE of the
   stale active rows; a start sweeps once, in `lock_for_start`), then the INSERT of the new
   `pending` row (`lifecycle.acquire`), which waits for an uncommitted competitor in
   `idx_book_running_job` and then fails or succeeds. Reads that only sweep (book detail, job
   reads: `book_service.swept_book`) take this step alone and hold nothing else.
3. The book's content rows: `book_pages`, `book_guidelines`, `teaching_guidelines`,
   `study_plans` (in a start, the pages it queues; in a checkpoint, the item's output).

Job workers never lock `books`: each of their transitions is one UPDATE of the job row (step
2) in a transaction of its own (why: `shared.jobs.lifecycle`). A checkpoint updates the job
row first, then the item's rows (step 3).

Every job start (bulk upload, extraction, finalization, sync, bulk study plans, resume) and the
book delete run in `database.run_transaction`, which runs the unit of work again after a
deadlock or serialization failure.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from book_ingestion.models.database import Book
from book_ingestion.services import book_service
from shared.jobs import lifecycle
from shared.jobs.detail import JobDetail
from shared.jobs.models import BookJob


def lock_for_start(*, session: Session, book_id: str) -> Book:
    """The first two statements of every job start, and the only place a start takes them:
    the book's row FOR NO KEY UPDATE (step 1; 404 without the book), then the sweep of its
    stale jobs (step 2). The book it returns is what `acquire` takes."""
    book = book_service.get_book(session=session, book_id=book_id, lock=True)
    lifecycle.sweep_stale(session, book_id=book_id)
    return book


def acquire(
    *, session: Session, book: Book, job_type: str, total_items: int, detail: JobDetail
) -> BookJob:
    """The book's `pending` job, with its final detail, in the caller's transaction (409 if
    one is active): one INSERT, after `lock_for_start` returned `book` in this transaction."""
    return lifecycle.acquire(
        session, book_id=book.id, job_type=job_type, total_items=total_items, detail=detail
    )
