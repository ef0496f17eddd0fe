"""Request and response schemas of the tutor API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from shared.api.page import Page
from shared.api.params import StrictGrade
from shared.models.enums import SessionMode
from tutor.models.turn_view import ExamFeedbackRead, TurnRead

StudentReply = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class StudentPrefs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    style: Literal["simple", "standard", "challenge"] | None = None
    lang: Literal["en", "hi"] | None = None


class StudentIn(BaseModel):
    """Stored as sent; the tutor personalises from the signed-in user's profile, and uses
    `grade` only for an anonymous session."""

    model_config = ConfigDict(extra="forbid")

    id: Id
    grade: StrictGrade
    prefs: StudentPrefs | None = None


class GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: ShortText
    syllabus: ShortText
    learning_objectives: Annotated[list[ShortText], Field(max_length=50)]
    guideline_id: Id = Field(description="The APPROVED teaching guideline to learn")


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    student: StudentIn
    goal: GoalIn
    mode: SessionMode = SessionMode.TEACH_ME


class StepCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    student_reply: StudentReply


class PastDiscussionRead(BaseModel):
    session_date: datetime
    concepts_discussed: list[str]


class SessionCreated(BaseModel):
    session_id: str
    first_turn: TurnRead
    mode: SessionMode
    past_discussions: list[PastDiscussionRead] | None = Field(
        description="clarify_doubts only: the caller's recent clarify sessions on this guideline "
        "that discussed something; null otherwise"
    )
    # Added by this backend: a paused teach_me session on the same subtopic to offer instead.
    paused_session_id: str | None = None


class GradingRead(BaseModel):
    score: float = Field(description="0-1")
    rationale: str
    labels: list[str]
    confidence: float | None


class StepRead(BaseModel):
    next_turn: TurnRead
    routing: Literal["Advance", "Continue"] = Field(
        description="Advance when the turn moved the session on (a step, a question, the end)"
    )
    last_grading: GradingRead | None = Field(
        description="teach_me's judgement of this answer; null in exams (marks stay hidden "
        "until the end) and clarify sessions"
    )


class SummaryRead(BaseModel):
    steps_completed: int = Field(description="current_step - 1")
    mastery_score: float = Field(description="0-1, 2 decimals")
    misconceptions_seen: list[str]
    suggestions: list[str]
    coverage: float = Field(description="0-100, 1 decimal (added by this backend)")


class ResumableRead(BaseModel):
    session_id: str
    coverage: float = Field(description="0-100, 1 decimal")
    current_step: int
    total_steps: int
    concepts_covered: list[str]


class PauseRead(BaseModel):
    coverage: float = Field(description="0-100, 1 decimal")
    concepts_covered: list[str]
    message: str


class ChatMessageRead(BaseModel):
    role: Literal["teacher", "student"]
    content: str


class ResumeRead(BaseModel):
    session_id: str
    message: str
    current_step: int
    conversation_history: list[ChatMessageRead] = Field(description="The whole conversation")


class EndClarifyRead(BaseModel):
    concepts_discussed: list[str]
    message: str


class EndExamRead(BaseModel):
    score: float = Field(description="Sum of the questions' marks, 1 decimal")
    total: int
    percentage: float = Field(description="0-100, 1 decimal")
    feedback: ExamFeedbackRead | None


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


class ContentPage(Page[ContentRead]):
    pass
