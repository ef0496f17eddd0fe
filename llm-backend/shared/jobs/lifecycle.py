"""The job state machine on `book_jobs`: acquire, claim, heartbeat, checkpoint, complete, fail,
hand-off, stale sweep and resume.

At most one pending/running job per book: `acquire` inserts a `pending` row and the partial
unique index `idx_book_running_job` turns a second one into a 409 naming the active job. A job
without a book (`book_id` NULL, e.g. an evaluation run) takes no lock and meets no conflict;
its stale sweep goes by its id (`sweep_stale(job_id=...)`).
Every later transition is ONE conditional UPDATE of the job row (`WHERE id = … AND status = …`
and, for the worker, `AND lease_id = …`), so a stale sweep and a finishing worker can never
overwrite each other: whichever commits first wins and the other updates 0 rows.

Workers never lock the job's owner (the book). `claim`, `heartbeat`, `complete`, `fail`,
`release_for_continuation` and a failed dispatch are each ONE UPDATE of the job row in a
transaction of its own. A second UPDATE of the same row in one transaction would re-run the
foreign-key check (PostgreSQL re-checks a row its own transaction wrote) and take FOR KEY SHARE
on the owner's row while holding the row a start request is waiting for in the unique index:
that was a deadlock. A checkpoint updates the job row first, then the item's rows. Where these
steps sit in the book's lock order: `book_ingestion.services.job_lock_service`.

Every transition and checkpoint runs in `database.run_transaction`, which runs the unit of work
again after a deadlock or serialization failure: each touches only the database and idempotent
object writes, and model calls happen outside it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Update, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config import get_settings
from database import run_transaction
from shared.errors import ConflictError, NotFoundError
from shared.jobs.detail import JobDetail, ResumedFrom
from shared.jobs.dispatch import dispatch
from shared.jobs.messages import JobMessage, get_current_message
from shared.jobs.models import BookJob
from shared.models.base import utcnow
from shared.models.enums import ACTIVE_JOB_STATUSES, JobStatus
from shared.sql import execute_dml, table_of

JOBS = table_of(BookJob)
logger = logging.getLogger(__name__)


def stale_message(stale_seconds: float) -> str:
    return (
        f"Marked failed: no heartbeat for more than {stale_seconds:g} s "
        "(the worker stopped or the server restarted). Resume the job to continue."
    )


def sweep_stale(
    session: Session, *, book_id: str | None = None, job_id: str | None = None
) -> list[str]:
    """Fails active jobs whose heartbeat is older than JOB_STALE_SECONDS; returns their ids.
    `book_id` limits it to one book's jobs, `job_id` to one job (how a job without a book is
    swept when it is read or resumed); with neither, every stale job is swept."""
    stale = get_settings().job_stale_seconds
    now = utcnow()
    stmt = (
        update(JOBS)
        .where(
            JOBS.c.status.in_(ACTIVE_JOB_STATUSES),
            JOBS.c.heartbeat_at < now - timedelta(seconds=stale),
        )
        .values(
            status=JobStatus.FAILED,
            error_message=stale_message(stale),
            completed_at=now,
            lease_id=None,
        )
        .returning(JOBS.c.id)
    )
    if book_id is not None:
        stmt = stmt.where(JOBS.c.book_id == book_id)
    if job_id is not None:
        stmt = stmt.where(JOBS.c.id == job_id)
    return list(session.execute(stmt).scalars())


def active_job(session: Session, *, book_id: str) -> BookJob | None:
    return session.scalars(
        select(BookJob).where(BookJob.book_id == book_id, BookJob.status.in_(ACTIVE_JOB_STATUSES))
    ).first()


def conflict_for(job: BookJob | None, *, book_id: str) -> ConflictError:
    if job is None:
        return ConflictError(f"Book {book_id} already has an active job.", code="job_running")
    return ConflictError(
        f"Book {book_id} already has a {job.status} {job.job_type} job ({job.id}); "
        "wait for it to finish.",
        code="job_running",
    )


def refuse_active_job(session: Session, *, book_id: str) -> None:
    """409 naming the book's active job, if it has one (the caller has swept already)."""
    job = active_job(session, book_id=book_id)
    if job is not None:
        raise conflict_for(job, book_id=book_id)


def ensure_no_active_job(session: Session, *, book_id: str) -> None:
    sweep_stale(session, book_id=book_id)
    refuse_active_job(session, book_id=book_id)


def acquire(
    session: Session,
    *,
    book_id: str | None,
    job_type: str,
    total_items: int,
    detail: JobDetail,
) -> BookJob:
    """Inserts a `pending` job inside the caller's transaction, by one INSERT. A book's job: the
    caller holds the book's lock and has swept its stale jobs in this transaction already
    (`job_lock_service.lock_for_start`), and a second active job of the book is a 409.
    `book_id=None`: a job that belongs to no book, never in conflict with any other (its domain
    names it by id). The job's heartbeat starts now, so a job whose message is lost is swept
    like a dead one."""
    now = utcnow()
    job = BookJob(
        id=str(uuid.uuid4()),
        book_id=book_id,
        job_type=job_type,
        status=JobStatus.PENDING,
        total_items=total_items,
        completed_items=0,
        failed_items=0,
        progress_detail=detail,
        heartbeat_at=now,
        created_at=now,
    )
    if book_id is None:
        session.add(job)
        session.flush()
        return job
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        raise conflict_for(active_job(session, book_id=book_id), book_id=book_id) from None
    return job


