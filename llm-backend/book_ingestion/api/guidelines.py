"""Admin guideline routes: extraction / finalization / sync jobs of a book and the review queue
(a guideline's study plan routes are in study_plans.api)."""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le
from fastapi import APIRouter, Query, Response

from book_ingestion.guideline_schemas import (
    ApprovalUpdate,
    BookGuidelineRead,
    BookGuidelines,
    BookGuidelinesApproved,
    ExtractionCreate,
    ExtractionStarted,
    FinalizationCreate,
    GuidelineDeleted,
    GuidelineRead,
    JobStartedMessage,
    ReviewFilters,
)
from book_ingestion.services import (
    book_guidelines_service,
    extraction_service,
    finalization_service,
    guideline_review_service,
    sync_service,
)
from database import DbSession
from shared.api.params import Grade, Offset
from shared.api.responses import errors
from shared.api.route import ApiRoute
from shared.auth.dependencies import AdminUser
from shared.jobs.schemas import JobStarted
from shared.models.enums import ReviewStatus

book_router = APIRouter(prefix="/admin/books/{book_id}", tags=["guidelines"], route_class=ApiRoute)
router = APIRouter(prefix="/admin/guidelines", tags=["guidelines"], route_class=ApiRoute)
ReviewStatusFilter = Annotated[str | None, Query(pattern=f"^({'|'.join(ReviewStatus)})$")]
ReviewLimit = Annotated[int, Ge(1), Le(1000)]


@book_router.post(
    "/generate-guidelines",
    status_code=202,
    responses={
        **errors(400, 409),
        200: {"model": ExtractionStarted, "description": "`resume` found nothing left to do"},
    },
)
def generate_guidelines(
    book_id: str, body: ExtractionCreate, admin: AdminUser, response: Response
) -> ExtractionStarted:
    """202 with the started `extraction` job; 200 `already_complete` (no job) when `resume`
    finds every page extracted."""
    started = extraction_service.start_extraction(
        book_id=book_id, start_page=body.start_page, end_page=body.end_page, resume=body.resume
    )
    if started.job_id is None:
        response.status_code = 200
    return started


@book_router.post("/finalize", status_code=202, responses=errors(409))
def finalize(
    book_id: str, admin: AdminUser, body: FinalizationCreate | None = None
) -> JobStartedMessage:
    job_id = finalization_service.start_finalization(
        book_id=book_id, auto_sync_to_db=body is not None and body.auto_sync_to_db
    )
    return JobStartedMessage(job_id=job_id, message=f"Finalizing guidelines in job {job_id}.")


@book_router.post("/sync", status_code=202, responses=errors(409))
def sync(book_id: str, admin: AdminUser) -> JobStarted:
    return JobStarted(job_id=sync_service.start_sync(book_id=book_id))


@book_router.get("/guidelines")
def book_guidelines(book_id: str, admin: AdminUser, session: DbSession) -> BookGuidelines:
    return book_guidelines_service.list_guidelines(session=session, book_id=book_id)


@book_router.put("/guidelines/approve", responses=errors(409))
def approve_book_guidelines(book_id: str, admin: AdminUser) -> BookGuidelinesApproved:
    return book_guidelines_service.approve_guidelines(book_id=book_id)


@book_router.get("/guidelines/{topic_key}/{subtopic_key}")
def book_guideline(
    book_id: str, topic_key: str, subtopic_key: str, admin: AdminUser, session: DbSession
) -> BookGuidelineRead:
    return book_guidelines_service.get_guideline(
        session=session, book_id=book_id, topic_key=topic_key, subtopic_key=subtopic_key
    )


@book_router.delete("/guidelines", status_code=204, responses=errors(409))
def delete_book_guidelines(book_id: str, admin: AdminUser) -> Response:
    book_guidelines_service.delete_guidelines(book_id=book_id)
    return Response(status_code=204)


# Fixed paths before `/{guideline_id}` so they are not read as ids.
@router.get("/review")
def review_queue(
    admin: AdminUser,
    session: DbSession,
    country: str | None = None,
    board: str | None = None,
    grade: Grade | None = None,
    subject: str | None = None,
    status: ReviewStatusFilter = None,
    limit: ReviewLimit | None = None,
    offset: Offset = 0,
) -> list[GuidelineRead]:
    """Every matching guideline (the frontend sends no `limit`): those to review first, then
    by subject, topic, subtopic. `limit`/`offset` page through a long list."""
    return guideline_review_service.list_for_review(
        session=session,
        country=country,
        board=board,
        grade=grade,
        subject=subject,
        status=status,
        limit=limit,
        offset=offset,
    )


@router.get("/review/filters")
def review_filters(admin: AdminUser, session: DbSession) -> ReviewFilters:
    return guideline_review_service.filters(session=session)


@router.get("/{guideline_id}")
def get_guideline(guideline_id: str, admin: AdminUser, session: DbSession) -> GuidelineRead:
    return guideline_review_service.get_guideline(session=session, guideline_id=guideline_id)


@router.post("/{guideline_id}/approve")
def approve(
    guideline_id: str, body: ApprovalUpdate, admin: AdminUser, session: DbSession
) -> GuidelineRead:
    return guideline_review_service.set_approval(
        session=session,
        guideline_id=guideline_id,
        approved=body.approved,
        reviewer=admin.cognito_sub or admin.id,
    )


@router.delete("/{guideline_id}")
def delete_guideline(guideline_id: str, admin: AdminUser, session: DbSession) -> GuidelineDeleted:
    """200 with a message (the frontend's contract), not 204; its study plan goes with it."""
    guideline_review_service.delete_guideline(session=session, guideline_id=guideline_id)
    return GuidelineDeleted(id=guideline_id)
