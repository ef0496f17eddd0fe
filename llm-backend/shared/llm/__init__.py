"""The LLM layer: `complete()` resolves a component's model from `llm_config` and calls it."""

from shared.llm.client import complete
from shared.llm.errors import (
    LLMConfigNotFoundError,
    LLMDeadlineError,
    LLMOutputError,
    LLMRequestError,
    LLMUnavailableError,
)
from shared.llm.types import ImageInput, Message

__all__ = [
    "ImageInput",
    "LLMConfigNotFoundError",
    "LLMDeadlineError",
    "LLMOutputError",
    "LLMRequestError",
    "LLMUnavailableError",
    "Message",
    "complete",
]
