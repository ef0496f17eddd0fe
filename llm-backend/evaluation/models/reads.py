"""What the run service answers (`evaluation.services.runs`): plain dataclasses the HTTP
routes, the CLI and the page map to their own shapes.

Units. A conversation's score on a dimension is the mean of its `judge_repeats` judgments
(1..10); its `avg_score` is the mean of its five dimension scores. A run's statistics treat each
judged conversation as one sample: `stats.overall` is the mean and 95% Student-t interval of the
conversations' `avg_score`, `stats.per_dimension[d]` of their scores on d, `per_persona` the
same within one persona's repeats. An interval needs two judged conversations (`low`/`high` are
None with one). `judge_noise` (k > 1) is the pooled SD of one transcript's repeated
`avg_score`s: how much of the spread is the judge's, not the tutor's.

Status values are upstream's §1.6 enum: idle, loading_persona (the job is queued), running_session
(a conversation is being simulated), evaluating (only judging left), complete, failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from evaluation.models.transcript import Message
from evaluation.services.stats import Interval, JudgeNoise

RunState = Literal["idle", "loading_persona", "running_session", "evaluating", "complete", "failed"]


@dataclass(frozen=True)
class RunStatus:
    """`current_status()`: the newest active run, else the newest run's end, else idle."""

    status: RunState
    run_id: str | None
    detail: str  # e.g. "Conversation 3 of 6 (struggler #1): turn 5/12"
    turn: int  # the turn of the most recently updated conversation being simulated
    max_turns: int
    error: str | None  # the job's error when failed


@dataclass(frozen=True)
class JobState:
    """The run's current job (the last one it started)."""

    job_id: str
    status: str  # pending | running | completed | failed (book_jobs)
    phase: str  # simulate_and_judge | judge_only
    total_items: int
    completed_items: int
    failed_items: int
    error: str | None


@dataclass(frozen=True)
class JudgmentRead:
    attempt: int
    scores: dict[str, int]
    dimension_analysis: dict[str, str]
    problems: list[dict[str, Any]]  # Problem dumps: title, turns, description, quote, ...
    summary: str
    avg_score: float
    created_at: datetime


@dataclass(frozen=True)
class ConversationSummary:
    item: int
    persona_id: str | None  # None: a real session judged
    persona_name: str | None
    repeat: int
    seed: int
    status: str  # pending | running | simulated | judged | failed
    session_id: str | None  # the tutor session (cost, agent logs)
    message_count: int
    turn: int  # the last message's turn (0 = only the opening)
    ended_reason: str | None  # max_turns | session_complete | existing_session
    error: str | None  # "Simulation failed: ..." or "Judge failed: ..."
    # Means over this conversation's judgments (None / {} until judged).
    avg_score: float | None
    scores: dict[str, float]
    judgments: int  # how many are stored
    updated_at: datetime


@dataclass(frozen=True)
class ConversationDetail:
    summary: ConversationSummary
    messages: list[Message]
    decisions: list[dict[str, Any]]  # the simulator's draws: turn, correct, mistake, applied
    judgments: list[JudgmentRead]  # by attempt


@dataclass(frozen=True)
class PersonaStats:
    overall: Interval
    per_dimension: dict[str, Interval]


@dataclass(frozen=True)
class RunStats:
    overall: Interval | None  # None until a conversation is judged
    per_dimension: dict[str, Interval]
    per_persona: dict[str, PersonaStats]
    judge_noise: JudgeNoise | None


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    created_at: datetime
    created_by: str | None
    source: str  # simulated | existing_session
    guideline_id: str | None
    topic_name: str
    source_session_id: str | None
    mode: str
    max_turns: int
    persona_ids: list[str]
    repeats: int
    judge_repeats: int
    seed: int
    status: RunState  # never "idle"
    n_conversations: int
    n_judged: int
    n_failed: int
    message_count: int  # the first conversation's (upstream's single-conversation field)
    # Means over the judged conversations (None / {} until one is judged), 2 decimals.
    avg_score: float | None
    scores: dict[str, float]
    overall: Interval | None
    error: str | None  # the current job's error when the run failed


@dataclass(frozen=True)
class RunDetail:
    summary: RunSummary
    config: dict[str, Any]  # models of tutor / simulator / judge at start, grade, topic, seed
    job: JobState | None
    job_ids: list[str]  # every job the run started (its cost is theirs and its sessions')
    conversations: list[ConversationSummary]  # by item
    stats: RunStats
    # Upstream's single-conversation view: the first conversation's transcript and the first
    # judgment of the first judged conversation (None when nothing is judged yet).
    messages: list[Message] = field(default_factory=list)
    evaluation: JudgmentRead | None = None

    def samples(self) -> dict[str, list[float]]:
        """Per-conversation values of each judged conversation: "overall" (avg_score) and
        each dimension; what `stats.compare_means` takes to compare two runs."""
        judged = [c for c in self.conversations if c.avg_score is not None]
        values: dict[str, list[float]] = {"overall": [c.avg_score or 0.0 for c in judged]}
        for conversation in judged:
            for dimension, score in conversation.scores.items():
                values.setdefault(dimension, []).append(score)
        return values
