"""The safety check on every student message (component `tutor`, per the llm_config doc)."""

from __future__ import annotations

from pydantic import BaseModel

from shared.llm import Message, complete
from tutor.agents.context import prompt

COMPONENT = "tutor"


class SafetyCheck(BaseModel):
    # `flagged` rather than `is_safe`: an answer that says nothing leaves the message unflagged.
    flagged: bool
    category: str


def check(*, message: str, session_id: str | None) -> SafetyCheck:
    return complete(
        component=COMPONENT,
        messages=[
            Message(role="system", content=prompt("safety")),
            Message(role="user", content=message),
        ],
        output=SafetyCheck,
        temperature=0.0,
        session_id=session_id,
    )
