"""Session state: everything a tutoring session needs, serialized to `sessions.state_json`.

The state is the single source of truth for a session; the denormalized `sessions` columns
(mastery, step_idx, is_paused, exam_score, exam_total) are derived from it on every write.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from shared.models.enums import Language, SessionMode

StepKind = Literal["explain", "check", "practice"]
Verdict = Literal["none", "wrong", "partial", "right", "right_with_reasoning"]
ExamVerdict = Literal["correct", "partial", "incorrect"]
Difficulty = Literal["easy", "medium", "hard"]
QuestionKind = Literal[
    "conceptual", "procedural", "application", "real_world", "error_spotting", "reasoning"
]

# Mastery a single answer demonstrates (issue 5); a concept keeps its best recent evidence.
MASTERY_BY_VERDICT: dict[str, float] = {
    "wrong": 0.3,
    "partial": 0.6,
    "right": 0.8,
    "right_with_reasoning": 0.95,
}
# An exam answer's mark is a fraction 0-1; its verdict follows from it (the frontend's bands).
CORRECT_FROM, PARTIAL_FROM = 0.8, 0.2
# What the conversation keeps in place of a message the safety check flagged.
WITHHELD = "[message withheld by the safety check]"
# Escalation ladder after consecutive wrong answers on one step.
ESCALATION = ["guiding_question", "hint", "new_approach", "simpler_prerequisite"]


class PlanStep(BaseModel):
    kind: StepKind
    concept: str
    goal: str = ""


class Turn(BaseModel):
    role: Literal["student", "tutor"]
    text: str
    at: str  # ISO-8601 UTC


class ExamQuestion(BaseModel):
    number: int
    question: str
    difficulty: Difficulty
    kind: QuestionKind
    concept: str
    expected_answer: str
    answer: str | None = None
    verdict: ExamVerdict | None = None
    score: float | None = None  # 0-1, two decimals; None until marked
    rationale: str | None = None


def verdict_for(score: float) -> ExamVerdict:
    if score >= CORRECT_FROM:
        return "correct"
    return "partial" if score >= PARTIAL_FROM else "incorrect"


class QuestionReview(BaseModel):
    number: int
    question: str
    your_answer: str | None
    verdict: ExamVerdict | Literal["unanswered"]
    score: float
    expected_answer: str
    rationale: str | None


class ExamResult(BaseModel):
    score: float  # the sum of the questions' fractional marks, one decimal
    total: int
    percentage: float
    answered: int
    correct: int = 0  # questions marked >= 0.8 (the report card's and history's exam score)
    review: list[QuestionReview]
    strengths: list[str]
    weak_areas: list[str]
    next_steps: list[str]


class StudentProfile(BaseModel):
    """The student as the session started: later profile edits apply to new sessions."""

    name: str | None = None
    preferred_name: str | None = None
    age: int | None = None
    grade: int | None = None
    about_me: str | None = None
    text_language: Language = "en"  # the language every tutor message is written in

    @property
    def addressed_as(self) -> str | None:
        """What the tutor calls the student: the name they chose, else their name."""
        return self.preferred_name or self.name


class SessionState(BaseModel):
    mode: SessionMode

    @field_validator("mode", mode="before")
    @classmethod
    def _old_exam_spelling(cls, value):
        # Written before the rename (and by an old deployment during a rolling deploy).
        return SessionMode.EXAM if value == "exam_me" else value

    guideline_id: str
    subject: str
    topic: str
    subtopic: str
    student: StudentProfile = Field(default_factory=StudentProfile)
    conversation: list[Turn] = Field(default_factory=list)
    turns: int = 0  # student messages answered
    is_paused: bool = False
    is_complete: bool = False
    # teach_me
    plan: list[PlanStep] = Field(default_factory=list)
    step_idx: int = 0
    mastery: dict[str, float] = Field(default_factory=dict)
    concepts_reached: list[str] = Field(default_factory=list)
    escalation_level: int = 0  # consecutive wrong answers on the current step
    misconceptions: dict[str, int] = Field(default_factory=dict)
    extra_turns: int = 0
    # clarify_doubts
    concepts_discussed: list[str] = Field(default_factory=list)
    check_used: bool = False
    # exam
    questions: list[ExamQuestion] = Field(default_factory=list)
    exam_current: int = 0  # index of the question being asked
    exam_result: ExamResult | None = None

    @property
    def plan_concepts(self) -> list[str]:
        return list(dict.fromkeys(step.concept for step in self.plan))

    @property
    def coverage(self) -> float:
        concepts = self.plan_concepts
        if not concepts:
            return 0.0
        reached = set(self.concepts_reached) & set(concepts)
        return round(len(reached) / len(concepts), 4)

    @property
    def overall_mastery(self) -> float:
        if not self.mastery:
            return 0.0
        return round(sum(self.mastery.values()) / len(self.mastery), 4)

    @property
    def current_step(self) -> PlanStep | None:
        return self.plan[self.step_idx] if self.step_idx < len(self.plan) else None
