"""Each provider's SDK client, built on first use and kept while its API key stays the same.

The key is looked up on every call (the `*_API_KEY` setting, else the LLM keys secret, which
shared/secrets.py caches for SECRETS_CACHE_SECONDS), and a client is reused only while the key
it was built with is still the current one. So a warm container picks up a rotated key within
the secrets cache time, without a restart, as database connections pick up a rotated password.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Protocol, runtime_checkable

from config import Settings, get_settings
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

    def close(self) -> None:
        """Releases the client's connections (it is not used afterwards)."""


@runtime_checkable
class AudioProvider(Provider, Protocol):
    """What the providers in AUDIO_PROVIDERS also do."""

    def transcribe(self, request: TranscriptionRequest) -> TranscriptionResponse: ...

    def speak(self, request: SpeechRequest) -> SpeechResponse: ...


# name -> (fingerprint of the key the client was built with, the client). A fingerprint, so
# the cache does not hold another copy of the key itself.
_providers: dict[str, tuple[str | None, Provider]] = {}
# Replaced clients not yet closed, each with the timer that closes it.
_retired: dict[int, tuple[Provider, threading.Timer]] = {}
_lock = threading.Lock()


def _api_key(provider: str) -> str:
    key = provider_api_key(provider, settings=get_settings())
    if not key:
        raise LLMRequestError(
            f"No API key for provider '{provider}': set {provider.upper()}_API_KEY (or the "
            "LLM keys secret), or switch the component to another provider."
        )
    return key


def _fingerprint(key: str | None) -> str | None:
    return None if key is None else hashlib.sha256(key.encode()).hexdigest()


def _build(name: str, api_key: str | None) -> Provider:
    """The client for `name`; `api_key` is None for the local provider only (every other one
    has a key, or `_api_key` refused)."""
    settings = get_settings()
    if name == "local" or api_key is None:
        from shared.llm.providers.local_provider import LocalProvider

        return LocalProvider(model_path=settings.local_model_path)
    if name == "openai":
        from shared.llm.providers.openai_compatible import OpenAICompatibleProvider

        return OpenAICompatibleProvider(
            name="openai",
            api_key=api_key,
            base_url=settings.openai_base_url,
            responses_api=True,
        )
    if name == "google":
        from shared.llm.providers.openai_compatible import OpenAICompatibleProvider

        return OpenAICompatibleProvider(
            name="google",
            api_key=api_key,
            base_url=settings.google_base_url,
            responses_api=False,
        )
    from shared.llm.providers.anthropic_provider import AnthropicProvider

    return AnthropicProvider(api_key=api_key, base_url=settings.anthropic_base_url)


def get_provider(name: str) -> Provider:
    """The client for `name`, rebuilt when the provider's key is no longer the one the cached
    client was built with (the key was rotated); the `local` provider has no key."""
    if name not in PROVIDERS:
        raise LLMRequestError(f"Unknown LLM provider '{name}'; known: {', '.join(PROVIDERS)}.")
    api_key = None if name == "local" else _api_key(name)
    fingerprint = _fingerprint(api_key)
    cached = _providers.get(name)
    if cached is None or cached[0] != fingerprint:
        with _lock:
            cached = _providers.get(name)
            if cached is None or cached[0] != fingerprint:
                if cached is not None:
                    _retire(cached[1], get_settings())
                cached = (fingerprint, _build(name, api_key))
                _providers[name] = cached
    return cached[1]


def longest_call_seconds(settings: Settings) -> float:
    """The longest a complete() call can hold the client it started with: every attempt at
    its full timeout, with the longest wait between attempts."""
    return settings.llm_max_attempts * (settings.llm_timeout_seconds + settings.llm_retry_max_delay)


def _retire(provider: Provider, settings: Settings) -> None:
    """A replaced client is closed once no call can still be using it (a call on another
    thread may be in the middle of an attempt), rather than left to the garbage collector with
    its kept-alive connections open. Called under _lock."""

    def close() -> None:
        with _lock:
            _retired.pop(id(provider), None)
        provider.close()

    timer = threading.Timer(longest_call_seconds(settings), close)
    timer.daemon = True
    _retired[id(provider)] = (provider, timer)
    timer.start()


def reset_providers() -> None:
    """Forget built clients and close them, replaced ones included (tests; changed base URLs:
    no call is in flight)."""
    with _lock:
        clients = [provider for _, provider in _providers.values()]
        for provider, timer in _retired.values():
            timer.cancel()
            clients.append(provider)
        _providers.clear()
        _retired.clear()
    for provider in clients:
        provider.close()
