"""One student turn: the safety check and the mode's tutor call run concurrently (one model
round trip per turn), then the mode applies the draft deterministically.

The thread pool lives only inside the call and is joined before returning, so nothing
outlives the request on Lambda.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tutor.agents import safety_agent
from tutor.agents.context import TutorContext
from tutor.models.state import WITHHELD, SessionState
from tutor.orchestration import clarify, exam, teach
from tutor.orchestration.common import EventDraft, TurnResult, log


def _draft(state: SessionState, ctx: TutorContext, message: str):
    if state.mode == "teach_me":
        return teach.draft(state=state, ctx=ctx, message=message)
    if state.mode == "exam_me":
        return exam.draft(state=state, ctx=ctx, message=message)
    return clarify.draft(state=state, ctx=ctx, message=message)


def run_turn(*, state: SessionState, ctx: TutorContext, message: str) -> TurnResult:
    """Returns the new state (a copy: `state` is left as it was) and the reply. Raises the LLM
    errors of either call, in which case nothing about the session has changed."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="tutor-turn") as pool:
        safety_future = pool.submit(safety_agent.check, message=message, session_id=ctx.session_id)
        draft_future = pool.submit(_draft, state, ctx, message)
        safety = safety_future.result()  # fails closed: no verdict, no turn
        if safety.flagged:
            draft_future.cancel()  # its result (or failure) no longer matters
            return _redirect(state, safety.category)
        draft = draft_future.result()
    new = state.model_copy(deep=True)
    log(new, "student", message)
    if new.mode == "teach_me":
        result = teach.apply(state=new, turn=draft)
    elif new.mode == "exam_me":
        result = exam.apply(state=new, mark=draft, answer=message)
    else:
        result = clarify.apply(state=new, turn=draft)
    new.turns += 1
    log(new, "tutor", result.reply)
    return result


def _redirect(state: SessionState, category: str) -> TurnResult:
    # The unsafe text is not kept in the conversation, so it is never sent to a model again.
    new = state.model_copy(deep=True)
    log(new, "student", WITHHELD)
    reply = safety_agent.redirect_message(new.student.name)
    idx = new.exam_current if new.mode == "exam_me" else new.step_idx
    new.turns += 1
    log(new, "tutor", reply)
    event = EventDraft(
        "Remediate", idx, {"action": "safety_redirect", "category": category, "draft": "discarded"}
    )
    return TurnResult(new, reply, [event])
