"""A book's extracted guidelines as the admin sees them: the shard list, one shard, approving
them all (final, then synced into `teaching_guidelines` in the request) and deleting them.

Approving is a pure storage-and-database step (one read of state.json, the shard files
rewritten, one transaction of row writes), so it fits a request; no model is called."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from book_ingestion.guideline_schemas import (
    BookGuidelineRead,
    BookGuidelines,
    BookGuidelinesApproved,
)
from book_ingestion.models.database import BookGuideline
from book_ingestion.services import book_service
from book_ingestion.services.guideline_store import (
    GuidelineShard,
    guidelines_prefix,
    load_state,
    save,
    shard_key,
    shards,
)
from book_ingestion.services.sync_service import replace_rows
from database import run_transaction
from shared.errors import NotFoundError
from shared.jobs import lifecycle
from shared.models.entities import TeachingGuideline
from shared.storage import get_blob_store


def _read(shard: GuidelineShard, version: int) -> BookGuidelineRead:
    return BookGuidelineRead(
        topic_key=shard.topic_key,
        topic_title=shard.topic_title,
        subtopic_key=shard.subtopic_key,
        subtopic_title=shard.subtopic_title,
        status=shard.status,
        source_page_start=shard.page_start,
        source_page_end=shard.page_end,
        version=version,
        guidelines=shard.guidelines,
        topic_summary=shard.topic_summary,
        subtopic_summary=shard.subtopic_summary,
    )


def _versions(session: Session, book_id: str) -> dict[str, int]:
    rows = session.execute(
        select(BookGuideline.guideline_s3_key, BookGuideline.version).where(
            BookGuideline.book_id == book_id
        )
    )
    return dict(rows.all())


def list_guidelines(*, session: Session, book_id: str) -> BookGuidelines:
    """Every subtopic shard in index order; an empty list before any extraction."""
    book_service.get_book(session=session, book_id=book_id)
    versions = _versions(session, book_id)
    session.commit()  # ends the read before the storage reads below
    state = load_state(book_id)
    items = [
        _read(s, versions.get(shard_key(book_id, s.topic_key, s.subtopic_key), 1))
        for s in shards(book_id, state)
    ]
    return BookGuidelines(
        book_id=book_id,
        total_subtopics=len(items),
        guidelines=items,
        processed_pages=sorted(set(state.page_index) | set(state.failed_pages)),
    )


def get_guideline(
    *, session: Session, book_id: str, topic_key: str, subtopic_key: str
) -> BookGuidelineRead:
    found = [
        g
        for g in list_guidelines(session=session, book_id=book_id).guidelines
        if (g.topic_key, g.subtopic_key) == (topic_key, subtopic_key)
    ]
    if not found:
        raise NotFoundError(
            f"Book {book_id} has no guideline {topic_key}/{subtopic_key}.",
            code="guideline_not_found",
        )
    return found[0]


def approve_guidelines(*, book_id: str) -> BookGuidelinesApproved:
    """Every subtopic `final` (files rewritten), then the book's `teaching_guidelines` rows
    replaced by the shards (sync_service.replace_rows: new rows await review). Under the
    book's lock and refused (409) while a job runs, since an extraction or finalization
    rewrites these files. Files go first: if the commit fails they are final already and a
    retry does the same again."""

    def work(session: Session) -> BookGuidelinesApproved:
        book_service.get_book(session=session, book_id=book_id, lock=True)
        lifecycle.ensure_no_active_job(session, book_id=book_id)
        state = load_state(book_id)
        if not state.subtopics:
            raise NotFoundError(
                f"Book {book_id} has no extracted guidelines to approve.",
                code="guidelines_not_found",
            )
        for sub in state.subtopics:
            sub.status = "final"
        save(book_id, state)
        synced = replace_rows(session=session, book_id=book_id, shards=shards(book_id, state))
        return BookGuidelinesApproved(
            book_id=book_id,
            approved_count=len(state.subtopics),
            synced_count=synced,
            message=f"{len(state.subtopics)} guideline(s) approved; {synced} synced for review.",
        )

    return run_transaction(work)


def delete_guidelines(*, book_id: str) -> None:
    """Rejects the book's guidelines: its guideline files, its `book_guidelines` records and
    its synced `teaching_guidelines` rows (their study plans cascade) go, so the book is back
    to "ready for extraction" and nothing rejected stays in the curriculum. Refused (409)
    while a job runs. Files go before the commit, as in a book delete: a failed commit leaves
    rows whose files a new extraction rewrites."""

    def work(session: Session) -> None:
        book_service.get_book(session=session, book_id=book_id, lock=True)
        lifecycle.ensure_no_active_job(session, book_id=book_id)
        session.execute(delete(TeachingGuideline).where(TeachingGuideline.book_id == book_id))
        session.execute(delete(BookGuideline).where(BookGuideline.book_id == book_id))
        session.flush()
        get_blob_store().delete_prefix(guidelines_prefix(book_id))

    run_transaction(work)
