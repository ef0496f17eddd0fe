"""complete()'s failure paths per provider and what each one leaves in `llm_calls`: malformed
HTTP bodies, refused requests, missing keys, unexpected errors, and the recorded latency."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from database import session_scope
from shared.llm import LLMRequestError, LLMUnavailableError, client, complete, config_store
from shared.llm.providers import registry
from shared.models.entities import LLMCall, LLMConfig
from tests.fakes.llm_server import Fail, RawBody, Reply

TARGETS = [
    pytest.param("openai", "gpt-5.2", id="openai-responses"),
    pytest.param("openai", "gpt-4o-mini", id="openai-chat"),
    pytest.param("anthropic", "claude-haiku-4-5", id="anthropic"),
    pytest.param("google", "gemini-2.5-flash", id="google"),
]
HI = [{"role": "user", "content": "hi"}]


def _use(provider: str, model: str) -> None:
    with session_scope() as session:
        row = session.get(LLMConfig, "tutor")
        row.provider, row.model_id = provider, model
    config_store.invalidate()


def _calls() -> list[tuple]:
    with session_scope() as session:
        rows = session.scalars(select(LLMCall).order_by(LLMCall.started_at))
        return [(c.provider, c.model, c.outcome, c.attempts, c.error_message) for c in rows]


@pytest.mark.parametrize(("provider", "model"), TARGETS)
def test_malformed_json_body_is_retried_then_succeeds(db, fake_llm, provider, model):
    _use(provider, model)
    fake_llm.push(RawBody("{not json"), Reply("recovered", input_tokens=5, output_tokens=3))

    assert complete(component="tutor", messages=HI) == "recovered"

    assert len(fake_llm.requests) == 2
    assert _calls() == [(provider, model, "retried", 2, None)]


@pytest.mark.parametrize(("provider", "model"), TARGETS)
def test_malformed_json_body_every_time_is_unavailable(db, fake_llm, provider, model):
    _use(provider, model)
    fake_llm.push(RawBody(), RawBody("<html>gateway</html>"), RawBody(""))

    with pytest.raises(LLMUnavailableError, match="unreadable response body, 3 attempts"):
        complete(component="tutor", messages=HI)

    [(_, _, outcome, attempts, message)] = _calls()
    assert (outcome, attempts) == ("unavailable", 3)
    assert "is not answering (unreadable response body, 3 attempts)" in message


@pytest.mark.parametrize(("provider", "model"), TARGETS)
def test_refused_request_is_not_retried_and_keeps_provider_text_out_of_the_answer(
    db, fake_llm, provider, model
):
    _use(provider, model)
    # Providers quote masked keys in 401s; that text is for admins, not for students.
    fake_llm.push(Fail(401, message="Incorrect API key provided: sk-te****enai"), Reply("never"))

    with pytest.raises(LLMRequestError) as raised:
        complete(component="tutor", messages=HI)

    assert raised.value.status_code == 503
    assert raised.value.message == (
        f"The {provider} model '{model}' refused the request for 'tutor': HTTP 401. "
        "An admin can check the key and model at /admin/llm-config."
    )
    assert len(fake_llm.requests) == 1
    assert _calls() == [
        (provider, model, "error", 1, "HTTP 401: Incorrect API key provided: sk-te****enai")
    ]


def test_missing_api_key_is_recorded_as_an_error(db, fake_llm, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    from config import reset_settings

    reset_settings()
    registry.reset_providers()
    _use("anthropic", "claude-haiku-4-5")

    with pytest.raises(LLMRequestError, match="No API key for provider 'anthropic'"):
        complete(component="tutor", messages=HI)

    assert fake_llm.requests == []
    [(_, _, outcome, attempts, message)] = _calls()
    assert (outcome, attempts) == ("error", 0)
    assert message.startswith("No API key for provider 'anthropic'")


def test_unexpected_exception_is_recorded_as_an_error(db, fake_llm, monkeypatch):
    _use("openai", "gpt-4o-mini")

    class Broken:
        name = "openai"

        def complete(self, request):
            raise KeyError("choices")

    monkeypatch.setattr(client, "get_provider", lambda name: Broken())

    with pytest.raises(KeyError):
        complete(component="tutor", messages=HI)

    assert _calls() == [("openai", "gpt-4o-mini", "error", 1, "unexpected KeyError")]


def test_latency_is_recorded_from_the_clock(db, fake_llm, monkeypatch):
    _use("openai", "gpt-5.2")
    ticks = itertools.chain([1000.0, 1000.25, 2000.0, 2001.5], itertools.repeat(9999.0))
    monkeypatch.setattr(client, "_clock", lambda: next(ticks))
    fake_llm.push(Reply("fast"), Fail(500), Fail(500), Fail(500))

    complete(component="tutor", messages=HI)
    with pytest.raises(LLMUnavailableError):
        complete(component="tutor", messages=HI)

    with session_scope() as session:
        rows = session.scalars(select(LLMCall).order_by(LLMCall.started_at)).all()
        assert [(c.outcome, c.attempts, c.latency_ms) for c in rows] == [
            ("ok", 1, 250),
            ("unavailable", 3, 1500),
        ]