def start(message: JobMessage) -> None:
    """Dispatches a freshly acquired (committed) job; if that fails the job is failed at once,
    so it does not hold the book's lock until the stale sweep."""
    try:
        dispatch(message)
    except Exception:
        run_transaction(
            lambda session: session.execute(
                update(JOBS)
                .where(JOBS.c.id == message.job_id, JOBS.c.status == JobStatus.PENDING)
                .values(
                    status=JobStatus.FAILED,
                    completed_at=utcnow(),
                    error_message="The job could not be queued; start it again.",
                )
            )
        )
        raise


def claim(*, job_id: str, handoff: str | None) -> str | None:
    """pending -> running with a new lease, its first heartbeat and (on the first run)
    `started_at`, in ONE statement. Only the message that carries the job's current hand-off
    token (None for a first run) can claim it, so a duplicate delivery finds nothing to claim.
    Returns the lease, or None."""
    lease = str(uuid.uuid4())

    def work(session: Session) -> str | None:
        now = utcnow()
        claimed = session.execute(
            update(JOBS)
            .where(
                JOBS.c.id == job_id,
                JOBS.c.status == JobStatus.PENDING,
                JOBS.c.lease_id.is_not_distinct_from(handoff),
            )
            .values(
                status=JobStatus.RUNNING,
                lease_id=lease,
                heartbeat_at=now,
                started_at=func.coalesce(JOBS.c.started_at, now),
            )
            .returning(JOBS.c.id)
        ).first()
        return None if claimed is None else lease

    return run_transaction(work)


def claim_for_current_message(job_id: str) -> str | None:
    """`claim` with the hand-off token of the SQS/local message being processed (if it is this
    job's); None means a duplicate delivery or a finished job, and the caller does nothing."""
    message = get_current_message()
    handoff = message.handoff if message is not None and message.job_id == job_id else None
    lease = claim(job_id=job_id, handoff=handoff)
    if lease is None:
        logger.info("job not claimable (duplicate or finished)", extra={"job_id": job_id})
    return lease


def _leased(job_id: str, lease: str) -> Update:
    return update(JOBS).where(
        JOBS.c.id == job_id, JOBS.c.status == JobStatus.RUNNING, JOBS.c.lease_id == lease
    )


def _update_leased(job_id: str, lease: str, values: Callable[[], dict[str, Any]]) -> bool:
    """One UPDATE of the leased job row in a transaction of its own; `values()` is called per
    attempt, so a retried transition gets fresh timestamps."""

    def work(session: Session) -> bool:
        return execute_dml(session, _leased(job_id, lease).values(**values())).rowcount == 1

    return run_transaction(work)


def heartbeat(*, job_id: str, lease: str) -> bool:
    """False when the job was taken away (swept, finished, deleted): the worker must stop."""
    return _update_leased(job_id, lease, lambda: {"heartbeat_at": utcnow()})


def checkpoint(session: Session, *, job_id: str, lease: str, **progress: Any) -> bool:
    """Progress columns (and a heartbeat) in the caller's transaction, which also writes the
    item's output; False (nothing written) when the lease is gone."""
    result = execute_dml(session, _leased(job_id, lease).values(heartbeat_at=utcnow(), **progress))
    return result.rowcount == 1


def complete(*, job_id: str, lease: str) -> bool:
    return _update_leased(
        job_id,
        lease,
        lambda: {
            "status": JobStatus.COMPLETED,
            "completed_at": utcnow(),
            "current_item": None,
            "lease_id": None,
        },
    )


def fail(*, job_id: str, lease: str, message: str) -> bool:
    return _update_leased(
        job_id,
        lease,
        lambda: {
            "status": JobStatus.FAILED,
            "completed_at": utcnow(),
            "error_message": message,
            "lease_id": None,
        },
    )


def release_for_continuation(*, job_id: str, lease: str) -> str | None:
    """running -> pending with a fresh hand-off token for the continuation message."""
    token = str(uuid.uuid4())
    values = {"status": JobStatus.PENDING, "lease_id": token}
    released = _update_leased(job_id, lease, lambda: {**values, "heartbeat_at": utcnow()})
    return token if released else None


def get_job(session: Session, *, book_id: str, job_id: str) -> BookJob:
    job = session.get(BookJob, job_id)
    if job is None or job.book_id != book_id:
        raise NotFoundError(f"Job {job_id} not found for book {book_id}.", code="job_not_found")
    return job


def resumed(old: BookJob) -> tuple[int, JobDetail]:
    """The total and detail of a new job over a failed job's items from
    `last_completed_item + 1`. Item lists live under the key `items_key` names (default
    `page_ids`); jobs without a list (finalization, sync) redo their remaining steps. Other
    settings carry over; `resumed_from` names the old job."""
    if old.status != JobStatus.FAILED:
        raise ConflictError(
            f"Job {old.id} is {old.status}; only a failed job can be resumed.",
            code="job_not_resumable",
        )
    detail = old.progress_detail or JobDetail()
    start_at = (old.last_completed_item or 0) + 1
    # The item list is named by a key of the type's own detail, so it is read by that name.
    items_key = detail.items_key or "page_ids"
    kept = detail.dump()
    items = kept.get(items_key)
    for key in ("errors", "results", "resumed_from", items_key):
        kept.pop(key, None)
    new = JobDetail.model_validate(kept)
    new.errors = []
    new.resumed_from = ResumedFrom(job_id=old.id, item=start_at)
    if items is None:
        return max((old.total_items or 0) - start_at + 1, 0), new
    setattr(new, items_key, items[start_at - 1 :])
    return len(items[start_at - 1 :]), new
