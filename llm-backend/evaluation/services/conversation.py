"""One simulated conversation: a persona talks to the real tutor, in-process, through the
tutor's services (the code path the session API takes, without HTTP). Each tutor call gets a
database session of its own, so no connection or transaction is held while models think."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from config import get_settings
from database import session_scope
from evaluation.agents import simulator_agent
from evaluation.agents.judge_agent import TopicContext
from evaluation.models.persona import Persona
from evaluation.models.transcript import Message
from shared.errors import NotFoundError
from shared.models.base import utcnow
from shared.models.entities import Session as TutorSession
from shared.models.enums import SessionMode
from tutor.services import curriculum_service, session_service

EndedReason = Literal["max_turns", "session_complete", "tutor_error"]
STUDENT_REPLY_MAX_CHARS = 2000  # what the step route accepts from a real student
SILENCE = "..."  # an empty model answer still has to reach the tutor as something


@dataclass
class SimulatedConversation:
    session_id: str
    messages: list[Message]
    # One per student message: {"turn", "correct", "mistake", "applied"}; `applied` is False
    # when the tutor asked nothing, so the draw was made (keeping the seed's sequence) but the
    # student was not told which way to answer.
    decisions: list[dict[str, Any]] = field(default_factory=list)
    ended_reason: EndedReason = "max_turns"


def topic_context(*, guideline_id: str) -> TopicContext:
    """What the judge is told about the topic of a simulated conversation."""
    with session_scope() as session:
        g = curriculum_service.get_approved_guideline(session=session, guideline_id=guideline_id)
        name = f"{curriculum_service.subtopic_of(g)} ({curriculum_service.topic_of(g)})"
        return TopicContext(name=name, grade=g.grade, guideline_text=g.guideline or "")


def _start(*, guideline_id: str, persona: Persona, mode: SessionMode) -> tuple[str, str, bool]:
    with session_scope() as session:
        created = session_service.create_session(
            session=session,
            owner=None,
            guideline_id=guideline_id,
            mode=mode,
            exam_questions=get_settings().tutor_exam_questions,
            student={"id": f"eval-{persona.persona_id}", "grade": persona.grade},
            goal={"topic": "Evaluation", "syllabus": "evaluation", "learning_objectives": []},
        )
        return created.row.id, created.result.reply, created.result.state.is_complete


def _step(*, session_id: str, text: str) -> tuple[str, bool]:
    with session_scope() as session:
        row = session.get(TutorSession, session_id)
        if row is None:  # deleted under us (an admin cleaning up): the item fails
            raise NotFoundError(f"Tutor session {session_id} no longer exists.")
        out = session_service.step(session=session, row=row, message=text)
        return out.reply, out.state.is_complete


def simulate_conversation(
    *,
    guideline_id: str,
    persona: Persona,
    mode: SessionMode = SessionMode.TEACH_ME,
    max_turns: int,
    seed: int,
    job_id: str | None = None,
    on_turn: Callable[[list[Message]], None] | None = None,
) -> SimulatedConversation:
    """Plays up to `max_turns` student messages, stopping early when the session completes.
    `on_turn` gets the transcript so far after the opening and after each turn (the job saves
    partial progress). A tutor or simulator model failure raises: the item fails, with what
    `on_turn` saw already stored."""
    rng = random.Random(seed)
    session_id, opening, complete = _start(guideline_id=guideline_id, persona=persona, mode=mode)
    result = SimulatedConversation(
        session_id=session_id,
        messages=[Message(role="tutor", content=opening, turn=0, timestamp=utcnow())],
    )
    if on_turn is not None:
        on_turn(list(result.messages))
    for turn in range(1, max_turns + 1):
        if complete:
            break
        decision = simulator_agent.decide(persona, rng)
        applied = simulator_agent.asked_question(result.messages[-1].content)
        result.decisions.append(
            {
                "turn": turn,
                "correct": decision.correct,
                "mistake": decision.mistake,
                "applied": applied,
            }
        )
        text = simulator_agent.student_reply(
            persona=persona,
            transcript=result.messages,
            decision=decision if applied else None,
            job_id=job_id,
            session_id=session_id,
        )
        text = text[:STUDENT_REPLY_MAX_CHARS].strip() or SILENCE
        result.messages.append(Message(role="student", content=text, turn=turn, timestamp=utcnow()))
        reply, complete = _step(session_id=session_id, text=text)
        result.messages.append(Message(role="tutor", content=reply, turn=turn, timestamp=utcnow()))
        if on_turn is not None:
            on_turn(list(result.messages))
    result.ended_reason = "session_complete" if complete else "max_turns"
    return result
