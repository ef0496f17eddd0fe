"""The LLM layer: `complete()` resolves a component's model from `llm_config` and calls it;
`transcribe()` and `speak()` do the same for the audio components."""

from shared.llm.client import complete, speak, transcribe
from shared.llm.errors import (
    LLMConfigNotFoundError,
    LLMDeadlineError,
    LLMOutputError,
    LLMRequestError,
    LLMUnavailableError,
)
from shared.llm.types import AudioInput, ImageInput, Message

__all__ = [
    "AudioInput",
    "ImageInput",
    "LLMConfigNotFoundError",
    "LLMDeadlineError",
    "LLMOutputError",
    "LLMRequestError",
    "LLMUnavailableError",
    "Message",
    "complete",
    "speak",
    "transcribe",
]
