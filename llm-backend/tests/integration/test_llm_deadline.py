"""complete() under a request's time budget (shared.llm.deadline): a slow provider answers 503
`llm_deadline` before the platform would kill the invocation, the `llm_calls` row says so, and
no attempt or backoff starts that cannot end in time. Real PostgreSQL, the fake model server
(held with events, never slept on), a fake clock where the test needs time to pass."""

from __future__ import annotations

import json
import threading

import pytest
from fastapi.testclient import TestClient
from mangum import Mangum
from sqlalchemy import select

from config import reset_settings
from database import session_scope
from shared.llm import LLMDeadlineError, complete, config_store, deadline
from shared.models.entities import LLMCall, LLMConfig
from tests.fakes.llm_server import Fail, Reply
from tests.support.lambda_context import FakeLambdaContext, load_event

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
def tight(db, fake_llm, monkeypatch):
    """The tutor on the fake server; a per-attempt limit far above any budget used here, so
    only the budget can end an attempt early."""
    with session_scope() as session:
        row = session.get(LLMConfig, "tutor")
        row.provider, row.model_id = "openai", "gpt-4o-mini"
    config_store.invalidate()
    monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "30")
    monkeypatch.setenv("LLM_DEADLINE_MARGIN_SECONDS", "0.5")
    monkeypatch.setenv("LLM_MIN_ATTEMPT_SECONDS", "0.2")
    reset_settings()
    # The budget's clock stands still unless a test moves it, so a loaded machine cannot spend
    # the budget before the call: only the held provider ends it, at the capped timeout.
    monkeypatch.setattr(deadline, "_clock", lambda: 1000.0)
    return fake_llm


def _calls() -> list[tuple]:
    with session_scope() as session:
        rows = session.scalars(select(LLMCall).order_by(LLMCall.started_at))
        return [(c.component, c.outcome, c.attempts, c.error_message) for c in rows]


def _held(fake) -> threading.Event:
    """The next request waits until the returned event is set."""
    gate = threading.Event()
    fake.push(Reply("too late", gate=gate))
    return gate


def test_a_slow_provider_is_cut_off_at_the_budget(tight):
    gate = _held(tight)
    try:
        with deadline.budget(1.5), pytest.raises(LLMDeadlineError) as raised:
            complete(component="tutor", messages=HI)
    finally:
        gate.set()

    assert (raised.value.status_code, raised.value.code) == (503, "llm_deadline")
    assert len(tight.requests) == 1  # no second attempt after the budget
    [(component, outcome, attempts, message)] = _calls()
    assert (component, outcome, attempts) == ("tutor", "deadline", 1)
    assert message == raised.value.message
    assert "could not answer within the time this request has (1 attempts)" in message


def test_no_retry_or_backoff_that_cannot_end_in_time(tight, monkeypatch):
    monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("LLM_DEADLINE_MARGIN_SECONDS", "1")
    monkeypatch.setenv("LLM_MIN_ATTEMPT_SECONDS", "2")
    reset_settings()
    now = [1000.0]
    monkeypatch.setattr(deadline, "_clock", lambda: now[0])

    def fails_after_eight_seconds(path, body):
        now[0] += 8
        return Fail(503)

    tight.responder = fails_after_eight_seconds
    # 10 s budget: the first attempt fits; after it 2 s remain, 1 s of them the margin.
    with deadline.budget(10), pytest.raises(LLMDeadlineError):
        complete(component="tutor", messages=HI)

    assert len(tight.requests) == 1
    assert [c[1:3] for c in _calls()] == [("deadline", 1)]


def test_a_spent_budget_calls_no_provider_and_still_records_the_call(tight):
    with deadline.budget(0.3), pytest.raises(LLMDeadlineError):  # less than the 0.5 s margin
        complete(component="tutor", messages=HI)

    assert tight.requests == []
    assert [c[1:3] for c in _calls()] == [("deadline", 0)]


def test_without_a_budget_the_settings_alone_apply(tight):
    assert deadline.remaining() is None
    assert complete(component="tutor", messages=HI) == "This is a reply from the fake model."
    assert [c[1:3] for c in _calls()] == [("ok", 1)]


def _ask_app():
    from main import create_app

    app = create_app()

    @app.post("/test/ask")
    def ask() -> dict:  # a sync route, run in a worker thread like the real ones
        return {"text": complete(component="tutor", messages=HI)}

    return app


def test_the_budget_comes_from_the_lambda_context(tight):
    event = load_event("http_api_get_health.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/test/ask"
    event["requestContext"]["http"]["method"] = "POST"
    handler = Mangum(_ask_app(), lifespan="off")
    gate = _held(tight)
    try:
        # API_REQUEST_BUDGET_SECONDS is 26 s: only the invocation's 1.5 s can end this call.
        response = handler(event, FakeLambdaContext(remaining_ms=1500))
    finally:
        gate.set()

    assert response["statusCode"] == 503
    assert json.loads(response["body"])["error"]["code"] == "llm_deadline"
    assert len(tight.requests) == 1
    assert [c[1:3] for c in _calls()] == [("deadline", 1)]

    ok = handler(event, FakeLambdaContext(remaining_ms=900_000))
    assert (ok["statusCode"], json.loads(ok["body"])) == (
        200, {"text": "This is a reply from the fake model."},
    )  # fmt: skip


def test_off_lambda_the_budget_is_the_setting(tight, monkeypatch):
    monkeypatch.setenv("API_REQUEST_BUDGET_SECONDS", "1.5")
    reset_settings()
    gate = _held(tight)
    try:
        with TestClient(_ask_app()) as client:
            response = client.post("/test/ask")
    finally:
        gate.set()

    assert (response.status_code, response.json()["error"]["code"]) == (503, "llm_deadline")
    assert [c[1:3] for c in _calls()] == [("deadline", 1)]
