"""The time budget the current unit of work (an API request, a job invocation) has for model
calls, and whether the caller still wants their answers, carried in contextvars so
`complete()` honours both without every caller passing them.

A budget is an instant on the monotonic clock. Nested budgets keep the earlier instant. Code
that fans work out to threads must run it in a copy of the caller's context
(`contextvars.copy_context().run`), or the threads run without a deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from config import get_settings

_deadline: ContextVar[float | None] = ContextVar("llm_deadline", default=None)
_abandoned: ContextVar[threading.Event | None] = ContextVar("llm_abandoned", default=None)
# A seam so tests can move time forward instead of waiting for it.
_clock = time.monotonic


def remaining() -> float | None:
    """Seconds until the current budget ends (negative once it has), or None without one."""
    end = _deadline.get()
    return None if end is None else end - _clock()


@contextmanager
def budget(seconds: float | None) -> Iterator[None]:
    """Model calls inside the block end within `seconds` (None: no new bound)."""
    if seconds is None:
        yield
        return
    end = _clock() + seconds
    outer = _deadline.get()
    token = _deadline.set(end if outer is None else min(outer, end))
    try:
        yield
    finally:
        _deadline.reset(token)


def lambda_remaining_seconds(context: Any) -> float | None:
    """The invocation's remaining time from a Lambda context object, None without one."""
    get = getattr(context, "get_remaining_time_in_millis", None)
    return get() / 1000 if callable(get) else None


def request_budget_seconds(lambda_context: Any = None) -> float:
    """An API request's budget: the Lambda invocation's remaining time, capped by the setting
    (API Gateway gives up at 29-30 s even when a function is allowed to run longer)."""
    cap = get_settings().api_request_budget_seconds
    left = lambda_remaining_seconds(lambda_context)
    return cap if left is None else min(cap, left)


@contextmanager
def abandonable(signal: threading.Event) -> Iterator[None]:
    """Model calls inside the block stop making attempts once `signal` is set: the caller went
    on without their answer. An attempt already in flight cannot be stopped; it ends within
    its timeout (bounded by the budget) and its call is recorded as `abandoned`."""
    token = _abandoned.set(signal)
    try:
        yield
    finally:
        _abandoned.reset(token)


def abandoned() -> bool:
    signal = _abandoned.get()
    return signal is not None and signal.is_set()
