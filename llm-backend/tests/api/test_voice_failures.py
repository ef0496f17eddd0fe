"""Voice when the model or the caller is the problem: provider failures and refusals (503 with
the `llm_calls` row), the request's deadline (503 `llm_deadline`), a component configured with
a provider that has no audio API, and who may call (a bad token is always a 401)."""

from __future__ import annotations

import threading

import pytest

from config import reset_settings
from tests.fakes.llm_server import Fail, RawBody, Reply
from tests.support.auth import KEY, OTHER_KEY, bearer, claims, sign
from tests.support.tutor import STUDENT_A
from tests.support.voice import calls, choose, frame_header, recording


def _speak(client, headers=STUDENT_A):
    return client.post("/text-to-speech", json={"text": "Hello", "language": "en"}, headers=headers)


def _transcribe(client, headers=STUDENT_A):
    return client.post("/transcribe", files=recording(), headers=headers)


CALLS = {"speak": (_speak, "text_to_speech"), "transcribe": (_transcribe, "speech_to_text")}


@pytest.mark.parametrize("operation", CALLS)
def test_a_provider_that_keeps_failing_is_503_llm_unavailable(auth_client, fake_llm, operation):
    call, component = CALLS[operation]
    fake_llm.push(Fail(500), Fail(429), Fail(503))

    r = call(auth_client)

    assert (r.status_code, r.json()["error"]["code"]) == (503, "llm_unavailable")
    assert len(fake_llm.requests) == 3
    [row] = calls()
    assert (row.component, row.provider, row.outcome, row.attempts) == (
        component, "openai", "unavailable", 3,
    )  # fmt: skip


@pytest.mark.parametrize("operation", CALLS)
def test_a_transient_failure_is_retried_like_a_text_call(auth_client, fake_llm, operation):
    call, component = CALLS[operation]
    fake_llm.push(Fail(500))

    r = call(auth_client)

    assert r.status_code == 200, r.text
    [row] = calls()
    assert (row.component, row.outcome, row.attempts) == (component, "retried", 2)


@pytest.mark.parametrize("operation", CALLS)
def test_a_refused_request_is_503_llm_request_rejected_without_retries(
    auth_client, fake_llm, operation
):
    call, component = CALLS[operation]
    fake_llm.push(Fail(400, message="Audio file might be corrupted, sk-...key"))

    r = call(auth_client)

    assert (r.status_code, r.json()["error"]["code"]) == (503, "llm_request_rejected")
    assert "sk-" not in r.text  # the provider's words stay in the admin-only call log
    assert len(fake_llm.requests) == 1
    [row] = calls()
    assert (row.component, row.outcome, row.attempts) == (component, "error", 1)
    assert "Audio file might be corrupted" in row.error_message


def test_speech_that_is_not_mp3_is_asked_for_again(auth_client, fake_llm):
    fake_llm.push(RawBody('{"error": "truncated"}'))

    r = _speak(auth_client)

    assert r.status_code == 200
    assert frame_header(r.content)["sync"]
    [row] = calls()
    assert (row.outcome, row.attempts) == ("retried", 2)


@pytest.mark.parametrize("provider", ["anthropic", "google", "local"])
@pytest.mark.parametrize("operation", CALLS)
def test_a_provider_without_audio_is_a_clear_503_naming_what_to_configure(
    auth_client, fake_llm, operation, provider
):
    call, component = CALLS[operation]
    choose(component, provider, "some-model")

    r = call(auth_client)

    assert (r.status_code, r.json()["error"]["code"]) == (503, "llm_request_rejected")
    message = r.json()["error"]["message"]
    assert message.startswith(
        f"The component '{component}' is configured with provider '{provider}', which has no "
    )
    assert "set it to provider 'openai'" in message and "/admin/llm-config" in message
    assert fake_llm.requests == []
    [row] = calls()
    assert (row.component, row.provider, row.outcome, row.attempts) == (
        component, provider, "error", 0,
    )  # fmt: skip
    assert row.error_message == message


@pytest.mark.parametrize("operation", CALLS)
def test_a_slow_provider_answers_llm_deadline_within_the_budget(
    auth_client, fake_llm, small_budget, operation
):
    call, component = CALLS[operation]
    gate = threading.Event()
    fake_llm.push(Reply(gate=gate))
    try:
        r = call(auth_client)
    finally:
        gate.set()

    assert (r.status_code, r.json()["error"]["code"]) == (503, "llm_deadline")
    assert len(fake_llm.requests) == 1
    [row] = calls()
    assert (row.component, row.outcome, row.attempts) == (component, "deadline", 1)


# --- who may call --------------------------------------------------------------------------


@pytest.mark.parametrize("operation", CALLS)
def test_without_a_token_it_is_401_unless_anonymous_sessions_are_allowed(
    auth_client, fake_llm, monkeypatch, operation
):
    call, _component = CALLS[operation]

    refused = call(auth_client, headers={})
    monkeypatch.setenv("ALLOW_ANONYMOUS_SESSIONS", "true")
    reset_settings()
    allowed = call(auth_client, headers={})

    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "missing_token")
    assert allowed.status_code == 200
    assert len(fake_llm.requests) == 1


BAD_TOKENS = {
    "expired": bearer(sign(claims(sub="student-a", expires_in=-3600), KEY)),
    "unknown-key": bearer(sign(claims(sub="student-a"), OTHER_KEY)),
    "not-bearer": {"Authorization": "Basic c3R1ZGVudDpwdw=="},
}


@pytest.mark.parametrize("token", BAD_TOKENS)
@pytest.mark.parametrize("operation", CALLS)
def test_a_bad_token_is_401_even_when_anonymous_callers_are_allowed(
    auth_client, fake_llm, monkeypatch, operation, token
):
    call, _component = CALLS[operation]
    monkeypatch.setenv("ALLOW_ANONYMOUS_SESSIONS", "true")
    reset_settings()

    r = call(auth_client, headers=BAD_TOKENS[token])

    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert fake_llm.requests == []
    assert calls() == []


def test_an_access_token_works_like_the_frontend_sends_it(auth_client, fake_llm):
    access = bearer(sign(claims(sub="student-a", token_use="access"), KEY))
    assert _speak(auth_client, headers=access).status_code == 200
    assert _transcribe(auth_client, headers=access).status_code == 200
