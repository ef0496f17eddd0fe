"""The `study_plan_generator` model: a 3-5 step plan from a guideline, and one improvement pass
from reviewer feedback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from shared.llm import complete
from shared.models.entities import TeachingGuideline
from shared.prompts import load_prompt
from study_plans.models import plan_format

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
COMPONENT = "study_plan_generator"


class PlanStepOut(BaseModel):
    title: str
    description: str
    teaching_approach: str
    success_criteria: str
    type: plan_format.StepKind
    concepts: list[str]


class PlanMetadata(BaseModel):
    estimated_minutes: int = Field(ge=1)
    difficulty: Literal["easy", "medium", "hard"]
    theme: str | None


class GeneratedPlan(BaseModel):
    reasoning: str
    steps: list[PlanStepOut] = Field(min_length=3, max_length=5)
    metadata: PlanMetadata

    def plan(self) -> dict:
        """What `plan_json` stores (plan_format); `plan_version` is set when it is saved."""
        m = self.metadata
        return {
            "todo_list": [plan_format.step(i, s.model_dump()) for i, s in enumerate(self.steps, 1)],
            "metadata": plan_format.metadata(
                version=1, minutes=m.estimated_minutes, difficulty=m.difficulty, theme=m.theme
            ),
        }


def guideline_vars(g: TeachingGuideline) -> dict:
    return {
        "grade": g.grade,
        "subject": g.subject,
        "board": g.board,
        "topic_title": g.topic_title or g.topic or "",
        "subtopic_title": g.subtopic_title or g.subtopic or "",
        "subtopic_summary": g.subtopic_summary or "",
        "guideline": g.guideline or "",
    }


def _ask(prompt: str, job_id: str | None) -> GeneratedPlan:
    return complete(
        component=COMPONENT,
        messages=[{"role": "user", "content": prompt}],
        output=GeneratedPlan,
        job_id=job_id,
    )


def generate(*, guideline: dict, job_id: str | None = None) -> GeneratedPlan:
    return _ask(load_prompt(PROMPTS, "generate_plan", **guideline), job_id)


def improve(
    *, guideline: dict, plan: dict, feedback: str, job_id: str | None = None
) -> GeneratedPlan:
    prompt = load_prompt(
        PROMPTS, "improve_plan", **guideline, plan=json.dumps(plan, indent=2), feedback=feedback
    )
    return _ask(prompt, job_id)
