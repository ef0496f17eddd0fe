"""Auth settings: the mode's default, the pool's issuer and JWKS URL, refusals."""

from __future__ import annotations

import pytest

from config import AuthMode, Settings
from shared.auth.identity import VerifiedIdentity
from shared.auth.local_issuer import LOCAL_CLIENT_ID, LOCAL_ISSUER
from shared.auth.verifier import build_verifier
from shared.errors import ConfigurationError


def settings(**values) -> Settings:
    base = {
        "auth_mode": None,
        "cognito_region": None,
        "cognito_user_pool_id": None,
        "cognito_app_client_id": None,
        "cognito_jwks_url": None,
    }
    return Settings(_env_file=None, **{**base, **values})


@pytest.mark.parametrize(
    ("values", "mode"),
    [
        ({"environment": "development"}, AuthMode.local),
        ({"environment": "development", "cognito_user_pool_id": "eu-west-1_X"}, AuthMode.cognito),
        ({"environment": "staging"}, AuthMode.cognito),
        ({"environment": "production"}, AuthMode.cognito),
        ({"environment": "production", "auth_mode": "local"}, AuthMode.local),
        ({"environment": "development", "auth_mode": "cognito"}, AuthMode.cognito),
    ],
)
def test_auth_mode_default(values, mode):
    assert settings(**values).effective_auth_mode == mode


def test_issuer_and_jwks_url_follow_the_pool():
    s = settings(cognito_user_pool_id="ap-south-1_AbC123", cognito_app_client_id="c")
    assert s.effective_cognito_region == "ap-south-1"  # read from the pool id
    assert s.cognito_issuer == "https://cognito-idp.ap-south-1.amazonaws.com/ap-south-1_AbC123"
    assert s.effective_cognito_jwks_url == (
        "https://cognito-idp.ap-south-1.amazonaws.com/ap-south-1_AbC123/.well-known/jwks.json"
    )
    explicit = settings(
        cognito_region="us-west-2",
        cognito_user_pool_id="us-west-2_Z",
        cognito_jwks_url="http://127.0.0.1:9/jwks.json",
    )
    assert explicit.cognito_issuer == "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_Z"
    assert explicit.effective_cognito_jwks_url == "http://127.0.0.1:9/jwks.json"


def test_cognito_verifier_uses_the_configured_pool_and_client():
    s = settings(
        environment="production", cognito_user_pool_id="eu-west-1_P", cognito_app_client_id="app"
    )
    verifier = build_verifier(s)
    assert verifier.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_P"
    assert verifier.client_id == "app"
    assert verifier.leeway == 30
    assert verifier.jwks.source.endswith("/eu-west-1_P/.well-known/jwks.json")
    assert verifier.jwks.fetch_count == 0  # nothing fetched until a token arrives


def test_local_mode_is_refused_in_production():
    with pytest.raises(ConfigurationError) as refused:
        build_verifier(settings(environment="production", auth_mode="local"))
    assert refused.value.status_code == 500
    assert refused.value.code == "auth_misconfigured"


@pytest.mark.parametrize(
    "values",
    [
        {"environment": "production"},
        {"environment": "staging", "cognito_user_pool_id": "eu-west-1_P"},  # no client id
        {"auth_mode": "cognito", "cognito_app_client_id": "app"},  # no pool
        {
            "auth_mode": "cognito",
            "cognito_user_pool_id": "eu-west-1_P",
            "cognito_app_client_id": "app",
            "cognito_jwks_url": "ftp://keys.example.com/jwks.json",
        },
    ],
)
def test_incomplete_cognito_settings_are_refused(values):
    with pytest.raises(ConfigurationError):
        build_verifier(settings(**values))


def test_local_mode_verifier_trusts_the_local_issuer(tmp_path):
    verifier = build_verifier(
        settings(environment="development", local_auth_key_file=str(tmp_path / "k.pem"))
    )
    assert (verifier.issuer, verifier.client_id) == (LOCAL_ISSUER, LOCAL_CLIENT_ID)


def test_identity_from_id_token_claims():
    identity = VerifiedIdentity.from_claims(
        {
            "sub": "s-1",
            "token_use": "id",
            "email": " Asha@Example.COM ",
            "email_verified": "true",
            "phone_number": "+919800000000",
            "phone_number_verified": False,
            "given_name": "Asha",
            "family_name": "Rao",
            "cognito:groups": ["students", "admin", 7],
            "identities": '[{"providerName": "Google", "userId": "123"}]',
        }
    )
    assert identity.email == "asha@example.com"
    assert identity.phone is None  # unverified numbers are not stored
    assert identity.name == "Asha Rao"
    assert identity.groups == ("students", "admin")
    assert identity.is_admin
    assert identity.auth_provider == "google"


@pytest.mark.parametrize(
    ("extra", "provider"),
    [
        ({"email": "a@b.co"}, "email"),
        ({"phone_number": "+15550100", "phone_number_verified": True}, "phone"),
        # The contract's rule: a phone number alone, not said to be verified, is not enough.
        ({"phone_number": "+15550100"}, "email"),
        ({}, "email"),
        ({"identities": [{"providerName": "Google"}], "email": "a@b.co"}, "google"),
    ],
)
def test_auth_provider_from_claims(extra, provider):
    claims = {"sub": "s", "token_use": "id", **extra}
    assert VerifiedIdentity.from_claims(claims).auth_provider == provider


def test_groups_claim_of_the_wrong_shape_grants_nothing():
    for groups in ({"admin": True}, None, 5):
        identity = VerifiedIdentity.from_claims(
            {"sub": "s", "token_use": "id", "cognito:groups": groups}
        )
        assert identity.groups == ()
        assert not identity.is_admin
