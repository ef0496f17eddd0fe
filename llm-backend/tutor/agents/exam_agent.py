"""Exam questions and marking. The model writes and marks; the arithmetic is ours."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.llm import complete
from tutor.agents.context import TutorContext, messages, prompt
from tutor.models.state import Difficulty, ExamQuestion, QuestionKind, SessionState

COMPONENT = "tutor"
DIFFICULTY_ORDER = {"easy": 0, "medium": 1, "hard": 2}


class QuestionDraft(BaseModel):
    question: str
    difficulty: Difficulty
    kind: QuestionKind
    concept: str
    expected_answer: str


class ExamPaper(BaseModel):
    # At least one: schema-constrained models (the local one) otherwise may return none.
    questions: list[QuestionDraft] = Field(min_length=1)


class AnswerMark(BaseModel):
    # The fraction of the marks the answer earns; the verdict follows from it in code.
    score: float = Field(ge=0.0, le=1.0)
    rationale: str


def difficulty_mix(count: int) -> tuple[int, int, int]:
    """~30% easy, ~50% medium, ~20% hard; 7 → 2/4/1 (rounded, medium takes the rest)."""
    easy = round(count * 0.3)
    hard = round(count * 0.2)
    return easy, count - easy - hard, hard


def generate(*, state: SessionState, ctx: TutorContext, count: int) -> list[ExamQuestion]:
    easy, medium, hard = difficulty_mix(count)
    paper = complete(
        component=COMPONENT,
        messages=messages(
            state,
            ctx,
            prompt("exam_generate", count=count, easy=easy, medium=medium, hard=hard),
        ),
        output=ExamPaper,
        temperature=0.7,
        session_id=ctx.session_id,
    )
    drafts = sorted(paper.questions[:count], key=lambda q: DIFFICULTY_ORDER[q.difficulty])
    return [ExamQuestion(number=i + 1, **draft.model_dump()) for i, draft in enumerate(drafts)]


def mark(*, question: ExamQuestion, answer: str, ctx: TutorContext) -> AnswerMark:
    from shared.llm import Message

    return complete(
        component=COMPONENT,
        messages=[
            Message(
                role="system",
                content=prompt(
                    "exam_score",
                    question=question.question,
                    expected_answer=question.expected_answer,
                    answer=answer,
                ),
            ),
            Message(role="user", content=answer),
        ],
        output=AnswerMark,
        temperature=0.0,
        session_id=ctx.session_id,
    )
