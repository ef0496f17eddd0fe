"""One session's figures in the units the frontend reads (coverage 0-100, mastery 0-1,
step_idx 1-based), derived from its state so every list shows the same numbers."""

from __future__ import annotations

from shared.models.enums import SessionMode
from tutor.models.state import SessionState


def percent(part: int, whole: int) -> float | None:
    """part/whole as 0-100 with one decimal; None when there is nothing to measure against."""
    return round(part / whole * 100, 1) if whole else None


def coverage_percent(state: SessionState) -> float | None:
    """A teach_me session's own coverage: plan concepts it reached / distinct plan concepts."""
    concepts = state.plan_concepts
    return percent(len(set(state.concepts_reached) & set(concepts)), len(concepts))


def mastery(state: SessionState) -> float:
    """0-1: teach_me, the mean of the concepts' mastery; exam, the finished exam's fraction of
    marks (0 until it is finished); clarify_doubts, 0 (nothing is assessed)."""
    if state.mode == SessionMode.TEACH_ME:
        return state.overall_mastery
    if state.mode == SessionMode.EXAM and state.exam_result is not None:
        return round(state.exam_result.percentage / 100, 3)
    return 0.0


def topic_name(state: SessionState) -> str:
    return f"{state.topic} - {state.subtopic}"


def exam_answered(state: SessionState) -> int:
    return sum(1 for q in state.questions if q.answer)


def correct_count(state: SessionState) -> int | None:
    """Questions marked >= 0.8 in a finished exam (the history's and report card's score)."""
    return state.exam_result.correct if state.exam_result and state.is_complete else None
