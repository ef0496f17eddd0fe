"""Study plans in jobs: the `study_plan_bulk` job over a list of guidelines, with a result per
guideline, and the single-guideline route's request.

Up to three model calls do not fit an API request's budget with a realistic provider, so the
single-guideline route starts a one-guideline job (`request_study_plan`). A guideline that
belongs to no book (the demo curriculum) has no book job to run in: its plan is generated in
the request, under its budget, where the review and the improvement happen only as far as the
budget allows (an unfinished review is saved as "Review failed: ...").
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from book_ingestion.services import job_lock_service
from book_ingestion.services.book_service import book_exists
from book_ingestion.services.guideline_review_service import get_row
from database import run_transaction, session_scope
from shared.errors import BadRequestError, NotFoundError
from shared.jobs import lifecycle
from shared.jobs.engine import ItemHandler
from shared.jobs.items import ItemOutcome, JobContext, LeaseLostError, error_text, under_lease
from shared.jobs.messages import JobMessage
from shared.jobs.registry import register
from shared.models.entities import TeachingGuideline
from shared.models.enums import JobType
from study_plans.models.job_detail import StudyPlanBulkDetail
from study_plans.models.plan_results import StudyPlanJobStarted, StudyPlanRead
from study_plans.services.generation import generate_study_plan
from study_plans.services.plans import existing, plan_read


def request_study_plan(
    *, guideline_id: str, force_regenerate: bool
) -> StudyPlanRead | StudyPlanJobStarted:
    """The existing plan (no model call) unless `force_regenerate`; otherwise a started job
    for the guideline's book, or for a guideline without a book the plan generated now."""
    with session_scope() as session:
        guideline = get_row(session=session, guideline_id=guideline_id)
        row = existing(session=session, guideline_id=guideline_id)
        if row is not None and not force_regenerate:
            return plan_read(row)
        book_id = guideline.book_id
        has_book = book_id is not None and book_exists(session, book_id=book_id)
    if not has_book:
        return generate_study_plan(guideline_id=guideline_id, force_regenerate=force_regenerate)[0]
    job_id = start_bulk(guideline_ids=[guideline_id], force_regenerate=force_regenerate)
    return StudyPlanJobStarted(
        job_id=job_id,
        book_id=book_id,
        guideline_id=guideline_id,
        message=f"Generating the study plan in job {job_id}; read it from "
        f"/admin/guidelines/{guideline_id}/study-plan once the job is completed.",
    )


def start_bulk(*, guideline_ids: list[str], force_regenerate: bool) -> str:
    """Jobs belong to a book (its lock), so one bulk job covers guidelines of one book."""
    ids = list(dict.fromkeys(guideline_ids))

    def work(session: Session) -> str:
        rows = session.scalars(select(TeachingGuideline).where(TeachingGuideline.id.in_(ids)))
        books = {r.id: r.book_id for r in rows}
        missing = [i for i in ids if i not in books]
        if missing:
            raise NotFoundError(f"Guidelines not found: {missing}.", code="guideline_not_found")
        book_ids = set(books.values())
        book_id = book_ids.pop() if len(book_ids) == 1 else None
        if book_id is None:
            raise BadRequestError(
                "A bulk study plan job covers guidelines of one book.", code="mixed_books"
            )
        book = job_lock_service.lock_for_start(session=session, book_id=book_id)
        job = job_lock_service.acquire(
            session=session,
            book=book,
            job_type=JobType.STUDY_PLAN_BULK,
            total_items=len(ids),
            detail=StudyPlanBulkDetail(
                errors=[],
                items_key="guideline_ids",
                guideline_ids=ids,
                force_regenerate=force_regenerate,
            ),
        )
        return job.id

    job_id = run_transaction(work)
    lifecycle.start(JobMessage(job_id=job_id, job_type=JobType.STUDY_PLAN_BULK))
    return job_id


class StudyPlanBulkJob(ItemHandler[StudyPlanBulkDetail]):
    job_type = JobType.STUDY_PLAN_BULK
    detail_type = StudyPlanBulkDetail

    def process(self, ctx: JobContext[StudyPlanBulkDetail], item: int) -> ItemOutcome:
        guideline_id = ctx.detail.guideline_ids[item - 1]
        try:
            plan, created = generate_study_plan(
                guideline_id=guideline_id,
                force_regenerate=ctx.detail.force_regenerate,
                job_id=ctx.job_id,
                guard=lambda: under_lease(ctx),
            )
        except LeaseLostError:
            raise
        except Exception as exc:
            message = error_text(exc)
            failed = {"guideline_id": guideline_id, "status": "failed", "error": message}
            return ItemOutcome(error=message, note=failed)
        status = "generated" if created else "existing"
        note: dict[str, object] = {
            "guideline_id": guideline_id,
            "status": status,
            "version": plan.version,
        }
        return ItemOutcome(note=note)


run_study_plan_bulk = StudyPlanBulkJob()
register(JobType.STUDY_PLAN_BULK, run_study_plan_bulk)
