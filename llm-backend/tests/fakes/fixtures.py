"""Pytest fixtures that point the real provider SDKs at the fake model server."""

from __future__ import annotations

import pytest

from config import reset_settings
from shared.llm import config_store
from shared.llm.providers.registry import reset_providers
from tests.fakes.llm_server import FakeLLMServer


@pytest.fixture(scope="session")
def fake_llm_server():
    server = FakeLLMServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake_llm(fake_llm_server, monkeypatch):
    """The fake server, emptied, with every provider's base URL and key pointing at it and
    fast retries (tests never wait out real backoff)."""
    fake_llm_server.reset()
    for key, value in fake_llm_env(fake_llm_server.url).items():
        monkeypatch.setenv(key, value)
    _reset()
    yield fake_llm_server
    fake_llm_server.reset()
    monkeypatch.undo()
    _reset()


def fake_llm_env(url: str) -> dict[str, str]:
    """Settings that send every provider's SDK to the fake server at `url`."""
    return {
        "OPENAI_BASE_URL": f"{url}/v1",
        "ANTHROPIC_BASE_URL": url,
        "GOOGLE_BASE_URL": f"{url}/v1beta/openai/",
        "OPENAI_API_KEY": "sk-test-openai",
        "ANTHROPIC_API_KEY": "sk-test-anthropic",
        "GOOGLE_API_KEY": "test-google",
        "LLM_RETRY_BASE_DELAY": "0.01",
        "LLM_RETRY_MAX_DELAY": "0.05",
        "LLM_TIMEOUT_SECONDS": "2",
    }


def _reset() -> None:
    reset_settings()
    reset_providers()
    config_store.invalidate()
