"""The stored study plan (`study_plans.plan_json`) in the learnlikemagic frontend's shape:
`{"todo_list": [step, ...], "metadata": {...}, "review": {...}}`.

Each step carries the frontend's fields (`step_id`, `title`, `description`, `teaching_approach`,
`success_criteria`, `status`) and the tutor's (`type` explain/check/practice, `concepts`,
`concept`, which the tutor keys mastery on). Plans stored before this shape (`{"steps": [...]}`,
e.g. the demo curriculum's) are read through `to_contract` (the admin's view) and
`teaching_steps` (the tutor's)."""

from __future__ import annotations

import json
from typing import Literal, get_args

from pydantic import BaseModel, Field

StepStatus = Literal["pending", "completed", "skipped"]
STEP_STATUSES: tuple[str, ...] = get_args(StepStatus)
# What a step does (the tutor runs each kind its own way): the generator's output, the stored
# step and the steps read for the tutor (`TeachingStep`) all take this one definition.
StepKind = Literal["explain", "check", "practice"]
STEP_KINDS: tuple[str, ...] = get_args(StepKind)


class StudyPlanStep(BaseModel):
    step_id: str = Field(description="`step_1`, `step_2`, … in order")
    title: str
    description: str
    teaching_approach: str
    success_criteria: str
    status: StepStatus
    type: StepKind = "explain"
    concepts: list[str] = Field(default_factory=list)
    concept: str = Field(description="What the tutor keys mastery on (the first concept)")


class StudyPlanMetadata(BaseModel):
    plan_version: int
    estimated_duration_minutes: int
    difficulty_level: str
    is_generic: bool = Field(description="Written for the guideline, not for one student")
    creative_theme: str | None = None


def step(index: int, raw: dict) -> dict:
    """One step in the stored shape, from the generator's output or an older stored step."""
    title = str(raw.get("title") or raw.get("concept") or f"Step {index}")
    concepts = [str(c) for c in raw.get("concepts") or []] or [str(raw.get("concept") or title)]
    kind = str(raw.get("type") or raw.get("kind") or "").lower()
    status = raw.get("status")
    return {
        "step_id": str(raw.get("step_id") or f"step_{index}"),
        "title": title,
        "description": str(raw.get("description") or raw.get("goal") or ""),
        "teaching_approach": str(raw.get("teaching_approach") or ""),
        "success_criteria": str(raw.get("success_criteria") or ""),
        "status": status if status in STEP_STATUSES else "pending",
        "type": kind if kind in STEP_KINDS else "explain",
        "concepts": concepts,
        "concept": str(raw.get("concept") or concepts[0]),
    }


def metadata(*, version: int, minutes: int, difficulty: str, theme: str | None) -> dict:
    meta = {
        "plan_version": version,
        "estimated_duration_minutes": minutes,
        "difficulty_level": difficulty,
        "is_generic": True,
    }
    if theme:
        meta["creative_theme"] = theme
    return meta


def to_contract(plan: dict, *, version: int) -> dict:
    """`plan` (either stored shape) as `{todo_list, metadata, review}`."""
    raw_steps = plan.get("todo_list") or plan.get("steps") or []
    meta = plan.get("metadata") or {}
    if "plan_version" not in meta:
        meta = metadata(
            version=version,
            minutes=int(meta.get("estimated_minutes") or 0),
            difficulty=str(meta.get("difficulty") or "medium"),
            theme=meta.get("theme"),
        )
    return {
        "todo_list": [step(i, s) for i, s in enumerate(raw_steps, 1) if isinstance(s, dict)],
        "metadata": meta,
        "review": plan.get("review"),
    }


class TeachingStep(BaseModel):
    """A step as the tutor teaches it."""

    kind: StepKind
    concept: str
    goal: str = ""


def teaching_steps(plan_json: str) -> list[TeachingStep]:
    """The stored plan's steps (either stored shape), read as `step` reads them. A step naming
    no concept and no title is not taught; an unreadable plan has no steps."""
    try:
        plan = json.loads(plan_json)
    except (TypeError, ValueError):
        return []
    raw_steps = (plan.get("todo_list") or plan.get("steps")) if isinstance(plan, dict) else None
    if not isinstance(raw_steps, list):
        return []
    steps = []
    for i, raw in enumerate(raw_steps, 1):
        if not isinstance(raw, dict) or not (raw.get("concept") or raw.get("title")):
            continue
        s = step(i, raw)
        steps.append(TeachingStep(kind=s["type"], concept=s["concept"], goal=s["description"]))
    return steps
