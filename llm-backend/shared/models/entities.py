"""Core ORM models: users, tutoring sessions and their events, curriculum, study plans, LLM config.

The columns, defaults, foreign keys and indexes follow the schema document
(`shared/reference/database.md`); `db.py --migrate` brings older databases to this shape.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, created_at_column, new_id, updated_at_column
from shared.models.enums import GuidelineStatus, ReviewStatus, SessionMode
from shared.models.types import UTCDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String, primary_key=True, default=new_id)
    cognito_sub: Mapped[str] = mapped_column(String, nullable=False, unique=True)
    email: Mapped[str | None] = mapped_column(String, unique=True)
    phone: Mapped[str | None] = mapped_column(String, unique=True)
    auth_provider: Mapped[str] = mapped_column(String, nullable=False, server_default="email")
    name: Mapped[str | None] = mapped_column(String)
    # How the tutor addresses the student; None means "use name".
    preferred_name: Mapped[str | None] = mapped_column(String)
    age: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[int | None] = mapped_column(Integer)
    board: Mapped[str | None] = mapped_column(String)
    school_name: Mapped[str | None] = mapped_column(String)
    about_me: Mapped[str | None] = mapped_column(Text)
    # `en` | `hi` | `hinglish`; None (rows from before these columns) reads as `en`.
    text_language_preference: Mapped[str | None] = mapped_column(String)
    audio_language_preference: Mapped[str | None] = mapped_column(String)
    is_active: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=sql_text("true")
    )
    onboarding_complete: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=sql_text("false")
    )
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (
        Index("idx_cognito_sub", "cognito_sub"),
        Index("idx_user_email", "email"),
    )


class Session(Base):
    """A tutoring session; `state_json` is written only by compare-and-swap on `state_version`."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String, primary_key=True, default=new_id)
    student_json: Mapped[str | None] = mapped_column(Text)
    goal_json: Mapped[str | None] = mapped_column(Text)
    state_json: Mapped[str | None] = mapped_column(Text)
    mastery: Mapped[float] = mapped_column(Float, nullable=False, server_default=sql_text("0.0"))
    step_idx: Mapped[int] = mapped_column(Integer, nullable=False, server_default=sql_text("0"))
    user_id: Mapped[str | None] = mapped_column(String, ForeignKey("users.id"))
    subject: Mapped[str | None] = mapped_column(String)
    mode: Mapped[str] = mapped_column(String, nullable=False, server_default=SessionMode.TEACH_ME)
    is_paused: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=sql_text("false")
    )
    exam_score: Mapped[float | None] = mapped_column(Float)
    exam_total: Mapped[int | None] = mapped_column(Integer)
    guideline_id: Mapped[str | None] = mapped_column(String)
    state_version: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=sql_text("1")
    )
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (
        Index("idx_sessions_user_id", "user_id"),
        Index("idx_sessions_subject", "subject"),
        Index("idx_sessions_mode", "mode"),
        Index("idx_sessions_guideline_id", "guideline_id"),
        Index(
            "idx_sessions_one_paused_per_user_guideline",
            "user_id",
            "guideline_id",
            unique=True,
            postgresql_where=sql_text("is_paused = true"),
            sqlite_where=sql_text("is_paused = 1"),
        ),
    )


class Event(Base):
    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String, primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(
        String, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False
    )
    node: Mapped[str] = mapped_column(String, nullable=False)
    step_idx: Mapped[int] = mapped_column(Integer, nullable=False, server_default=sql_text("0"))
    payload_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (Index("idx_session_step", "session_id", "step_idx"),)


class Content(Base):
    __tablename__ = "contents"

    id: Mapped[str] = mapped_column(String, primary_key=True, default=new_id)
    topic: Mapped[str] = mapped_column(String, nullable=False)
    grade: Mapped[int] = mapped_column(Integer, nullable=False)
    skill: Mapped[str | None] = mapped_column(String)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    tags: Mapped[str | None] = mapped_column(String)

    __table_args__ = (Index("idx_topic_grade", "topic", "grade"),)


