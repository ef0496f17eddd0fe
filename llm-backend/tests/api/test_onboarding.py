"""Sign-in and onboarding exactly as the frontend makes the calls (upstream-api.md §2.1):
`POST /auth/sync` with the ID token and no body, then the wizard's one-field `PUT /profile`
steps with the access token, each followed by `GET /profile`."""

from __future__ import annotations

import pytest

from shared.auth.identity import placeholder_email
from tests.support.auth import KEY, bearer, claims, sign

SUB = "cognito-sub-asha"
# What the frontend's OnboardingFlow sends, step by step, and whether onboarding is complete
# after it (name, age, grade and board all set).
WIZARD = [
    ({"name": "Asha Verma"}, False),
    ({"preferred_name": "Asha"}, False),
    ({"age": 11}, False),
    ({"grade": 6}, False),
    ({"board": "CBSE"}, True),
    ({"about_me": "I like cricket, I learn better with stories"}, True),
]


@pytest.fixture
def id_token() -> dict[str, str]:
    token = sign(claims(sub=SUB, email="asha@example.com", email_verified=True, name="Asha V"), KEY)
    # The frontend sends a JSON content type even though /auth/sync has no body.
    return {**bearer(token), "Content-Type": "application/json"}


@pytest.fixture
def access_token() -> dict[str, str]:
    return {
        **bearer(sign(claims(sub=SUB, token_use="access"), KEY)),
        "Content-Type": "application/json",
    }


def test_a_new_user_completes_onboarding_one_field_at_a_time(auth_client, id_token, access_token):
    synced = auth_client.post("/auth/sync", headers=id_token)
    assert synced.status_code == 200
    assert synced.json()["onboarding_complete"] is False  # OnboardingGuard sends them on

    for body, complete in WIZARD:
        saved = auth_client.put("/profile", headers=access_token, json=body)
        assert saved.status_code == 200, (body, saved.json())
        refreshed = auth_client.get("/profile", headers=access_token)
        assert refreshed.status_code == 200
        assert refreshed.json()["onboarding_complete"] is complete, body
        field, value = next(iter(body.items()))
        assert refreshed.json()[field] == value

    profile = auth_client.get("/profile", headers=access_token).json()
    assert {k: profile[k] for k in ("name", "preferred_name", "age", "grade", "board")} == {
        "name": "Asha Verma",
        "preferred_name": "Asha",
        "age": 11,
        "grade": 6,
        "board": "CBSE",
    }


def test_the_profile_page_saves_languages_and_sync_returns_them(
    auth_client, id_token, access_token
):
    auth_client.post("/auth/sync", headers=id_token)
    # ProfilePage sends every field; empty inputs become undefined (left out).
    page = {
        "name": "Asha Verma",
        "preferred_name": "Ashu",
        "age": 11,
        "grade": 6,
        "board": "ICSE",
        "text_language_preference": "hinglish",
        "audio_language_preference": "hi",
    }
    assert auth_client.put("/profile", headers=access_token, json=page).status_code == 200

    synced = auth_client.post("/auth/sync", headers=id_token)

    assert synced.status_code == 200
    body = synced.json()
    # The full stored profile (upstream answered preferred_name null and "en" here).
    assert {k: body[k] for k in page} == page
    assert body["onboarding_complete"] is True
    assert body["name"] == "Asha Verma"  # the token's name never overrides the chosen one
    assert (body["email"], body["auth_provider"]) == ("asha@example.com", "email")
    assert body == auth_client.get("/profile", headers=access_token).json() | {
        "last_login_at": body["last_login_at"]
    }


def test_onboarding_never_turns_back_to_false(auth_client, access_token):
    for body, _ in WIZARD:
        auth_client.put("/profile", headers=access_token, json=body)
    later = auth_client.put(
        "/profile", headers=access_token, json={"name": None, "board": None, "grade": None}
    )
    assert later.status_code == 200
    assert later.json()["onboarding_complete"] is True
    assert (later.json()["name"], later.json()["board"]) == ("Asha Verma", "CBSE")


def test_a_phone_user_syncs_without_its_placeholders(auth_client):
    phone = "+919876543210"
    token = sign(
        claims(
            sub="cognito-sub-phone",
            **{"cognito:username": phone},
            phone_number=phone,
            phone_number_verified=True,
            email=placeholder_email(phone),
            name=phone,
        ),
        KEY,
    )

    body = auth_client.post("/auth/sync", headers=bearer(token)).json()

    assert (body["auth_provider"], body["phone"], body["email"], body["name"]) == (
        "phone",
        phone,
        None,
        None,  # the wizard's first step asks for the real name
    )
