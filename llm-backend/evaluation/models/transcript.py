"""One message of an evaluated conversation, as runs store it (`messages[]` of upstream §3.3)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class Message(BaseModel):
    role: Literal["tutor", "student"]
    content: str
    # 0 is the tutor's opening; each student message starts the next turn, and the tutor's
    # answer to it shares that turn's number.
    turn: int = Field(ge=0)
    timestamp: datetime


TUTOR_ROLES = frozenset({"tutor", "teacher", "assistant"})


def number_turns(entries: Iterable[tuple[str, str, datetime | str]]) -> list[Message]:
    """A stored conversation log, (role, text, time) in order, as a transcript: the turn
    number goes up at each student message, so a tutor message shares the number of the
    student message it answers (upstream's rule for evaluating existing sessions). Roles
    "teacher" and "assistant" are the tutor; anything else is the student."""
    turn, messages = 0, []
    for role, text, at in entries:
        speaker: Literal["tutor", "student"] = "tutor" if role in TUTOR_ROLES else "student"
        turn += speaker == "student"
        when = datetime.fromisoformat(at) if isinstance(at, str) else at
        messages.append(Message(role=speaker, content=text, turn=turn, timestamp=when))
    return messages
