"""Auth fixtures for API and contract tests: a Cognito-configured app whose JWKS comes from a
real local HTTP server, with the probe routes of `tests.support.auth.build_test_app`. The
conftest of each folder that uses them imports them (`from tests.support.api_fixtures import
*`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from config import reset_settings
from shared.auth.verifier import reset_verifier
from tests.support.auth import (
    CLIENT_ID,
    KEY,
    POOL_ID,
    REGION,
    JwksServer,
    build_test_app,
    jwks,
)


@pytest.fixture(autouse=True)
def _isolated_auth(tmp_path_factory, monkeypatch) -> Iterator[None]:
    """Every API test starts with a fresh verifier; local mode never writes llm-backend/data."""
    key_file = tmp_path_factory.getbasetemp() / "local_auth_key.pem"
    monkeypatch.setenv("LOCAL_AUTH_KEY_FILE", str(key_file))
    reset_settings()
    reset_verifier()
    yield
    reset_verifier()
    reset_settings()


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer(jwks(KEY)).start()
    yield server
    server.stop()


@pytest.fixture
def cognito_env(monkeypatch, jwks_server) -> JwksServer:
    """The app configured for a Cognito pool whose JWKS is `jwks_server`."""
    monkeypatch.setenv("AUTH_MODE", "cognito")
    monkeypatch.setenv("COGNITO_REGION", REGION)
    monkeypatch.setenv("COGNITO_USER_POOL_ID", POOL_ID)
    monkeypatch.setenv("COGNITO_APP_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("COGNITO_JWKS_URL", jwks_server.url)
    reset_settings()
    reset_verifier()
    return jwks_server


@pytest.fixture
def auth_client(db, cognito_env) -> Iterator[TestClient]:
    with TestClient(build_test_app()) as client:
        yield client


@pytest.fixture
def small_budget(monkeypatch) -> None:
    """A 1.5 s request budget with a per-attempt limit far above it. The budget's clock stands
    still, so a loaded machine cannot spend the budget before the call: only a held provider
    ends it, at the capped attempt timeout."""
    from shared.llm import deadline

    monkeypatch.setenv("API_REQUEST_BUDGET_SECONDS", "1.5")
    monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "30")
    monkeypatch.setenv("LLM_DEADLINE_MARGIN_SECONDS", "0.5")
    monkeypatch.setenv("LLM_MIN_ATTEMPT_SECONDS", "0.2")
    reset_settings()
    monkeypatch.setattr(deadline, "_clock", lambda: 1000.0)
