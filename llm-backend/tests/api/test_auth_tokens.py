"""The token matrix: every kind of good and bad token against a user route and an admin route.

The app is configured for a Cognito pool (tests/support/api_fixtures.py) whose JWKS is served
by a real HTTP server on 127.0.0.1; tokens are signed with that pool's key unless a case says
otherwise.
"""

from __future__ import annotations

import time

import jwt
import pytest
from sqlalchemy import func, select

from database import session_scope
from shared.auth.errors import REASONS
from shared.models.entities import User
from tests.support.auth import (
    CLIENT_ID,
    ISSUER,
    KEY,
    OTHER_KEY,
    bearer,
    claims,
    hs256_with_public_key,
    raw_token,
    sign,
    tamper,
)
from tests.support.errors import error_json

PROTECTED = "/profile"
ADMIN = "/api/admin/probe"


def _forged_none() -> str:
    return raw_token({"alg": "none", "typ": "JWT", "kid": KEY.kid}, claims(groups=["admin"]))


def _cases() -> list:
    # Tokens are made when a test runs, not at collection: their timestamps must be fresh.
    return [
        # (id, token factory, status on PROTECTED, status on ADMIN, error code when refused)
        ("valid id token", lambda: sign(claims(), KEY), 200, 403, None),
        ("valid admin id token", lambda: sign(claims(groups=["admin"]), KEY), 200, 200, None),
        ("valid access token", lambda: sign(claims(token_use="access"), KEY), 200, 403, None),
        (
            "valid admin access token",
            lambda: sign(claims(token_use="access", groups=["admin", "teachers"]), KEY),
            200,
            200,
            None,
        ),
        ("expired within leeway", lambda: sign(claims(expires_in=-10), KEY), 200, 403, None),
        ("expired", lambda: sign(claims(expires_in=-3600), KEY), 401, 401, "token_expired"),
        (
            "not yet valid (nbf)",
            lambda: sign(claims(nbf=int(time.time()) + 3600), KEY),
            401,
            401,
            "token_not_yet_valid",
        ),
        (
            "issued in the future (iat)",
            lambda: sign(claims(issued_offset=3600, expires_in=7200), KEY),
            401,
            401,
            "token_not_yet_valid",
        ),
        (
            "wrong issuer",
            lambda: sign(
                claims(issuer=ISSUER.replace("TestPool1", "OtherPool"), groups=["admin"]), KEY
            ),
            401,
            401,
            "invalid_issuer",
        ),
        (
            "wrong audience",
            lambda: sign(claims(client_id="another-client", groups=["admin"]), KEY),
            401,
            401,
            "invalid_audience",
        ),
        (
            "access token for another client",
            lambda: sign(claims(token_use="access", client_id="another-client"), KEY),
            401,
            401,
            "invalid_audience",
        ),
        (
            "id token with client_id instead of aud",
            lambda: sign({**claims(aud=None), "client_id": CLIENT_ID}, KEY),
            401,
            401,
            "invalid_audience",
        ),
        (
            "wrong token_use",
            lambda: sign(claims(token_use="refresh", aud=CLIENT_ID), KEY),
            401,
            401,
            "invalid_token_use",
        ),
        ("no token_use", lambda: sign(claims(token_use=None), KEY), 401, 401, "invalid_token"),
        ("no sub", lambda: sign(claims(sub=None), KEY), 401, 401, "invalid_token"),
        ("alg none", _forged_none, 401, 401, "unsupported_algorithm"),
        (
            "HS256 signed with the public key",
            lambda: hs256_with_public_key(claims(groups=["admin"]), KEY),
            401,
            401,
            "unsupported_algorithm",
        ),
        (
            "RS512",
            lambda: jwt.encode(
                claims(), KEY.private_key, algorithm="RS512", headers={"kid": KEY.kid}
            ),
            401,
            401,
            "unsupported_algorithm",
        ),
        ("unknown kid", lambda: sign(claims(), OTHER_KEY), 401, 401, "unknown_key"),
        ("no kid", lambda: sign(claims(), KEY, kid=None), 401, 401, "unknown_key"),
        (
            "known kid, signed by another key",
            lambda: sign(claims(groups=["admin"]), OTHER_KEY, kid=KEY.kid),
            401,
            401,
            "invalid_signature",
        ),
        (
            "tampered payload",
            lambda: tamper(sign(claims(), KEY), **{"cognito:groups": ["admin"]}),
            401,
            401,
            "invalid_signature",
        ),
        ("not a JWT", lambda: "not-a-jwt", 401, 401, "malformed_token"),
        ("three garbage parts", lambda: "abc.def.ghi", 401, 401, "malformed_token"),
    ]


