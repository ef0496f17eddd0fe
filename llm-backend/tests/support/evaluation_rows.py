"""Stored evaluation runs written straight into the tables, for tests of what the API and CLI
read (scores, intervals, comparisons, cost) without simulating anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from database import session_scope
from evaluation.models.judgment import DIMENSIONS
from evaluation.models.tables import EvalConversation, EvalJudgment, EvalRun
from shared.jobs.models import BookJob
from shared.models.base import utcnow

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def same(score: int) -> dict[str, int]:
    return dict.fromkeys(DIMENSIONS, score)


def messages(n_turns: int) -> list[dict[str, Any]]:
    """The tutor's opening, then one student message and one tutor answer per turn."""
    rows = [{"role": "tutor", "content": "Hello! Let's learn.", "turn": 0}]
    for turn in range(1, n_turns + 1):
        rows.append({"role": "student", "content": f"answer {turn}", "turn": turn})
        rows.append({"role": "tutor", "content": f"reply {turn}", "turn": turn})
    stamp = T0.isoformat()
    return [{**row, "timestamp": stamp} for row in rows]


def add_run(
    run_id: str,
    conversations: list[tuple[str | None, list[dict[str, int]]]],
    *,
    job_status: str = "completed",
    minutes: int = 0,
    source: str = "simulated",
    turns: int = 2,
    job_ids: list[str] | None = None,
) -> None:
    """A run whose item i (1-based) is `conversations[i - 1]`: (persona id, its judgments'
    score maps). A conversation without judgments is stored as failed."""
    job_id = f"job-{run_id}"
    with session_scope() as session:
        session.add(
            BookJob(
                id=job_id,
                book_id=None,
                job_type="evaluation",
                status=job_status,
                total_items=len(conversations),
                completed_items=len(conversations),
                failed_items=0,
                # An active job with a fresh heartbeat, so reading it does not sweep it.
                heartbeat_at=utcnow() if job_status in ("pending", "running") else None,
            )
        )
        session.add(
            EvalRun(
                id=run_id,
                created_at=T0 + timedelta(minutes=minutes),
                source=source,
                guideline_id="g-fractions" if source == "simulated" else None,
                topic_name="Fractions",
                source_session_id="real-session" if source != "simulated" else None,
                mode="teach_me",
                max_turns=turns,
                persona_ids=sorted({p for p, _ in conversations if p}),
                repeats=1,
                judge_repeats=max((len(j) for _, j in conversations), default=1) or 1,
                seed=7,
                job_id=job_id,
                job_ids=job_ids if job_ids is not None else [job_id],
                config={"tutor_model": "openai/gpt-5.2"},
            )
        )
        session.flush()
        for item, (persona_id, judgments) in enumerate(conversations, 1):
            conversation = EvalConversation(
                id=f"{run_id}-c{item}",
                run_id=run_id,
                item=item,
                persona_id=persona_id,
                repeat=1,
                seed=7000 + item,
                session_id=f"{run_id}-s{item}",
                status="judged" if judgments else "failed",
                messages=messages(turns),
                decisions=[{"turn": 1, "correct": True, "mistake": None}],
                ended_reason="max_turns",
                error=None if judgments else "judge answer broke the schema",
            )
            session.add(conversation)
            session.flush()
            for attempt, scores in enumerate(judgments, 1):
                session.add(
                    EvalJudgment(
                        conversation_id=conversation.id,
                        attempt=attempt,
                        scores=scores,
                        dimension_analysis={d: f"{d} of item {item}" for d in DIMENSIONS},
                        problems=[
                            {
                                "title": "Too fast",
                                "turns": [1],
                                "description": "Moved on before the student understood.",
                                "quote": "reply 1",
                                "severity": "major",
                                "root_cause": "wrong_pacing",
                            }
                        ],
                        summary=f"Summary of item {item}, attempt {attempt}.",
                        avg_score=round(sum(scores.values()) / len(scores), 2),
                    )
                )
