"""Read-only questions about sessions: the state view, the summary, a user's earlier sessions
on a guideline (past discussions, the unfinished exam that blocks a second one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.errors import AppError, NotFoundError
from shared.models.entities import Event, TeachingGuideline, User
from shared.models.entities import Session as TutorSession
from shared.models.enums import SessionMode
from tutor.models import progress_view, state_view
from tutor.models.state import SessionState, Turn
from tutor.models.turn_view import current_step, mastery_score
from tutor.services import curriculum_service

# Summary suggestions by mastery band (contract §2.4.4).
EXCELLENT, GOOD = 0.85, 0.7
SUGGESTIONS = {
    "excellent": "Excellent work! You have a strong grasp of this topic; try an exam or move on.",
    "good": "Good progress! Review the steps you found tricky, then practise a few more.",
    "keep": "Keep practising: go through this topic again, one step at a time.",
}
PAST_DISCUSSIONS = 5  # clarify sessions looked at for `past_discussions`


def load_state(row: TutorSession) -> SessionState:
    """The one place a session row's `state_json` becomes its `SessionState`."""
    if row.state_json is None:
        raise AppError(f"Session {row.id} has no stored state.", code="session_state_missing")
    return SessionState.model_validate_json(row.state_json)


def stored_state(row: TutorSession) -> SessionState | None:
    """`load_state`, or None for a row stored without a state (read-only views list those)."""
    return load_state(row) if row.state_json else None


def events_of(*, session: Session, session_id: str) -> list[Event]:
    return list(
        session.scalars(
            select(Event).where(Event.session_id == session_id).order_by(Event.created_at, Event.id)
        ).all()
    )


def view(*, session: Session, row: TutorSession) -> state_view.SessionStateView:
    state = load_state(row)
    guideline = session.get(TeachingGuideline, state.guideline_id)
    plan = state.plan
    if not plan and guideline is not None:
        # Exam and clarify sessions stored before every mode kept a plan: without one the
        # frontend's completion rule (current_step > steps) would call them finished.
        plan = curriculum_service.plan_for(session=session, guideline=guideline)
    return state_view.build(
        session_id=row.id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        state=state,
        guideline=guideline,
        events=events_of(session=session, session_id=row.id),
        plan=plan,
    )


@dataclass
class Summary:
    steps_completed: int
    mastery_score: float
    misconceptions_seen: list[str]
    suggestions: list[str]
    coverage: float


def summary(state: SessionState) -> Summary:
    mastery = round(mastery_score(state), 2)
    band = "excellent" if mastery >= EXCELLENT else "good" if mastery >= GOOD else "keep"
    suggestions = [SUGGESTIONS[band]]
    if state.misconceptions:
        names = ", ".join(state.misconceptions)
        suggestions.append(f"Look again at the ideas that tripped you up: {names}.")
    return Summary(
        steps_completed=current_step(state) - 1,
        mastery_score=mastery,
        misconceptions_seen=list(state.misconceptions),
        suggestions=suggestions,
        coverage=coverage_percent(state),
    )


def coverage_percent(state: SessionState) -> float:
    """Plan concepts reached, 0-100 with one decimal; 0 without a plan."""
    return progress_view.coverage_percent(state) or 0.0


def _user_sessions(*, session: Session, owner: User, guideline_id: str, mode: str):
    return select(TutorSession).where(
        TutorSession.user_id == owner.id,
        TutorSession.guideline_id == guideline_id,
        TutorSession.mode == mode,
    )


def unfinished_exam(*, session: Session, owner: User, guideline_id: str) -> str | None:
    """The newest of the user's exams on this guideline that is unfinished and has at least
    one answer; exams nobody answered (abandoned right after creation) do not count."""
    rows = session.scalars(
        _user_sessions(
            session=session, owner=owner, guideline_id=guideline_id, mode=SessionMode.EXAM
        ).order_by(TutorSession.created_at.desc())
    )
    for row in rows:
        state = load_state(row)
        if not state.is_complete and any(q.answer is not None for q in state.questions):
            return row.id
    return None


@dataclass
class PastDiscussion:
    session_date: datetime
    concepts_discussed: list[str]


def past_discussions(
    *, session: Session, owner: User, guideline_id: str
) -> list[PastDiscussion] | None:
    """The user's latest clarify sessions on this guideline (the new one included) that
    discussed something; None when there are none."""
    rows = session.scalars(
        _user_sessions(
            session=session, owner=owner, guideline_id=guideline_id, mode=SessionMode.CLARIFY_DOUBTS
        )
        .order_by(TutorSession.created_at.desc())
        .limit(PAST_DISCUSSIONS)
    ).all()
    found = [
        PastDiscussion(session_date=row.created_at, concepts_discussed=state.concepts_discussed)
        for row in rows
        if (state := load_state(row)).concepts_discussed
    ]
    return found or None


@dataclass
class Transcript:
    """A stored session's conversation as other domains read it (evaluation judges it)."""

    session_id: str
    mode: str
    guideline_id: str
    topic: str
    subtopic: str
    grade: int | None
    guideline_text: str  # what the tutor was meant to teach ("" when the guideline is gone)
    turns: list[Turn]  # role "tutor" | "student", text, ISO time
    is_complete: bool


def transcript(*, session: Session, session_id: str) -> Transcript:
    """NotFoundError for an unknown session, or one stored without a state."""
    row = session.get(TutorSession, session_id)
    state = stored_state(row) if row is not None else None
    if row is None or state is None:
        raise NotFoundError(f"Session not found: {session_id}", code="session_not_found")
    guideline = session.get(TeachingGuideline, state.guideline_id)
    grade = state.student.grade
    if grade is None and guideline is not None:
        grade = guideline.grade
    return Transcript(
        session_id=row.id,
        mode=str(state.mode),
        guideline_id=state.guideline_id,
        topic=state.topic,
        subtopic=state.subtopic,
        grade=grade,
        guideline_text=(guideline.guideline or "") if guideline is not None else "",
        turns=list(state.conversation),
        is_complete=state.is_complete,
    )
