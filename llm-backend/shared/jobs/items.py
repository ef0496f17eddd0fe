"""What a job handler sees and returns: the run's context, an item's outcome, the run's
outcome, and the lease guard for writes an item makes outside its checkpoint."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, Protocol, Self, TypeVar

from sqlalchemy.orm import Session

from database import session_scope
from shared.jobs import lifecycle
from shared.jobs.detail import JobDetail, JobError


class Outcome(StrEnum):
    """How a run of the item loop ended."""

    DONE = "done"  # every item is checkpointed: the job completes
    OUT_OF_TIME = "out_of_time"  # items remain and the invocation is ending: hand off
    LOST = "lost"  # the lease was taken away (swept, deleted): stop, write nothing more


class BatchedWrite(Protocol):
    """An item's output that its checkpoint writes together with the other items' outputs of
    the same class: one `write_all` call per class and checkpoint, so a checkpoint of many
    items can be one set-based statement instead of a transaction's worth of round trips per
    item. Like `ItemOutcome.commit` it runs in the checkpoint's transaction, under the lease,
    and again after a deadlock, so it writes only rows and objects fixed by the writes."""

    @classmethod
    def write_all(cls, session: Session, writes: Sequence[Self]) -> None: ...


@dataclass
class ItemOutcome:
    """What one item produced: an error (recorded, the job goes on) and/or its database
    output, written in the checkpoint's transaction: a callback (`commit`) or a `BatchedWrite`
    (`write`), which the checkpoint writes with its other items' writes of the same class."""

    error: str | None = None
    # Its return value, if any (a row count), is not used.
    commit: Callable[[Session], object] | None = None
    write: BatchedWrite | None = None
    note: dict[str, Any] | None = None  # appended to the detail's `results`
    # Added to the item's error entry (the page it was about), for admins reading progress.
    error_fields: dict[str, Any] = field(default_factory=dict)


D = TypeVar("D", bound=JobDetail)


@dataclass
class JobContext(Generic[D]):
    job_id: str
    book_id: str | None  # None for a job that belongs to no book (see `book`)
    job_type: str
    detail: D
    total: int
    first_item: int
    lease: str = ""
    # Per-run working state. A handler is one shared instance and the local dispatcher runs
    # jobs of different books at once, so nothing per-run may live on the handler.
    extra: dict[str, Any] = field(default_factory=dict)
    completed: int = 0
    failed: int = 0

    @property
    def book(self) -> str:
        """The book a book job type works on (its rows always have one)."""
        if self.book_id is None:
            raise LookupError(f"{self.job_type} job {self.job_id} belongs to no book")
        return self.book_id

    def record(self, item: int, outcome: ItemOutcome) -> None:
        """Counts the item and adds its error and note to the detail."""
        if outcome.error:
            self.failed += 1
            entry = JobError(item=item, **outcome.error_fields, error=outcome.error)
            self.detail.add_error(entry)
        else:
            self.completed += 1
        if outcome.note is not None:
            self.detail.add_result(outcome.note)


class LeaseLostError(Exception):
    """The job was taken away (swept as stale) while an item ran."""


@contextmanager
def under_lease(ctx: JobContext[Any]) -> Iterator[Session]:
    """For an item's writes outside the checkpoint (guideline files, a partial transcript): a
    lease-checked UPDATE holds the job row until the block ends, so a worker swept mid-item
    writes nothing (it raises LeaseLostError and stops) and the sweeper waits for a write
    already under way. Rows written through the yielded session commit in that same
    transaction, atomically with the lease check."""
    with session_scope() as session:
        if not lifecycle.checkpoint(session, job_id=ctx.job_id, lease=ctx.lease):
            raise LeaseLostError(ctx.job_id)
        yield session


def error_text(exc: BaseException) -> str:
    """An item's error as recorded in its job: the app error's message, else type and text."""
    return getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"


def crash_message(exc: BaseException) -> str:
    """The `error_message` of a job whose run raised outside an item."""
    return f"Job crashed: {str(exc) or type(exc).__name__}"
