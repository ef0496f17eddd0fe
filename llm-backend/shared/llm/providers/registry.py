"""Builds each provider's client once per process, on first use."""

from __future__ import annotations

import threading
from typing import Protocol

from config import get_settings
from shared.llm.errors import LLMRequestError
from shared.llm.types import (
    ProviderRequest,
    ProviderResponse,
    SpeechRequest,
    SpeechResponse,
    TranscriptionRequest,
    TranscriptionResponse,
)
from shared.secrets import provider_api_key

PROVIDERS = ("openai", "anthropic", "google", "local")
# Providers with speech-to-text and text-to-speech endpoints. Anthropic has none; Gemini's
# OpenAI-compatible endpoint serves no /audio routes; the local model has no audio.
AUDIO_PROVIDERS = ("openai",)


class Provider(Protocol):
    name: str

    def complete(self, request: ProviderRequest) -> ProviderResponse: ...


class AudioProvider(Provider, Protocol):
    """What the providers in AUDIO_PROVIDERS also do."""

    def transcribe(self, request: TranscriptionRequest) -> TranscriptionResponse: ...

    def speak(self, request: SpeechRequest) -> SpeechResponse: ...


_providers: dict[str, Provider] = {}
_lock = threading.Lock()


def _api_key(provider: str) -> str:
    key = provider_api_key(provider, settings=get_settings())
    if not key:
        raise LLMRequestError(
            f"No API key for provider '{provider}': set {provider.upper()}_API_KEY (or the "
            "LLM keys secret), or switch the component to another provider."
        )
    return key


def _build(name: str) -> Provider:
    settings = get_settings()
    if name == "openai":
        from shared.llm.providers.openai_compatible import OpenAICompatibleProvider

        return OpenAICompatibleProvider(
            name="openai",
            api_key=_api_key("openai"),
            base_url=settings.openai_base_url,
            responses_api=True,
        )
    if name == "google":
        from shared.llm.providers.openai_compatible import OpenAICompatibleProvider

        return OpenAICompatibleProvider(
            name="google",
            api_key=_api_key("google"),
            base_url=settings.google_base_url,
            responses_api=False,
        )
    if name == "anthropic":
        from shared.llm.providers.anthropic_provider import AnthropicProvider

        return AnthropicProvider(
            api_key=_api_key("anthropic"), base_url=settings.anthropic_base_url
        )
    if name == "local":
        from shared.llm.providers.local_provider import LocalProvider

        return LocalProvider(model_path=settings.local_model_path)
    raise LLMRequestError(f"Unknown LLM provider '{name}'; known: {', '.join(PROVIDERS)}.")


def get_provider(name: str) -> Provider:
    provider = _providers.get(name)
    if provider is None:
        with _lock:
            provider = _providers.get(name) or _build(name)
            _providers[name] = provider
    return provider


def reset_providers() -> None:
    """Forget built clients (tests; changed keys or base URLs)."""
    with _lock:
        _providers.clear()
