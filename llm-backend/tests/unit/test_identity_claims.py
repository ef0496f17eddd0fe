"""`auth_provider` and the profile claims, derived from a verified token's claims as the client
contract (upstream-api.md §2.1) says, and the placeholders of provisioned phone users left out."""

from __future__ import annotations

import pytest

from shared.auth.identity import VerifiedIdentity, placeholder_email

BASE = {"sub": "s-1", "token_use": "id"}


@pytest.mark.parametrize(
    ("claims", "provider"),
    [
        pytest.param(
            {"identities": [{"providerName": "Google"}], "phone_number_verified": True},
            "google",
            id="google first",
        ),
        pytest.param(
            {"identities": '[{"providerName": "Google"}]'}, "google", id="identities as JSON"
        ),
        pytest.param(
            {"email": "a@example.com", "email_verified": True, "phone_number_verified": True},
            "phone",
            id="verified phone wins over email",
        ),
        pytest.param({"phone_number_verified": "true"}, "phone", id="flag as string"),
        pytest.param({"cognito:username": "+919800000001"}, "phone", id="phone username"),
        pytest.param({"username": "+919800000001", "token_use": "access"}, "phone", id="access"),
        pytest.param(
            {"email": "a@example.com", "phone_number_verified": False}, "email", id="email"
        ),
        pytest.param({"cognito:username": "asha"}, "email", id="nothing says phone"),
    ],
)
def test_auth_provider_follows_the_contract(claims, provider):
    assert VerifiedIdentity.from_claims({**BASE, **claims}).auth_provider == provider


def test_a_provisioned_phone_users_placeholders_are_not_profile_data():
    phone = "+919800000001"
    identity = VerifiedIdentity.from_claims(
        {
            **BASE,
            "cognito:username": phone,
            "phone_number": phone,
            "phone_number_verified": True,
            "email": placeholder_email(phone),
            "name": phone,
        }
    )
    assert placeholder_email(phone) == "phone_919800000001@placeholder.local"
    assert (identity.email, identity.phone, identity.name, identity.auth_provider) == (
        None,
        phone,
        None,
        "phone",
    )


def test_real_email_and_name_are_kept():
    identity = VerifiedIdentity.from_claims(
        {**BASE, "email": "Asha@Example.com", "email_verified": True, "name": "Asha"}
    )
    assert (identity.email, identity.name, identity.auth_provider) == (
        "asha@example.com",
        "Asha",
        "email",
    )
