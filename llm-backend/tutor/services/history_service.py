"""The caller's sessions as lists: history (paged), stats, the newest sessions, the sessions on
one guideline, and the review of a finished exam. Every figure comes from the session's state
(`tutor.models.progress_view`), so each list shows the same numbers in the same units."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.errors import BadRequestError, PermissionDeniedError
from shared.models.entities import Session as TutorSession
from shared.models.entities import User
from shared.models.enums import SessionMode
from shared.models.paging import page
from tutor.models import progress_view as view
from tutor.models.exam_view import exam_feedback, exam_review_questions
from tutor.models.state import SessionState
from tutor.models.turn_view import current_step
from tutor.services.session_reads import coverage_percent, stored_state

NEWEST = (TutorSession.created_at.desc(), TutorSession.id.desc())
LIST_CAP = 20


def entry(row: TutorSession) -> dict:
    return _entry(row, stored_state(row))


def _entry(row: TutorSession, state: SessionState | None) -> dict:
    """One history entry; a row without a state (never started) shows its columns."""
    base = {
        "session_id": row.id,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "subject": row.subject,
        "mode": state.mode if state else row.mode,
    }
    if state is None:
        return {**base, "topic_name": None, "mastery": 0.0, "step_idx": 1}
    base.update(
        topic_name=view.topic_name(state),
        subject=row.subject or state.subject,
        mastery=view.mastery(state),
        step_idx=current_step(state),
    )
    if state.mode == SessionMode.TEACH_ME:
        base["coverage"] = coverage_percent(state)
    elif state.mode == SessionMode.CLARIFY_DOUBTS:
        base["concepts_discussed"] = state.concepts_discussed
    else:
        base["exam_score"] = view.correct_count(state)
        base["exam_total"] = len(state.questions)
    return base


def history(
    *, session: Session, user: User, subject: str | None, page_number: int, page_size: int
) -> tuple[list[dict], int]:
    clauses = [TutorSession.user_id == user.id]
    if subject:
        clauses.append(TutorSession.subject == subject)
    rows, total = page(
        session,
        TutorSession,
        where=clauses,
        order_by=NEWEST,
        limit=page_size,
        offset=(page_number - 1) * page_size,
    )
    return [entry(r) for r in rows], total


def newest(*, session: Session, user: User) -> tuple[list[dict], int]:
    """The caller's 20 newest sessions with their message counts, and how many they have."""
    rows, total = page(
        session,
        TutorSession,
        where=[TutorSession.user_id == user.id],
        order_by=NEWEST,
        limit=LIST_CAP,
        offset=0,
    )
    items = []
    for row in rows:
        state = stored_state(row)
        messages = len(state.conversation) if state else 0
        items.append({**_entry(row, state), "message_count": messages})
    return items, total


def stats(*, session: Session, user: User) -> dict:
    rows = session.scalars(select(TutorSession).where(TutorSession.user_id == user.id)).all()
    entries = [entry(r) for r in rows]
    mastery = [e["mastery"] for e in entries]
    return {
        "total_sessions": len(entries),
        "average_mastery": round(sum(mastery) / len(mastery), 2) if mastery else 0.0,
        "topics_covered": sorted({e["subject"] for e in entries if e["subject"]}),
        "total_steps": sum(e["step_idx"] for e in entries),
    }


def guideline_sessions(
    *, session: Session, user: User, guideline_id: str, mode: str | None, finished_only: bool
) -> list[dict]:
    clauses = [TutorSession.user_id == user.id, TutorSession.guideline_id == guideline_id]
    if mode:
        clauses.append(TutorSession.mode == mode)
    items = []
    for row in session.scalars(select(TutorSession).where(*clauses).order_by(*NEWEST)):
        state = stored_state(row)
        if state is None or (finished_only and not state.is_complete):
            continue
        is_exam = state.mode == SessionMode.EXAM
        finished = is_exam and state.is_complete
        result = state.exam_result if finished else None
        items.append(
            {
                "session_id": row.id,
                "mode": state.mode,
                "created_at": row.created_at,
                "is_complete": state.is_complete,
                "is_paused": state.is_paused,
                "exam_finished": finished,
                "exam_score": result.score if result else None,
                "exam_total": len(state.questions) if is_exam else None,
                "exam_answered": view.exam_answered(state) if is_exam else None,
                "coverage": view.coverage_percent(state)
                if state.mode == SessionMode.TEACH_ME
                else None,
            }
        )
    return items


def exam_review(*, row: TutorSession) -> dict:
    """A finished exam, answers and marks included (the route lets only its owner in)."""
    state = stored_state(row)
    if state is None or state.mode != SessionMode.EXAM:
        raise BadRequestError("Not an exam session", code="not_exam_session")
    questions = exam_review_questions(state)
    if questions is None:
        raise PermissionDeniedError("Exam is not yet finished", code="exam_not_finished")
    return {
        "session_id": row.id,
        "created_at": row.created_at,
        "exam_feedback": exam_feedback(state),
        "questions": questions,
    }
