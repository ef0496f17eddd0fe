"""The evaluation tables: a run, its conversations (one per persona x repeat, or the one stored
session it judges) and each conversation's judgments (k per conversation).

A run's work is done by `book_jobs` rows without a book (job type "evaluation"): `job_id` is
the current or last one, `job_ids` every one it started (a resume or a re-judging starts
another), so the cost of a run is every model call of those jobs and of its tutor sessions.

Conversation statuses: `pending` (not started), `running` (being simulated; `messages` holds
the transcript so far), `simulated` (transcript finished, `ended_reason` set, judging not done),
`judged` (every one of the run's `judge_repeats` judgments stored), `failed` (`error` says why;
with `ended_reason` set the transcript is whole and only the judging failed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, created_at_column, new_id, updated_at_column

SOURCE_SIMULATED = "simulated"
SOURCE_EXISTING_SESSION = "existing_session"
PENDING, RUNNING, SIMULATED, JUDGED, FAILED = "pending", "running", "simulated", "judged", "failed"
CONVERSATION_STATUSES = (PENDING, RUNNING, SIMULATED, JUDGED, FAILED)


class EvalRun(Base):
    __tablename__ = "eval_runs"

    # run_YYYYMMDD_HHMMSS_xxxxxx: sortable by start, as upstream names its run folders.
    id: Mapped[str] = mapped_column(String, primary_key=True)
    created_at: Mapped[datetime] = created_at_column()
    # Plain columns, no foreign keys: a run outlives a deleted user, a re-synced guideline
    # (sync replaces teaching_guidelines rows) and the session it judged.
    created_by: Mapped[str | None] = mapped_column(String)
    source: Mapped[str] = mapped_column(String, nullable=False)
    guideline_id: Mapped[str | None] = mapped_column(String)
    topic_name: Mapped[str] = mapped_column(String, nullable=False, server_default="")
    source_session_id: Mapped[str | None] = mapped_column(String)
    mode: Mapped[str] = mapped_column(String, nullable=False)
    max_turns: Mapped[int] = mapped_column(Integer, nullable=False)
    persona_ids: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    repeats: Mapped[int] = mapped_column(Integer, nullable=False)
    judge_repeats: Mapped[int] = mapped_column(Integer, nullable=False)
    seed: Mapped[int] = mapped_column(BigInteger, nullable=False)
    job_id: Mapped[str | None] = mapped_column(String)
    job_ids: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    # The models of the tutor, simulator and judge when the run started, the grade, etc.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("idx_eval_runs_created", "created_at"),)


class EvalConversation(Base):
    __tablename__ = "eval_conversations"

    id: Mapped[str] = mapped_column(String, primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(
        String, ForeignKey("eval_runs.id", ondelete="CASCADE"), nullable=False
    )
    # 1..N: (persona index) * repeats + repeat, personas in the run's order.
    item: Mapped[int] = mapped_column(Integer, nullable=False)
    persona_id: Mapped[str | None] = mapped_column(String)  # None: a real session judged
    repeat: Mapped[int] = mapped_column(Integer, nullable=False)
    seed: Mapped[int] = mapped_column(BigInteger, nullable=False)  # run.seed * 1000 + item
    session_id: Mapped[str | None] = mapped_column(String)  # the tutor session
    status: Mapped[str] = mapped_column(String, nullable=False, server_default=PENDING)
    # `evaluation.models.transcript.Message` dumps (mode="json").
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    # The simulator's draws, one per student turn: {"turn", "correct", "mistake"}.
    decisions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    ended_reason: Mapped[str | None] = mapped_column(String)
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (Index("idx_eval_conversations_run_item", "run_id", "item", unique=True),)


class EvalJudgment(Base):
    __tablename__ = "eval_judgments"

    id: Mapped[str] = mapped_column(String, primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(
        String, ForeignKey("eval_conversations.id", ondelete="CASCADE"), nullable=False
    )
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)  # 1..judge_repeats
    scores: Mapped[dict[str, int]] = mapped_column(JSON, nullable=False)
    dimension_analysis: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    avg_score: Mapped[float] = mapped_column(Float, nullable=False)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        Index("idx_eval_judgments_conversation_attempt", "conversation_id", "attempt", unique=True),
    )
