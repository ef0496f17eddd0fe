"""The run service's dataclasses (evaluation.models.reads) as the API's shapes: upstream's
keys first, with their upstream meaning, then this project's additions."""

from __future__ import annotations

from typing import Any

from evaluation.api.schemas import (
    ConversationRead,
    ConversationSummaryRead,
    RunDetailRead,
    RunSummaryRead,
)
from evaluation.models.reads import ConversationDetail, RunDetail, RunSummary
from shared.llm.prices import Cost


def _topic_id(summary: RunSummary) -> str | None:
    # Upstream's existing-session runs name the session's topic here, not a guideline id.
    if summary.guideline_id is not None:
        return summary.guideline_id
    return summary.topic_name or None


def run_summary(summary: RunSummary) -> RunSummaryRead:
    return RunSummaryRead.model_validate(
        {
            "run_id": summary.run_id,
            "timestamp": summary.created_at,
            "topic_id": _topic_id(summary),
            "message_count": summary.message_count,
            "avg_score": summary.avg_score,
            "scores": summary.scores,
            "source": summary.source,
            "source_session_id": summary.source_session_id,
            "status": summary.status,
            "topic_name": summary.topic_name,
            "personas": summary.persona_ids,
            "repeats": summary.repeats,
            "judge_repeats": summary.judge_repeats,
            "mode": summary.mode,
            "max_turns": summary.max_turns,
            "n_conversations": summary.n_conversations,
            "n_judged": summary.n_judged,
            "n_failed": summary.n_failed,
            "overall": summary.overall,
            "error": summary.error,
        },
        from_attributes=True,
    )


def _config(detail: RunDetail) -> dict[str, Any]:
    """The stored config (model names, never keys) under upstream's keys the frontend reads,
    then the run's own settings."""
    summary = detail.summary
    personas = summary.persona_ids
    models = detail.config.get("models") or {}
    return {
        "topic_id": _topic_id(summary),
        "persona_file": f"{personas[0]}.json" if personas else None,
        "max_turns": summary.max_turns,
        "started_at": summary.created_at.isoformat(),
        # The frontend labels the tutor's and the judge's providers from these two.
        "tutor_llm_provider": (models.get("tutor") or {}).get("provider"),
        "eval_llm_provider": (models.get("evaluator") or {}).get("provider"),
        **detail.config,
        "source": summary.source,
        "source_session_id": summary.source_session_id,
        "personas": personas,
        "repeats": summary.repeats,
        "judge_repeats": summary.judge_repeats,
        "mode": summary.mode,
        "seed": summary.seed,
    }


def run_detail(detail: RunDetail, cost: Cost) -> RunDetailRead:
    """Upstream's `messages` / `message_count` / `evaluation` keys are left out while there is
    nothing to put in them (the route answers without unset fields)."""
    summary = detail.summary
    fields: dict[str, Any] = {
        "run_id": summary.run_id,
        "config": _config(detail),
        "status": summary.status,
        "error": summary.error,
        "summary": run_summary(summary),
        "stats": detail.stats,
        "conversations": detail.conversations,
        "job": detail.job,
        "job_ids": detail.job_ids,
        "cost": cost,
    }
    if detail.messages:
        fields["messages"] = detail.messages
        fields["message_count"] = len(detail.messages)
    first_judged = next((c for c in detail.conversations if c.status == "judged"), None)
    if detail.evaluation is not None and first_judged is not None:
        fields["evaluation"] = {
            "avg_score": summary.avg_score,
            "scores": summary.scores,
            "dimension_analysis": detail.evaluation.dimension_analysis,
            "problems": detail.evaluation.problems,
            "summary": detail.evaluation.summary,
            "item": first_judged.item,
        }
    return RunDetailRead.model_validate(fields, from_attributes=True)


def conversation(run_id: str, detail: ConversationDetail) -> ConversationRead:
    return ConversationRead.model_validate(
        {
            "run_id": run_id,
            "summary": ConversationSummaryRead.model_validate(detail.summary),
            "messages": detail.messages,
            "decisions": detail.decisions,
            "judgments": detail.judgments,
        },
        from_attributes=True,
    )
