"""The stored study plans: the admin's view of one, the steps the tutor teaches from, and
storing a ready-made plan (the demo curriculum's)."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from book_ingestion.services.guideline_review_service import get_row
from shared.errors import NotFoundError
from shared.models.entities import StudyPlan
from study_plans.models import plan_format
from study_plans.models.plan_format import TeachingStep
from study_plans.models.plan_results import StudyPlanRead


def plan_read(row: StudyPlan) -> StudyPlanRead:
    return StudyPlanRead(
        **plan_format.to_contract(json.loads(row.plan_json), version=row.version),
        id=row.id,
        guideline_id=row.guideline_id,
        generator_model=row.generator_model,
        reviewer_model=row.reviewer_model,
        generation_reasoning=row.generation_reasoning,
        reviewer_feedback=row.reviewer_feedback,
        was_revised=bool(row.was_revised),
        status=row.status,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def existing(*, session: Session, guideline_id: str) -> StudyPlan | None:
    return session.scalar(select(StudyPlan).where(StudyPlan.guideline_id == guideline_id))


def get_study_plan(*, session: Session, guideline_id: str) -> StudyPlanRead:
    get_row(session=session, guideline_id=guideline_id)
    row = existing(session=session, guideline_id=guideline_id)
    if row is None:
        raise NotFoundError("Study plan not found", code="study_plan_not_found")
    return plan_read(row)


def steps_for(*, session: Session, guideline_id: str) -> list[TeachingStep]:
    """The guideline's plan steps; [] without a (readable) plan."""
    return steps_for_many(session=session, guideline_ids=[guideline_id])[guideline_id]


def steps_for_many(*, session: Session, guideline_ids: list[str]) -> dict[str, list[TeachingStep]]:
    """Each guideline's plan steps ([] without a readable plan), in one query."""
    stored = (
        session.execute(
            select(StudyPlan.guideline_id, StudyPlan.plan_json).where(
                StudyPlan.guideline_id.in_(guideline_ids)
            )
        ).all()
        if guideline_ids
        else []
    )
    steps = {gid: plan_format.teaching_steps(plan_json) for gid, plan_json in stored}
    return {gid: steps.get(gid, []) for gid in guideline_ids}


def store(
    *, session: Session, guideline_id: str, plan: dict, generator_model: str, status: str
) -> None:
    """Adds a ready-made plan (either stored shape) for a guideline that has none."""
    session.add(
        StudyPlan(
            guideline_id=guideline_id,
            plan_json=json.dumps(plan),
            generator_model=generator_model,
            status=status,
        )
    )