CASES = _cases()


@pytest.mark.parametrize(
    ("make_token", "protected_status", "admin_status", "code"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_token_matrix(auth_client, make_token, protected_status, admin_status, code):
    token = make_token()
    for path, expected in ((ADMIN, admin_status), (PROTECTED, protected_status)):
        response = auth_client.get(path, headers=bearer(token))
        assert response.status_code == expected, (path, response.json())
        if expected == 401:
            assert response.json() == error_json(code, REASONS[code][1])
            description = REASONS[code][1].rstrip(".")
            assert response.headers["www-authenticate"] == (
                f'Bearer realm="tutor", error="invalid_token", error_description="{description}"'
            )
        elif expected == 403:
            assert response.json() == error_json("admin_required", "Administrator access required.")
    with session_scope() as session:
        users = session.scalar(select(func.count()).select_from(User))
    # A refused token writes nothing; an accepted one creates exactly its user.
    assert users == (1 if protected_status == 200 else 0)


def test_admin_route_answers_with_the_admin(auth_client):
    token = sign(claims(sub="admin-1", groups=["admin"]), KEY)
    response = auth_client.get(ADMIN, headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {"admin": "admin-1"}


@pytest.mark.parametrize(
    ("header", "code", "challenge"),
    [
        pytest.param(None, "missing_token", 'Bearer realm="tutor"', id="missing header"),
        *[
            pytest.param(
                value,
                "invalid_header",
                'Bearer realm="tutor", error="invalid_request", '
                "error_description=\"The Authorization header must be 'Bearer <token>'\"",
                id=name,
            )
            for name, value in [
                ("basic scheme", "Basic dXNlcjpwYXNz"),
                ("scheme only", "Bearer"),
                ("empty token", "Bearer "),
                ("two tokens", "Bearer a.b.c d.e.f"),
                ("no scheme", sign(claims(), KEY)),
                ("double space", "Bearer  " + sign(claims(), KEY)),
            ]
        ],
    ],
)
def test_missing_or_malformed_header(auth_client, header, code, challenge):
    headers = {} if header is None else {"Authorization": header}
    for path in (ADMIN, PROTECTED):
        response = auth_client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.json() == error_json(code, REASONS[code][1])
        assert response.headers["www-authenticate"] == challenge


def test_scheme_is_case_insensitive(auth_client):
    token = sign(claims(), KEY)
    response = auth_client.get(PROTECTED, headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200


def test_oversized_token_is_refused_without_parsing(auth_client):
    response = auth_client.get(PROTECTED, headers=bearer("a" * 20_000))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "malformed_token"


def test_disabled_account_is_forbidden(auth_client):
    token = sign(claims(sub="banned"), KEY)
    assert auth_client.get(PROTECTED, headers=bearer(token)).status_code == 200
    with session_scope() as session:
        session.scalars(select(User).where(User.cognito_sub == "banned")).one().is_active = False
    response = auth_client.get(PROTECTED, headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_disabled"


def test_openapi_declares_the_bearer_scheme(auth_client):
    spec = auth_client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["CognitoBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert spec["paths"]["/profile"]["get"]["security"] == [{"CognitoBearer": []}]


def test_key_server_outage_keeps_cached_keys_working(auth_client, cognito_env):
    assert auth_client.get(PROTECTED, headers=bearer(sign(claims(), KEY))).status_code == 200
    cognito_env.stop()
    response = auth_client.get(PROTECTED, headers=bearer(sign(claims(sub="user-b"), KEY)))
    assert response.status_code == 200
    assert cognito_env.requests == 1


def test_key_server_down_at_cold_start_is_503_not_500(auth_client, cognito_env):
    cognito_env.stop()
    response = auth_client.get(PROTECTED, headers=bearer(sign(claims(), KEY)))
    assert response.status_code == 503
    assert response.json() == error_json(
        "key_server_unavailable",
        "The sign-in key server is unreachable and this token's key is not cached; try again "
        "shortly.",
    )
    assert "www-authenticate" not in response.headers  # not the caller's fault
