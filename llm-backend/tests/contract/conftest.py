"""Contract tests (the learnlikemagic frontend's exact requests): the shared API fixtures
(tests.support.api_fixtures), plus anonymous sessions switched on."""

from __future__ import annotations

import pytest

from config import reset_settings
from tests.support.api_fixtures import (  # noqa: F401  (fixtures, registered by import)
    _isolated_auth,
    auth_client,
    cognito_env,
    jwks_server,
    small_budget,
)


@pytest.fixture
def allow_anonymous(monkeypatch):
    monkeypatch.setenv("ALLOW_ANONYMOUS_SESSIONS", "true")
    reset_settings()
