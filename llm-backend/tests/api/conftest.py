"""API tests: the shared API fixtures (tests.support.api_fixtures)."""

from tests.support.api_fixtures import (  # noqa: F401
    _isolated_auth,
    auth_client,
    cognito_env,
    jwks_server,
    small_budget,
)
