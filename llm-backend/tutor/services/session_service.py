"""Tutoring sessions: create, take turns, pause/resume, end. Owns the transactions.

Every state change is a compare-and-swap on `state_version`: the state is read, the models
are called with no transaction open (a turn can take seconds), then one transaction updates
the row only if nobody else wrote it meanwhile and inserts the turn's events. A lost race is a
409 telling the client to reload; a model failure writes nothing.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.errors import ConflictError
from shared.models.base import new_id, utcnow
from shared.models.entities import Event, TeachingGuideline, User
from shared.models.entities import Session as TutorSession
from shared.models.paging import page
from tutor.agents.context import TutorContext
from tutor.models.state import Mode, SessionState, StudentProfile
from tutor.orchestration import clarify, exam, pipeline, teach
from tutor.orchestration.common import EventDraft, TurnResult
from tutor.services import contents_service, curriculum_service

RELOAD = "This session was changed by another request; reload it and try again."


def load_state(row: TutorSession) -> SessionState:
    return SessionState.model_validate_json(row.state_json)


def student_profile(owner: User | None) -> StudentProfile:
    """The signed-in student's profile as the tutor uses it; an anonymous student is unknown
    and taught in English."""
    if owner is None:
        return StudentProfile()
    return StudentProfile(
        name=owner.name,
        preferred_name=owner.preferred_name,
        age=owner.age,
        grade=owner.grade,
        about_me=owner.about_me,
        text_language=owner.text_language_preference or "en",
    )


def _context(*, db: Session, guideline: TeachingGuideline, session_id: str | None) -> TutorContext:
    topics = [curriculum_service.topic_of(guideline), guideline.topic, guideline.topic_key]
    examples = contents_service.examples_for(db=db, topics=topics, grade=guideline.grade)
    return TutorContext(
        session_id=session_id, guideline_text=guideline.guideline or "", examples=examples
    )


def _columns(state: SessionState) -> dict:
    """The denormalized columns, always derived from the state being written."""
    result = state.exam_result
    if state.mode == "exam":
        mastery = round(result.percentage / 100, 4) if result else 0.0
        step = state.exam_current
    elif state.mode == "teach_me":
        mastery, step = state.overall_mastery, state.step_idx
    else:
        mastery, step = 0.0, state.turns
    return {
        "state_json": state.model_dump_json(),
        "mastery": mastery,
        "step_idx": step,
        "is_paused": state.is_paused,
        "exam_score": result.score if result else None,
        "exam_total": result.total if result else None,
    }


def _events(session_id: str, state: SessionState, drafts: list[EventDraft]) -> list[Event]:
    # `turn` ties every row to the turn that wrote it (replay, and the no-duplicates check);
    # created_at steps by 1 µs so a turn's rows sort in the order they happened.
    now = utcnow()
    return [
        Event(
            session_id=session_id,
            node=d.node,
            step_idx=d.step_idx,
            payload_json=json.dumps({**d.payload, "turn": state.turns}),
            created_at=now + timedelta(microseconds=i),
        )
        for i, d in enumerate(drafts)
    ]


def create_session(
    *, db: Session, owner: User | None, guideline_id: str, mode: Mode, exam_questions: int
) -> tuple[TutorSession, TurnResult, str | None]:
    guideline = curriculum_service.get_approved_guideline(db=db, guideline_id=guideline_id)
    plan = curriculum_service.plan_for(db=db, guideline=guideline) if mode == "teach_me" else []
    state = SessionState(
        mode=mode,
        guideline_id=guideline.id,
        subject=guideline.subject,
        topic=curriculum_service.topic_of(guideline),
        subtopic=curriculum_service.subtopic_of(guideline),
        student=student_profile(owner),
        plan=plan,
    )
    row = TutorSession(
        id=new_id(), user_id=owner.id if owner else None, subject=guideline.subject, mode=mode
    )
    row.guideline_id = guideline.id
    ctx = _context(db=db, guideline=guideline, session_id=row.id)
    paused = resumable(db=db, owner=owner, guideline_id=guideline.id) if owner else None
    paused_id = paused.id if paused else None
    db.commit()  # end the read transaction: no connection is held during the model call
    if mode == "teach_me":
        result = teach.opening(state=state, ctx=ctx)
    elif mode == "exam":
        result = exam.opening(state=state, ctx=ctx, count=exam_questions)
    else:
        result = clarify.opening(state=state, ctx=ctx)
    for key, value in _columns(result.state).items():
        setattr(row, key, value)
    row.student_json = result.state.student.model_dump_json()
    row.goal_json = json.dumps({"guideline_id": guideline.id, "mode": mode})
    db.add(row)
    db.flush()
    db.add_all(_events(row.id, result.state, result.events))
    db.commit()
    return row, result, paused_id


def _write(
    *, db: Session, row: TutorSession, seen: int, state: SessionState, drafts: list[EventDraft]
) -> None:
    values = {
        **_columns(state),
        "state_version": TutorSession.state_version + 1,
        "updated_at": utcnow(),
    }
    stmt = (
        update(TutorSession)
        .where(TutorSession.id == row.id, TutorSession.state_version == seen)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    try:
        if db.execute(stmt).rowcount != 1:
            raise ConflictError(RELOAD, code="stale_session")
        db.add_all(_events(row.id, state, drafts))
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        raise ConflictError(
            "You already have a paused session for this subtopic; resume or finish it first.",
            code="paused_session_exists",
        ) from exc
    except BaseException:
        db.rollback()
        raise
    db.expire(row)


def _guard_open(state: SessionState) -> None:
    if state.is_complete:
        raise ConflictError("This session is finished; start a new one.", code="session_complete")


def step(*, db: Session, row: TutorSession, message: str) -> TurnResult:
    state, seen = load_state(row), row.state_version
    _guard_open(state)
    if state.is_paused:
        raise ConflictError("This session is paused; resume it first.", code="session_paused")
    guideline = db.get(TeachingGuideline, state.guideline_id)
    ctx = (
        _context(db=db, guideline=guideline, session_id=row.id)
        if guideline
        else TutorContext(session_id=row.id, guideline_text="")
    )
    db.commit()  # release the connection while the models think
    result = pipeline.run_turn(state=state, ctx=ctx, message=message)
    _write(db=db, row=row, seen=seen, state=result.state, drafts=result.events)
    return result


def set_paused(*, db: Session, row: TutorSession, paused: bool) -> SessionState:
    state, seen = load_state(row), row.state_version
    _guard_open(state)
    if state.is_paused == paused:
        return state  # pausing a paused session (or resuming a running one) changes nothing
    state.is_paused = paused
    node = {"action": "pause" if paused else "resume", "coverage": state.coverage}
    _write(
        db=db, row=row, seen=seen, state=state, drafts=[EventDraft("Advance", state.step_idx, node)]
    )
    return state


def end_exam(*, db: Session, row: TutorSession) -> SessionState:
    state, seen = load_state(row), row.state_version
    if state.mode != "exam":
        raise ConflictError("Only exam sessions can end an exam.", code="wrong_mode")
    if state.is_complete:
        return state  # already ended: the stored result is the answer
    # A finished session is never left paused: it would hold the (user, guideline) paused slot
    # and be offered by `resumable` although it can no longer be resumed.
    state.is_paused = False
    result = exam.end_early(state=state)
    _write(db=db, row=row, seen=seen, state=result.state, drafts=result.events)
    return result.state


def end_clarify(*, db: Session, row: TutorSession) -> TurnResult:
    state, seen = load_state(row), row.state_version
    if state.mode != "clarify_doubts":
        raise ConflictError("Only clarify_doubts sessions can end this way.", code="wrong_mode")
    _guard_open(state)
    state.is_paused = False  # as in end_exam: a finished session is never left paused
    result = clarify.close(state=state)
    _write(db=db, row=row, seen=seen, state=result.state, drafts=result.events)
    return result


def resumable(*, db: Session, owner: User, guideline_id: str) -> TutorSession | None:
    return db.scalar(
        select(TutorSession).where(
            TutorSession.user_id == owner.id,
            TutorSession.guideline_id == guideline_id,
            TutorSession.is_paused.is_(True),
        )
    )


def list_sessions(
    *, db: Session, owner: User, subject: str | None, mode: str | None, limit: int, offset: int
) -> tuple[list[TutorSession], int]:
    clauses = [TutorSession.user_id == owner.id]
    if subject:
        clauses.append(TutorSession.subject == subject)
    if mode:
        clauses.append(TutorSession.mode == mode)
    return page(
        db,
        TutorSession,
        where=clauses,
        order_by=(TutorSession.updated_at.desc(), TutorSession.id),
        limit=limit,
        offset=offset,
    )


# Marks written while an exam runs; a replay hides them until the exam ends, so the student
# never learns mid-exam how an answer was scored.
EXAM_SECRETS = ("verdict", "score")


def replay_events(*, db: Session, row: TutorSession, state: SessionState) -> list[dict]:
    hide = state.mode == "exam" and not state.is_complete
    items = []
    for e in events_of(db=db, session_id=row.id):
        payload = json.loads(e.payload_json or "{}")
        if hide:
            payload = {k: v for k, v in payload.items() if k not in EXAM_SECRETS}
        items.append(
            {"node": e.node, "step_idx": e.step_idx, "payload": payload, "created_at": e.created_at}
        )
    return items


def events_of(*, db: Session, session_id: str) -> list[Event]:
    return list(
        db.scalars(
            select(Event).where(Event.session_id == session_id).order_by(Event.created_at, Event.id)
        ).all()
    )
