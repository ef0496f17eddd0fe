"""Book ingestion ORM models: books, their background jobs, and synced guideline records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from book_ingestion.models.status import PageStage
from shared.models.base import Base, created_at_column, new_id, updated_at_column
from shared.models.enums import ACTIVE_JOB_STATUSES, GuidelineStatus, JobStatus, ReviewStatus
from shared.models.types import UTCDateTime

# The partial unique index's condition: one job per book in an active status.
_ACTIVE = "status IN ({})".format(", ".join(f"'{s}'" for s in ACTIVE_JOB_STATUSES))


class Book(Base):
    __tablename__ = "books"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    title: Mapped[str] = mapped_column(String, nullable=False)
    author: Mapped[str | None] = mapped_column(String)
    edition: Mapped[str | None] = mapped_column(String)
    edition_year: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str] = mapped_column(String, nullable=False)
    board: Mapped[str] = mapped_column(String, nullable=False)
    grade: Mapped[int] = mapped_column(Integer, nullable=False)
    subject: Mapped[str] = mapped_column(String, nullable=False)
    s3_prefix: Mapped[str] = mapped_column(String, nullable=False)
    metadata_s3_key: Mapped[str | None] = mapped_column(String)
    cover_image_s3_key: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    created_by: Mapped[str] = mapped_column(String, nullable=False, server_default="admin")

    __table_args__ = (Index("idx_books_curriculum", "country", "board", "grade", "subject"),)


class BookJob(Base):
    """A long-running job for a book: pending -> running -> completed | failed."""

    __tablename__ = "book_jobs"

    id: Mapped[str] = mapped_column(String, primary_key=True, default=new_id)
    book_id: Mapped[str] = mapped_column(
        String, ForeignKey("books.id", ondelete="CASCADE"), nullable=False
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
    progress_detail: Mapped[str | None] = mapped_column(Text)
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


class BookPage(Base):
    """One page of a book, numbered 1..N. Its files are `books/{book_id}/pages/{id}.png` and
    `{id}.txt` (`originals/{id}.{ext}` for a bulk upload), named by the page's id so that
    renumbering moves no file; rows from before that layout keep their `pages/{n}.*` keys.
    Files are always reached through the key columns, never rebuilt from a number."""

    __tablename__ = "book_pages"

    id: Mapped[str] = mapped_column(String, primary_key=True, default=new_id)
    book_id: Mapped[str] = mapped_column(
        String, ForeignKey("books.id", ondelete="CASCADE"), nullable=False
    )
    page_number: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String, nullable=False, server_default=PageStage.QUEUED)
    original_filename: Mapped[str | None] = mapped_column(String)
    original_s3_key: Mapped[str | None] = mapped_column(String)
    image_s3_key: Mapped[str | None] = mapped_column(String)
    text_s3_key: Mapped[str | None] = mapped_column(String)
    ocr_error: Mapped[str | None] = mapped_column(Text)
    ocr_job_id: Mapped[str | None] = mapped_column(String)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    # A unique index (not a constraint) so the migration catch-all can add it to any database.
    __table_args__ = (Index("uq_book_pages_number", "book_id", "page_number", unique=True),)


class BookGuideline(Base):
    __tablename__ = "book_guidelines"

    id: Mapped[str] = mapped_column(String, primary_key=True, default=new_id)
    book_id: Mapped[str] = mapped_column(
        String, ForeignKey("books.id", ondelete="CASCADE"), nullable=False
    )
    guideline_s3_key: Mapped[str] = mapped_column(String, nullable=False)
    status: Mapped[str] = mapped_column(
        String, nullable=False, server_default=GuidelineStatus.DRAFT
    )
    review_status: Mapped[str] = mapped_column(
        String, nullable=False, server_default=ReviewStatus.TO_BE_REVIEWED
    )
    generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=sql_text("1"))
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (Index("idx_book_guidelines_book", "book_id"),)
