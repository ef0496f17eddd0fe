"""What the study plan services return: a stored plan, or the job that will generate one. The
routes send them as they are, so these are also the response shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from study_plans.models.plan_format import StudyPlanMetadata, StudyPlanStep


class StudyPlanJobStarted(BaseModel):
    """A study plan being generated in a `study_plan_bulk` job of the guideline's book: follow
    it at /admin/books/{book_id}/jobs/{job_id}, then read /admin/guidelines/{id}/study-plan."""

    job_id: str
    status: Literal["started"] = "started"
    book_id: str
    guideline_id: str
    message: str


class StudyPlanRead(BaseModel):
    """The plan in the frontend's shape (`todo_list`, `metadata`), and how it was made."""

    todo_list: list[StudyPlanStep]
    metadata: StudyPlanMetadata
    review: dict | None = Field(description="The reviewer's `{rating, approved}`, if it answered")
    id: str
    guideline_id: str
    generator_model: str | None
    reviewer_model: str | None
    generation_reasoning: str | None
    reviewer_feedback: str | None
    was_revised: bool
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
