"""Admin API for llm_prices: the seeded dated prices, create/replace, validation, admin only."""

from __future__ import annotations

from database import session_scope
from shared.models.entities import LLMPrice
from tests.support.auth import KEY, bearer, claims, sign

ADMIN = bearer(sign(claims(sub="admin-1", groups=["admin"], email="ops@example.com"), KEY))
STUDENT = bearer(sign(claims(sub="student-1", groups=["students"]), KEY))


def _stored(provider: str, model: str) -> tuple[float, float, str | None] | None:
    with session_scope() as session:
        row = session.get(LLMPrice, (provider, model))
        if row is None:
            return None
        return (row.input_per_million_usd, row.output_per_million_usd, row.updated_by)


def test_list_returns_the_seeded_prices_with_the_day_they_were_read(auth_client):
    response = auth_client.get("/api/admin/llm-prices", headers=ADMIN)

    assert response.status_code == 200
    rows = {(r["provider"], r["model"]): r for r in response.json()}
    gpt = rows[("openai", "gpt-5.2")]
    assert (gpt["input_per_million_usd"], gpt["output_per_million_usd"]) == (1.75, 14.0)
    assert (gpt["updated_at"][:10], gpt["updated_by"]) == ("2026-11-30", "migration")
    # Every model the llm_config seed uses has a price.
    assert {("openai", "gpt-4o-mini-transcribe"), ("openai", "gpt-4o-mini-tts")} <= set(rows)
    assert rows[("local", "smollm2-135m-instruct")]["input_per_million_usd"] == 0.0
    assert list(rows) == sorted(rows)  # ordered by provider, then model


def test_put_creates_then_replaces_a_price_and_records_who(auth_client):
    body = {
        "provider": "google",
        "model": " gemini-2.5-flash ",
        "input_per_million_usd": 0.3,
        "output_per_million_usd": 2.5,
    }
    created = auth_client.put("/api/admin/llm-prices", json=body, headers=ADMIN)
    replaced = auth_client.put(
        "/api/admin/llm-prices",
        json={**body, "input_per_million_usd": 0, "output_per_million_usd": 3},
        headers=ADMIN,
    )

    assert created.status_code == 200, created.text
    assert created.json()["model"] == "gemini-2.5-flash"
    assert (created.json()["input_per_million_usd"], created.json()["updated_by"]) == (
        0.3,
        "ops@example.com",
    )
    assert replaced.status_code == 200
    assert replaced.json()["updated_at"] >= created.json()["updated_at"]
    assert _stored("google", "gemini-2.5-flash") == (0.0, 3.0, "ops@example.com")


def test_put_changes_a_seeded_price(auth_client):
    seeded = auth_client.get("/api/admin/llm-prices", headers=ADMIN).json()
    before = next(r for r in seeded if r["model"] == "gpt-5.2")
    response = auth_client.put(
        "/api/admin/llm-prices",
        json={
            "provider": "openai",
            "model": "gpt-5.2",
            "input_per_million_usd": 2,
            "output_per_million_usd": 16,
        },
        headers=ADMIN,
    )

    assert response.status_code == 200
    assert response.json()["updated_at"] != before["updated_at"]  # stamped when saved
    assert _stored("openai", "gpt-5.2") == (2.0, 16.0, "ops@example.com")


def test_bad_prices_and_providers_are_refused_and_store_nothing(auth_client):
    good = {
        "provider": "openai",
        "model": "gpt-4o",
        "input_per_million_usd": 2.5,
        "output_per_million_usd": 10,
    }
    cases = {
        "negative": {**good, "input_per_million_usd": -0.01},
        "too_large": {**good, "output_per_million_usd": 10_000.5},
        "text": {**good, "output_per_million_usd": "cheap"},
        "missing": {k: v for k, v in good.items() if k != "output_per_million_usd"},
        "empty_model": {**good, "model": "  "},
        "extra_field": {**good, "currency": "EUR"},
    }
    for name, body in cases.items():
        response = auth_client.put("/api/admin/llm-prices", json=body, headers=ADMIN)
        assert response.status_code == 422, name
        assert response.json()["error"]["code"] == "validation_error", name
    infinite = auth_client.put(
        "/api/admin/llm-prices",
        content='{"provider": "openai", "model": "gpt-4o", "input_per_million_usd": Infinity, '
        '"output_per_million_usd": NaN}',
        headers={**ADMIN, "content-type": "application/json"},
    )
    unknown = auth_client.put(
        "/api/admin/llm-prices", json={**good, "provider": "azure"}, headers=ADMIN
    )

    assert infinite.status_code == 422
    assert unknown.status_code == 400
    assert unknown.json()["error"] == {
        "code": "unknown_provider",
        "message": "Unknown provider 'azure'; choose one of openai, anthropic, google, local.",
    }
    assert _stored("openai", "gpt-4o") is None
    assert _stored("azure", "gpt-4o") is None


def test_non_admins_are_refused(auth_client):
    body = {
        "provider": "openai",
        "model": "gpt-5.2",
        "input_per_million_usd": 0,
        "output_per_million_usd": 0,
    }
    for method, payload in (("get", None), ("put", body)):
        forbidden = auth_client.request(
            method, "/api/admin/llm-prices", json=payload, headers=STUDENT
        )
        anonymous = auth_client.request(method, "/api/admin/llm-prices", json=payload)
        assert forbidden.status_code == 403
        assert forbidden.json()["error"]["code"] == "admin_required"
        assert anonymous.status_code == 401
    assert _stored("openai", "gpt-5.2") == (1.75, 14.0, "migration")
