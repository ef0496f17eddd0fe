"""job_type -> handler. A handler is `(job_id: str, context) -> None`, where `context` is the
Lambda context (for `get_remaining_time_in_millis()`) or None outside Lambda; raising fails
the message, which SQS then redelivers (and after 3 receives moves to the dead-letter queue).

Domains register their handlers with `@register("book_ingestion")` or
`register("book_ingestion", fn)` in a module listed in `JOB_HANDLER_MODULES`; the worker
imports those modules once, on its first message.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any, overload

JobHandler = Callable[[str, Any], None]

# Modules whose import registers job handlers (names only: shared imports no domain).
JOB_HANDLER_MODULES: tuple[str, ...] = (
    "book_ingestion.services.ocr_job",
    "book_ingestion.services.extraction_service",
    "book_ingestion.services.finalization_service",
    "book_ingestion.services.sync_service",
    "study_plans.services.plan_jobs",
    "evaluation.services.run_job",
)

_handlers: dict[str, JobHandler] = {}
_loaded = False
_load_lock = threading.Lock()


class UnknownJobTypeError(LookupError):
    """No handler is registered for the message's job type."""


@overload
def register(job_type: str, handler: JobHandler) -> JobHandler: ...


@overload
def register(job_type: str, handler: None = None) -> Callable[[JobHandler], JobHandler]: ...


def register(
    job_type: str, handler: JobHandler | None = None
) -> JobHandler | Callable[[JobHandler], JobHandler]:
    """`register("x", fn)` or, as a decorator, `@register("x")`. Registering a different
    handler for a type that already has one is a mistake and raises."""

    def add(fn: JobHandler) -> JobHandler:
        existing = _handlers.get(job_type)
        if existing is not None and existing is not fn:
            raise ValueError(f"job type {job_type!r} already has a handler")
        _handlers[job_type] = fn
        return fn

    return add(handler) if handler is not None else add


def unregister(job_type: str) -> None:
    _handlers.pop(job_type, None)


def registered_job_types() -> list[str]:
    return sorted(_handlers)


def load_job_handlers() -> None:
    """Import the modules that register handlers (once per process)."""
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if not _loaded:
            for module in JOB_HANDLER_MODULES:
                importlib.import_module(module)
            _loaded = True


def get_handler(job_type: str) -> JobHandler:
    load_job_handlers()
    try:
        return _handlers[job_type]
    except KeyError:
        known = ", ".join(registered_job_types()) or "none"
        raise UnknownJobTypeError(
            f"no handler for job type {job_type!r} (registered: {known})"
        ) from None
