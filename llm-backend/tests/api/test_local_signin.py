"""The local sign-in route (`POST /auth/local/token`) and the pages' sign-in settings
(`GET /config/auth`): the route mints working tokens in local mode and does not exist at all
with Cognito settings or in production."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from config import reset_settings
from shared.auth.verifier import reset_verifier
from tests.support.auth import CLIENT_ID, bearer, build_test_app

DOMAIN = "https://tutor-test.auth.eu-west-1.amazoncognito.com"


@pytest.fixture
def local_env(monkeypatch, tmp_path):
    for name in ("AUTH_MODE", "COGNITO_USER_POOL_ID", "COGNITO_APP_CLIENT_ID", "COGNITO_DOMAIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.setenv("LOCAL_AUTH_KEY_FILE", str(tmp_path / "local_key.pem"))
    reset_settings()
    reset_verifier()
    yield
    reset_verifier()


def _claims(token: str) -> dict:
    import jwt

    return jwt.decode(token, options={"verify_signature": False})


def test_local_sign_in_mints_admin_and_student_tokens_the_api_accepts(db, local_env):
    with TestClient(build_test_app()) as client:
        settings = client.get("/config/auth").json()
        admin = client.post("/auth/local/token", json={"role": "admin", "name": " Asha Rao "})
        student = client.post("/auth/local/token", json={"role": "student", "name": "Ravi"})
        as_admin = client.get("/api/admin/probe", headers=bearer(admin.json()["token"]))
        student_on_admin = client.get("/api/admin/probe", headers=bearer(student.json()["token"]))
        profile = client.get("/profile", headers=bearer(student.json()["token"]))
        in_openapi = "/auth/local/token" in client.get("/openapi.json").json()["paths"]

    assert settings == {
        "mode": "local",
        "local_sign_in": True,
        "cognito_domain": None,
        "client_id": None,
        "scopes": [],
    }
    assert admin.status_code == 200 and admin.json()["expires_in"] == 12 * 3600
    claims = _claims(admin.json()["token"])
    assert (claims["sub"], claims["name"], claims["cognito:groups"]) == (
        "local-admin-asha-rao",
        "Asha Rao",
        ["admin"],
    )
    assert "cognito:groups" not in _claims(student.json()["token"])
    assert as_admin.json() == {"admin": "local-admin-asha-rao"}
    assert student_on_admin.status_code == 403
    assert profile.json()["email"] == "local-student-ravi@example.com"
    assert in_openapi


@pytest.mark.parametrize(
    "body",
    [
        {"role": "root", "name": "x"},
        {"role": "admin", "name": "   "},
        {"role": "admin"},
        {"role": "admin", "name": "x", "groups": ["admin"]},
        {"role": "admin", "name": "y" * 61},
    ],
)
def test_local_sign_in_rejects_bad_input(db, local_env, body):
    with TestClient(build_test_app()) as client:
        response = client.post("/auth/local/token", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_the_route_is_absent_with_cognito_settings(db, cognito_env, monkeypatch):
    monkeypatch.setenv("COGNITO_DOMAIN", DOMAIN)
    reset_settings()
    with TestClient(build_test_app()) as client:
        response = client.post("/auth/local/token", json={"role": "admin", "name": "Mallory"})
        paths = client.get("/openapi.json").json()["paths"]
        settings = client.get("/config/auth").json()
    assert response.status_code == 404
    assert "/auth/local/token" not in paths
    assert settings == {
        "mode": "cognito",
        "local_sign_in": False,
        "cognito_domain": DOMAIN,
        "client_id": CLIENT_ID,
        "scopes": ["openid", "email", "profile"],
    }


def test_the_route_is_absent_in_production_even_with_local_mode(db, monkeypatch, tmp_path):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("AUTH_MODE", "local")
    monkeypatch.setenv("LOCAL_AUTH_KEY_FILE", str(tmp_path / "local_key.pem"))
    reset_settings()
    with TestClient(build_test_app()) as client:
        response = client.post("/auth/local/token", json={"role": "admin", "name": "Mallory"})
        paths = client.get("/openapi.json").json()["paths"]
        settings = client.get("/config/auth").json()
    assert response.status_code == 404
    assert "/auth/local/token" not in paths
    assert settings["local_sign_in"] is False
    assert not (tmp_path / "local_key.pem").exists()  # no key was even created


def test_a_domain_with_a_path_is_not_a_valid_setting(monkeypatch):
    from pydantic import ValidationError

    from config import Settings

    monkeypatch.setenv("COGNITO_DOMAIN", DOMAIN + "/login")
    with pytest.raises(ValidationError, match="cognito_domain"):
        Settings(_env_file=None)
