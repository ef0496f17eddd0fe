"""Tutoring sessions: create, take turns, pause/resume, end. Owns the transactions.

Every state change is a compare-and-swap on `state_version`: the state is read, the models
are called with no transaction open (a turn can take seconds), then one transaction updates
the row only if nobody else wrote it meanwhile and inserts the turn's events. A lost race is a
409 telling the client to reload; a model failure writes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Literal

from sqlalchemy import Update, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.errors import BadRequestError, ConflictError
from shared.llm import recorder
from shared.models.base import new_id, utcnow
from shared.models.entities import Event, TeachingGuideline, User
from shared.models.entities import Session as TutorSession
from shared.models.enums import SessionMode
from shared.sql import execute_dml, table_of
from tutor.agents import student_texts
from tutor.agents.context import TutorContext
from tutor.models import progress_view
from tutor.models.state import MASTERY_BY_VERDICT, SessionState, StudentProfile
from tutor.orchestration import clarify, exam, pipeline, teach
from tutor.orchestration.common import EventDraft, TurnResult
from tutor.services import contents_service, curriculum_service, session_reads
from tutor.services.session_reads import PastDiscussion, load_state
from tutor.services.turn_read import GuidelineRead

RELOAD = "This session was changed by another request; reload it and try again."


def student_profile(owner: User | None, grade: int | None = None) -> StudentProfile:
    """The signed-in student's profile as the tutor uses it; an anonymous student is known
    only by the grade the request gave, and taught in English."""
    if owner is None:
        return StudentProfile(grade=grade)
    return StudentProfile(
        name=owner.name,
        preferred_name=owner.preferred_name,
        age=owner.age,
        grade=owner.grade,
        about_me=owner.about_me,
        text_language=owner.text_language_preference or "en",
    )


def _context(
    *,
    session: Session,
    guideline: TeachingGuideline,
    session_id: str | None,
    examples: list[str] | None = None,
) -> TutorContext:
    """`examples`: already read with the guideline (a turn's one read), else read here."""
    if examples is None:
        topics = [curriculum_service.topic_of(guideline), guideline.topic, guideline.topic_key]
        examples = contents_service.examples_for(
            session=session, topics=topics, grade=guideline.grade
        )
    return TutorContext(
        session_id=session_id, guideline_text=guideline.guideline or "", examples=examples
    )


def _columns(state: SessionState) -> dict:
    """The denormalized columns, always derived from the state being written."""
    result = state.exam_result
    if state.mode == SessionMode.EXAM:
        step = state.exam_current
    elif state.mode == SessionMode.TEACH_ME:
        step = state.step_idx
    else:
        step = state.turns
    return {
        "state_json": state.model_dump_json(),
        "mastery": progress_view.mastery(state),
        "step_idx": step,
        "is_paused": state.is_paused,
        "exam_score": result.score if result else None,
        "exam_total": result.total if result else None,
    }


def _add_events(
    session: Session, session_id: str, state: SessionState, drafts: list[EventDraft]
) -> None:
    """The turn's events in one Core INSERT (nothing reads them back as objects). `turn` ties
    every row to the turn that wrote it (replay, and the no-duplicates check); created_at steps
    by 1 µs so a turn's rows sort in the order they happened."""
    if not drafts:
        return
    now = utcnow()
    rows = [
        {
            "session_id": session_id,
            "node": d.node,
            "step_idx": d.step_idx,
            "payload_json": json.dumps({**d.payload, "turn": state.turns}),
            "created_at": now + timedelta(microseconds=i),
        }
        for i, d in enumerate(drafts)
    ]
    session.execute(insert(table_of(Event)), rows)


@cache
def _cas_update(written: tuple[str, ...]) -> Update:
    """The turn's compare-and-swap of `written` (the `_columns`) and `updated_at`, built once:
    its values are bound per execution (`w_` names, as SQLAlchemy keeps the column names for
    itself), typed as their columns."""
    t = table_of(TutorSession)
    values: dict = {c: bindparam(f"w_{c}", type_=t.c[c].type) for c in (*written, "updated_at")}
    return (
        update(t)
        .where(t.c.id == bindparam("w_id"), t.c.state_version == bindparam("w_seen"))
        .values(**values, state_version=t.c.state_version + 1)
    )


@dataclass
class Created:
    row: TutorSession
    result: TurnResult
    paused_session_id: str | None
    past_discussions: list[PastDiscussion] | None


EXAM_EXISTS = "An incomplete exam already exists for this topic"


def create_session(
    *,
    session: Session,
    owner: User | None,
    guideline_id: str,
    mode: SessionMode,
    exam_questions: int,
    student: dict,
    goal: dict,
) -> Created:
    """`student` and `goal` are the request's objects, stored as sent (`student_json`,
    `goal_json`); the tutor personalises from the signed-in user's profile."""
    guideline = curriculum_service.get_approved_guideline(
        session=session, guideline_id=guideline_id
    )
    if mode == SessionMode.EXAM and owner is not None:
        existing = session_reads.unfinished_exam(
            session=session, owner=owner, guideline_id=guideline.id
        )
        if existing:
            raise ConflictError(
                EXAM_EXISTS,
                code="exam_in_progress",
                detail_fields={"existing_session_id": existing},
            )
    # Every mode keeps the plan: the frontend's completion rule compares the step with it.
    plan = curriculum_service.plan_for(session=session, guideline=guideline)
    state = SessionState(
        mode=mode,
        guideline_id=guideline.id,
        subject=guideline.subject,
        topic=curriculum_service.topic_of(guideline),
        subtopic=curriculum_service.subtopic_of(guideline),
        student=student_profile(owner, grade=student.get("grade")),
        plan=plan,
    )
    row = TutorSession(
        id=new_id(), user_id=owner.id if owner else None, subject=guideline.subject, mode=mode
    )
    row.guideline_id = guideline.id
    ctx = _context(session=session, guideline=guideline, session_id=row.id)
    paused = resumable(session=session, owner=owner, guideline_id=guideline.id) if owner else None
    paused_id = paused.id if paused else None
    session.commit()  # end the read transaction: no connection is held during the model call
    if mode == SessionMode.TEACH_ME:
        result = teach.opening(state=state, ctx=ctx)
    elif mode == SessionMode.EXAM:
        result = exam.opening(state=state, ctx=ctx, count=exam_questions)
    else:
        result = clarify.opening(state=state, ctx=ctx)
    for key, value in _columns(result.state).items():
        setattr(row, key, value)
    row.student_json = json.dumps(student)
    row.goal_json = json.dumps({**goal, "guideline_id": guideline.id, "mode": mode})
    session.add(row)
    session.flush()
    _add_events(session, row.id, result.state, result.events)
    session.commit()
    past = (
        session_reads.past_discussions(session=session, owner=owner, guideline_id=guideline.id)
        if mode == SessionMode.CLARIFY_DOUBTS and owner is not None
        else None
    )
    return Created(row, result, paused_id, past)


def _write(
    *,
    session: Session,
    row: TutorSession,
    seen: int,
    state: SessionState,
    drafts: list[EventDraft],
    calls: list[recorder.CallRecord] | None = None,
) -> None:
    """The CAS update, the events and the turn's `llm_calls` rows in one transaction; the call
    records are saved on their own when it does not commit (they record spent model calls)."""
    calls = calls or []
    columns = _columns(state)
    params = {f"w_{c}": value for c, value in columns.items()}
    params |= {"w_updated_at": utcnow(), "w_id": row.id, "w_seen": seen}
    try:
        if execute_dml(session, _cas_update(tuple(columns)), params).rowcount != 1:
            raise ConflictError(RELOAD, code="stale_session")
        _add_events(session, row.id, state, drafts)
        recorder.add(session, calls)
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        recorder.save_all(calls)
        raise ConflictError(
            "You already have a paused session for this subtopic; resume or finish it first.",
            code="paused_session_exists",
        ) from exc
    except BaseException:
        session.rollback()
        recorder.save_all(calls)
        raise
    session.expire(row)


def _guard_open(state: SessionState) -> None:
    if state.is_complete:
        raise ConflictError("This session is finished; start a new one.", code="session_complete")


Routing = Literal["Advance", "Continue"]


@dataclass
class Grading:
    score: float
    rationale: str
    labels: list[str]
    confidence: float | None


@dataclass
class StepOutcome:
    state: SessionState
    reply: str
    routing: Routing
    grading: Grading | None


def _position(state: SessionState) -> tuple:
    return (state.step_idx, state.exam_current, state.is_complete)


def _grading(result: TurnResult) -> Grading | None:
    """teach_me's judgement of the answer. Exams never report a grade before the end, and
    clarify turns are not graded."""
    if result.state.mode != SessionMode.TEACH_ME:
        return None
    check = next((e.payload for e in result.events if e.node == "Check"), None)
    if check is None:
        return None
    labels = [check["verdict"]]
    labels += [e.payload["misconception"] for e in result.events if e.node == "Diagnose"]
    return Grading(
        score=MASTERY_BY_VERDICT[check["verdict"]],
        rationale=f"The answer on {check['concept']} was judged {check['verdict']}.",
        labels=labels,
        confidence=None,
    )


def _turn_context(
    *, session: Session, row: TutorSession, state: SessionState, read: GuidelineRead | None
) -> TutorContext:
    """The guideline and examples of the session's state: from `read` when it was read for
    that guideline (the turn's one read statement), else read now (a row whose
    `guideline_id` column and state disagree, or a caller that read nothing)."""
    examples: list[str] | None = None
    if read is not None and read.guideline_id == state.guideline_id:
        guideline, examples = read.guideline, read.examples
    else:
        guideline = session.get(TeachingGuideline, state.guideline_id)
    if guideline is None:
        return TutorContext(session_id=row.id, guideline_text="")
    return _context(session=session, guideline=guideline, session_id=row.id, examples=examples)


def step(
    *, session: Session, row: TutorSession, message: str, read: GuidelineRead | None = None
) -> StepOutcome:
    """`read`: the session's guideline and examples when the caller read them with the row."""
    state, seen = load_state(row), row.state_version
    if state.is_complete:
        # A finished session answers without a model call and without a write: an exam
        # repeats its results, other modes say the session is over.
        reply = (
            student_texts.exam_already_complete(state.student)
            if state.mode == SessionMode.EXAM
            else student_texts.session_finished(state.student)
        )
        session.commit()
        return StepOutcome(state, reply, "Continue", None)
    if state.is_paused:
        raise ConflictError("This session is paused; resume it first.", code="session_paused")
    ctx = _turn_context(session=session, row=row, state=state, read=read)
    session.commit()  # release the connection while the models think
    with recorder.batched() as batch:
        result = pipeline.run_turn(state=state, ctx=ctx, message=message)
        _write(
            session=session,
            row=row,
            seen=seen,
            state=result.state,
            drafts=result.events,
            calls=batch.take(),
        )
    routing: Routing = "Advance" if _position(result.state) != _position(state) else "Continue"
    return StepOutcome(result.state, result.reply, routing, _grading(result))


def set_paused(*, session: Session, row: TutorSession, paused: bool) -> SessionState:
    state, seen = load_state(row), row.state_version
    if paused and state.mode != SessionMode.TEACH_ME:
        raise BadRequestError("Only Teach Me sessions can be paused", code="wrong_mode")
    if not paused and not state.is_paused:
        raise BadRequestError("Session is not paused", code="session_not_paused")
    _guard_open(state)
    if state.is_paused == paused:
        return state  # pausing a paused session changes nothing
    state.is_paused = paused
    node = {"action": "pause" if paused else "resume", "coverage": state.coverage}
    _write(
        session=session,
        row=row,
        seen=seen,
        state=state,
        drafts=[EventDraft("Advance", state.step_idx, node)],
    )
    return state


def end_exam(*, session: Session, row: TutorSession) -> SessionState:
    state, seen = load_state(row), row.state_version
    if state.mode != SessionMode.EXAM:
        raise BadRequestError("Not an exam session", code="wrong_mode")
    if state.is_complete:
        raise BadRequestError("Exam already finished", code="exam_already_finished")
    # A finished session is never left paused: it would hold the (user, guideline) paused slot
    # and be offered by `resumable` although it can no longer be resumed.
    state.is_paused = False
    result = exam.end_early(state=state)
    _write(session=session, row=row, seen=seen, state=result.state, drafts=result.events)
    return result.state


def end_clarify(*, session: Session, row: TutorSession) -> TurnResult:
    state, seen = load_state(row), row.state_version
    if state.mode != SessionMode.CLARIFY_DOUBTS:
        raise BadRequestError("Not a Clarify Doubts session", code="wrong_mode")
    if state.is_complete:
        raise BadRequestError("Session already ended", code="session_already_ended")
    state.is_paused = False  # as in end_exam: a finished session is never left paused
    result = clarify.close(state=state)
    _write(session=session, row=row, seen=seen, state=result.state, drafts=result.events)
    return result


def resumable(*, session: Session, owner: User, guideline_id: str) -> TutorSession | None:
    """The user's paused teach_me session on this guideline (at most one: a partial unique
    index), the newest by update should an older database hold more."""
    return session.scalars(
        select(TutorSession)
        .where(
            TutorSession.user_id == owner.id,
            TutorSession.guideline_id == guideline_id,
            TutorSession.mode == SessionMode.TEACH_ME,
            TutorSession.is_paused.is_(True),
        )
        .order_by(TutorSession.updated_at.desc())
    ).first()
