"""The approved curriculum: only `teaching_guidelines` with review_status 'APPROVED'."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.errors import NotFoundError
from shared.models.entities import StudyPlan, TeachingGuideline, User
from tutor.models.state import PlanStep

APPROVED = "APPROVED"
# When a guideline has no study plan: explain → check → explain → practice (issue 5).
DEFAULT_PLAN = [
    ("explain", "core idea", "Explain the core idea with a simple example"),
    ("check", "core idea", "Check the student can state and use the core idea"),
    ("explain", "worked examples", "Work through an example step by step"),
    ("practice", "worked examples", "The student solves a similar problem on their own"),
]
STEP_KINDS = {"explain", "check", "practice"}


def topic_of(g: TeachingGuideline) -> str:
    return g.topic_title or g.topic or g.topic_key or "General"


def subtopic_of(g: TeachingGuideline) -> str:
    return g.subtopic_title or g.subtopic or g.subtopic_key or topic_of(g)


def get_approved_guideline(*, db: Session, guideline_id: str) -> TeachingGuideline:
    g = db.get(TeachingGuideline, guideline_id)
    if g is None or g.review_status != APPROVED:
        # An unapproved guideline is indistinguishable from a missing one for students.
        raise NotFoundError("Guideline not found.", code="guideline_not_found")
    return g


def plan_for(*, db: Session, guideline: TeachingGuideline) -> list[PlanStep]:
    row = db.scalar(select(StudyPlan).where(StudyPlan.guideline_id == guideline.id))
    steps = parse_plan(row.plan_json) if row else []
    if steps:
        return steps
    title = subtopic_of(guideline)
    return [PlanStep(kind=k, concept=f"{title}: {c}", goal=goal) for k, c, goal in DEFAULT_PLAN]


def parse_plan(plan_json: str) -> list[PlanStep]:
    """Reads a stored study plan leniently: a list of steps, {"todo_list": [...]} (the admin
    plan's shape) or {"steps": [...]} (older plans),
    each with a kind (`type`/`kind`/`step_type`) and a concept (`concept`/`title`/`topic`).
    Steps of unknown kinds are read as `explain`; an unreadable plan gives [] (default plan)."""
    try:
        data = json.loads(plan_json)
    except (TypeError, ValueError):
        return []
    if isinstance(data, dict):
        data = data.get("todo_list") or data.get("steps") or data.get("plan") or []
    steps = []
    for raw in data if isinstance(data, list) else []:
        if not isinstance(raw, dict):
            continue
        kind = str(raw.get("kind") or raw.get("type") or raw.get("step_type") or "").lower()
        concept = raw.get("concept") or raw.get("title") or raw.get("topic")
        if not concept:
            continue
        goal = raw.get("goal") or raw.get("description") or raw.get("objective") or ""
        kind = kind if kind in STEP_KINDS else "explain"
        steps.append(PlanStep(kind=kind, concept=str(concept), goal=str(goal)))
    return steps


def _filters(user: User, country: str | None, board: str | None, grade: int | None):
    """Explicit query values win; otherwise the caller's profile (users have no country, so
    country filters only when given)."""
    board = board if board is not None else user.board
    grade = grade if grade is not None else user.grade
    clauses = [TeachingGuideline.review_status == APPROVED]
    if country:
        clauses.append(TeachingGuideline.country == country)
    if board:
        clauses.append(TeachingGuideline.board == board)
    if grade is not None:
        clauses.append(TeachingGuideline.grade == grade)
    return clauses, {"country": country, "board": board, "grade": grade}


def approved_guidelines(
    *,
    db: Session,
    user: User,
    country: str | None = None,
    board: str | None = None,
    grade: int | None = None,
    subject: str | None = None,
) -> tuple[list[TeachingGuideline], dict]:
    clauses, applied = _filters(user, country, board, grade)
    if subject:
        clauses.append(TeachingGuideline.subject == subject)
    rows = db.scalars(
        select(TeachingGuideline).where(*clauses).order_by(TeachingGuideline.created_at)
    ).all()
    return list(rows), {**applied, "subject": subject}


def subjects(**kw) -> tuple[list[str], dict]:
    rows, applied = approved_guidelines(**kw)
    return sorted({g.subject for g in rows}), applied


def topics(**kw) -> tuple[list[dict], dict]:
    rows, applied = approved_guidelines(**kw)
    seen: dict[str, dict] = {}
    for g in rows:
        key = topic_of(g)
        item = seen.setdefault(
            key, {"topic": key, "topic_key": g.topic_key, "summary": g.topic_summary, "count": 0}
        )
        item["count"] += 1
    return list(seen.values()), applied


def subtopics(*, topic: str | None, **kw) -> tuple[list[TeachingGuideline], dict]:
    rows, applied = approved_guidelines(**kw)
    if topic:
        rows = [g for g in rows if topic in (topic_of(g), g.topic_key)]
    return rows, {**applied, "topic": topic}
