"""Pieces every mode's turn shares: event drafts and the conversation log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from shared.models.base import utcnow
from tutor.models.state import SessionState, Turn

Node = Literal["Present", "Check", "Diagnose", "Remediate", "Advance"]


@dataclass
class EventDraft:
    node: Node
    step_idx: int
    payload: dict


@dataclass
class TurnResult:
    state: SessionState
    reply: str
    events: list[EventDraft] = field(default_factory=list)


def log(state: SessionState, role: Literal["student", "tutor"], text: str) -> None:
    state.conversation.append(Turn(role=role, text=text, at=utcnow().isoformat()))
