"""A session's agent logs for the devtools panel (contract §2.4.7), built from what the
database already holds, so they survive restarts and are the same on every Lambda container
(upstream kept them in one server's memory):

- every `events` row is a log of the `orchestrator` (`safety` for a safety redirect), its
  `node` the event type, its payload the output;
- every `llm_calls` row of the session is a log of its component (`tutor`), with the model and
  the latency. The row holds no prompt or output text, so none can be shown.

Turns: `turn_0` is the session's opening, `turn_N` the N-th student message. Events carry their
turn; a model call belongs to the first turn whose events were written after it started (a
turn's events are written when it ends), or to the turn after the last written one when it was
a turn that failed or is still running.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.models.entities import Event, LLMCall
from shared.models.entities import Session as TutorSession
from shared.models.enums import SessionMode
from tutor.models import event_payload
from tutor.services.session_reads import events_of, stored_state

# The marks an exam's Check events carry; hidden until the exam ends, so the student never
# learns mid-exam how an answer was scored.
EXAM_SECRETS = ("verdict", "score")
ORCHESTRATOR = "orchestrator"
SAFETY = "safety"
LLM_CALL = "llm_call"
# Modes whose events hold nothing to hide. Every other mode is treated as an exam, so a
# renamed or new exam mode fails closed.
OPEN_MODES = (SessionMode.TEACH_ME, SessionMode.CLARIFY_DOUBTS)
# A filtered answer's bound: far above a long session's turn, or one agent's logs of it.
MAX_FILTERED_LOGS = 2000


@dataclass
class AgentLog:
    timestamp: datetime
    turn_id: str
    agent_name: str
    event_type: str
    input_summary: str | None = None
    output: dict | None = None
    reasoning: str | None = None
    duration_ms: int | None = None
    prompt: str | None = None
    model: str | None = None


def agent_logs(
    *,
    session: Session,
    row: TutorSession,
    turn_id: str | None,
    agent_name: str | None,
    limit: int,
) -> dict:
    """The session's logs, oldest first, with `total_count` all that match. As upstream: with
    a filter (turn, agent) every matching log, without one the last `limit`; every matching
    log is at most the last MAX_FILTERED_LOGS, so no session answers with an unbounded body."""
    events = events_of(session=session, session_id=row.id)
    calls = session.scalars(
        select(LLMCall).where(LLMCall.session_id == row.id).order_by(LLMCall.started_at, LLMCall.id)
    ).all()
    hide = _exam_running(row)
    logs = _call_logs(calls, events) + [_event_log(e, hide) for e in events]
    logs.sort(key=lambda log: log.timestamp)  # stable: on a tie, the call before the event
    matching = [
        log
        for log in logs
        if (turn_id is None or log.turn_id == turn_id)
        and (agent_name is None or log.agent_name == agent_name)
    ]
    return {
        "session_id": row.id,
        "turn_id": turn_id,
        "logs": matching[-(MAX_FILTERED_LOGS if turn_id or agent_name else limit) :],
        "total_count": len(matching),
    }


def _exam_running(row: TutorSession) -> bool:
    """True while an exam is unfinished: then its marks stay hidden, as in the replay. The
    exam's result columns are written when it finishes; otherwise its state says so. A row
    without a state counts as unfinished, so nothing is shown by mistake."""
    if row.mode in OPEN_MODES:
        return False
    if row.exam_total is not None:
        return False
    state = stored_state(row)
    return state is None or not state.is_complete


def _turn_of(event: Event) -> int:
    turn = event_payload.payload(event).get("turn")
    return turn if isinstance(turn, int) else 0


def _event_log(event: Event, hide_secrets: bool) -> AgentLog:
    payload = event_payload.payload(event)
    if hide_secrets:
        payload = {k: v for k, v in payload.items() if k not in EXAM_SECRETS}
    agent = SAFETY if event_payload.is_safety_redirect(event) else ORCHESTRATOR
    return AgentLog(
        timestamp=event.created_at,
        turn_id=f"turn_{_turn_of(event)}",
        agent_name=agent,
        event_type=event.node,
        output=payload,
    )


def _call_logs(calls: Sequence[LLMCall], events: Sequence[Event]) -> list[AgentLog]:
    # When each turn's events were written (its earliest row), in turn order.
    written: dict[int, datetime] = {}
    for event in events:
        turn = _turn_of(event)
        if turn not in written or event.created_at < written[turn]:
            written[turn] = event.created_at
    turns = sorted(written)
    times = [written[t] for t in turns]
    after_last = (turns[-1] + 1) if turns else 0
    logs = []
    for call in calls:
        i = bisect.bisect_left(times, call.started_at)
        turn = turns[i] if i < len(turns) else after_last
        logs.append(
            AgentLog(
                timestamp=call.started_at,
                turn_id=f"turn_{turn}",
                agent_name=call.component,
                event_type=LLM_CALL,
                output={
                    "provider": call.provider,
                    "outcome": call.outcome,
                    "attempts": call.attempts,
                    "input_tokens": call.input_tokens,
                    "output_tokens": call.output_tokens,
                },
                duration_ms=call.latency_ms,
                model=call.model,
            )
        )
    return logs
