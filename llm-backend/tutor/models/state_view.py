"""The SessionState JSON view (contract §2.4.1) that `/replay` and `GET /sessions/{id}` answer:
a projection of the internal state under the frontend's key names. The internal state keeps
its own names; this module is the one place that maps them.

Deliberate difference from upstream (which returns its raw state): while an exam runs, each
question carries only its index, text and the student's answer, and the exam totals are
null, so a replay cannot reveal expected answers or marks before the exam ends.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.models.entities import Event, TeachingGuideline
from shared.models.enums import SessionMode
from tutor.models import event_payload
from tutor.models.state import WITHHELD, PlanStep, SessionState, StepKind
from tutor.models.turn_view import ExamFeedbackRead, current_step, exam_feedback, speakable

HISTORY = 10  # conversation_history holds the last messages only, as upstream


class GuidelinesView(BaseModel):
    learning_objectives: list[str]
    required_depth: str
    prerequisite_concepts: list[str]
    common_misconceptions: list[str]
    teaching_approach: str


class StudyPlanStepView(BaseModel):
    step_id: int = Field(description="1-based")
    type: StepKind
    concept: str
    content_hint: str
    question_type: str | None
    question_count: int | None


class StudyPlanView(BaseModel):
    steps: list[StudyPlanStepView]


class TopicView(BaseModel):
    topic_id: str = Field(description="The guideline id")
    topic_name: str = Field(description='"<topic> - <subtopic>"')
    subject: str
    grade_level: int | None
    guidelines: GuidelinesView
    study_plan: StudyPlanView


class MisconceptionView(BaseModel):
    concept: str
    description: str
    detected_at: datetime | None
    resolved: bool


class ExamQuestionView(BaseModel):
    question_idx: int = Field(description="0-based")
    question_text: str
    concept: str | None
    difficulty: Literal["easy", "medium", "hard"] | None
    question_type: str | None
    expected_answer: str | None = Field(description="null until the exam is finished")
    student_answer: str | None
    result: Literal["correct", "partial", "incorrect"] | None
    feedback: str | None
    score: float | None = Field(description="0-1; null until the exam is finished")
    marks_rationale: str | None


class MessageView(BaseModel):
    role: Literal["teacher", "student"]
    content: str
    audio_text: str | None
    timestamp: datetime
    message_id: str = Field(description="Stable: derived from the session id and position")


class SessionStateView(BaseModel):
    session_id: str
    created_at: datetime
    updated_at: datetime
    turn_count: int
    topic: TopicView
    current_step: int = Field(ge=1)
    last_concept_taught: str | None
    last_question: str | None
    awaiting_response: bool
    allow_extension: bool
    mastery_estimates: dict[str, float] = Field(description="concept -> 0-1")
    misconceptions: list[MisconceptionView]
    weak_areas: list[str]
    student_context: dict[str, Any]
    pace_preference: str
    off_topic_count: int
    warning_count: int
    safety_flags: list[str]
    mode: SessionMode
    is_paused: bool
    concepts_covered_set: list[str]
    exam_questions: list[ExamQuestionView]
    exam_current_question_idx: int
    exam_total_correct: int | None = Field(description="null while the exam runs")
    exam_total_partial: int | None
    exam_total_incorrect: int | None
    exam_finished: bool
    exam_feedback: ExamFeedbackRead | None
    concepts_discussed: list[str]
    clarify_complete: bool
    session_summary: dict[str, Any]
    conversation_history: list[MessageView] = Field(description="The last 10 messages")
    full_conversation_log: list[MessageView]


def _json_list(raw: str | None) -> list[str]:
    try:
        data = json.loads(raw) if raw else []
    except ValueError:
        return []
    return (
        [str(x) for x in data if isinstance(x, str | int | float)] if isinstance(data, list) else []
    )


def _json_dict(raw: str | None) -> dict:
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _topic(
    state: SessionState, guideline: TeachingGuideline | None, plan: list[PlanStep]
) -> TopicView:
    g = guideline
    meta = _json_dict(g.metadata_json) if g else {}
    return TopicView(
        topic_id=state.guideline_id,
        topic_name=f"{state.topic} - {state.subtopic}",
        subject=state.subject,
        grade_level=g.grade if g else state.student.grade,
        guidelines=GuidelinesView(
            learning_objectives=_json_list(g.objectives_json) if g else [],
            required_depth=str(meta.get("depth") or meta.get("required_depth") or "standard"),
            prerequisite_concepts=[str(x) for x in meta.get("prerequisites") or []]
            if isinstance(meta.get("prerequisites"), list)
            else [],
            common_misconceptions=_json_list(g.misconceptions_json) if g else [],
            teaching_approach=(g.teaching_description or g.guideline or "") if g else "",
        ),
        study_plan=StudyPlanView(
            steps=[
                StudyPlanStepView(
                    step_id=i + 1,
                    type=s.kind,
                    concept=s.concept,
                    content_hint=s.goal or s.concept,
                    question_type=None if s.kind == "explain" else s.kind,
                    question_count=None if s.kind == "explain" else 1,
                )
                for i, s in enumerate(plan)
            ]
        ),
    )


def message_id(session_id: str, position: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tutor-session:{session_id}/{position}"))


def _messages(session_id: str, state: SessionState) -> list[MessageView]:
    exam = state.mode == SessionMode.EXAM
    return [
        MessageView(
            role="student" if t.role == "student" else "teacher",
            content=t.text,
            audio_text=None if exam or t.role == "student" else speakable(t.text),
            timestamp=datetime.fromisoformat(t.at),
            message_id=message_id(session_id, i),
        )
        for i, t in enumerate(state.conversation)
    ]


def _exam_questions(state: SessionState, finished: bool) -> list[ExamQuestionView]:
    return [
        ExamQuestionView(
            question_idx=q.number - 1,
            question_text=q.question,
            student_answer=q.answer,
            concept=q.concept if finished else None,
            difficulty=q.difficulty if finished else None,
            question_type=q.kind if finished else None,
            expected_answer=q.expected_answer if finished else None,
            result=q.verdict if finished else None,
            feedback=q.rationale if finished else None,
            score=(q.score or 0.0) if finished else None,
            marks_rationale=q.rationale if finished else None,
        )
        for q in state.questions
    ]


def _misconceptions(state: SessionState, events: list[Event], plan: list[PlanStep]) -> list:
    first_seen: dict[str, tuple[str, datetime]] = {}
    for e in events:
        if e.node != "Diagnose":
            continue
        name = event_payload.payload(e).get("misconception")
        if name and name not in first_seen:
            concept = plan[e.step_idx].concept if 0 <= e.step_idx < len(plan) else name
            first_seen[name] = (concept, e.created_at)
    return [
        MisconceptionView(
            concept=first_seen.get(name, (name, None))[0],
            description=name,
            detected_at=first_seen.get(name, (name, None))[1],
            resolved=False,
        )
        for name in state.misconceptions
    ]


def build(
    *,
    session_id: str,
    created_at: datetime,
    updated_at: datetime,
    state: SessionState,
    guideline: TeachingGuideline | None,
    events: list[Event],
    plan: list[PlanStep],
) -> SessionStateView:
    """`plan` is the state's plan, or for sessions stored without one (exam and clarify
    sessions before plans were kept for every mode) the guideline's current plan."""
    exam_finished = state.mode == SessionMode.EXAM and state.is_complete
    log = _messages(session_id, state)
    verdicts = [q.verdict for q in state.questions]
    safety = [
        event_payload.payload(e).get("category", "unsafe")
        for e in events
        if event_payload.is_safety_redirect(e)
    ]
    step = state.current_step if state.mode == SessionMode.TEACH_ME else None
    if state.mode == SessionMode.EXAM and not state.is_complete and state.questions:
        last_question = state.questions[min(state.exam_current, len(state.questions) - 1)].question
    else:
        last_question = None
    return SessionStateView(
        session_id=session_id,
        created_at=created_at,
        updated_at=updated_at,
        turn_count=state.turns,
        topic=_topic(state, guideline, plan),
        current_step=current_step(state),
        last_concept_taught=(
            step.concept
            if step
            else (state.concepts_reached[-1] if state.concepts_reached else None)
        )
        if state.mode == SessionMode.TEACH_ME
        else None,
        last_question=last_question,
        awaiting_response=not state.is_complete and bool(log) and log[-1].role == "teacher",
        allow_extension=state.mode == SessionMode.TEACH_ME
        and not state.is_complete
        and state.step_idx >= len(state.plan),
        mastery_estimates=state.mastery,
        misconceptions=_misconceptions(state, events, plan),
        weak_areas=[c for c, m in state.mastery.items() if m < 0.6],
        student_context=state.student.model_dump(),
        pace_preference="normal",
        off_topic_count=0,
        warning_count=len(safety),
        safety_flags=safety,
        mode=state.mode,
        is_paused=state.is_paused,
        concepts_covered_set=state.concepts_reached,
        exam_questions=_exam_questions(state, exam_finished),
        exam_current_question_idx=state.exam_current,
        exam_total_correct=verdicts.count("correct") if exam_finished else None,
        exam_total_partial=verdicts.count("partial") if exam_finished else None,
        exam_total_incorrect=verdicts.count("incorrect") if exam_finished else None,
        exam_finished=exam_finished,
        exam_feedback=exam_feedback(state),
        concepts_discussed=state.concepts_discussed,
        clarify_complete=state.mode == SessionMode.CLARIFY_DOUBTS and state.is_complete,
        session_summary={
            "concepts_taught": state.concepts_reached,
            "stuck_points": list(state.misconceptions),
            "turns": state.turns,
            "messages_withheld": sum(1 for t in state.conversation if t.text == WITHHELD),
        },
        conversation_history=log[-HISTORY:],
        full_conversation_log=log,
    )
