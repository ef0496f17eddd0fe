"""What a provider is asked and what it answers, independent of any SDK."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]
Reasoning = Literal["none", "low", "medium", "high"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class ImageInput:
    data: bytes
    media_type: str = "image/png"

    @property
    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    @property
    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{self.base64}"


@dataclass(frozen=True)
class ProviderRequest:
    model: str
    messages: list[Message]
    images: list[ImageInput] = field(default_factory=list)
    # JSON schema of the required output and its name, or None for free text.
    schema: dict[str, Any] | None = None
    schema_name: str = "output"
    temperature: float | None = None
    reasoning: Reasoning | None = None
    timeout: float = 60.0
    max_output_tokens: int = 4096

    @property
    def system_text(self) -> str:
        return "\n\n".join(m.content for m in self.messages if m.role == "system")

    @property
    def conversation(self) -> list[Message]:
        return [m for m in self.messages if m.role != "system"]


@dataclass(frozen=True)
class ProviderResponse:
    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None


def is_retryable_status(status_code: int) -> bool:
    """Rate limits, timeouts, conflicts and server errors (incl. Anthropic's 529 overloaded)."""
    return status_code in (408, 409, 429) or status_code >= 500


class TransientProviderError(Exception):
    """Worth retrying: rate limit, server error, timeout, dropped connection."""

    def __init__(self, message: str, *, kind: str = "unavailable"):
        super().__init__(message)
        self.kind = kind  # "unavailable" or "timeout"


class PermanentProviderError(Exception):
    """Retrying cannot help: authentication, bad request, unknown model. The message is ours and
    safe to show; `detail` is the provider's own text, kept for logs and the admin call log."""

    def __init__(self, message: str, *, detail: str | None = None):
        super().__init__(message)
        self.detail = detail


@dataclass(frozen=True)
class AudioInput:
    """A recording to transcribe. Providers tell its format by the file name's extension."""

    data: bytes
    media_type: str
    filename: str


@dataclass(frozen=True)
class TranscriptionRequest:
    model: str
    audio: AudioInput
    timeout: float = 60.0


@dataclass(frozen=True)
class TranscriptionResponse:
    text: str
    # What the provider bills: seconds of audio (whisper-1) or tokens (gpt-4o-*-transcribe).
    audio_seconds: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True)
class SpeechRequest:
    model: str
    text: str
    voice: str
    instructions: str | None = None
    speed: float | None = None
    timeout: float = 60.0


@dataclass(frozen=True)
class SpeechResponse:
    audio: bytes  # MP3
