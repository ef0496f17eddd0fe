"""Writes one `llm_calls` row per complete() call; never lets bookkeeping break the call.

A caller that writes a transaction of its own after its model calls (a tutor turn) opens
`batched()` around them: the calls' records are then held, and the caller adds them to that
transaction (`CallBatch.take`, `add`) instead of each call committing one of its own. Every
record is still written: what the caller does not take, or takes and then fails to commit
(`save_all`), is saved when the batch ends, and a call that finishes after that (an abandoned
draft) saves its own as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from database import session_scope
from shared.models.entities import LLMCall
from shared.observability.logging import get_logger
from shared.sql import table_of


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


class CallBatch:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[CallRecord] = []
        self._open = True

    def offer(self, record: CallRecord) -> bool:
        """Holds the record; False once the batch has ended (the caller saves it itself)."""
        with self._lock:
            if self._open:
                self._records.append(record)
            return self._open

    def take(self) -> list[CallRecord]:
        """The records held so far, now the taker's to write (or to `save_all` on failure)."""
        with self._lock:
            taken, self._records = self._records, []
            return taken

    def close(self) -> list[CallRecord]:
        with self._lock:
            self._open = False
            left, self._records = self._records, []
            return left


# Copied into the threads a caller runs its calls in (contextvars.copy_context), so a turn's
# concurrent calls land in the turn's batch.
_batch: ContextVar[CallBatch | None] = ContextVar("llm_call_batch", default=None)


@contextmanager
def batched() -> Iterator[CallBatch]:
    batch = CallBatch()
    token = _batch.set(batch)
    try:
        yield batch
    finally:
        _batch.reset(token)
        save_all(batch.close())


def add(session: Session, records: list[CallRecord]) -> None:
    """The records as `llm_calls` rows in the caller's transaction: one Core INSERT, no ORM
    unit of work (nothing reads these rows back as objects)."""
    if records:
        session.execute(insert(table_of(LLMCall)), [vars(record) for record in records])


def save(record: CallRecord) -> None:
    batch = _batch.get()
    if batch is None or not batch.offer(record):
        save_all([record])


def save_all(records: list[CallRecord]) -> None:
    """The records in one transaction of their own."""
    if not records:
        return
    try:
        with session_scope() as session:
            add(session, records)
    except Exception as exc:  # the model's answer matters more than its bookkeeping
        get_logger().warning(
            "could not record llm call",
            extra={"components": [r.component for r in records], "error": type(exc).__name__},
        )
