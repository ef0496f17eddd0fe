"""GET/PUT /profile: validation names the field, partial updates, onboarding_complete."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from database import session_scope
from shared.models.entities import User
from tests.support.auth import KEY, bearer, claims, sign


@pytest.fixture
def headers():
    return bearer(sign(claims(sub="student-1", email="s1@example.com"), KEY))


def stored() -> User:
    with session_scope() as session:
        return session.scalars(select(User)).one()


def test_get_profile_of_a_new_user(auth_client, headers):
    response = auth_client.get("/profile", headers=headers)
    assert response.status_code == 200
    body = response.json()
    user = stored()
    # Every field of the client contract's profile object, then what this backend adds.
    assert {k: v for k, v in body.items() if k not in ("created_at", "last_login_at")} == {
        "id": user.id,
        "email": "s1@example.com",
        "phone": None,
        "name": None,
        "preferred_name": None,
        "age": None,
        "grade": None,
        "board": None,
        "school_name": None,
        "about_me": None,
        "text_language_preference": "en",
        "audio_language_preference": "en",
        "onboarding_complete": False,
        "auth_provider": "email",
    }
    assert (user.text_language_preference, user.audio_language_preference) == (None, None)
    assert body["created_at"].endswith("Z") and body["last_login_at"].endswith("Z")  # UTC


def test_partial_updates_until_onboarding_is_complete(auth_client, headers):
    steps = [
        ({"name": "  Asha  "}, False),
        ({"age": 12, "grade": 7}, False),
        ({"school_name": "Green Valley School", "about_me": "I like maths."}, False),
        ({"board": "CBSE"}, True),
        ({"grade": 8}, True),
    ]
    for body, complete in steps:
        response = auth_client.put("/profile", headers=headers, json=body)
        assert response.status_code == 200, response.json()
        assert response.json()["onboarding_complete"] is complete

    user = stored()
    assert (user.name, user.age, user.grade, user.board) == ("Asha", 12, 8, "CBSE")
    assert (user.school_name, user.about_me) == ("Green Valley School", "I like maths.")
    assert user.onboarding_complete is True
    assert auth_client.get("/profile", headers=headers).json()["grade"] == 8


def test_all_onboarding_fields_at_once(auth_client, headers):
    body = {"name": "Ravi", "age": 5, "grade": 1, "board": "ICSE"}
    response = auth_client.put("/profile", headers=headers, json=body)
    assert response.status_code == 200
    assert response.json()["onboarding_complete"] is True


def test_optional_texts_are_cleared_by_an_empty_string(auth_client, headers):
    body = {"preferred_name": "Ash", "school_name": "X", "about_me": "Y"}
    auth_client.put("/profile", headers=headers, json=body)
    response = auth_client.put(
        "/profile", headers=headers, json={"preferred_name": "", "school_name": "", "about_me": " "}
    )
    assert response.status_code == 200
    user = stored()
    assert (user.preferred_name, user.school_name, user.about_me) == (None, None, None)


def test_null_leaves_every_field_as_it_is(auth_client, headers):
    """The contract's partial update: null means "not sent", so no field can be cleared by it
    (before, `name: null` was a 422 and `school_name: null` cleared the school)."""
    full = {
        "name": "Asha",
        "preferred_name": "Ash",
        "age": 12,
        "grade": 7,
        "board": "CBSE",
        "school_name": "Green Valley",
        "about_me": "I like maths.",
        "text_language_preference": "hi",
        "audio_language_preference": "hinglish",
    }
    before = auth_client.put("/profile", headers=headers, json=full).json()

    response = auth_client.put("/profile", headers=headers, json=dict.fromkeys(full))

    assert response.status_code == 200
    assert response.json() == before
    assert {k: response.json()[k] for k in full} == full


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": 5}, "name"),
        ({"age": 4}, "age"),
        ({"age": 19}, "age"),
        ({"age": "12"}, "age"),
        ({"age": 12.5}, "age"),
        ({"age": True}, "age"),
        ({"grade": 0}, "grade"),
        ({"grade": 13}, "grade"),
        ({"grade": "seven"}, "grade"),
        ({"board": ""}, "board"),
        ({"board": "b" * 101}, "board"),
        ({"preferred_name": "p" * 101}, "preferred_name"),
        ({"preferred_name": 7}, "preferred_name"),
        ({"text_language_preference": "fr"}, "text_language_preference"),
        ({"text_language_preference": "EN"}, "text_language_preference"),
        ({"text_language_preference": ""}, "text_language_preference"),
        ({"audio_language_preference": "english"}, "audio_language_preference"),
        ({"audio_language_preference": 1}, "audio_language_preference"),
        ({"school_name": "s" * 201}, "school_name"),
        ({"about_me": "a" * 501}, "about_me"),
        ({"onboarding_complete": True}, "onboarding_complete"),
        ({"email": "me@evil.example"}, "email"),
        ({"grade_level": 7}, "grade_level"),
    ],
)
def test_invalid_values_are_422_naming_the_field(auth_client, headers, body, field):
    before = auth_client.put(
        "/profile", headers=headers, json={"name": "Asha", "age": 10, "grade": 5}
    ).json()

    response = auth_client.put("/profile", headers=headers, json={"grade": 6, **body})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"].startswith(f"{field}:"), error["message"]
    after = auth_client.get("/profile", headers=headers).json()
    assert after == before  # nothing stored, not even the valid "grade" next to the bad field


def test_boundaries_are_accepted(auth_client, headers):
    body = {"name": "n" * 100, "age": 18, "grade": 12, "about_me": "a" * 500}
    response = auth_client.put("/profile", headers=headers, json=body)
    assert response.status_code == 200
    assert (stored().age, stored().grade, len(stored().about_me)) == (18, 12, 500)


def test_body_must_be_an_object(auth_client, headers):
    response = auth_client.put("/profile", headers=headers, json=["name", "Asha"])
    assert response.status_code == 422


def test_empty_update_changes_nothing(auth_client, headers):
    before = auth_client.get("/profile", headers=headers).json()
    response = auth_client.put("/profile", headers=headers, json={})
    assert response.status_code == 200
    assert response.json() == before


def test_profile_needs_a_token(auth_client):
    assert auth_client.get("/profile").status_code == 401
    assert auth_client.put("/profile", json={"name": "X"}).status_code == 401
    assert auth_client.post("/auth/sync").status_code == 401
    with session_scope() as session:
        assert session.scalars(select(User)).all() == []


def test_each_user_sees_only_their_profile(auth_client, headers):
    other = bearer(sign(claims(sub="student-2"), KEY))
    auth_client.put("/profile", headers=headers, json={"name": "Asha"})
    auth_client.put("/profile", headers=other, json={"name": "Ravi"})
    assert auth_client.get("/profile", headers=headers).json()["name"] == "Asha"
    assert auth_client.get("/profile", headers=other).json()["name"] == "Ravi"
