"""What a client is shown of a finished exam, in the frontend's shapes: `exam_feedback`
(the summary) and `exam_results` (one entry per question, answers and marks included).

Pure functions of the session state, shared by the step/turn answers and the exam review.
Both are None until the exam is finished: marks and expected answers are never shown while
the exam runs.
"""

from __future__ import annotations

from pydantic import BaseModel

from shared.models.enums import SessionMode
from tutor.models.state import Difficulty, ExamVerdict, SessionState

STRONG = "Overall strong performance"
NEEDS_PRACTICE = "More practice needed across concepts"


class ExamFeedbackRead(BaseModel):
    score: float  # the sum of the questions' fractional marks, one decimal
    total: int  # questions set
    percentage: float  # 0-100, one decimal
    strengths: list[str]
    weak_areas: list[str]
    patterns: list[str]
    next_steps: list[str]


class ExamResultRead(BaseModel):
    question_idx: int  # 0-based
    question_text: str
    student_answer: str | None
    result: ExamVerdict | None  # None: not answered
    score: float  # 0-1; 0 when not answered
    marks_rationale: str
    feedback: str
    expected_answer: str


class ExamReviewQuestionRead(ExamResultRead):
    concept: str
    difficulty: Difficulty


def _patterns(state: SessionState) -> list[str]:
    correct = sum(1 for q in state.questions if q.verdict == "correct")
    incorrect = sum(1 for q in state.questions if q.verdict == "incorrect")
    if correct > incorrect:
        return [STRONG]
    return [NEEDS_PRACTICE] if incorrect > correct else []


def exam_feedback(state: SessionState) -> ExamFeedbackRead | None:
    result = state.exam_result
    if state.mode != SessionMode.EXAM or result is None or not state.is_complete:
        return None
    return ExamFeedbackRead(
        score=result.score,
        total=result.total,
        percentage=result.percentage,
        strengths=result.strengths,
        weak_areas=result.weak_areas,
        patterns=_patterns(state),
        next_steps=result.next_steps,
    )


def exam_review_questions(state: SessionState) -> list[ExamReviewQuestionRead] | None:
    if state.mode != SessionMode.EXAM or not state.is_complete:
        return None
    return [
        ExamReviewQuestionRead(
            question_idx=idx,
            question_text=q.question,
            student_answer=q.answer,
            expected_answer=q.expected_answer,
            result=q.verdict,
            score=q.score or 0.0,
            marks_rationale=q.rationale or "",
            feedback=q.rationale or "",
            concept=q.concept,
            difficulty=q.difficulty,
        )
        for idx, q in enumerate(state.questions)
    ]


def exam_results(state: SessionState) -> list[ExamResultRead] | None:
    """`exam_results` of a finished exam's turn: the review without concept and difficulty."""
    questions = exam_review_questions(state)
    if questions is None:
        return None
    fields = set(ExamResultRead.model_fields)
    return [ExamResultRead(**q.model_dump(include=fields)) for q in questions]
