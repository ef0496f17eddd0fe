"""What every tutor agent call is given: the guideline, the admin's extra examples, the
student, and the conversation so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shared.llm import Message
from shared.prompts import load_prompt
from tutor.models.state import WITHHELD, SessionState

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
HISTORY_TURNS = 20  # enough context for a lesson, bounded so long sessions stay cheap
TEMPERATURE = 0.4
# How the student writes sets the reply's length and pace: the average words per message over
# their last few messages, measured here so the adaptation does not rest on the model noticing.
STYLE_WINDOW = 5
SHORT_WORDS, LONG_WORDS = 8, 40


@dataclass(frozen=True)
class TutorContext:
    session_id: str | None
    guideline_text: str
    examples: list[str] = field(default_factory=list)


def prompt(name: str, **values: object) -> str:
    return load_prompt(PROMPTS, name, **values)


# What the student chose in their profile (`text_language_preference`). Only the text meant
# for the student changes language; structured fields keep the spellings the schema gives.
LANGUAGE_INSTRUCTIONS = {
    "en": "Write everything the student reads in English.",
    "hi": (
        "Write everything the student reads in Hindi, in Devanagari script; keep numbers, "
        "symbols and formulas as they are."
    ),
    "hinglish": (
        "Write everything the student reads in Hinglish: everyday Hindi mixed with English "
        'words, in Latin script (for example: "Chalo, ab fractions ko samajhte hain").'
    ),
}


def language_instruction(state: SessionState) -> str:
    return LANGUAGE_INSTRUCTIONS[state.student.text_language]


def student_line(state: SessionState) -> str:
    s = state.student
    if s.addressed_as and s.name and s.addressed_as != s.name:
        called = f"call them {s.addressed_as} (full name {s.name})"
    elif s.addressed_as:
        called = f"call them {s.addressed_as}"
    else:
        called = "name unknown (do not invent one)"
    parts = [
        called,
        f"age {s.age}" if s.age else None,
        f"grade {s.grade}" if s.grade else None,
        f"about them: {s.about_me}" if s.about_me else None,
    ]
    return ", ".join(p for p in parts if p)


def writing_style(state: SessionState, new_message: str | None = None) -> str:
    texts = [t.text for t in state.conversation if t.role == "student" and t.text != WITHHELD]
    if new_message is not None:
        texts.append(new_message)
    texts = texts[-STYLE_WINDOW:]
    if not texts:
        return "not known yet; start with short, simple sentences"
    words = round(sum(len(t.split()) for t in texts) / len(texts))
    if words <= SHORT_WORDS:
        return (
            f"short messages (about {words} words): keep replies to two or three short "
            "sentences, one idea at a time, and go slowly"
        )
    if words >= LONG_WORDS:
        return (
            f"long, detailed messages (about {words} words): you may explain more fully "
            "and move a little faster"
        )
    return f"medium-length messages (about {words} words): keep a moderate length and pace"


def persona(state: SessionState, ctx: TutorContext, new_message: str | None = None) -> str:
    examples = "\n".join(f"- {text}" for text in ctx.examples) or "(none)"
    return prompt(
        "persona",
        student_line=student_line(state),
        language=language_instruction(state),
        writing_style=writing_style(state, new_message),
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
        Message(role="system", content=persona(state, ctx, new_message)),
        Message(role="system", content=instructions),
    ]
    chat = conversation(state, new_message)
    if not chat:  # providers need at least one non-system message
        chat = [Message(role="user", content="(the student has opened the session)")]
    return [*system, *chat]
