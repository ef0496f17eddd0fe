"""Study plan generation: generate → review → (if not approved) one improvement pass → save.

Model calls run outside any database transaction; the plan is saved in a short one at the end,
bumping `version` when it replaces an earlier plan.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from sqlalchemy import select

from book_ingestion.services.guideline_review_service import get_row
from database import session_scope
from shared.jobs.items import error_text
from shared.llm import config_store
from shared.models.entities import StudyPlan
from study_plans.models.plan_results import StudyPlanRead
from study_plans.services import generator, reviewer
from study_plans.services.plans import existing, plan_read
from study_plans.services.reviewer import PlanReview


def generate_study_plan(
    *,
    guideline_id: str,
    force_regenerate: bool = False,
    job_id: str | None = None,
    guard: Callable[[], AbstractContextManager] = nullcontext,
) -> tuple[StudyPlanRead, bool]:
    """The plan, and whether it was (re)generated now (False: the existing one returned).
    `guard` wraps the save (a job's lease: a swept bulk job saves nothing more)."""
    with session_scope() as session:
        guideline = get_row(session=session, guideline_id=guideline_id)
        row = existing(session=session, guideline_id=guideline_id)
        if row is not None and not force_regenerate:
            return plan_read(row), False
        context = generator.guideline_vars(guideline)

    first = generator.generate(guideline=context, job_id=job_id)
    plan, reasoning, revised = first.plan(), first.reasoning, False
    verdict: PlanReview | None
    try:
        verdict = reviewer.review(guideline=context, plan=plan, job_id=job_id)
        feedback = verdict.feedback
    except Exception as exc:
        # An unreviewed plan is still usable; the admin sees why there is no review.
        verdict, feedback = None, f"Review failed: {error_text(exc)}"
    if verdict is not None and not verdict.approved:
        try:
            better = generator.improve(
                guideline=context, plan=first.plan(), feedback=verdict.feedback, job_id=job_id
            )
        except Exception:
            pass  # one improvement pass only; when it fails the reviewed original stands
        else:
            plan, reasoning, revised = better.plan(), better.reasoning, True
    if verdict is not None:  # the review of the first draft, which feedback answers
        plan["review"] = {"rating": verdict.rating, "approved": verdict.approved}
    with guard():
        return _save(guideline_id, plan, reasoning, feedback, revised), True


def _save(guideline_id: str, plan: dict, reasoning: str, feedback: str, revised: bool):
    models = {
        "generator_model": config_store.resolve(generator.COMPONENT).model_id,
        "reviewer_model": config_store.resolve(reviewer.COMPONENT).model_id,
    }
    with session_scope() as session:
        get_row(
            session=session, guideline_id=guideline_id
        )  # deleted meanwhile → 404, nothing saved
        row = session.scalar(
            select(StudyPlan).where(StudyPlan.guideline_id == guideline_id).with_for_update()
        )
        if row is None:
            row = StudyPlan(guideline_id=guideline_id, version=0)
            session.add(row)
        row.version = (row.version or 0) + 1
        plan["metadata"]["plan_version"] = row.version
        row.plan_json = json.dumps(plan)
        row.generation_reasoning, row.reviewer_feedback = reasoning, feedback
        row.was_revised, row.status = int(revised), "generated"
        row.generator_model, row.reviewer_model = models.values()
        session.flush()
        session.refresh(row)
        return plan_read(row)
