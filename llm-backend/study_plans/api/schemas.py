"""Request schemas of the study plan routes (the responses are the services' own types, in
study_plans.models.plan_results)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class BulkStudyPlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    guideline_ids: list[str] = Field(min_length=1, max_length=200)
    force_regenerate: bool = False
