"""Which provider and model serve a component, from `llm_config`, cached briefly per process."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from config import get_settings
from database import session_scope
from shared.llm.errors import LLMConfigNotFoundError
from shared.models.entities import LLMConfig


@dataclass(frozen=True)
class ResolvedModel:
    component: str
    provider: str
    model_id: str


_cache: dict[str, tuple[float, ResolvedModel]] = {}
_lock = threading.Lock()


def resolve(component: str) -> ResolvedModel:
    """The component's model; a missing row is an error, never a silent default."""
    ttl = get_settings().llm_config_cache_seconds
    now = time.monotonic()
    cached = _cache.get(component)
    if cached is not None and now - cached[0] < ttl:
        return cached[1]
    with session_scope() as session:
        row = session.get(LLMConfig, component)
        if row is None:
            raise LLMConfigNotFoundError(component)
        resolved = ResolvedModel(component, row.provider, row.model_id)
    with _lock:
        _cache[component] = (now, resolved)
    return resolved


def invalidate(component: str | None = None) -> None:
    """Drop cached rows (all, or one component) so the next call reads the table."""
    with _lock:
        if component is None:
            _cache.clear()
        else:
            _cache.pop(component, None)
