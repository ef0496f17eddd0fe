"""What every tutor agent call is given: the guideline, the admin's extra examples, the
student, and the conversation so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shared.llm import Message
from shared.prompts import load_prompt
from tutor.models.state import SessionState

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
HISTORY_TURNS = 20  # enough context for a lesson, bounded so long sessions stay cheap
TEMPERATURE = 0.4


@dataclass(frozen=True)
class TutorContext:
    session_id: str | None
    guideline_text: str
    examples: list[str] = field(default_factory=list)


def prompt(name: str, **values: object) -> str:
    return load_prompt(PROMPTS, name, **values)


def student_line(state: SessionState) -> str:
    s = state.student
    parts = [
        f"name {s.name}" if s.name else "name unknown (do not invent one)",
        f"age {s.age}" if s.age else None,
        f"grade {s.grade}" if s.grade else None,
        f"about them: {s.about_me}" if s.about_me else None,
    ]
    return ", ".join(p for p in parts if p)


def persona(state: SessionState, ctx: TutorContext) -> str:
    examples = "\n".join(f"- {text}" for text in ctx.examples) or "(none)"
    return prompt(
        "persona",
        student_line=student_line(state),
        subject=state.subject,
        topic=state.topic,
        subtopic=state.subtopic,
        guideline=ctx.guideline_text or "(no guideline text)",
        examples=examples,
    )


def conversation(state: SessionState, new_message: str | None = None) -> list[Message]:
    history = [
        Message(role="user" if t.role == "student" else "assistant", content=t.text)
        for t in state.conversation[-HISTORY_TURNS:]
    ]
    if new_message is not None:
        history.append(Message(role="user", content=new_message))
    return history


def messages(
    state: SessionState, ctx: TutorContext, instructions: str, new_message: str | None = None
) -> list[Message]:
    system = [
        Message(role="system", content=persona(state, ctx)),
        Message(role="system", content=instructions),
    ]
    chat = conversation(state, new_message)
    if not chat:  # providers need at least one non-system message
        chat = [Message(role="user", content="(the student has opened the session)")]
    return [*system, *chat]
