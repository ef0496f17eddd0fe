"""Response schemas of the learner progress routes (report card, history, stats, exam review).

Units as the frontend reads them: coverage and percentages 0-100 (one decimal), mastery 0-1,
`step_idx` from 1. An exam has three scores: `exam_score` of the history and the report card's
`latest_exam_score` count the questions marked >= 0.8; the guideline list's `exam_score` and
`exam_feedback.score` are the sum of the fractional marks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.models.enums import SessionMode
from tutor.models.exam_view import ExamFeedbackRead, ExamReviewQuestionRead


class ReportSubtopicRead(BaseModel):
    subtopic: str
    subtopic_key: str
    guideline_id: str | None = Field(description="None when the guideline is no longer offered")
    coverage: float = Field(description="0-100: plan concepts reached in teach_me sessions")
    latest_exam_score: int | None = Field(description="Latest finished exam: questions >= 0.8")
    latest_exam_total: int | None
    last_studied: datetime | None = Field(description="Latest teach_me or finished exam")


class ReportTopicRead(BaseModel):
    topic: str
    topic_key: str
    subtopics: list[ReportSubtopicRead]


class ReportSubjectRead(BaseModel):
    subject: str
    topics: list[ReportTopicRead]


class ReportCardRead(BaseModel):
    total_sessions: int
    total_topics_studied: int
    subjects: list[ReportSubjectRead]


class SubtopicProgressRead(BaseModel):
    coverage: float = Field(description="0-100, as on the report card")
    session_count: int = Field(description="teach_me sessions on this guideline")
    status: Literal["studied", "not_started"]


class SubtopicProgressMapRead(BaseModel):
    user_progress: dict[str, SubtopicProgressRead] = Field(description="Keyed by guideline id")


class HistoryEntryRead(BaseModel):
    session_id: str
    created_at: datetime
    updated_at: datetime
    topic_name: str | None = Field(description='"Topic - Subtopic"')
    subject: str | None
    mastery: float = Field(description="0-1")
    step_idx: int = Field(description="Study-plan step, from 1")
    mode: SessionMode
    coverage: float | None = Field(default=None, description="teach_me: 0-100")
    concepts_discussed: list[str] | None = Field(default=None, description="clarify_doubts")
    exam_score: int | None = Field(
        default=None, description="Finished exam: questions marked >= 0.8 (not the mark sum)"
    )
    exam_total: int | None = Field(default=None, description="exam: questions set")


class HistoryPageRead(BaseModel):
    sessions: list[HistoryEntryRead]
    page: int
    page_size: int
    total: int


class SessionListEntryRead(HistoryEntryRead):
    message_count: int = Field(description="Messages in the conversation, both sides")


class SessionListRead(BaseModel):
    sessions: list[SessionListEntryRead] = Field(description="The newest 20")
    total: int = Field(description="All of the caller's sessions")


class SessionStatsRead(BaseModel):
    total_sessions: int
    average_mastery: float = Field(description="0-1, two decimals")
    topics_covered: list[str] = Field(description="Distinct subjects, sorted")
    total_steps: int = Field(description="Sum of the sessions' step_idx")


class GuidelineSessionRead(BaseModel):
    session_id: str
    mode: SessionMode
    created_at: datetime | None
    is_complete: bool
    # Added by this backend: the learner page offers a paused lesson without a 404 probe.
    is_paused: bool = Field(description="A paused teach_me session, resumable")
    exam_finished: bool
    exam_score: float | None = Field(description="Finished exam: the sum of marks, one decimal")
    exam_total: int | None
    exam_answered: int | None
    coverage: float | None = Field(description="teach_me: 0-100; None without plan concepts")


class GuidelineSessionsRead(BaseModel):
    sessions: list[GuidelineSessionRead]


class ExamReviewRead(BaseModel):
    session_id: str
    created_at: datetime | None
    exam_feedback: ExamFeedbackRead | None
    questions: list[ExamReviewQuestionRead]
