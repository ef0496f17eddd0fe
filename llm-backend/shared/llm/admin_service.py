"""Admin operations on `llm_config` and the `llm_calls` log."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from shared.errors import BadRequestError, NotFoundError
from shared.llm import config_store
from shared.llm.components import AUDIO_COMPONENTS
from shared.llm.providers.local_provider import LOCAL_MODEL_ID
from shared.llm.providers.registry import AUDIO_PROVIDERS, PROVIDERS
from shared.models.base import utcnow
from shared.models.entities import LLMCall, LLMConfig

# The models an admin may choose, per provider (the client contract: a model not offered is a
# 400). Every seeded model is here; a new model is offered by adding it to this list.
OFFERED_MODELS: dict[str, list[str]] = {
    "openai": [
        "gpt-5.2",
        "gpt-5.2-mini",
        "gpt-5.1",
        "gpt-4o",
        "gpt-4o-mini",
        # for speech_to_text and text_to_speech
        "gpt-4o-mini-transcribe",
        "whisper-1",
        "gpt-4o-mini-tts",
        "tts-1",
    ],
    "anthropic": ["claude-opus-4-6", "claude-sonnet-4-6", "claude-haiku-4-5"],
    "google": ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"],
    "local": [LOCAL_MODEL_ID],
}
FAILED_OUTCOMES = ("unavailable", "timeout", "deadline", "output_error", "error")


def list_configs(*, session: Session) -> list[LLMConfig]:
    return list(session.scalars(select(LLMConfig).order_by(LLMConfig.component_key)))


def options() -> dict[str, list[str]]:
    """`{provider: [model ids]}`, providers in the registry's order."""
    return {name: list(OFFERED_MODELS[name]) for name in PROVIDERS}


def update_config(
    *, session: Session, component_key: str, provider: str, model_id: str, updated_by: str
) -> LLMConfig:
    row = session.get(LLMConfig, component_key)
    if row is None:
        raise NotFoundError(f"Unknown component '{component_key}'.", code="llm_component_not_found")
    if provider not in PROVIDERS:
        raise BadRequestError(
            f"Unknown provider '{provider}'; choose one of {', '.join(PROVIDERS)}.",
            code="unknown_provider",
        )
    if component_key in AUDIO_COMPONENTS and provider not in AUDIO_PROVIDERS:
        # Refused here: saved, it would fail every call later as a 503.
        raise BadRequestError(
            f"Provider '{provider}' has no audio API, so it cannot serve '{component_key}'; "
            f"choose {' or '.join(AUDIO_PROVIDERS)}.",
            code="provider_without_audio",
        )
    if model_id not in OFFERED_MODELS[provider]:
        raise BadRequestError(
            f"Model '{model_id}' is not offered for provider '{provider}'; "
            "GET /api/admin/llm-config/options lists the models that are.",
            code="model_not_offered",
        )
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


def call_totals(*, session: Session, since_hours: int) -> list[dict[str, Any]]:
    """Per component over the window: calls, failures, error rate, p50/p95 latency, tokens.

    Aggregated in the database (a busy tutor makes many thousands of calls a day, and the
    window reaches 90 days): one grouped query, then each percentile is one indexed
    ORDER BY ... OFFSET probe, which works the same on PostgreSQL and SQLite."""
    since = utcnow() - timedelta(hours=since_hours)
    in_window = LLMCall.started_at >= since
    failed = case((LLMCall.outcome.in_(FAILED_OUTCOMES), 1), else_=0)
    groups = session.execute(
        select(
            LLMCall.component,
            func.count(),
            func.coalesce(func.sum(failed), 0),
            func.coalesce(func.sum(LLMCall.input_tokens), 0),
            func.coalesce(func.sum(LLMCall.output_tokens), 0),
        )
        .where(in_window)
        .group_by(LLMCall.component)
        .order_by(LLMCall.component)
    ).all()
    totals = []
    for component, calls, errors, input_tokens, output_tokens in groups:
        latency = (
            select(LLMCall.latency_ms)
            .where(in_window, LLMCall.component == component)
            .order_by(LLMCall.latency_ms)
            .limit(1)
        )
        p50, p95 = (session.scalar(latency.offset(_rank(pct, calls) - 1)) or 0 for pct in (50, 95))
        totals.append(
            {
                "component": component,
                "calls": calls,
                "errors": int(errors),
                "error_rate": round(int(errors) / calls, 4),
                "p50_latency_ms": p50,
                "p95_latency_ms": p95,
                "input_tokens": int(input_tokens),
                "output_tokens": int(output_tokens),
            }
        )
    return totals


def _rank(pct: int, count: int) -> int:
    """Nearest-rank percentile: the 1-based position of the value in ascending order."""
    return max(1, math.ceil(pct / 100 * count))
