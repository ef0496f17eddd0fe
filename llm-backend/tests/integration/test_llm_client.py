"""complete() through each real provider SDK against the fake model server, with real PostgreSQL
for `llm_config` and `llm_calls`."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, Field
from sqlalchemy import select

from database import session_scope
from shared.llm import (
    ImageInput,
    LLMConfigNotFoundError,
    LLMOutputError,
    LLMUnavailableError,
    complete,
    config_store,
)
from shared.models.entities import LLMCall, LLMConfig
from tests.fakes.llm_server import Fail, RawBody, Reply

# provider, model, the endpoint the SDK must hit
TARGETS = [
    pytest.param("openai", "gpt-5.2", "/v1/responses", id="openai-responses"),
    pytest.param("openai", "gpt-4o-mini", "/v1/chat/completions", id="openai-chat"),
    pytest.param("anthropic", "claude-sonnet-4-6", "/v1/messages", id="anthropic"),
    pytest.param("google", "gemini-2.5-flash", "/v1beta/openai/chat/completions", id="google"),
]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


class Quiz(BaseModel):
    question: str = Field(min_length=3)
    difficulty: str
    points: int = Field(ge=1)
    hints: list[str]


def _use(provider: str, model: str, component: str = "tutor") -> None:
    with session_scope() as session:
        row = session.get(LLMConfig, component)
        row.provider, row.model_id = provider, model
    config_store.invalidate()


def _calls() -> list[LLMCall]:
    with session_scope() as session:
        return list(session.scalars(select(LLMCall).order_by(LLMCall.started_at)))


GOOD_QUIZ = {"question": "What is 1/2 + 1/4?", "difficulty": "easy", "points": 2, "hints": ["LCD"]}


@pytest.mark.parametrize(("provider", "model", "path"), TARGETS)
def test_plain_text(db, fake_llm, provider, model, path):
    _use(provider, model)
    fake_llm.push(Reply("Fractions are parts of a whole.", input_tokens=30, output_tokens=8))

    text = complete(
        component="tutor",
        messages=[
            {"role": "system", "content": "You are a patient tutor."},
            {"role": "user", "content": "What is a fraction?"},
        ],
        temperature=0.2,
        session_id="session-1",
    )

    assert text == "Fractions are parts of a whole."
    [request] = fake_llm.requests
    assert request.path == path
    assert request.body["model"] == model
    assert "You are a patient tutor." in json.dumps(request.body)
    [call] = _calls()
    assert (call.component, call.provider, call.model) == ("tutor", provider, model)
    assert (call.outcome, call.attempts, call.session_id) == ("ok", 1, "session-1")
    assert (call.input_tokens, call.output_tokens) == (30, 8)
    assert call.latency_ms >= 0


@pytest.mark.parametrize(("provider", "model", "path"), TARGETS)
def test_structured_output_is_validated(db, fake_llm, provider, model, path):
    _use(provider, model)
    fake_llm.push(Reply(GOOD_QUIZ))

    quiz = complete(
        component="tutor", messages=[{"role": "user", "content": "Quiz me"}], output=Quiz
    )

    assert quiz == Quiz(**GOOD_QUIZ)
    schema = fake_llm.requests[0].schema
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["question", "difficulty", "points", "hints"]


@pytest.mark.parametrize(("provider", "model", "path"), TARGETS)
def test_schema_driven_default_answer_validates(db, fake_llm, provider, model, path):
    _use(provider, model)
    quiz = complete(component="tutor", messages=[{"role": "user", "content": "Quiz"}], output=Quiz)
    assert quiz.points == 1 and quiz.hints == []


@pytest.mark.parametrize(("provider", "model", "path"), TARGETS)
def test_images_reach_the_provider(db, fake_llm, provider, model, path):
    _use(provider, model, component="book_ingestion")

    complete(
        component="book_ingestion",
        messages=[{"role": "user", "content": "Read this page"}],
        images=[ImageInput(PNG, "image/png")],
        job_id="job-7",
    )

    body = json.dumps(fake_llm.requests[0].body)
    encoded = ImageInput(PNG).base64
    assert encoded in body
    if provider == "anthropic":
        assert '"media_type": "image/png"' in body
    else:
        assert f"data:image/png;base64,{encoded}" in body
    assert _calls()[0].job_id == "job-7"


@pytest.mark.parametrize(("provider", "model", "path"), TARGETS)
def test_429_and_500_are_retried_then_succeed(db, fake_llm, provider, model, path):
    _use(provider, model)
    fake_llm.push(Fail(429), Fail(500), Reply("third time lucky"))

    assert complete(component="tutor", messages=[{"role": "user", "content": "hi"}]) == (
        "third time lucky"
    )

    assert len(fake_llm.requests) == 3
    [call] = _calls()
    assert (call.outcome, call.attempts) == ("retried", 3)


@pytest.mark.parametrize(("provider", "model", "path"), TARGETS)
def test_exhausted_retries_raise_unavailable(db, fake_llm, provider, model, path):
    _use(provider, model)
    fake_llm.push(Fail(503), Fail(500), Fail(429), Reply("too late"))

    with pytest.raises(LLMUnavailableError) as raised:
        complete(component="tutor", messages=[{"role": "user", "content": "hi"}])

    assert raised.value.status_code == 503
    assert "3 attempts" in raised.value.message
    assert "/admin/llm-config" in raised.value.message
    assert len(fake_llm.requests) == 3
    [call] = _calls()
    assert (call.outcome, call.attempts) == ("unavailable", 3)


@pytest.mark.parametrize(("provider", "model", "path"), TARGETS)
def test_timeout_is_honoured_and_retried(db, fake_llm, provider, model, path, monkeypatch):
    monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "0.3")
    monkeypatch.setenv("LLM_MAX_ATTEMPTS", "2")
    from config import reset_settings

    reset_settings()
    _use(provider, model)
    fake_llm.push(Reply("slow", delay=1.5), Reply("slow again", delay=1.5))

    with pytest.raises(LLMUnavailableError, match=r"timed out after 0\.3s"):
        complete(component="tutor", messages=[{"role": "user", "content": "hi"}])

    [call] = _calls()
    assert (call.outcome, call.attempts) == ("timeout", 2)
    assert len(fake_llm.requests) == 2


@pytest.mark.parametrize(("provider", "model", "path"), TARGETS)
def test_malformed_output_is_retried_once_then_raised(db, fake_llm, provider, model, path):
    _use(provider, model)
    fake_llm.push(Reply("not json at all"), Reply({"question": "?"}), Reply(GOOD_QUIZ))

    with pytest.raises(LLMOutputError, match="does not match Quiz"):
        complete(component="tutor", messages=[{"role": "user", "content": "q"}], output=Quiz)

    assert len(fake_llm.requests) == 2  # one retry, the third reply is never asked for
    [call] = _calls()
    assert (call.outcome, call.attempts) == ("output_error", 2)


def test_malformed_then_valid_output_succeeds(db, fake_llm):
    _use("openai", "gpt-5.2")
    fake_llm.push(Reply("{broken"), Reply(GOOD_QUIZ))

    quiz = complete(component="tutor", messages=[{"role": "user", "content": "q"}], output=Quiz)

    assert quiz.question == GOOD_QUIZ["question"]
    assert [(c.outcome, c.attempts) for c in _calls()] == [("retried", 2)]


def test_unparseable_http_body_counts_as_a_transient_failure(db, fake_llm):
    _use("openai", "gpt-4o-mini")
    fake_llm.push(RawBody(), Reply("fine"))
    assert complete(component="tutor", messages=[{"role": "user", "content": "x"}]) == "fine"


def test_missing_config_row_is_a_clear_error(db, fake_llm):
    with pytest.raises(LLMConfigNotFoundError) as raised:
        complete(component="no_such_component", messages=[{"role": "user", "content": "x"}])
    assert "no_such_component" in raised.value.message
    assert raised.value.status_code == 503
    assert fake_llm.requests == []


def test_reasoning_levels_map_to_provider_settings(db, fake_llm):
    _use("anthropic", "claude-haiku-4-5")
    complete(component="tutor", messages=[{"role": "user", "content": "x"}], reasoning="medium")
    _use("anthropic", "claude-opus-4-6")
    complete(component="tutor", messages=[{"role": "user", "content": "x"}], reasoning="medium")
    _use("openai", "gpt-5.2")
    complete(component="tutor", messages=[{"role": "user", "content": "x"}], reasoning="high")

    budget_body, adaptive_body, openai_body = (r.body for r in fake_llm.requests)
    assert budget_body["thinking"] == {"type": "enabled", "budget_tokens": 8192}
    assert budget_body["max_tokens"] == 4096 + 8192
    # The SDK deprecates budgets on Opus 4.6: it thinks adaptively, at the level's effort.
    assert adaptive_body["thinking"] == {"type": "adaptive"}
    assert adaptive_body["output_config"] == {"effort": "medium"}
    assert adaptive_body["max_tokens"] == 4096 + 8192
    assert openai_body["reasoning"] == {"effort": "high"}


def test_config_cache_avoids_a_query_per_call_and_invalidate_refreshes(db, fake_llm):
    _use("openai", "gpt-5.2")
    complete(component="tutor", messages=[{"role": "user", "content": "x"}])
    with session_scope() as session:  # changed behind the cache's back
        session.get(LLMConfig, "tutor").model_id = "gpt-4o"
    complete(component="tutor", messages=[{"role": "user", "content": "x"}])
    config_store.invalidate("tutor")
    complete(component="tutor", messages=[{"role": "user", "content": "x"}])

    assert [r.body["model"] for r in fake_llm.requests] == ["gpt-5.2", "gpt-5.2", "gpt-4o"]


@pytest.mark.parametrize(("provider", "model", "path"), TARGETS)
def test_calls_reuse_one_kept_alive_connection(db, fake_llm, provider, model, path):
    """The provider's client is built once per process and its connection pool keeps the
    connection: a call after the first opens no new one, even after a failed attempt."""
    _use(provider, model)
    fake_llm.push(Reply("one"), Fail(503), Reply("two"), Reply("three"))

    hi = [{"role": "user", "content": "hi"}]

    answers = [complete(component="tutor", messages=hi) for _ in range(3)]

    assert answers == ["one", "two", "three"]
    assert [r.path for r in fake_llm.requests] == [path] * 4
    assert len({r.client_port for r in fake_llm.requests}) == 1