class TeachingGuideline(Base):
    __tablename__ = "teaching_guidelines"

    id: Mapped[str] = mapped_column(String, primary_key=True, default=new_id)
    book_id: Mapped[str | None] = mapped_column(String)
    country: Mapped[str] = mapped_column(String, nullable=False)
    board: Mapped[str] = mapped_column(String, nullable=False)
    grade: Mapped[int] = mapped_column(Integer, nullable=False)
    subject: Mapped[str] = mapped_column(String, nullable=False)
    topic: Mapped[str | None] = mapped_column(String)
    subtopic: Mapped[str | None] = mapped_column(String)
    topic_key: Mapped[str | None] = mapped_column(String)
    subtopic_key: Mapped[str | None] = mapped_column(String)
    topic_title: Mapped[str | None] = mapped_column(String)
    subtopic_title: Mapped[str | None] = mapped_column(String)
    topic_summary: Mapped[str | None] = mapped_column(Text)
    subtopic_summary: Mapped[str | None] = mapped_column(Text)
    guideline: Mapped[str | None] = mapped_column(Text)
    source_page_start: Mapped[int | None] = mapped_column(Integer)
    source_page_end: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(
        String, nullable=False, server_default=GuidelineStatus.DRAFT
    )
    review_status: Mapped[str] = mapped_column(
        String, nullable=False, server_default=ReviewStatus.TO_BE_REVIEWED
    )
    generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=sql_text("1"))
    # V1 legacy columns, kept so old rows survive; nothing new writes them.
    objectives_json: Mapped[str | None] = mapped_column(Text)
    examples_json: Mapped[str | None] = mapped_column(Text)
    misconceptions_json: Mapped[str | None] = mapped_column(Text)
    assessments_json: Mapped[str | None] = mapped_column(Text)
    teaching_description: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    evidence_summary: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    metadata_json: Mapped[str | None] = mapped_column(Text)
    source_pages: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (Index("idx_curriculum", "country", "board", "grade", "subject", "topic"),)


class StudyPlan(Base):
    __tablename__ = "study_plans"

    id: Mapped[str] = mapped_column(String, primary_key=True, default=new_id)
    guideline_id: Mapped[str] = mapped_column(
        String,
        ForeignKey("teaching_guidelines.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    )
    plan_json: Mapped[str] = mapped_column(Text, nullable=False)
    generator_model: Mapped[str | None] = mapped_column(String)
    reviewer_model: Mapped[str | None] = mapped_column(String)
    generation_reasoning: Mapped[str | None] = mapped_column(Text)
    reviewer_feedback: Mapped[str | None] = mapped_column(Text)
    was_revised: Mapped[int] = mapped_column(Integer, nullable=False, server_default=sql_text("0"))
    status: Mapped[str] = mapped_column(String, nullable=False, server_default="generated")
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=sql_text("1"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (Index("idx_study_plans_guideline", "guideline_id"),)


class LLMConfig(Base):
    """Which provider and model each component uses; no row means no fallback."""

    __tablename__ = "llm_config"

    component_key: Mapped[str] = mapped_column(String, primary_key=True)
    provider: Mapped[str] = mapped_column(String, nullable=False)
    model_id: Mapped[str] = mapped_column(String, nullable=False)
    description: Mapped[str | None] = mapped_column(String)
    updated_at: Mapped[datetime] = updated_at_column()
    updated_by: Mapped[str | None] = mapped_column(String)


class LLMPrice(Base):
    """What a model costs per million tokens, in US dollars, as an admin last set it (or as the
    migration seeded it: `updated_at` is then the date the price was read)."""

    __tablename__ = "llm_prices"

    provider: Mapped[str] = mapped_column(String, primary_key=True)
    model: Mapped[str] = mapped_column(String, primary_key=True)
    input_per_million_usd: Mapped[float] = mapped_column(Float, nullable=False)
    output_per_million_usd: Mapped[float] = mapped_column(Float, nullable=False)
    updated_at: Mapped[datetime] = updated_at_column()
    updated_by: Mapped[str | None] = mapped_column(String)


class LLMCall(Base):
    """One `complete()` call: who asked, which model answered, how long, how it ended.

    Holds no prompt or output text, so no student message or secret ever lands here.
    """

    __tablename__ = "llm_calls"

    id: Mapped[str] = mapped_column(String, primary_key=True, default=new_id)
    component: Mapped[str] = mapped_column(String, nullable=False)
    provider: Mapped[str] = mapped_column(String, nullable=False)
    model: Mapped[str] = mapped_column(String, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    latency_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    # Audio calls (speech_to_text, text_to_speech) are billed by these, not by tokens alone.
    audio_seconds: Mapped[float | None] = mapped_column(Float)
    input_characters: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=sql_text("1"))
    # ok | retried | abandoned | unavailable | timeout | deadline | output_error | error
    outcome: Mapped[str] = mapped_column(String, nullable=False)
    error_message: Mapped[str | None] = mapped_column(Text)
    session_id: Mapped[str | None] = mapped_column(String)
    job_id: Mapped[str | None] = mapped_column(String)

    __table_args__ = (
        Index("idx_llm_calls_component_started", "component", "started_at"),
        Index("idx_llm_calls_started", "started_at"),
        # A session's calls, for its agent logs (GET /sessions/{id}/agent-logs).
        Index("idx_llm_calls_session_started", "session_id", "started_at"),
        # A job's calls, for the cost of an evaluation run.
        Index("idx_llm_calls_job", "job_id"),
    )
