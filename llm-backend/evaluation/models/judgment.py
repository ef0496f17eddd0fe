"""What the judge returns for one conversation: five scores with band-anchored analysis, the
top problems with a root cause from a fixed list, and a summary (upstream §3.4)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DIMENSIONS = (
    "responsiveness",
    "explanation_quality",
    "emotional_attunement",
    "pacing",
    "authenticity",
)
RootCause = Literal[
    "missed_student_signal",
    "wrong_pacing",
    "repetitive_approach",
    "emotional_mismatch",
    "missed_misconception",
    "over_scaffolding",
    "conversation_history_window",
    "prompt_quality",
    "model_capability",
    "other",
]
Severity = Literal["critical", "major", "minor"]
MAX_PROBLEMS = 5


class Problem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    turns: list[int]
    description: str
    quote: str
    severity: Severity
    root_cause: RootCause


class DimensionScores(BaseModel):
    model_config = ConfigDict(extra="forbid")

    responsiveness: int = Field(ge=1, le=10)
    explanation_quality: int = Field(ge=1, le=10)
    emotional_attunement: int = Field(ge=1, le=10)
    pacing: int = Field(ge=1, le=10)
    authenticity: int = Field(ge=1, le=10)


class DimensionAnalysis(BaseModel):
    model_config = ConfigDict(extra="forbid")

    responsiveness: str
    explanation_quality: str
    emotional_attunement: str
    pacing: str
    authenticity: str


class Judgment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: DimensionScores
    dimension_analysis: DimensionAnalysis
    problems: list[Problem] = Field(max_length=MAX_PROBLEMS)
    summary: str

    def score_map(self) -> dict[str, int]:
        return {d: int(getattr(self.scores, d)) for d in DIMENSIONS}

    def avg_score(self) -> float:
        """The mean of the five scores, 2 decimals (what upstream's report writer stores)."""
        return round(sum(self.score_map().values()) / len(DIMENSIONS), 2)
