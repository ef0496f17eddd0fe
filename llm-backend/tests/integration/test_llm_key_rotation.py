"""A rotated LLM key reaches the provider without a restart: the client is rebuilt when the
keys secret's value changes and reused while it does not (moto Secrets Manager, the real SDKs
against the fake model server)."""

from __future__ import annotations

import json

import boto3
import pytest

from config import get_settings, reset_settings
from database import session_scope
from shared.llm import LLMRequestError, complete, config_store
from shared.llm.providers import registry
from shared.models.entities import LLMConfig
from tests.fakes.llm_server import Reply
from tests.support.aws import REGION, mocked_aws

HI = [{"role": "user", "content": "hi"}]
TARGETS = [
    pytest.param("openai", "gpt-4o-mini", id="openai"),
    pytest.param("google", "gemini-2.5-flash", id="google"),
    pytest.param("anthropic", "claude-haiku-4-5", id="anthropic"),
]


@pytest.fixture
def keys_secret(fake_llm, monkeypatch):
    """The providers' keys only in the LLM keys secret, read afresh on every lookup (a cache
        time of 0 stands for "after SECRETS_CACHE_SECONDS"). Yields a function that puts a new
    value in the secret, as a rotation does."""
    with mocked_aws(monkeypatch):
        client = boto3.client("secretsmanager", region_name=REGION)
        arn = client.create_secret(Name="tutor/llm", SecretString=json.dumps(_keys("old")))["ARN"]
        for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_API_KEY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("LLM_API_KEYS_SECRET_ARN", arn)
        monkeypatch.setenv("SECRETS_CACHE_SECONDS", "0")
        reset_settings()
        registry.reset_providers()
        yield lambda keys: client.put_secret_value(SecretId=arn, SecretString=json.dumps(keys))
    registry.reset_providers()


def _keys(version: str) -> dict[str, str]:
    return {name: f"{name}-key-{version}" for name in ("openai", "anthropic", "google")}


def _use(provider: str, model: str) -> None:
    with session_scope() as session:
        row = session.get(LLMConfig, "tutor")
        row.provider, row.model_id = provider, model
    config_store.invalidate()


def _authorizations(fake_llm) -> list[str | None]:
    """The Authorization header of each request the fake server received (every SDK here
    sends its key as a bearer token)."""
    return [
        next((v for k, v in request.headers.items() if k.lower() == "authorization"), None)
        for request in fake_llm.requests
    ]


@pytest.mark.parametrize(("provider", "model"), TARGETS)
def test_rotated_key_is_sent_on_the_next_call_without_a_restart(
    db, fake_llm, keys_secret, provider, model
):
    _use(provider, model)
    fake_llm.push(Reply("one"), Reply("two"), Reply("three"))

    assert complete(component="tutor", messages=HI) == "one"
    before = registry.get_provider(provider)
    assert complete(component="tutor", messages=HI) == "two"
    assert registry.get_provider(provider) is before  # same key: the client is reused

    keys_secret(_keys("new"))

    assert complete(component="tutor", messages=HI) == "three"
    assert registry.get_provider(provider) is not before
    old, new = f"Bearer {provider}-key-old", f"Bearer {provider}-key-new"
    assert _authorizations(fake_llm) == [old, old, new]


def test_a_key_removed_from_the_secret_is_no_longer_used(db, fake_llm, keys_secret):
    _use("openai", "gpt-4o-mini")
    fake_llm.push(Reply("one"), Reply("never"))
    assert complete(component="tutor", messages=HI) == "one"

    keys_secret({k: v for k, v in _keys("new").items() if k != "openai"})

    with pytest.raises(LLMRequestError, match="No API key for provider 'openai'"):
        complete(component="tutor", messages=HI)
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize(("provider", "model"), TARGETS)
def test_a_replaced_client_is_closed_once_no_call_can_use_it(
    db, fake_llm, keys_secret, provider, model
):
    """Not left to the garbage collector with its kept-alive connection open: closed once the
    longest call that could have started on it is over, and at once by reset_providers."""
    _use(provider, model)
    fake_llm.push(Reply("one"), Reply("two"))
    assert complete(component="tutor", messages=HI) == "one"
    before = registry.get_provider(provider)
    keys_secret(_keys("new"))
    assert complete(component="tutor", messages=HI) == "two"

    retired, timer = registry._retired[id(before)]
    assert retired is before and timer.interval == registry.longest_call_seconds(get_settings())
    assert not before._client.is_closed()  # a call that started on it may still be running
    timer.cancel()
    timer.function()  # what the timer does when that time is up
    assert before._client.is_closed() and id(before) not in registry._retired

    current = registry.get_provider(provider)
    registry.reset_providers()
    assert current._client.is_closed()
