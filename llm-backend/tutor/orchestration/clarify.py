"""clarify_doubts: brief direct answers, concepts tracked, one understanding check, warm close."""

from __future__ import annotations

from tutor.agents import student_texts, tutor_agent
from tutor.agents.context import TutorContext
from tutor.agents.tutor_agent import ClarifyTurn
from tutor.models.state import SessionState
from tutor.orchestration.common import EventDraft, TurnResult, log


def opening(*, state: SessionState, ctx: TutorContext) -> TurnResult:
    reply = tutor_agent.welcome_clarify(state=state, ctx=ctx).message
    log(state, "tutor", reply)
    return TurnResult(state, reply, [EventDraft("Present", 0, {"action": "welcome"})])


def draft(*, state: SessionState, ctx: TutorContext, message: str) -> ClarifyTurn:
    return tutor_agent.clarify_turn(state=state, ctx=ctx, message=message)


def apply(*, state: SessionState, turn: ClarifyTurn) -> TurnResult:
    idx = state.turns
    new = [
        c.strip() for c in turn.concepts if c.strip() and c.strip() not in state.concepts_discussed
    ]
    state.concepts_discussed.extend(dict.fromkeys(new))
    events = [EventDraft("Present", idx, {"action": "answer", "concepts": new})]
    if turn.asked_check_question and not state.check_used:
        state.check_used = True
        events.append(EventDraft("Check", idx, {"action": "understanding_check"}))
    if turn.student_is_done:
        state.is_complete = True
        events.append(EventDraft("Advance", idx, {"completed": True, "reason": "student_done"}))
    return TurnResult(state, turn.message, events)


def close(*, state: SessionState) -> TurnResult:
    """end-clarify: a warm close written here, so ending never depends on a model call."""
    reply = student_texts.clarify_close(state.student, state.concepts_discussed)
    log(state, "tutor", reply)
    state.is_complete = True
    event = EventDraft("Advance", state.turns, {"completed": True, "reason": "end_clarify"})
    return TurnResult(state, reply, [event])
