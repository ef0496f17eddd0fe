"""The Turn object the frontend renders (contract §2.4.1): `first_turn` of a new session and
`next_turn` of every step, projected from the session state after the turn.

Exam marks (feedback, per-question results) appear only once the exam is finished, so no
answer's grade leaks while the student is still answering.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from shared.models.enums import SessionMode
from tutor.models.exam_view import ExamFeedbackRead, ExamResultRead, exam_feedback, exam_results
from tutor.models.state import SessionState

# Markdown the tutor writes that a speech engine would read aloud literally.
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MARKUP = re.compile(r"(\*\*|__|`+|^#{1,6}\s*|^\s*[-*]\s+)", re.MULTILINE)


def speakable(text: str) -> str:
    """The message without Markdown markup, for text-to-speech."""
    return _MARKUP.sub("", _LINK.sub(r"\1", text)).strip()


class ExamProgressRead(BaseModel):
    current_question: int = Field(description="1-based; min(answered + 1, total)")
    total_questions: int
    answered_questions: int


class ExamQuestionBrief(BaseModel):
    question_idx: int = Field(description="0-based")
    question_text: str


class TurnRead(BaseModel):
    message: str = Field(description="Markdown, shown as the teacher's bubble")
    audio_text: str | None = Field(description="What text-to-speech reads; null in exams")
    hints: list[str] = Field(description="Always empty")
    step_idx: int = Field(description="1-based study-plan step; total + 1 once complete")
    mastery_score: float = Field(description="0-1; mean of concept mastery (0.0 in exam/clarify)")
    is_complete: bool
    concepts_discussed: list[str] | None = Field(description="clarify_doubts only")
    exam_progress: ExamProgressRead | None = Field(description="exam only")
    exam_questions: list[ExamQuestionBrief] | None = Field(
        description="exam, first turn only: the whole paper, no answers"
    )
    exam_feedback: ExamFeedbackRead | None = Field(description="exam, once finished")
    exam_results: list[ExamResultRead] | None = Field(description="exam, once finished")


def current_step(state: SessionState) -> int:
    """The 1-based study-plan step: teach_me's current step, total + 1 once complete (while a
    strong student's extra challenge turns run it stays on the last step, so the frontend's
    rule "complete when current_step > steps" agrees with `is_complete`); 1 in other modes."""
    if state.mode != SessionMode.TEACH_ME:
        return 1
    if state.is_complete or state.step_idx < len(state.plan):
        return state.step_idx + 1
    return max(len(state.plan), 1)


def mastery_score(state: SessionState) -> float:
    return state.overall_mastery if state.mode == SessionMode.TEACH_ME else 0.0


def exam_progress(state: SessionState) -> ExamProgressRead:
    total, answered = len(state.questions), min(state.exam_current, len(state.questions))
    return ExamProgressRead(
        current_question=min(answered + 1, total),
        total_questions=total,
        answered_questions=answered,
    )


def turn(state: SessionState, message: str, *, first: bool = False) -> TurnRead:
    exam = state.mode == SessionMode.EXAM
    return TurnRead(
        message=message,
        audio_text=None if exam else speakable(message),
        hints=[],
        step_idx=current_step(state),
        mastery_score=mastery_score(state),
        is_complete=state.is_complete,
        concepts_discussed=state.concepts_discussed
        if state.mode == SessionMode.CLARIFY_DOUBTS
        else None,
        exam_progress=exam_progress(state) if exam else None,
        exam_questions=(
            [
                ExamQuestionBrief(question_idx=q.number - 1, question_text=q.question)
                for q in state.questions
            ]
            if exam and first
            else None
        ),
        exam_feedback=exam_feedback(state),
        exam_results=exam_results(state),
    )
