"""One student turn: the safety check and the mode's tutor call run concurrently (one model
round trip per turn), then the mode applies the draft deterministically.

A flagged turn answers at once, without waiting for the draft: `Future.cancel()` cannot stop
a call that is running, and leaving a `with ThreadPoolExecutor` block would wait for it. The
draft's thread is told it is abandoned (shared.llm.deadline), so it makes no further attempt;
the one attempt in flight ends within its timeout, which the request's budget bounds (the
safety check runs in the request's thread and the draft in a copy of its context, so both
carry its deadline), and its call is recorded in `llm_calls` as `abandoned`. Nothing else
outlives the request.
"""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

from shared.llm import deadline
from shared.models.enums import SessionMode
from tutor.agents import safety_agent, student_texts
from tutor.agents.context import TutorContext
from tutor.models.event_payload import SAFETY_ACTION, SAFETY_NODE
from tutor.models.state import WITHHELD, SessionState
from tutor.orchestration import clarify, exam, teach
from tutor.orchestration.common import EventDraft, TurnResult, log


def _draft(state: SessionState, ctx: TutorContext, message: str):
    if state.mode == SessionMode.TEACH_ME:
        return teach.draft(state=state, ctx=ctx, message=message)
    if state.mode == SessionMode.EXAM:
        return exam.draft(state=state, ctx=ctx, message=message)
    return clarify.draft(state=state, ctx=ctx, message=message)


def run_turn(*, state: SessionState, ctx: TutorContext, message: str) -> TurnResult:
    """Returns the new state (a copy: `state` is left as it was) and the reply. Raises the LLM
    errors of either call, in which case nothing about the session has changed."""
    abandon = threading.Event()

    def draft():
        with deadline.abandonable(abandon):
            return _draft(state, ctx, message)

    # The draft gets a thread of its own; the safety check runs in this one, which would
    # otherwise only wait (a second thread per turn cost its start and its hand-offs).
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tutor-turn")
    draft_future = pool.submit(contextvars.copy_context().run, draft)
    try:
        # Fails closed: no verdict, no turn.
        safety = safety_agent.check(message=message, session_id=ctx.session_id)
        if safety.flagged:
            return _redirect(state, safety.category)
        turn = draft_future.result()
    finally:
        if not draft_future.done():
            abandon.set()  # flagged, or the safety call failed: nobody reads the draft
        pool.shutdown(wait=False)
    new = _copy(state)
    log(new, "student", message)
    if new.mode == SessionMode.TEACH_ME:
        result = teach.apply(state=new, turn=turn)
    elif new.mode == SessionMode.EXAM:
        result = exam.apply(state=new, mark=turn, answer=message)
    else:
        result = clarify.apply(state=new, turn=turn)
    new.turns += 1
    log(new, "tutor", result.reply)
    return result


def _copy(state: SessionState) -> SessionState:
    # A deep copy built by pydantic-core from the state's plain data: a quarter of the CPU of
    # `model_copy(deep=True)`, whose `copy.deepcopy` walks every turn of the conversation in
    # Python. The state is plain JSON-shaped data, so nothing is lost on the way.
    return SessionState.model_validate(state.model_dump())


def _redirect(state: SessionState, category: str) -> TurnResult:
    # The unsafe text is not kept in the conversation, so it is never sent to a model again.
    new = _copy(state)
    log(new, "student", WITHHELD)
    reply = student_texts.safety_redirect(new.student)
    idx = new.exam_current if new.mode == SessionMode.EXAM else new.step_idx
    new.turns += 1
    log(new, "tutor", reply)
    event = EventDraft(
        SAFETY_NODE, idx, {"action": SAFETY_ACTION, "category": category, "draft": "discarded"}
    )
    return TurnResult(new, reply, [event])
