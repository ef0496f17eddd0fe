"""Tokens issued by moto's Cognito: accepted by a verifier configured for that pool (keys from
the pool's well-known JWKS URL, which moto serves), refused by one configured for production."""

from __future__ import annotations

from dataclasses import dataclass

import boto3
import pytest
import requests
from fastapi.testclient import TestClient
from moto import mock_aws
from sqlalchemy import select

from config import Settings
from database import session_scope
from shared.auth.dependencies import get_token_verifier
from shared.auth.verifier import TokenVerifier, build_verifier
from shared.errors import AuthenticationError
from shared.models.entities import User
from tests.support.auth import bearer, build_test_app

REGION = "eu-central-1"
PASSWORD = "Correct-horse-1"


@dataclass
class MotoPool:
    pool_id: str
    client_id: str
    student_tokens: dict
    admin_tokens: dict


def _sign_in(client, pool_id: str, client_id: str, email: str, name: str, groups=()) -> dict:
    client.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "name", "Value": name},
        ],
        MessageAction="SUPPRESS",
    )
    client.admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True
    )
    for group in groups:
        client.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)
    result = client.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )
    return result["AuthenticationResult"]


@pytest.fixture
def moto_pool():
    with mock_aws():
        idp = boto3.client("cognito-idp", region_name=REGION)
        pool_id = idp.create_user_pool(PoolName="students", UsernameAttributes=["email"])[
            "UserPool"
        ]["Id"]
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="web",
            ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            ReadAttributes=["email", "email_verified", "name"],
        )["UserPoolClient"]["ClientId"]
        idp.create_group(UserPoolId=pool_id, GroupName="admin")
        yield MotoPool(
            pool_id=pool_id,
            client_id=client_id,
            student_tokens=_sign_in(idp, pool_id, client_id, "asha@example.com", "Asha"),
            admin_tokens=_sign_in(
                idp, pool_id, client_id, "ravi@example.com", "Ravi", groups=["admin"]
            ),
        )


def verifier_for(pool_id: str, client_id: str, fetch=None) -> tuple[TokenVerifier, list[str]]:
    settings = Settings(
        _env_file=None,
        environment="production",
        auth_mode="cognito",
        cognito_region=REGION,
        cognito_user_pool_id=pool_id,
        cognito_app_client_id=client_id,
        cognito_jwks_url=None,
    )
    fetched: list[str] = []

    def fetch_from_moto():
        # moto answers the pool's real JWKS URL for `requests` inside mock_aws (urllib would
        # go to the network), so the fetch is injected; the URL is the default one.
        fetched.append(settings.effective_cognito_jwks_url)
        return requests.get(settings.effective_cognito_jwks_url, timeout=5).json()

    return build_verifier(settings, fetch=fetch or fetch_from_moto), fetched


def test_moto_tokens_are_accepted_by_a_verifier_for_moto_pool(moto_pool):
    verifier, fetched = verifier_for(moto_pool.pool_id, moto_pool.client_id)

    student = verifier.verify(moto_pool.student_tokens["IdToken"])
    assert (student.token_use, student.email, student.name) == ("id", "asha@example.com", "Asha")
    assert not student.is_admin
    access = verifier.verify(moto_pool.student_tokens["AccessToken"])
    assert (access.token_use, access.sub) == ("access", student.sub)
    admin = verifier.verify(moto_pool.admin_tokens["IdToken"])
    assert admin.is_admin
    assert verifier.verify(moto_pool.admin_tokens["AccessToken"]).is_admin
    assert fetched == [
        f"https://cognito-idp.{REGION}.amazonaws.com/{moto_pool.pool_id}/.well-known/jwks.json"
    ]


def test_moto_tokens_are_refused_by_a_production_verifier(moto_pool, jwks_server):
    # The production pool publishes its own keys (served by the local JWKS server).
    production = build_verifier(
        Settings(
            _env_file=None,
            environment="production",
            auth_mode="cognito",
            cognito_region=REGION,
            cognito_user_pool_id=f"{REGION}_Production1",
            cognito_app_client_id="production-client",
            cognito_jwks_url=jwks_server.url,
        )
    )
    for token in (moto_pool.student_tokens["IdToken"], moto_pool.admin_tokens["AccessToken"]):
        with pytest.raises(AuthenticationError) as refused:
            production.verify(token)
        assert refused.value.code == "unknown_key"  # moto's key is not production's
    assert jwks_server.requests == 1


@pytest.mark.parametrize(
    ("pool_suffix", "client", "code"),
    [
        pytest.param("_Production1", None, "invalid_issuer", id="another pool"),
        pytest.param(None, "production-client", "invalid_audience", id="another client"),
    ],
)
def test_moto_tokens_need_the_right_pool_and_client(moto_pool, pool_suffix, client, code):
    pool_id = f"{REGION}{pool_suffix}" if pool_suffix else moto_pool.pool_id
    verifier, _ = verifier_for(moto_pool.pool_id, moto_pool.client_id)
    keys = verifier.jwks._fetch  # moto's real keys, so only the claims differ
    wrong, _ = verifier_for(pool_id, client or moto_pool.client_id, fetch=keys)
    with pytest.raises(AuthenticationError) as refused:
        wrong.verify(moto_pool.student_tokens["IdToken"])
    assert refused.value.code == code


def test_moto_user_signs_in_to_the_app(db, moto_pool):
    verifier, _ = verifier_for(moto_pool.pool_id, moto_pool.client_id)
    app = build_test_app()
    app.dependency_overrides[get_token_verifier] = lambda: verifier
    with TestClient(app) as client:
        synced = client.post("/auth/sync", headers=bearer(moto_pool.student_tokens["IdToken"]))
        admin = client.get(
            "/api/admin/probe", headers=bearer(moto_pool.admin_tokens["AccessToken"])
        )
        refused = client.get(
            "/api/admin/probe", headers=bearer(moto_pool.student_tokens["AccessToken"])
        )
    assert synced.status_code == 200
    assert (synced.json()["email"], synced.json()["name"]) == ("asha@example.com", "Asha")
    assert admin.status_code == 200
    assert refused.status_code == 403
    with session_scope() as session:
        users = session.scalars(select(User).order_by(User.email)).all()
        assert [(u.email, u.auth_provider) for u in users] == [
            ("asha@example.com", "email"),
            (None, "email"),  # the admin has only used an access token: no profile claims
        ]
