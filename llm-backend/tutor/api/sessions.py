"""Tutoring session routes. Each parses, authorizes through a dependency, calls the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from config import get_settings
from shared.api.responses import errors
from shared.api.route import ApiRoute
from shared.auth.dependencies import CurrentUser, DbSession, OwnedSession, SessionOwner
from shared.models.entities import Session as TutorSession
from tutor.api.schemas import (
    EndExamRead,
    EventRead,
    MessageRead,
    ReplayRead,
    ResumableRead,
    ResumeRead,
    SessionCreate,
    SessionCreated,
    SessionRead,
    StepCreate,
    StepRead,
    SummaryRead,
)
from tutor.models.state import SessionState, state_read
from tutor.services import session_service

router = APIRouter(prefix="/sessions", tags=["sessions"], route_class=ApiRoute)
STATE_CONFLICT = errors(409)  # a lost compare-and-swap, or a paused/finished/other-mode session


def _read(row: TutorSession, state: SessionState | None = None) -> SessionRead:
    state = state or session_service.load_state(row)
    return SessionRead(
        id=row.id,
        mode=state.mode,
        subject=row.subject,
        guideline_id=row.guideline_id,
        topic=state.topic,
        subtopic=state.subtopic,
        created_at=row.created_at,
        updated_at=row.updated_at,
        state=state_read(state),
    )


def _messages(state: SessionState) -> list[MessageRead]:
    return [MessageRead(role=t.role, text=t.text, at=t.at) for t in state.conversation]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionCreated,
    responses=errors(404),  # no such (approved) guideline
)
def create_session(body: SessionCreate, owner: SessionOwner, db: DbSession) -> SessionCreated:
    row, result, paused_id = session_service.create_session(
        db=db,
        owner=owner,
        guideline_id=body.guideline_id,
        mode=body.mode,
        exam_questions=get_settings().tutor_exam_questions,
    )
    return SessionCreated(
        session_id=row.id,
        mode=body.mode,
        message=result.reply,
        state=state_read(result.state),
        paused_session_id=paused_id,
    )


# Fixed paths come before /{session_id} so they are not read as session ids.
@router.get("/resumable", response_model=ResumableRead)
def resumable(
    user: CurrentUser, db: DbSession, guideline_id: Annotated[str, Query(min_length=1)]
) -> ResumableRead:
    row = session_service.resumable(db=db, owner=user, guideline_id=guideline_id)
    return ResumableRead(session=_read(row) if row else None)


@router.get("/{session_id}", response_model=SessionRead)
def get_session(session: OwnedSession) -> SessionRead:
    return _read(session)


@router.post("/{session_id}/step", response_model=StepRead, responses=STATE_CONFLICT)
def step(body: StepCreate, session: OwnedSession, db: DbSession) -> StepRead:
    result = session_service.step(db=db, row=session, message=body.message)
    return StepRead(message=result.reply, state=state_read(result.state))


@router.post("/{session_id}/pause", response_model=StepRead, responses=STATE_CONFLICT)
def pause(session: OwnedSession, db: DbSession) -> StepRead:
    state = session_service.set_paused(db=db, row=session, paused=True)
    return StepRead(message="Session paused. Resume any time.", state=state_read(state))


@router.post("/{session_id}/resume", response_model=ResumeRead, responses=STATE_CONFLICT)
def resume(session: OwnedSession, db: DbSession) -> ResumeRead:
    state = session_service.set_paused(db=db, row=session, paused=False)
    return ResumeRead(messages=_messages(state), state=state_read(state))


@router.post("/{session_id}/end-exam", response_model=EndExamRead, responses=STATE_CONFLICT)
def end_exam(session: OwnedSession, db: DbSession) -> EndExamRead:
    state = session_service.end_exam(db=db, row=session)
    last = state.conversation[-1].text if state.conversation else None
    return EndExamRead(message=last, result=state.exam_result, state=state_read(state))


@router.post("/{session_id}/end-clarify", response_model=StepRead, responses=STATE_CONFLICT)
def end_clarify(session: OwnedSession, db: DbSession) -> StepRead:
    result = session_service.end_clarify(db=db, row=session)
    return StepRead(message=result.reply, state=state_read(result.state))


@router.get("/{session_id}/replay", response_model=ReplayRead)
def replay(session: OwnedSession, db: DbSession) -> ReplayRead:
    state = session_service.load_state(session)
    events = session_service.replay_events(db=db, row=session, state=state)
    return ReplayRead(
        session_id=session.id,
        mode=state.mode,
        messages=_messages(state),
        events=[EventRead(**e) for e in events],
    )


@router.get("/{session_id}/summary", response_model=SummaryRead)
def summary(session: OwnedSession) -> SummaryRead:
    state = session_service.load_state(session)
    return SummaryRead(
        session_id=session.id,
        mode=state.mode,
        subject=state.subject,
        topic=state.topic,
        subtopic=state.subtopic,
        turns=state.turns,
        is_complete=state.is_complete,
        coverage=state.coverage,
        mastery=state.mastery,
        concepts_covered=state.concepts_reached,
        concepts_discussed=state.concepts_discussed,
        misconceptions=state.misconceptions,
        exam_result=state.exam_result,
        state=state_read(state),
    )
