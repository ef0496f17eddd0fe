"""The approved curriculum: only `teaching_guidelines` with review_status 'APPROVED'."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.errors import NotFoundError
from shared.models.entities import TeachingGuideline
from shared.models.enums import ReviewStatus
from study_plans.services import plans
from study_plans.services.plans import TeachingStep
from tutor.models.state import PlanStep

# When a guideline has no study plan: explain → check → explain → practice (issue 5).
DEFAULT_PLAN = [
    ("explain", "core idea", "Explain the core idea with a simple example"),
    ("check", "core idea", "Check the student can state and use the core idea"),
    ("explain", "worked examples", "Work through an example step by step"),
    ("practice", "worked examples", "The student solves a similar problem on their own"),
]


def topic_of(g: TeachingGuideline) -> str:
    return g.topic_title or g.topic or g.topic_key or "General"


def subtopic_of(g: TeachingGuideline) -> str:
    return g.subtopic_title or g.subtopic or g.subtopic_key or topic_of(g)


def get_approved_guideline(*, session: Session, guideline_id: str) -> TeachingGuideline:
    g = session.get(TeachingGuideline, guideline_id)
    if g is None or g.review_status != ReviewStatus.APPROVED:
        # An unapproved guideline is indistinguishable from a missing one for students.
        raise NotFoundError("Guideline not found.", code="guideline_not_found")
    return g


def plan_for(*, session: Session, guideline: TeachingGuideline) -> list[PlanStep]:
    """The guideline's study plan as the tutor's steps; the default plan without one."""
    return _steps(plans.steps_for(session=session, guideline_id=guideline.id)) or _default_plan(
        guideline
    )


def plans_for(
    *, session: Session, guidelines: list[TeachingGuideline]
) -> dict[str, list[PlanStep]]:
    """Each guideline's study plan as the tutor's steps (the plans read in one query); the
    default plan for a guideline without a readable one."""
    stored = plans.steps_for_many(session=session, guideline_ids=[g.id for g in guidelines])
    return {g.id: _steps(stored[g.id]) or _default_plan(g) for g in guidelines}


def _steps(steps: list[TeachingStep]) -> list[PlanStep]:
    return [PlanStep(kind=s.kind, concept=s.concept, goal=s.goal) for s in steps]


def _default_plan(guideline: TeachingGuideline) -> list[PlanStep]:
    title = subtopic_of(guideline)
    return [PlanStep(kind=k, concept=f"{title}: {c}", goal=goal) for k, c, goal in DEFAULT_PLAN]


def curriculum(
    *,
    session: Session,
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
        levels["subjects"] = _distinct(session, TeachingGuideline.subject, clauses)
        return levels
    clauses.append(TeachingGuideline.subject == subject)
    if not topic:
        levels["topics"] = _distinct(session, TeachingGuideline.topic, clauses)
        return levels
    rows = session.execute(
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


def _distinct(session: Session, column, clauses: list) -> list[str]:
    values = session.scalars(select(column).where(*clauses, column.is_not(None)).distinct())
    return sorted(values)
