"""The approved curriculum: only `teaching_guidelines` with review_status 'APPROVED'."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.errors import NotFoundError
from shared.models.entities import StudyPlan, TeachingGuideline
from shared.models.enums import ReviewStatus
from tutor.models.state import PlanStep

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
    if g is None or g.review_status != ReviewStatus.APPROVED:
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


def curriculum(
    *,
    db: Session,
    country: str,
    board: str,
    grade: int,
    subject: str | None = None,
    topic: str | None = None,
) -> dict:
    """One level of the approved curriculum (contract §2.3): subjects; with `subject`, its
    topics; with `topic` too, its subtopics with their guideline ids. The levels not asked for
    are None. Matching is exact and case-sensitive on the `subject` / `topic` / `subtopic`
    columns (the names the frontend puts in its URLs), lists are distinct and sorted."""
    clauses = [
        TeachingGuideline.review_status == ReviewStatus.APPROVED,
        TeachingGuideline.country == country,
        TeachingGuideline.board == board,
        TeachingGuideline.grade == grade,
    ]
    levels: dict = {"subjects": None, "topics": None, "subtopics": None}
    if not subject:
        levels["subjects"] = _distinct(db, TeachingGuideline.subject, clauses)
        return levels
    clauses.append(TeachingGuideline.subject == subject)
    if not topic:
        levels["topics"] = _distinct(db, TeachingGuideline.topic, clauses)
        return levels
    rows = db.execute(
        select(TeachingGuideline.id, TeachingGuideline.subtopic, TeachingGuideline.subtopic_key)
        .where(*clauses, TeachingGuideline.topic == topic)
        .where(TeachingGuideline.subtopic.is_not(None))
    ).all()
    # Sorted in Python, not by the database's collation: the same order on PostgreSQL and SQLite.
    levels["subtopics"] = [
        {"subtopic": name, "guideline_id": gid, "subtopic_key": key}
        for gid, name, key in sorted(rows, key=lambda r: (r.subtopic, r.id))
    ]
    return levels


def _distinct(db: Session, column, clauses: list) -> list[str]:
    values = db.scalars(select(column).where(*clauses, column.is_not(None)).distinct())
    return sorted(values)
