"""Admin operations on `llm_config` and the `llm_calls` log."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.errors import NotFoundError
from shared.llm import config_store
from shared.llm.providers.local_provider import LOCAL_MODEL_ID
from shared.llm.providers.registry import PROVIDERS
from shared.models.base import utcnow
from shared.models.entities import LLMCall, LLMConfig

# Suggestions for the admin page; any non-empty model id is accepted.
SUGGESTED_MODELS: dict[str, list[str]] = {
    "openai": ["gpt-5.2", "gpt-5.2-mini", "gpt-5.1", "gpt-4o", "gpt-4o-mini"],
    "anthropic": ["claude-opus-4-6", "claude-sonnet-4-6", "claude-haiku-4-5"],
    "google": ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"],
    "local": [LOCAL_MODEL_ID],
}
FAILED_OUTCOMES = ("unavailable", "timeout", "output_error", "error")


def list_configs(*, session: Session) -> list[LLMConfig]:
    return list(session.scalars(select(LLMConfig).order_by(LLMConfig.component_key)))


def options() -> dict:
    return {
        "providers": [
            {"provider": name, "suggested_models": SUGGESTED_MODELS[name]} for name in PROVIDERS
        ]
    }


def update_config(
    *, session: Session, component_key: str, provider: str, model_id: str, updated_by: str
) -> LLMConfig:
    row = session.get(LLMConfig, component_key)
    if row is None:
        raise NotFoundError(f"Unknown component '{component_key}'.", code="llm_component_not_found")
    row.provider, row.model_id, row.updated_by = provider, model_id, updated_by
    row.updated_at = utcnow()
    session.commit()
    config_store.invalidate(component_key)  # this process's very next call uses the new model
    return row


def recent_calls(
    *, session: Session, component: str | None, outcome: str | None, limit: int
) -> list[LLMCall]:
    query = select(LLMCall).order_by(LLMCall.started_at.desc()).limit(limit)
    if component:
        query = query.where(LLMCall.component == component)
    if outcome:
        query = query.where(LLMCall.outcome == outcome)
    return list(session.scalars(query))


def call_totals(*, session: Session, since_hours: int) -> list[dict]:
    """Per component over the window: calls, failures, error rate, p50/p95 latency, tokens."""
    since = utcnow() - timedelta(hours=since_hours)
    rows = session.execute(
        select(
            LLMCall.component,
            LLMCall.outcome,
            LLMCall.latency_ms,
            LLMCall.input_tokens,
            LLMCall.output_tokens,
        ).where(LLMCall.started_at >= since)
    ).all()
    grouped: dict[str, list] = defaultdict(list)
    for row in rows:
        grouped[row.component].append(row)
    totals = []
    for component in sorted(grouped):
        calls = grouped[component]
        latencies = sorted(c.latency_ms for c in calls)
        errors = sum(1 for c in calls if c.outcome in FAILED_OUTCOMES)
        totals.append(
            {
                "component": component,
                "calls": len(calls),
                "errors": errors,
                "error_rate": round(errors / len(calls), 4),
                "p50_latency_ms": _percentile(latencies, 50),
                "p95_latency_ms": _percentile(latencies, 95),
                "input_tokens": sum(c.input_tokens or 0 for c in calls),
                "output_tokens": sum(c.output_tokens or 0 for c in calls),
            }
        )
    return totals


def _percentile(sorted_values: list[int], pct: int) -> int:
    """Nearest-rank percentile."""
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]
