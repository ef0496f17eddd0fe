"""Admin study plan routes of a guideline, under the guideline routes' prefix."""

from __future__ import annotations

from fastapi import APIRouter, Response

from database import DbSession
from shared.api.responses import errors
from shared.api.route import ApiRoute
from shared.auth.dependencies import AdminUser
from shared.jobs.schemas import JobStarted
from study_plans.api.schemas import BulkStudyPlanCreate
from study_plans.models.plan_results import StudyPlanJobStarted, StudyPlanRead
from study_plans.services import plan_jobs, plans

router = APIRouter(prefix="/admin/guidelines", tags=["guidelines"], route_class=ApiRoute)


# The fixed path before `/{guideline_id}/...`, as the guideline routes keep theirs.
@router.post("/bulk-generate-study-plans", status_code=202, responses=errors(400, 404, 409))
def bulk_generate(body: BulkStudyPlanCreate, admin: AdminUser) -> JobStarted:
    job_id = plan_jobs.start_bulk(
        guideline_ids=body.guideline_ids, force_regenerate=body.force_regenerate
    )
    return JobStarted(job_id=job_id)


@router.post(
    "/{guideline_id}/generate-study-plan",
    responses={202: {"model": StudyPlanJobStarted, "description": "Generation job started"}},
)
def generate_study_plan(
    guideline_id: str, admin: AdminUser, response: Response, force_regenerate: bool = False
) -> StudyPlanRead | StudyPlanJobStarted:
    """200 with the existing plan unless `force_regenerate`; otherwise 202 with the book job
    that generates it (read the plan once the job completes). A guideline of no book gets its
    plan at once (200)."""
    result = plan_jobs.request_study_plan(
        guideline_id=guideline_id, force_regenerate=force_regenerate
    )
    if isinstance(result, StudyPlanJobStarted):
        response.status_code = 202
    return result


@router.get("/{guideline_id}/study-plan")
def get_study_plan(guideline_id: str, admin: AdminUser, session: DbSession) -> StudyPlanRead:
    return plans.get_study_plan(session=session, guideline_id=guideline_id)
