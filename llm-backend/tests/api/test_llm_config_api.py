"""Admin API for llm_config and llm_calls, with Cognito-style tokens and real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from database import session_scope
from db import default_llm_config_rows
from shared.llm import complete
from shared.llm.admin_service import OFFERED_MODELS
from shared.llm.components import AUDIO_COMPONENTS, SPEECH_TO_TEXT
from shared.models.base import utcnow
from shared.models.entities import LLMCall, LLMConfig
from tests.support.auth import KEY, bearer, claims, sign

ADMIN = bearer(sign(claims(sub="admin-1", groups=["admin"], email="ops@example.com"), KEY))
STUDENT = bearer(sign(claims(sub="student-1", groups=["students"]), KEY))
COMPONENTS = sorted(row["component_key"] for row in default_llm_config_rows())


def _row(component: str) -> LLMConfig:
    with session_scope() as session:
        return session.get(LLMConfig, component)


def test_list_returns_every_row(auth_client):
    response = auth_client.get("/api/admin/llm-config", headers=ADMIN)

    assert response.status_code == 200
    rows = response.json()
    assert [r["component_key"] for r in rows] == COMPONENTS
    tutor = rows[-1]
    assert (tutor["provider"], tutor["model_id"], tutor["updated_by"]) == (
        "openai",
        "gpt-5.2",
        "migration",
    )
    assert tutor["description"].startswith("Main tutoring pipeline")
    assert tutor["updated_at"]


def test_options_list_each_providers_models(auth_client):
    response = auth_client.get("/api/admin/llm-config/options", headers=ADMIN)

    assert response.status_code == 200
    providers = response.json()
    assert list(providers) == ["openai", "anthropic", "google", "local"]
    assert "gpt-5.2" in providers["openai"]
    assert providers["local"] == ["smollm2-135m-instruct"]


def test_every_seeded_model_is_offered(auth_client):
    """A row as migrated can be saved back unchanged from the page."""
    offered = auth_client.get("/api/admin/llm-config/options", headers=ADMIN).json()

    for row in default_llm_config_rows():
        assert row["model_id"] in offered[row["provider"]], row["component_key"]


def test_update_changes_the_row_and_records_who(auth_client):
    response = auth_client.put(
        "/api/admin/llm-config/tutor",
        json={"provider": "anthropic", "model_id": "  claude-opus-4-6 "},
        headers=ADMIN,
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["provider"], body["model_id"], body["updated_by"]) == (
        "anthropic",
        "claude-opus-4-6",
        "ops@example.com",
    )
    stored = _row("tutor")
    assert (stored.provider, stored.model_id, stored.updated_by) == (
        "anthropic",
        "claude-opus-4-6",
        "ops@example.com",
    )


def test_update_unknown_component_is_404_and_stores_nothing(auth_client):
    response = auth_client.put(
        "/api/admin/llm-config/not_a_component",
        json={"provider": "openai", "model_id": "gpt-4o"},
        headers=ADMIN,
    )

    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "llm_component_not_found",
        "message": "Unknown component 'not_a_component'.",
    }
    with session_scope() as session:
        assert session.get(LLMConfig, "not_a_component") is None


def test_update_rejects_unknown_provider_model_not_offered_and_empty_model(auth_client):
    bad_provider = auth_client.put(
        "/api/admin/llm-config/tutor",
        json={"provider": "azure", "model_id": "gpt-4o"},
        headers=ADMIN,
    )
    not_offered = auth_client.put(
        "/api/admin/llm-config/tutor",
        json={"provider": "anthropic", "model_id": "gpt-4o"},
        headers=ADMIN,
    )
    empty_model = auth_client.put(
        "/api/admin/llm-config/tutor", json={"provider": "openai", "model_id": "   "}, headers=ADMIN
    )

    assert bad_provider.status_code == 400
    assert bad_provider.json()["error"] == {
        "code": "unknown_provider",
        "message": "Unknown provider 'azure'; choose one of openai, anthropic, google, local.",
    }
    assert not_offered.status_code == 400
    assert not_offered.json()["error"]["code"] == "model_not_offered"
    assert not_offered.json()["error"]["message"].startswith(
        "Model 'gpt-4o' is not offered for provider 'anthropic'"
    )
    assert empty_model.status_code == 422
    assert empty_model.json()["error"]["message"].startswith("model_id:")
    stored = _row("tutor")
    assert (stored.provider, stored.model_id) == ("openai", "gpt-5.2")


def test_non_admins_are_refused_everywhere(auth_client):
    for method, path, body in [
        ("get", "/api/admin/llm-config", None),
        ("get", "/api/admin/llm-config/options", None),
        ("put", "/api/admin/llm-config/tutor", {"provider": "local", "model_id": "m"}),
        ("get", "/api/admin/llm-calls", None),
    ]:
        forbidden = auth_client.request(method, path, json=body, headers=STUDENT)
        anonymous = auth_client.request(method, path, json=body)
        assert forbidden.status_code == 403, path
        assert forbidden.json()["error"]["code"] == "admin_required"
        assert anonymous.status_code == 401, path
    assert _row("tutor").model_id == "gpt-5.2"


def test_put_switches_the_provider_of_the_very_next_call(auth_client, fake_llm):
    complete(component="tutor", messages=[{"role": "user", "content": "before"}])

    response = auth_client.put(
        "/api/admin/llm-config/tutor",
        json={"provider": "anthropic", "model_id": "claude-haiku-4-5"},
        headers=ADMIN,
    )
    assert response.status_code == 200
    complete(component="tutor", messages=[{"role": "user", "content": "after"}])

    assert [(r.path, r.body["model"]) for r in fake_llm.requests] == [
        ("/v1/responses", "gpt-5.2"),
        ("/v1/messages", "claude-haiku-4-5"),
    ]


def _call(component: str, outcome: str, latency: int, hours_ago: float = 0.1, tokens=(10, 5)):
    return LLMCall(
        component=component,
        provider="openai",
        model="gpt-5.2",
        started_at=utcnow() - timedelta(hours=hours_ago),
        latency_ms=latency,
        input_tokens=tokens[0],
        output_tokens=tokens[1],
        attempts=1,
        outcome=outcome,
    )


def test_llm_calls_lists_recent_calls_with_filters_and_totals(auth_client):
    with session_scope() as session:
        for latency in range(10, 210, 10):  # 20 tutor calls: 10..200 ms
            session.add(_call("tutor", "ok", latency))
        session.add(_call("tutor", "unavailable", 3000))
        session.add(_call("tutor", "retried", 900))
        session.add(_call("book_ingestion", "output_error", 500, tokens=(100, 50)))
        session.add(_call("tutor", "ok", 5, hours_ago=48))  # outside the window

    everything = auth_client.get("/api/admin/llm-calls?limit=500", headers=ADMIN).json()
    failed = auth_client.get(
        "/api/admin/llm-calls",
        params={"component": "tutor", "outcome": "unavailable"},
        headers=ADMIN,
    ).json()

    assert len(everything["calls"]) == 24
    assert everything["calls"][0]["started_at"] >= everything["calls"][-1]["started_at"]
    assert [(c["component"], c["latency_ms"]) for c in failed["calls"]] == [("tutor", 3000)]
    totals = {t["component"]: t for t in everything["totals"]}
    assert totals["tutor"] == {
        "component": "tutor",
        "calls": 22,
        "errors": 1,
        "error_rate": round(1 / 22, 4),
        "p50_latency_ms": 110,
        "p95_latency_ms": 900,
        "input_tokens": 220,
        "output_tokens": 110,
    }
    assert totals["book_ingestion"]["errors"] == 1
    assert totals["book_ingestion"]["error_rate"] == 1.0
    with session_scope() as session:
        assert len(session.scalars(select(LLMCall)).all()) == 24


def test_llm_calls_rejects_bad_limits(auth_client):
    response = auth_client.get("/api/admin/llm-calls?limit=0", headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("query.limit:")


def test_llm_calls_rejects_an_unknown_outcome_filter(auth_client):
    response = auth_client.get("/api/admin/llm-calls?outcome=failed", headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("query.outcome:")


def test_admin_page_shell_is_served(auth_client):
    response = auth_client.get("/admin/llm-config")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>LLM configuration" in response.text
    # The token handling is the admin pages' shared module, which keeps it in session storage.
    assert 'from "/admin/assets/admin_api.js"' in response.text
    assert "sessionStorage" in auth_client.get("/admin/assets/admin_api.js").text


def test_an_audio_component_is_refused_a_provider_without_audio(auth_client):
    before = {key: (_row(key).provider, _row(key).model_id) for key in AUDIO_COMPONENTS}

    answers = {
        (key, provider): auth_client.put(
            f"/api/admin/llm-config/{key}",
            json={"provider": provider, "model_id": OFFERED_MODELS[provider][0]},
            headers=ADMIN,
        )
        for key in AUDIO_COMPONENTS
        for provider in ("anthropic", "google", "local")
    }

    for (key, provider), answer in answers.items():
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == {
            "code": "provider_without_audio",
            "message": f"Provider '{provider}' has no audio API, so it cannot serve '{key}'; "
            "choose openai.",
        }
    assert {key: (_row(key).provider, _row(key).model_id) for key in AUDIO_COMPONENTS} == before
    # The provider that has one is still accepted, and other components may use any provider.
    for key, model in ((SPEECH_TO_TEXT, "whisper-1"), ("tutor", "claude-haiku-4-5")):
        provider = "openai" if key == SPEECH_TO_TEXT else "anthropic"
        saved = auth_client.put(
            f"/api/admin/llm-config/{key}",
            json={"provider": provider, "model_id": model},
            headers=ADMIN,
        )
        assert saved.status_code == 200, saved.text
        assert (_row(key).provider, _row(key).model_id) == (provider, model)
