"""The API tests' fixtures (a Cognito-configured app, fresh verifier per test), shared with the
contract tests; plus anonymous sessions switched on."""

from __future__ import annotations

import pytest

from config import reset_settings
from tests.api.conftest import (  # noqa: F401  (fixtures, registered by import)
    _isolated_auth,
    auth_client,
    cognito_env,
    jwks_server,
)


@pytest.fixture
def allow_anonymous(monkeypatch):
    monkeypatch.setenv("ALLOW_ANONYMOUS_SESSIONS", "true")
    reset_settings()
