"""Book ingestion ORM models: books, their pages and synced guideline records (their jobs are
the job engine's `book_jobs` rows, `shared.jobs.models`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from book_ingestion.models.status import PageStage
from shared.models.base import Base, created_at_column, new_id, updated_at_column
from shared.models.enums import GuidelineStatus, ReviewStatus
from shared.models.types import UTCDateTime


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
