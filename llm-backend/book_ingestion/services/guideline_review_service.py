"""Admin review of synced teaching guidelines: filtered list, filter options with counts, read,
approve / reject (back to TO_BE_REVIEWED), delete. Only APPROVED rows reach the curriculum."""

from __future__ import annotations

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from book_ingestion.guideline_schemas import (
    GuidelineRead,
    ReviewCounts,
    ReviewFilters,
)
from book_ingestion.models.database import BookGuideline
from book_ingestion.services.guideline_store import shard_key
from shared.errors import NotFoundError
from shared.models.base import utcnow
from shared.models.entities import TeachingGuideline
from shared.models.enums import GuidelineStatus, ReviewStatus
from shared.models.paging import equal_to

TG = TeachingGuideline


def get_row(*, session: Session, guideline_id: str) -> TeachingGuideline:
    row = session.get(TeachingGuideline, guideline_id)
    if row is None:
        raise NotFoundError(f"Guideline {guideline_id} not found.", code="guideline_not_found")
    return row


def get_guideline(*, session: Session, guideline_id: str) -> GuidelineRead:
    return GuidelineRead.model_validate(get_row(session=session, guideline_id=guideline_id))


def list_for_review(
    *,
    session: Session,
    country: str | None,
    board: str | None,
    grade: int | None,
    subject: str | None,
    status: str | None,
    limit: int | None = None,
    offset: int = 0,
) -> list[GuidelineRead]:
    """The whole matching list (the frontend pages nothing): TO_BE_REVIEWED first, then by
    subject, topic, subtopic."""
    where = equal_to(
        (TG.country, country),
        (TG.board, board),
        (TG.grade, grade),
        (TG.subject, subject),
        (TG.review_status, status),
    )
    to_review_first = case((TG.review_status == ReviewStatus.TO_BE_REVIEWED, 0), else_=1)
    rows = session.scalars(
        select(TG)
        .where(*where)
        .order_by(to_review_first, TG.subject, TG.topic, TG.subtopic, TG.source_page_start, TG.id)
        .limit(limit)
        .offset(offset)
    )
    return [GuidelineRead.model_validate(r) for r in rows]


def filters(*, session: Session) -> ReviewFilters:
    def distinct(column) -> list:
        return list(session.scalars(select(column).distinct().order_by(column)))

    by_status = dict(
        session.execute(select(TG.review_status, func.count()).group_by(TG.review_status)).all()
    )
    return ReviewFilters(
        countries=distinct(TG.country),
        boards=distinct(TG.board),
        grades=distinct(TG.grade),
        subjects=distinct(TG.subject),
        review_statuses=list(ReviewStatus),
        counts=ReviewCounts(
            total=sum(by_status.values()),
            pending=by_status.get(ReviewStatus.TO_BE_REVIEWED, 0),
            approved=by_status.get(ReviewStatus.APPROVED, 0),
        ),
    )


def set_approval(
    *, session: Session, guideline_id: str, approved: bool, reviewer: str
) -> GuidelineRead:
    row = get_row(session=session, guideline_id=guideline_id)
    row.review_status = ReviewStatus.APPROVED if approved else ReviewStatus.TO_BE_REVIEWED
    row.status = GuidelineStatus.APPROVED if approved else GuidelineStatus.REJECTED
    row.reviewed_by, row.reviewed_at = reviewer, utcnow()
    if row.book_id and row.topic_key and row.subtopic_key:
        # The sync record of the same shard keeps the decision with what was synced.
        session.execute(
            update(BookGuideline)
            .where(
                BookGuideline.book_id == row.book_id,
                BookGuideline.guideline_s3_key
                == shard_key(row.book_id, row.topic_key, row.subtopic_key),
            )
            .values(
                review_status=row.review_status,
                status=row.status,
                reviewed_by=reviewer,
                reviewed_at=row.reviewed_at,
            )
        )
    session.commit()
    return GuidelineRead.model_validate(row)


def delete_guideline(*, session: Session, guideline_id: str) -> None:
    session.delete(get_row(session=session, guideline_id=guideline_id))
    session.commit()
