"""Tutoring sessions written straight to the `sessions` table, at a chosen point of progress,
for tests of the routes that read them (report card, history, exam review). The states are
real `SessionState`s; exam results come from the exam orchestration's own arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from database import session_scope
from shared.auth.identity import VerifiedIdentity
from shared.models.entities import Session as TutorSession
from shared.models.entities import TeachingGuideline
from shared.services import user_service
from tutor.models.state import ExamQuestion, SessionState, Turn, verdict_for
from tutor.orchestration.exam import compute_result
from tutor.services import curriculum_service

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def user_id(sub: str) -> str:
    """The user row of the token subject `sub` (created as a first request would)."""
    with session_scope() as db:
        identity = VerifiedIdentity(sub=sub, token_use="access")
        return user_service.get_or_create_user(session=db, identity=identity).id


def _conversation(messages: int) -> list[Turn]:
    at = T0.isoformat()
    return [
        Turn(role="tutor" if i % 2 == 0 else "student", text=f"message {i}", at=at)
        for i in range(messages)
    ]


def _write(*, owner: str | None, state: SessionState, minute: int, paused: bool = False) -> str:
    """Stores the session created `minute` minutes after T0 (and last changed a minute later)."""
    with session_scope() as db:
        row = TutorSession(
            user_id=user_id(owner) if owner else None,
            subject=state.subject,
            mode=state.mode,
            guideline_id=state.guideline_id,
            state_json=state.model_dump_json(),
            is_paused=paused,
            created_at=T0 + timedelta(minutes=minute),
            updated_at=T0 + timedelta(minutes=minute + 1),
        )
        db.add(row)
        db.flush()
        return row.id


def _state(guideline_id: str, mode: str, messages: int) -> SessionState:
    with session_scope() as db:
        g = db.get(TeachingGuideline, guideline_id)
        plan = curriculum_service.plan_for(session=db, guideline=g) if mode == "teach_me" else []
        return SessionState(
            mode=mode,
            guideline_id=g.id,
            subject=g.subject,
            topic=curriculum_service.topic_of(g),
            subtopic=curriculum_service.subtopic_of(g),
            conversation=_conversation(messages),
            turns=messages // 2,
            plan=plan,
        )


def teach_me(
    guideline_id: str,
    *,
    owner: str | None,
    minute: int = 0,
    step_idx: int = 0,
    mastery: dict[str, float] | None = None,
    messages: int = 3,
    paused: bool = False,
) -> str:
    """A teach_me session on plan step `step_idx` (0-based), having reached the concepts of
    the steps up to it; at the plan's length it is complete."""
    state = _state(guideline_id, "teach_me", messages)
    state.step_idx = min(step_idx, len(state.plan))
    state.concepts_reached = list(dict.fromkeys(s.concept for s in state.plan[: step_idx + 1]))
    state.mastery = mastery or {}
    state.is_complete = step_idx >= len(state.plan)
    state.is_paused = paused
    return _write(owner=owner, state=state, minute=minute, paused=paused)


def clarify(
    guideline_id: str,
    *,
    owner: str | None,
    minute: int = 0,
    concepts: list[str] = (),
    complete: bool = False,
) -> str:
    state = _state(guideline_id, "clarify_doubts", 2 * len(concepts) + 1)
    state.concepts_discussed = list(concepts)
    state.is_complete = complete
    return _write(owner=owner, state=state, minute=minute)


def exam(
    guideline_id: str,
    *,
    owner: str | None,
    minute: int = 0,
    marks: list[float | None],
    finished: bool = True,
) -> str:
    """An exam with one question per mark; None is a question not answered. A finished exam
    has its result, as the last answer or end-exam writes it."""
    state = _state(guideline_id, "exam", 1 + 2 * sum(m is not None for m in marks))
    state.questions = [
        ExamQuestion(
            number=i + 1,
            question=f"Q{i + 1}?",
            difficulty=("easy", "medium", "hard")[i % 3],
            kind="conceptual",
            concept="equal parts" if i % 2 == 0 else "equivalence",
            expected_answer=f"A{i + 1}",
            answer=None if m is None else f"answer {i + 1}",
            score=m,
            verdict=None if m is None else verdict_for(m),
            rationale=None if m is None else f"marked {m}",
        )
        for i, m in enumerate(marks)
    ]
    state.exam_current = sum(m is not None for m in marks)
    if finished:
        state.exam_result, state.is_complete = compute_result(state), True
    return _write(owner=owner, state=state, minute=minute)
