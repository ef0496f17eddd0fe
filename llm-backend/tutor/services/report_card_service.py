"""Progress per subtopic (report card, curriculum badges), from the caller's sessions.

Coverage accumulates over teach_me sessions: the concepts any of them reached, measured
against the subtopic's current plan (the one a new session would follow: its study plan, or
the default plan). A subtopic whose guideline is gone is measured against the plan its latest
teach_me session followed. Sessions, guidelines and study plans are read in three queries,
whatever the number of subtopics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.models.entities import Session as TutorSession
from shared.models.entities import TeachingGuideline, User
from shared.models.enums import ReviewStatus, SessionMode
from tutor.models.progress_view import percent
from tutor.models.state import ExamResult, SessionState
from tutor.services import curriculum_service
from tutor.services.session_reads import stored_state


@dataclass
class Tally:
    """One subtopic (guideline) of one student."""

    guideline_id: str
    names: SessionState  # the latest session's names, for a guideline that is gone
    reached: set[str] = field(default_factory=set)
    session_plan: list[str] = field(default_factory=list)  # the latest teach_me session's
    plan: list[str] = field(default_factory=list)
    teach_sessions: int = 0
    latest_exam: ExamResult | None = None  # the latest finished exam's
    last_studied: datetime | None = None  # latest teach_me or finished exam

    @property
    def coverage(self) -> float:
        """0-100, one decimal: plan concepts reached / distinct plan concepts (0 without one)."""
        return percent(len(self.reached & set(self.plan)), len(self.plan)) or 0.0


def _rows(session: Session, user: User) -> list[tuple[TutorSession, SessionState | None]]:
    rows = session.scalars(
        select(TutorSession)
        .where(TutorSession.user_id == user.id)
        .order_by(TutorSession.created_at, TutorSession.id)
    ).all()
    return [(r, stored_state(r)) for r in rows]


def _later(seen: datetime | None, at: datetime) -> datetime:
    return at if seen is None or at > seen else seen


def _tally(rows: list[tuple[TutorSession, SessionState | None]]) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    for row, state in rows:  # oldest first: the latest session of each kind wins
        if state is None:
            continue
        t = tallies.setdefault(state.guideline_id, Tally(state.guideline_id, state))
        t.names = state
        if state.mode == SessionMode.TEACH_ME:
            t.teach_sessions += 1
            t.reached.update(state.concepts_reached)
            t.session_plan = state.plan_concepts
            t.last_studied = _later(t.last_studied, row.updated_at)
        elif state.mode == SessionMode.EXAM and state.is_complete and state.exam_result is not None:
            t.latest_exam = state.exam_result
            t.last_studied = _later(t.last_studied, row.updated_at)
    return tallies


def _plans(session: Session, guidelines: list[TeachingGuideline]) -> dict[str, list[str]]:
    """Each guideline's current plan concepts, from the plans a new session would follow."""
    plans = curriculum_service.plans_for(session=session, guidelines=guidelines)
    return {gid: list(dict.fromkeys(s.concept for s in steps)) for gid, steps in plans.items()}


def _guidelines(session: Session, ids: list[str]) -> dict[str, TeachingGuideline]:
    if not ids:
        return {}
    found = session.scalars(select(TeachingGuideline).where(TeachingGuideline.id.in_(ids)))
    return {g.id: g for g in found}


def _measure(session: Session, tallies: dict[str, Tally]) -> dict[str, TeachingGuideline]:
    guidelines = _guidelines(session, list(tallies))
    plans = _plans(session, list(guidelines.values()))
    for gid, t in tallies.items():
        t.plan = plans.get(gid, t.session_plan)
    return guidelines


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "general"


def _subtopic(t: Tally, g: TeachingGuideline | None) -> dict:
    if g is not None:
        subtopic, key = curriculum_service.subtopic_of(g), g.subtopic_key
    else:
        subtopic, key = t.names.subtopic, None
    exam = t.latest_exam
    offered = g is not None and g.review_status == ReviewStatus.APPROVED
    return {
        "subtopic": subtopic,
        "subtopic_key": key or slug(subtopic),
        "guideline_id": t.guideline_id if offered else None,
        "coverage": t.coverage,
        "latest_exam_score": exam.correct if exam else None,
        "latest_exam_total": exam.total if exam else None,
        "last_studied": t.last_studied,
    }


def report_card(*, session: Session, user: User) -> dict:
    rows = _rows(session, user)
    tallies = _tally(rows)
    guidelines = _measure(session, tallies)
    # subject -> topic key -> (topic name, subtopics)
    tree: dict[str, dict[str, tuple[str, list[dict]]]] = {}
    for gid, t in tallies.items():
        g = guidelines.get(gid)
        subject = g.subject if g else t.names.subject
        topic = curriculum_service.topic_of(g) if g else t.names.topic
        topic_key = (g.topic_key if g else None) or slug(topic)
        topics = tree.setdefault(subject, {})
        topics.setdefault(topic_key, (topic, []))[1].append(_subtopic(t, g))
    subjects: list[dict[str, Any]] = [
        {
            "subject": subject,
            "topics": [
                {
                    "topic": name,
                    "topic_key": key,
                    "subtopics": sorted(subs, key=lambda s: (s["subtopic_key"], s["subtopic"])),
                }
                for key, (name, subs) in sorted(topics.items())
            ],
        }
        for subject, topics in sorted(tree.items())
    ]
    return {
        "total_sessions": len(rows),
        "total_topics_studied": sum(len(s["topics"]) for s in subjects),
        "subjects": subjects,
    }


def subtopic_progress(*, session: Session, user: User) -> dict:
    """Badges of the subtopic picker: guidelines with at least one teach_me session."""
    tallies = {gid: t for gid, t in _tally(_rows(session, user)).items() if t.teach_sessions}
    _measure(session, tallies)
    return {
        "user_progress": {
            gid: {"coverage": t.coverage, "session_count": t.teach_sessions, "status": "studied"}
            for gid, t in tallies.items()
        }
    }
