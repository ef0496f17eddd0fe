"""The job engine's table: `book_jobs`, one row per job (pending -> running -> completed |
failed), its progress and its lease. Book work keeps at most one active job per book; work
that belongs to no book (an evaluation run) has a NULL `book_id`, and since NULLs never
collide in the partial unique index, any number of such jobs may be active at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from shared.jobs.detail import JobDetail
from shared.models.base import Base, created_at_column, new_id
from shared.models.enums import ACTIVE_JOB_STATUSES, JobStatus
from shared.models.types import JsonModel, UTCDateTime

# The partial unique index's condition: one job per book in an active status.
_ACTIVE = "status IN ({})".format(", ".join(f"'{s}'" for s in ACTIVE_JOB_STATUSES))


class BookJob(Base):
    """A long-running job for a book: pending -> running -> completed | failed."""

    __tablename__ = "book_jobs"

    id: Mapped[str] = mapped_column(String, primary_key=True, default=new_id)
    # By table name: the engine knows the owner's table, never the domain that defines it.
    # NULL for a job without a book (its domain row names the job instead).
    book_id: Mapped[str | None] = mapped_column(
        String, ForeignKey("books.id", ondelete="CASCADE"), nullable=True
    )
    job_type: Mapped[str] = mapped_column(String, nullable=False)
    status: Mapped[str] = mapped_column(String, nullable=False, server_default=JobStatus.PENDING)
    total_items: Mapped[int | None] = mapped_column(Integer)
    completed_items: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=sql_text("0")
    )
    failed_items: Mapped[int] = mapped_column(Integer, nullable=False, server_default=sql_text("0"))
    current_item: Mapped[int | None] = mapped_column(Integer)
    last_completed_item: Mapped[int | None] = mapped_column(Integer)
    # JSON text read as the base model; a handler views it as its type's subclass.
    progress_detail: Mapped[JobDetail | None] = mapped_column(JsonModel(JobDetail))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error_message: Mapped[str | None] = mapped_column(Text)
    # The worker's lease while running (every write it makes is conditional on it), or the
    # hand-off token a continuation message must carry while pending.
    lease_id: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        Index("idx_book_jobs_book", "book_id"),
        Index(
            "idx_book_running_job",
            "book_id",
            unique=True,
            postgresql_where=sql_text(_ACTIVE),
            sqlite_where=sql_text(_ACTIVE),
        ),
    )
