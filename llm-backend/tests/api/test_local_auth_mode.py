"""AUTH_MODE=local end to end: dev tokens work through the real verifier; production refuses."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from config import reset_settings
from database import session_scope
from shared.auth.local_issuer import get_local_issuer
from shared.models.entities import User
from tests.support.auth import KEY, bearer, build_test_app, claims, sign
from tests.support.errors import error_json


@pytest.fixture
def local_env(monkeypatch):
    for name in ("AUTH_MODE", "COGNITO_USER_POOL_ID", "COGNITO_APP_CLIENT_ID", "COGNITO_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENVIRONMENT", "development")  # local is the default here
    reset_settings()


def test_dev_tokens_work_in_the_default_development_setup(db, local_env):
    issuer = get_local_issuer()
    student = issuer.mint(sub="alice", email="alice@example.com")
    admin = issuer.mint(sub="root", groups=["admin"])
    with TestClient(build_test_app()) as client:
        profile = client.get("/profile", headers=bearer(student))
        as_admin = client.get("/api/admin/probe", headers=bearer(admin))
        student_on_admin = client.get("/api/admin/probe", headers=bearer(student))
        cognito_shaped = client.get("/profile", headers=bearer(sign(claims(), KEY)))
    assert profile.status_code == 200
    assert profile.json()["email"] == "alice@example.com"
    assert as_admin.json() == {"admin": "root"}
    assert student_on_admin.status_code == 403
    # Tokens of any other issuer or key are refused in local mode too.
    assert cognito_shaped.status_code == 401
    assert cognito_shaped.json()["error"]["code"] == "unknown_key"
    with session_scope() as session:
        assert sorted(session.scalars(select(User.cognito_sub))) == ["alice", "root"]


def test_local_mode_is_refused_in_production(db, monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("AUTH_MODE", "local")
    reset_settings()
    token = get_local_issuer().mint(sub="alice")
    with TestClient(build_test_app()) as client:
        refused = client.get("/profile", headers=bearer(token))
        health = client.get("/health")
    assert refused.status_code == 500
    assert refused.json() == error_json(
        "auth_misconfigured", "Authentication is misconfigured on this server; its log says why."
    )
    assert health.status_code == 200  # the probes stay up so the problem is visible
    with session_scope() as session:
        assert session.scalars(select(User)).all() == []
