"""Request and response shapes of /api/evaluation: upstream §3.1's fields, exactly, plus what
this project adds (personas, repeats, intervals, comparisons, cost)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.llm.prices import Cost
from shared.models.enums import SessionMode

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
PipelineStatus = Literal[
    "idle",
    "loading_persona",
    "running_session",
    "evaluating",
    "generating_reports",
    "complete",
    "failed",
]
Source = Literal["simulated", "existing_session"]
MAX_REPEATS = 20
MAX_JUDGE_REPEATS = 5


class StartRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic_id: Id = Field(description="The teaching guideline's id")
    persona_file: Id | None = Field(
        default=None,
        description='Upstream\'s one persona, e.g. "average_student.json" (the default); '
        "ignored when `personas` is given",
    )
    max_turns: int = Field(default=20, ge=1, le=40, description="Student messages at most")
    personas: list[Id] | Literal["all"] | None = Field(
        default=None, description='Persona ids, or "all" (the eight); default average_student'
    )
    repeats: int = Field(default=1, ge=1, le=MAX_REPEATS, description="Conversations per persona")
    judge_repeats: int = Field(
        default=1, ge=1, le=MAX_JUDGE_REPEATS, description="Judgments per conversation (k)"
    )
    mode: SessionMode = SessionMode.TEACH_ME
    seed: int | None = Field(
        default=None, ge=0, le=2**31 - 1, description="Reproduces the run's draws; random if unset"
    )


class StartResponse(BaseModel):
    status: Literal["started"]
    topic_id: str
    max_turns: int
    run_id: str
    personas: list[str]
    repeats: int
    judge_repeats: int
    mode: str
    seed: int


class EvaluateSessionRequest(BaseModel):
    # Optional here so a missing id is upstream's 400 "session_id is required", not a 422.
    session_id: str | None = None
    judge_repeats: int = Field(default=1, ge=1, le=MAX_JUDGE_REPEATS)


class EvaluateSessionResponse(BaseModel):
    status: Literal["started"]
    session_id: str
    run_id: str


class RunStarted(BaseModel):
    status: Literal["started"]
    run_id: str


class StatusResponse(BaseModel):
    status: PipelineStatus
    run_id: str | None
    detail: str
    turn: int
    max_turns: int
    error: str | None


class IntervalRead(BaseModel):
    """A mean over conversations with its 95% Student-t interval (null bounds when n < 2)."""

    model_config = ConfigDict(from_attributes=True)

    mean: float
    low: float | None
    high: float | None
    n: int
    sd: float | None


class DifferenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    diff: float = Field(description="mean(b) - mean(a): positive means run b scored higher")
    low: float | None
    high: float | None
    verdict: Literal["better", "worse", "no_detectable_difference"]
    n_a: int
    n_b: int


class JudgeNoiseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sd: float = Field(description="Pooled SD of one transcript's repeated overall scores")
    n_conversations: int


class ScoreGroupRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    overall: IntervalRead
    per_dimension: dict[str, IntervalRead]


class RunStats(BaseModel):
    """Over judged conversations (a conversation's score is the mean of its k judgments)."""

    model_config = ConfigDict(from_attributes=True)

    overall: IntervalRead | None
    per_dimension: dict[str, IntervalRead]
    per_persona: dict[str, ScoreGroupRead]
    judge_noise: JudgeNoiseRead | None


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    role: Literal["tutor", "student"]
    content: str
    turn: int
    timestamp: datetime


class ProblemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    title: str
    turns: list[int]
    description: str
    quote: str
    severity: str
    root_cause: str


class EvaluationRead(BaseModel):
    """Upstream's `evaluation.json`. `avg_score` and `scores` are the run's means over its
    judged conversations (for a one-conversation run, that conversation's); the texts are the
    first judgment of conversation `item`, the first judged one."""

    avg_score: float | None
    scores: dict[str, float]
    dimension_analysis: dict[str, str]
    problems: list[ProblemRead]
    summary: str
    item: int


class RunSummaryRead(BaseModel):
    run_id: str
    timestamp: datetime = Field(description="When the run started")
    topic_id: str | None = Field(
        description="The guideline's id; for an existing session, its topic name (as upstream)"
    )
    message_count: int = Field(description="The first conversation's messages")
    avg_score: float | None = Field(description="Mean over the judged conversations")
    scores: dict[str, float]
    source: Source
    source_session_id: str | None
    status: PipelineStatus
    topic_name: str
    personas: list[str]
    repeats: int
    judge_repeats: int
    mode: str
    max_turns: int
    n_conversations: int
    n_judged: int
    n_failed: int
    overall: IntervalRead | None = Field(description="The overall score's 95% interval")
    error: str | None


class ConversationSummaryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    item: int
    persona_id: str | None
    persona_name: str | None
    repeat: int
    seed: int
    status: Literal["pending", "running", "simulated", "judged", "failed"]
    session_id: str | None
    message_count: int
    turn: int
    ended_reason: str | None
    error: str | None
    avg_score: float | None = Field(description="Mean of its judgments' average scores")
    scores: dict[str, float]
    judgments: int = Field(description="How many judgments are stored")
    updated_at: datetime


class JobStateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    job_id: str
    status: str
    phase: str
    total_items: int
    completed_items: int
    failed_items: int
    error: str | None


class RunDetailRead(BaseModel):
    """Upstream's keys `messages`, `message_count` and `evaluation` are absent (not null) while
    the run has no transcript or judgment yet."""

    run_id: str
    config: dict[str, Any]
    messages: list[MessageRead] | None = None
    message_count: int | None = None
    evaluation: EvaluationRead | None = None
    status: PipelineStatus
    error: str | None
    summary: RunSummaryRead
    stats: RunStats
    conversations: list[ConversationSummaryRead]
    job: JobStateRead | None
    job_ids: list[str]
    cost: Cost


class JudgmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempt: int
    scores: dict[str, int]
    avg_score: float
    dimension_analysis: dict[str, str]
    problems: list[ProblemRead]
    summary: str
    created_at: datetime


class ConversationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    run_id: str
    summary: ConversationSummaryRead
    messages: list[MessageRead]
    decisions: list[dict[str, Any]]
    judgments: list[JudgmentRead]


class ScoreComparisonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    a: IntervalRead
    b: IntervalRead
    difference: DifferenceRead


class ComparisonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    run_a: str
    run_b: str
    overall: ScoreComparisonRead
    per_dimension: dict[str, ScoreComparisonRead]


class PersonaRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    persona_id: str
    name: str
    grade: int
    age: int
    description: str
    correct_answer_probability: float
