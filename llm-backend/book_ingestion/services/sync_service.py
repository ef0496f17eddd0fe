"""Snapshot sync (job type `sync`, and `PUT …/guidelines/approve`): the book's
`teaching_guidelines` rows become its current shards, and its `book_guidelines` rows a record of
what was synced.

Shards are read from storage first; the deletes and inserts then run in one transaction (the
job's checkpoint, or the request's), so a failure anywhere leaves the previous rows. A row whose
shard is unchanged (same keys, titles, summaries, pages and text) is kept as it is, with its
review decision and study plan, so syncing twice changes nothing. Any other row is replaced,
which deletes its study plan (FK CASCADE) and review decision: changed content must be reviewed
again.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from book_ingestion.models.database import Book, BookGuideline
from book_ingestion.models.job_details import SyncDetail
from book_ingestion.services import book_service
from book_ingestion.services.guideline_jobs import start_on_extracted_guidelines
from book_ingestion.services.guideline_store import GuidelineShard, read_shards, shard_key
from shared.jobs.engine import ItemHandler
from shared.jobs.items import ItemOutcome, JobContext
from shared.jobs.registry import register
from shared.models.base import utcnow
from shared.models.entities import TeachingGuideline
from shared.models.enums import GuidelineStatus, JobType, ReviewStatus


def start_sync(*, book_id: str) -> str:
    return start_on_extracted_guidelines(
        book_id=book_id, job_type=JobType.SYNC, action="sync", detail=SyncDetail(errors=[])
    )


def guideline_row(book: Book, shard: GuidelineShard, *, now) -> TeachingGuideline:
    return TeachingGuideline(
        book_id=book.id,
        country=book.country,
        board=book.board,
        grade=book.grade,
        subject=book.subject,
        topic=shard.topic_title,
        subtopic=shard.subtopic_title,
        topic_key=shard.topic_key,
        subtopic_key=shard.subtopic_key,
        topic_title=shard.topic_title,
        subtopic_title=shard.subtopic_title,
        topic_summary=shard.topic_summary,
        subtopic_summary=shard.subtopic_summary,
        guideline=shard.guidelines,
        source_page_start=shard.page_start,
        source_page_end=shard.page_end,
        status=GuidelineStatus.PENDING_REVIEW,
        review_status=ReviewStatus.TO_BE_REVIEWED,
        generated_at=now,
    )


CONTENT = (
    "country", "board", "grade", "subject", "topic", "subtopic", "topic_key", "subtopic_key",
    "topic_title", "subtopic_title", "topic_summary", "subtopic_summary", "guideline",
    "source_page_start", "source_page_end",
)  # fmt: skip


def _content(row: TeachingGuideline) -> tuple:
    return tuple(getattr(row, name) for name in CONTENT)


def replace_rows(*, session: Session, book_id: str, shards: list[GuidelineShard]) -> int:
    """In the caller's transaction: the book's rows become one per shard (unchanged ones kept,
    the rest deleted and inserted anew); the number of shards synced."""
    book = book_service.get_book(session=session, book_id=book_id)
    now = utcnow()
    version = (
        session.scalar(
            select(func.max(BookGuideline.version)).where(BookGuideline.book_id == book_id)
        )
        or 0
    ) + 1
    current = {
        _content(row): row
        for row in session.scalars(
            select(TeachingGuideline).where(TeachingGuideline.book_id == book_id)
        )
    }
    rows = [guideline_row(book, shard, now=now) for shard in shards]
    kept = [current.get(_content(row)) for row in rows]
    kept_ids = [row.id for row in kept if row is not None]
    session.execute(
        delete(TeachingGuideline).where(
            TeachingGuideline.book_id == book_id, TeachingGuideline.id.not_in(kept_ids)
        )
    )
    session.execute(delete(BookGuideline).where(BookGuideline.book_id == book_id))
    for shard, new, old in zip(shards, rows, kept, strict=True):
        row = old if old is not None else new
        if old is None:
            session.add(new)
        session.add(
            BookGuideline(
                book_id=book_id,
                guideline_s3_key=shard_key(book_id, shard.topic_key, shard.subtopic_key),
                status=row.status,
                review_status=row.review_status,
                reviewed_at=row.reviewed_at,
                reviewed_by=row.reviewed_by,
                generated_at=now,
                version=version,
            )
        )
    session.flush()  # every row in one flush: one batched INSERT per table, not one per shard
    return len(shards)


class SyncJob(ItemHandler[SyncDetail]):
    job_type = JobType.SYNC
    detail_type = SyncDetail

    def process(self, ctx: JobContext[SyncDetail], item: int) -> ItemOutcome:
        shards = read_shards(ctx.book)
        return ItemOutcome(
            commit=lambda session: replace_rows(session=session, book_id=ctx.book, shards=shards),
            note={"synced": len(shards)},
        )


run_sync = SyncJob()
register(JobType.SYNC, run_sync)
