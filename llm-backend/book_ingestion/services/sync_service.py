"""Snapshot sync (job type `sync`): the book's `teaching_guidelines` rows are replaced by its
current shards, and its `book_guidelines` rows by a record of what was synced.

Shards are read from storage first; the delete and every insert then run in the job's checkpoint
transaction, so a failure anywhere leaves the previous rows (and the job failed). Replacing
rows also deletes their study plans (FK CASCADE) and review decisions: a synced snapshot is new
content that must be reviewed again.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from book_ingestion.models.database import Book, BookGuideline
from book_ingestion.services.guideline_jobs import start_on_extracted_guidelines
from book_ingestion.services.guideline_store import read_shards, shard_key
from book_ingestion.services.item_job import ItemJob, ItemOutcome, JobContext
from shared.jobs.registry import register
from shared.models.base import utcnow
from shared.models.entities import TeachingGuideline

SYNC = "sync"
TO_BE_REVIEWED = "TO_BE_REVIEWED"


def start_sync(*, book_id: str) -> str:
    return start_on_extracted_guidelines(book_id=book_id, job_type=SYNC, action="sync")


def guideline_row(book: Book, shard: dict, *, now) -> TeachingGuideline:
    return TeachingGuideline(
        book_id=book.id,
        country=book.country,
        board=book.board,
        grade=book.grade,
        subject=book.subject,
        topic=shard["topic_title"],
        subtopic=shard["subtopic_title"],
        topic_key=shard["topic_key"],
        subtopic_key=shard["subtopic_key"],
        topic_title=shard["topic_title"],
        subtopic_title=shard["subtopic_title"],
        topic_summary=shard["topic_summary"],
        subtopic_summary=shard["subtopic_summary"],
        guideline=shard["guidelines"],
        source_page_start=shard["page_start"],
        source_page_end=shard["page_end"],
        status="pending_review",
        review_status=TO_BE_REVIEWED,
        generated_at=now,
    )


def replace_rows(session: Session, *, book_id: str, shards: list[dict]) -> int:
    """In the caller's transaction: the book's rows out, one row per shard in."""
    book = session.get(Book, book_id)
    now = utcnow()
    version = (
        session.scalar(
            select(func.max(BookGuideline.version)).where(BookGuideline.book_id == book_id)
        )
        or 0
    ) + 1
    session.execute(delete(TeachingGuideline).where(TeachingGuideline.book_id == book_id))
    session.execute(delete(BookGuideline).where(BookGuideline.book_id == book_id))
    for shard in shards:
        session.add(guideline_row(book, shard, now=now))
        session.add(
            BookGuideline(
                book_id=book_id,
                guideline_s3_key=shard_key(book_id, shard["topic_key"], shard["subtopic_key"]),
                status="pending_review",
                review_status=TO_BE_REVIEWED,
                generated_at=now,
                version=version,
            )
        )
        session.flush()
    return len(shards)


class SyncJob(ItemJob):
    job_type = SYNC

    def process(self, ctx: JobContext, item: int) -> ItemOutcome:
        shards = read_shards(ctx.book_id)
        return ItemOutcome(
            commit=lambda session: replace_rows(session, book_id=ctx.book_id, shards=shards),
            note={"synced": len(shards)},
        )


run_sync = SyncJob()
register(SYNC, run_sync)
