"""Writes one `llm_calls` row per complete() call; never lets bookkeeping break the call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from database import session_scope
from shared.models.entities import LLMCall
from shared.observability.logging import get_logger


@dataclass
class CallRecord:
    component: str
    provider: str
    model: str
    started_at: datetime
    latency_ms: int = 0
    input_tokens: int | None = None
    output_tokens: int | None = None
    # Audio calls: seconds of audio transcribed (when the provider bills by duration) and
    # characters of text spoken.
    audio_seconds: float | None = None
    input_characters: int | None = None
    attempts: int = 0
    outcome: str = "ok"
    error_message: str | None = None
    session_id: str | None = None
    job_id: str | None = None

    def add_usage(self, input_tokens: int | None, output_tokens: int | None) -> None:
        if input_tokens is not None:
            self.input_tokens = (self.input_tokens or 0) + input_tokens
        if output_tokens is not None:
            self.output_tokens = (self.output_tokens or 0) + output_tokens


def save(record: CallRecord) -> None:
    try:
        with session_scope() as session:
            session.add(LLMCall(**record.__dict__))
    except Exception as exc:  # the model's answer matters more than its bookkeeping
        get_logger().warning(
            "could not record llm call",
            extra={"component": record.component, "error": type(exc).__name__},
        )
