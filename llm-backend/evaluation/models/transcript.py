"""One message of an evaluated conversation, as runs store it (`messages[]` of upstream §3.3)."""

from __future__ import annotations

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
