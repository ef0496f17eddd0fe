"""Running a job: claim → heartbeat → the item loop → complete, hand off or stop; any exception
outside an item fails the job with the one crash message.

A job type is an `ItemHandler` in its domain: it sets `job_type` and `detail_type` (its
`shared.jobs.detail.JobDetail` subclass, what `ctx.detail` is), implements
`process(ctx, item)` (and optionally `setup(ctx)` and `concurrency()`), and is registered with
`shared.jobs.registry.register(job_type, handler)`. `process` may run on a pool thread; a
handler with `concurrency() > 1` must not change `ctx` there (its items are independent and
only the loop's thread writes progress).
"""

from __future__ import annotations

import logging
from typing import Any, Generic

from config import get_settings
from database import session_scope
from shared.jobs import lifecycle
from shared.jobs.detail import JobDetail
from shared.jobs.dispatch import dispatch
from shared.jobs.heartbeat import Heartbeat
from shared.jobs.items import D, ItemOutcome, JobContext, Outcome, crash_message
from shared.jobs.loop import ItemLoop
from shared.jobs.messages import JobMessage
from shared.jobs.models import BookJob

logger = logging.getLogger(__name__)


class ItemHandler(Generic[D]):
    """One job type's work. The instance is shared by every run (and by concurrent runs of
    different books): per-run state lives in `ctx.extra`, never on `self`. `detail_type` is
    the job type's `JobDetail` subclass, what `ctx.detail` is."""

    job_type = ""
    detail_type: type[D]  # each job type names its own

    def concurrency(self) -> int:
        """Items run at once: 1 (sequential, each item builds on the previous) by default."""
        return 1

    def setup(self, ctx: JobContext[D]) -> None:
        """Runs once per invocation, after the claim and before the first item."""

    def process(self, ctx: JobContext[D], item: int) -> ItemOutcome:
        raise NotImplementedError

    def __call__(self, job_id: str, context: Any = None) -> None:
        run_job(self, job_id, context)


def load_context(job_id: str, lease: str, detail_type: type[D]) -> JobContext[D] | None:
    """The claimed job's context; None when its row is gone (deleted with its book since the
    claim), which leaves nothing to run or record."""
    with session_scope() as session:
        job = session.get(BookJob, job_id)
        if job is None:
            return None
        return JobContext(
            job_id=job_id,
            book_id=job.book_id,
            job_type=job.job_type,
            detail=(job.progress_detail or JobDetail()).as_type(detail_type),
            total=job.total_items or 0,
            first_item=(job.last_completed_item or 0) + 1,
            lease=lease,
            completed=job.completed_items,
            failed=job.failed_items,
        )


def run_job(handler: ItemHandler[Any], job_id: str, lambda_context: Any = None) -> None:
    """The registered entry point of every job type (`lambda_context` is None off Lambda)."""
    lease = lifecycle.claim_for_current_message(job_id)
    if lease is None:
        return
    ctx = load_context(job_id, lease, handler.detail_type)
    if ctx is None:
        logger.warning("claimed job no longer exists; nothing to run", extra={"job_id": job_id})
        return
    interval = get_settings().job_heartbeat_seconds
    try:
        with Heartbeat(job_id=job_id, lease=lease, interval=interval) as heartbeat:
            handler.setup(ctx)
            loop = ItemLoop(
                handler, ctx, heartbeat, lambda_context, concurrency=handler.concurrency()
            )
            outcome = loop.run()
    except Exception as exc:
        logger.exception("%s crashed", ctx.job_type, extra={"job_id": job_id})
        lifecycle.fail(job_id=job_id, lease=lease, message=crash_message(exc))
        return
    settle(ctx, outcome)


def settle(ctx: JobContext[Any], outcome: Outcome) -> None:
    """The job's transition for how its run ended."""
    if outcome is Outcome.DONE:
        lifecycle.complete(job_id=ctx.job_id, lease=ctx.lease)
    elif outcome is Outcome.OUT_OF_TIME:
        token = lifecycle.release_for_continuation(job_id=ctx.job_id, lease=ctx.lease)
        if token is not None:
            dispatch(JobMessage(job_id=ctx.job_id, job_type=ctx.job_type, handoff=token))
    else:
        logger.warning(
            "job lease lost; stopped without further writes", extra={"job_id": ctx.job_id}
        )
