"""Request and response schemas of the tutor API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from shared.api.params import StrictGrade
from tutor.models.state import ExamResult, Mode, StateRead

StudentMessage = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    guideline_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    mode: Mode = "teach_me"


class StepCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: StudentMessage


class SessionCreated(BaseModel):
    session_id: str
    mode: Mode
    message: str
    state: StateRead
    # A paused teach_me session on the same subtopic the student may prefer to resume.
    paused_session_id: str | None = None


class StepRead(BaseModel):
    message: str
    state: StateRead


class MessageRead(BaseModel):
    role: str
    text: str
    at: str


class ResumeRead(BaseModel):
    messages: list[MessageRead]
    state: StateRead


class EndExamRead(BaseModel):
    message: str | None
    result: ExamResult
    state: StateRead


class SessionRead(BaseModel):
    id: str
    mode: Mode
    subject: str | None
    guideline_id: str | None
    topic: str
    subtopic: str
    created_at: datetime
    updated_at: datetime
    state: StateRead


class SessionPage(BaseModel):
    items: list[SessionRead]
    total: int
    limit: int
    offset: int


class ResumableRead(BaseModel):
    session: SessionRead | None


class EventRead(BaseModel):
    node: str
    step_idx: int
    payload: dict
    created_at: datetime


class ReplayRead(BaseModel):
    session_id: str
    mode: Mode
    messages: list[MessageRead]
    events: list[EventRead]


class SummaryRead(BaseModel):
    session_id: str
    mode: Mode
    subject: str
    topic: str
    subtopic: str
    turns: int
    is_complete: bool
    coverage: float
    mastery: dict[str, float]
    concepts_covered: list[str]
    concepts_discussed: list[str]
    misconceptions: dict[str, int]
    exam_result: ExamResult | None
    state: StateRead


Topic = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Skill = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
ContentText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)
]
Tags = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class ContentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: Topic
    grade: StrictGrade
    skill: Skill | None = None
    text: ContentText
    tags: Tags | None = None


class ContentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: Topic | None = None
    grade: StrictGrade | None = None
    skill: Skill | None = None
    text: ContentText | None = None
    tags: Tags | None = None

    @field_validator("topic", "grade", "text")
    @classmethod
    def _required_stay_set(cls, value):
        if value is None:
            raise ValueError("cannot be cleared; send a value")
        return value


class ContentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    topic: str
    grade: int
    skill: str | None
    text: str
    tags: str | None


class ContentPage(BaseModel):
    items: list[ContentRead]
    total: int
    limit: int
    offset: int
