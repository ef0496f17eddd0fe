"""A sequential item loop on the one book job system (job_lock_service), shared by the
extraction, finalization, sync and study-plan jobs.

The `ocr_batch` runner shows the pattern with concurrency; these jobs are sequential (each page
builds on the previous one), so the loop is simpler: claim, heartbeat, for each item from
`last_completed_item + 1` call the job's `process(item)` and then checkpoint, in one transaction
that the job's `commit` callback can also write to. Out of Lambda time → continuation message;
lost lease → stop without writing; an exception outside an item → the job fails.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from book_ingestion.models.database import BookJob
from book_ingestion.services import job_lock_service
from book_ingestion.services.job_runner import Heartbeat
from config import get_settings
from database import run_transaction, session_scope
from shared.jobs.dispatch import dispatch
from shared.jobs.messages import JobMessage

logger = logging.getLogger(__name__)


@dataclass
class ItemOutcome:
    """What one item produced: an error (recorded, the job goes on) and/or a callback that
    writes the item's database output in the checkpoint's transaction."""

    error: str | None = None
    commit: Callable[[Session], None] | None = None
    note: dict | None = None  # appended to progress_detail["results"]
    page: int | None = None  # named in the error entry, for admins reading progress


@dataclass
class JobContext:
    job_id: str
    book_id: str
    job_type: str
    detail: dict
    total: int
    first_item: int
    lease: str = ""
    # Per-run working state. A job class is one shared instance and the local dispatcher runs
    # jobs of different books at once, so nothing per-run may live on `self`.
    extra: dict = field(default_factory=dict)


class LeaseLostError(Exception):
    """The job was taken away (swept as stale) while an item ran."""


@contextmanager
def under_lease(ctx: JobContext) -> Iterator[None]:
    """For an item's writes outside the checkpoint (guideline files): a lease-checked UPDATE
    holds the job row until the block ends, so a worker swept mid-item writes nothing (it
    raises LeaseLostError and stops) and the sweeper waits for a write already under way."""
    with session_scope() as session:
        if not job_lock_service.checkpoint(session, job_id=ctx.job_id, lease=ctx.lease):
            raise LeaseLostError(ctx.job_id)
        yield


def error_text(exc: BaseException) -> str:
    return getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"


class ItemJob:
    """Subclasses set `job_type` and implement `process(ctx, item)`; `finish(ctx)` runs once
    after the last item (before `complete`)."""

    job_type = ""

    def setup(self, ctx: JobContext) -> None:
        pass

    def process(self, ctx: JobContext, item: int) -> ItemOutcome:
        raise NotImplementedError

    def finish(self, ctx: JobContext) -> None:
        pass

    def __call__(self, job_id: str, context: Any = None) -> None:
        lease = job_lock_service.claim_for_current_message(job_id)
        if lease is None:
            return
        with session_scope() as session:
            job = session.get(BookJob, job_id)
            ctx = JobContext(
                job_id=job_id,
                book_id=job.book_id,
                job_type=job.job_type,
                detail=json.loads(job.progress_detail or "{}"),
                total=job.total_items or 0,
                first_item=(job.last_completed_item or 0) + 1,
                lease=lease,
            )
            counts = [job.completed_items, job.failed_items]
        interval = get_settings().job_heartbeat_seconds
        try:
            with Heartbeat(job_id=job_id, lease=lease, interval=interval) as hb:
                outcome = self._loop(ctx, lease, counts, hb, context)
                if outcome == "done":
                    self.finish(ctx)
        except Exception as exc:
            logger.exception("%s crashed", self.job_type, extra={"job_id": job_id})
            job_lock_service.fail(job_id=job_id, lease=lease, message=f"Job crashed: {exc}")
            return
        if outcome == "done":
            job_lock_service.complete(job_id=job_id, lease=lease)
        elif outcome == "out_of_time":
            token = job_lock_service.release_for_continuation(job_id=job_id, lease=lease)
            if token is not None:
                dispatch(JobMessage(job_id=job_id, job_type=self.job_type, handoff=token))
        else:
            logger.warning("job lease lost; stopped", extra={"job_id": job_id})

    def _loop(self, ctx: JobContext, lease: str, counts: list[int], hb: Heartbeat, lam) -> str:
        margin_ms = get_settings().job_time_margin_seconds * 1000
        self.setup(ctx)
        started = False
        for item in range(ctx.first_item, ctx.total + 1):
            if hb.lost.is_set():
                return "lost"
            if started and lam is not None and lam.get_remaining_time_in_millis() <= margin_ms:
                return "out_of_time"
            started = True
            alive = run_transaction(
                lambda session, item=item: job_lock_service.checkpoint(
                    session, job_id=ctx.job_id, lease=lease, current_item=item
                )
            )
            if not alive:
                hb.lost.set()
                return "lost"
            try:
                result = self.process(ctx, item)
            except LeaseLostError:
                hb.lost.set()
                return "lost"
            if result.error:
                counts[1] += 1
                entry = {"item": item, "error": result.error}
                if result.page is not None:
                    entry["page"] = result.page
                ctx.detail.setdefault("errors", []).append(entry)
            else:
                counts[0] += 1
            if result.note is not None:
                ctx.detail.setdefault("results", []).append(result.note)
            progress = {
                "completed_items": counts[0],
                "failed_items": counts[1],
                "last_completed_item": item,
                "current_item": None,
                "progress_detail": json.dumps(ctx.detail),
            }
            if not run_transaction(partial(self._save, ctx, lease, progress, result)):
                hb.lost.set()
                return "lost"
        return "lost" if hb.lost.is_set() else "done"

    @staticmethod
    def _save(ctx: JobContext, lease: str, progress: dict, result: ItemOutcome, session) -> bool:
        """The item's checkpoint and output in one transaction (run again after a deadlock:
        both are plain database writes); False, with nothing written, when the lease is gone."""
        if not job_lock_service.checkpoint(session, job_id=ctx.job_id, lease=lease, **progress):
            return False
        if result.commit is not None:
            result.commit(session)
        return True
