"""Progress per subtopic: coverage accumulated across teach_me sessions against the latest
plan, the latest completed exam, when it was last studied, and a paused session to resume."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.models.entities import Session as TutorSession
from shared.models.entities import TeachingGuideline, User
from tutor.models.state import SessionState
from tutor.services import curriculum_service


@dataclass
class Progress:
    coverage: float = 0.0
    latest_exam: dict | None = None
    last_studied: datetime | None = None
    paused_session_id: str | None = None
    reached: set[str] = field(default_factory=set)


def progress_by_guideline(
    *, db: Session, user: User, guidelines: list[TeachingGuideline] | None = None
) -> dict[str, Progress]:
    rows = db.scalars(
        select(TutorSession)
        .where(TutorSession.user_id == user.id, TutorSession.guideline_id.is_not(None))
        .order_by(TutorSession.updated_at)
    ).all()
    progress: dict[str, Progress] = {}
    for row in rows:
        p = progress.setdefault(row.guideline_id, Progress())
        state = SessionState.model_validate_json(row.state_json) if row.state_json else None
        if p.last_studied is None or row.updated_at > p.last_studied:
            p.last_studied = row.updated_at
        if row.is_paused:
            p.paused_session_id = row.id
        if state is None:
            continue
        if state.mode == "teach_me":
            p.reached.update(state.concepts_reached)
        elif state.mode == "exam" and state.exam_result is not None:
            # Ordered by updated_at, so the last completed exam wins.
            r = state.exam_result
            p.latest_exam = {
                "score": r.score,
                "total": r.total,
                "percentage": r.percentage,
                "session_id": row.id,
            }
    if guidelines is None:
        ids = list(progress)
        guidelines = list(
            db.scalars(select(TeachingGuideline).where(TeachingGuideline.id.in_(ids))).all()
        )
    for g in guidelines:
        p = progress.setdefault(g.id, Progress())
        concepts = {s.concept for s in curriculum_service.plan_for(db=db, guideline=g)}
        p.coverage = round(len(p.reached & concepts) / len(concepts), 4) if concepts else 0.0
    return progress


def progress_read(p: Progress) -> dict:
    return {
        "coverage": p.coverage,
        "coverage_percent": round(p.coverage * 100, 1),
        "latest_exam": p.latest_exam,
        "last_studied": p.last_studied,
        "paused_session_id": p.paused_session_id,
    }


def report_card(*, db: Session, user: User) -> dict:
    progress = progress_by_guideline(db=db, user=user)
    guidelines = db.scalars(
        select(TeachingGuideline).where(TeachingGuideline.id.in_(list(progress)))
    ).all()
    subjects: dict[str, dict[str, list]] = {}
    for g in sorted(guidelines, key=lambda g: (g.subject, curriculum_service.topic_of(g))):
        topics = subjects.setdefault(g.subject, {})
        topics.setdefault(curriculum_service.topic_of(g), []).append(
            {
                "guideline_id": g.id,
                "subtopic": curriculum_service.subtopic_of(g),
                **progress_read(progress[g.id]),
            }
        )
    return {
        "subjects": [
            {
                "subject": subject,
                "topics": [{"topic": t, "subtopics": subs} for t, subs in topics.items()],
            }
            for subject, topics in subjects.items()
        ]
    }
