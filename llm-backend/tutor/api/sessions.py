"""Learner session routes (contract §2.4.2-2.4.6, 2.4.15). Each parses, authorizes through a
dependency, calls the service and answers a schema."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from config import get_settings
from database import DbSession
from shared.api.responses import errors
from shared.api.route import ApiRoute
from shared.auth.dependencies import (
    CurrentUser,
    OwnedSession,
    OwnerOnlySession,
    SessionOwner,
    SignedInSession,
)
from shared.errors import NotFoundError
from tutor.api.schemas import (
    ChatMessageRead,
    EndClarifyRead,
    EndExamRead,
    GradingRead,
    PastDiscussionRead,
    PauseRead,
    ResumableRead,
    ResumeRead,
    SessionCreate,
    SessionCreated,
    StepCreate,
    StepRead,
    SummaryRead,
)
from tutor.api.turn_access import TurnSession
from tutor.models.state import SessionState
from tutor.models.state_view import SessionStateView
from tutor.models.turn_view import current_step, exam_feedback, turn
from tutor.services import session_reads, session_service

router = APIRouter(prefix="/sessions", tags=["sessions"], route_class=ApiRoute)
STATE_CONFLICT = errors(409)  # a lost compare-and-swap, or a paused/finished session
WRONG_STATE = errors(400, 409)  # the wrong mode or state for this action; a lost race


def _coverage_message(coverage: float) -> str:
    return f"You've covered {coverage:g}% so far. Resume any time to pick up where you left off."


@router.post(
    "",
    response_model=SessionCreated,
    # 404: no such (approved) guideline; 409: an unfinished, answered exam on it exists.
    responses=errors(404, 409),
)
def create_session(body: SessionCreate, owner: SessionOwner, session: DbSession) -> SessionCreated:
    created = session_service.create_session(
        session=session,
        owner=owner,
        guideline_id=body.goal.guideline_id,
        mode=body.mode,
        exam_questions=get_settings().tutor_exam_questions,
        student=body.student.model_dump(),
        goal=body.goal.model_dump(),
    )
    past = created.past_discussions
    return SessionCreated(
        session_id=created.row.id,
        first_turn=turn(created.result.state, created.result.reply, first=True),
        mode=body.mode,
        past_discussions=[PastDiscussionRead(**vars(p)) for p in past] if past else None,
        paused_session_id=created.paused_session_id,
    )


# Fixed paths come before /{session_id} so they are not read as session ids.
@router.get("/resumable", response_model=ResumableRead, responses=errors(404))  # 404 = none
def resumable(
    user: CurrentUser,
    session: DbSession,
    guideline_id: Annotated[str, Query(min_length=1, max_length=100)],
) -> ResumableRead:
    row = session_service.resumable(session=session, owner=user, guideline_id=guideline_id)
    if row is None:
        raise NotFoundError("No resumable session found", code="no_resumable_session")
    state = session_reads.load_state(row)
    return ResumableRead(
        session_id=row.id,
        coverage=session_reads.coverage_percent(state),
        current_step=current_step(state),
        total_steps=len(state.plan),
        concepts_covered=state.concepts_reached,
    )


@router.get("/{session_id}", response_model=SessionStateView)
def get_session(row: OwnedSession, session: DbSession) -> SessionStateView:
    return session_reads.view(session=session, row=row)


@router.post("/{session_id}/step", response_model=StepRead, responses=STATE_CONFLICT)
def step(body: StepCreate, owned: TurnSession, session: DbSession) -> StepRead:
    out = session_service.step(
        session=session, row=owned.row, message=body.student_reply, read=owned.guideline
    )
    return StepRead(
        next_turn=turn(out.state, out.reply),
        routing=out.routing,
        last_grading=GradingRead(**vars(out.grading)) if out.grading else None,
    )


@router.post("/{session_id}/pause", response_model=PauseRead, responses=WRONG_STATE)
def pause(row: SignedInSession, session: DbSession) -> PauseRead:
    state = session_service.set_paused(session=session, row=row, paused=True)
    coverage = session_reads.coverage_percent(state)
    return PauseRead(
        coverage=coverage,
        concepts_covered=state.concepts_reached,
        message=_coverage_message(coverage),
    )


@router.post("/{session_id}/resume", response_model=ResumeRead, responses=WRONG_STATE)
def resume(row: SignedInSession, session: DbSession) -> ResumeRead:
    state = session_service.set_paused(session=session, row=row, paused=False)
    return ResumeRead(
        session_id=row.id,
        message="Session resumed",
        current_step=current_step(state),
        conversation_history=_history(state),
    )


def _history(state: SessionState) -> list[ChatMessageRead]:
    return [
        ChatMessageRead(role="student" if t.role == "student" else "teacher", content=t.text)
        for t in state.conversation
    ]


@router.post("/{session_id}/end-exam", response_model=EndExamRead, responses=WRONG_STATE)
def end_exam(row: SignedInSession, session: DbSession) -> EndExamRead:
    state = session_service.end_exam(session=session, row=row)
    result = state.exam_result
    assert result is not None  # ending an exam finishes it, and finishing records the result
    return EndExamRead(
        score=result.score,
        total=result.total,
        percentage=result.percentage,
        feedback=exam_feedback(state),
    )


@router.post("/{session_id}/end-clarify", response_model=EndClarifyRead, responses=WRONG_STATE)
def end_clarify(row: SignedInSession, session: DbSession) -> EndClarifyRead:
    result = session_service.end_clarify(session=session, row=row)
    return EndClarifyRead(
        concepts_discussed=result.state.concepts_discussed,
        message="Doubts session ended successfully.",
    )


@router.get("/{session_id}/replay", response_model=SessionStateView)
def replay(row: OwnerOnlySession, session: DbSession) -> SessionStateView:
    return session_reads.view(session=session, row=row)


@router.get("/{session_id}/summary", response_model=SummaryRead)
def summary(row: OwnedSession) -> SummaryRead:
    return SummaryRead(**vars(session_reads.summary(session_reads.load_state(row))))
