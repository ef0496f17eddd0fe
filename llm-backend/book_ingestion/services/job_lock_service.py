"""The book job lock and every job state transition.

At most one pending/running job per book: `acquire` inserts a `pending` row and the partial
unique index `idx_book_running_job` turns a second one into a 409 naming the active job.
Every later transition is one conditional UPDATE (`WHERE id = … AND status = …` and, for the
worker, `AND lease_id = …`), so a stale sweep and a finishing worker can never overwrite each
other: whichever commits first wins and the other updates 0 rows.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from book_ingestion.models.database import ACTIVE_JOB_STATUSES, BookJob
from config import get_settings
from database import session_scope
from shared.errors import ConflictError, NotFoundError
from shared.jobs.dispatch import dispatch
from shared.jobs.messages import JobMessage, get_current_message
from shared.models.base import utcnow

JOBS = BookJob.__table__
logger = logging.getLogger(__name__)


def stale_message(stale_seconds: float) -> str:
    return (
        f"Marked failed: no heartbeat for more than {stale_seconds:g} s "
        "(the worker stopped or the server restarted). Resume the job to continue."
    )


def sweep_stale(session: Session, *, book_id: str | None = None) -> list[str]:
    """Fails active jobs whose heartbeat is older than JOB_STALE_SECONDS; returns their ids."""
    stale = get_settings().job_stale_seconds
    now = utcnow()
    stmt = (
        update(JOBS)
        .where(
            JOBS.c.status.in_(ACTIVE_JOB_STATUSES),
            JOBS.c.heartbeat_at < now - timedelta(seconds=stale),
        )
        .values(
            status="failed", error_message=stale_message(stale), completed_at=now, lease_id=None
        )
        .returning(JOBS.c.id)
    )
    if book_id is not None:
        stmt = stmt.where(JOBS.c.book_id == book_id)
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


def ensure_no_active_job(session: Session, *, book_id: str) -> None:
    sweep_stale(session, book_id=book_id)
    job = active_job(session, book_id=book_id)
    if job is not None:
        raise conflict_for(job, book_id=book_id)


def acquire(
    session: Session, *, book_id: str, job_type: str, total_items: int, detail: dict
) -> BookJob:
    """Inserts the book's `pending` job inside the caller's transaction (409 if one is active).
    The job's heartbeat starts now, so a job whose message is lost is swept like a dead one."""
    sweep_stale(session, book_id=book_id)
    now = utcnow()
    job = BookJob(
        id=str(uuid.uuid4()),
        book_id=book_id,
        job_type=job_type,
        status="pending",
        total_items=total_items,
        completed_items=0,
        failed_items=0,
        progress_detail=json.dumps(detail),
        heartbeat_at=now,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        raise conflict_for(active_job(session, book_id=book_id), book_id=book_id) from None
    return job


def claim(*, job_id: str, handoff: str | None) -> str | None:
    """pending -> running with a new lease and its first heartbeat, in one statement. Only the
    message that carries the job's current hand-off token (None for a first run) can claim it,
    so a duplicate delivery finds nothing to claim. Returns the lease, or None."""
    lease = str(uuid.uuid4())
    now = utcnow()
    with session_scope() as session:
        claimed = session.execute(
            update(JOBS)
            .where(
                JOBS.c.id == job_id,
                JOBS.c.status == "pending",
                JOBS.c.lease_id.is_not_distinct_from(handoff),
            )
            .values(status="running", lease_id=lease, heartbeat_at=now)
            .returning(JOBS.c.id, JOBS.c.started_at)
        ).first()
        if claimed is None:
            return None
        if claimed.started_at is None:
            session.execute(update(JOBS).where(JOBS.c.id == job_id).values(started_at=now))
    return lease


def claim_for_current_message(job_id: str) -> str | None:
    """`claim` with the hand-off token of the SQS/local message being processed (if it is this
    job's); None means a duplicate delivery or a finished job, and the caller does nothing."""
    message = get_current_message()
    handoff = message.handoff if message is not None and message.job_id == job_id else None
    lease = claim(job_id=job_id, handoff=handoff)
    if lease is None:
        logger.info("job not claimable (duplicate or finished)", extra={"job_id": job_id})
    return lease


def _leased(job_id: str, lease: str):
    return update(JOBS).where(
        JOBS.c.id == job_id, JOBS.c.status == "running", JOBS.c.lease_id == lease
    )


def heartbeat(*, job_id: str, lease: str) -> bool:
    """False when the job was taken away (swept, finished, deleted): the worker must stop."""
    with session_scope() as session:
        result = session.execute(_leased(job_id, lease).values(heartbeat_at=utcnow()))
        return result.rowcount == 1


def checkpoint(session: Session, *, job_id: str, lease: str, **progress) -> bool:
    """Progress columns (and a heartbeat) in the caller's transaction, which also writes the
    item's output; False (nothing written) when the lease is gone."""
    result = session.execute(_leased(job_id, lease).values(heartbeat_at=utcnow(), **progress))
    return result.rowcount == 1


def complete(*, job_id: str, lease: str) -> bool:
    with session_scope() as session:
        result = session.execute(
            _leased(job_id, lease).values(
                status="completed", completed_at=utcnow(), current_item=None, lease_id=None
            )
        )
        return result.rowcount == 1


def fail(*, job_id: str, lease: str, message: str) -> bool:
    with session_scope() as session:
        result = session.execute(
            _leased(job_id, lease).values(
                status="failed", completed_at=utcnow(), error_message=message, lease_id=None
            )
        )
        return result.rowcount == 1


def release_for_continuation(*, job_id: str, lease: str) -> str | None:
    """running -> pending with a fresh hand-off token for the continuation message."""
    token = str(uuid.uuid4())
    with session_scope() as session:
        result = session.execute(
            _leased(job_id, lease).values(status="pending", lease_id=token, heartbeat_at=utcnow())
        )
        return token if result.rowcount == 1 else None


def start(message: JobMessage) -> None:
    """Dispatches a freshly acquired (committed) job; if that fails the job is failed at once,
    so it does not hold the book's lock until the stale sweep."""
    try:
        dispatch(message)
    except Exception:
        with session_scope() as session:
            session.execute(
                update(JOBS)
                .where(JOBS.c.id == message.job_id, JOBS.c.status == "pending")
                .values(
                    status="failed",
                    completed_at=utcnow(),
                    error_message="The job could not be queued; start it again.",
                )
            )
        raise


def get_job(session: Session, *, book_id: str, job_id: str) -> BookJob:
    job = session.get(BookJob, job_id)
    if job is None or job.book_id != book_id:
        raise NotFoundError(f"Job {job_id} not found for book {book_id}.", code="job_not_found")
    return job
