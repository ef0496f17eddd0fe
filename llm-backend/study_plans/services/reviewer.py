"""The `study_plan_reviewer` model: rates a plan and says whether it is approved as is."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field

from shared.llm import complete
from shared.prompts import load_prompt

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
COMPONENT = "study_plan_reviewer"


class PlanReview(BaseModel):
    rating: int = Field(ge=1, le=5)
    approved: bool
    feedback: str


def review(*, guideline: dict, plan: dict, job_id: str | None = None) -> PlanReview:
    prompt = load_prompt(PROMPTS, "review_plan", **guideline, plan=json.dumps(plan, indent=2))
    return complete(
        component=COMPONENT,
        messages=[{"role": "user", "content": prompt}],
        output=PlanReview,
        job_id=job_id,
    )
