"""Session ownership through `get_owned_session` (probe route `/test/sessions/{session_id}`)."""

from __future__ import annotations

import pytest

from config import reset_settings
from database import session_scope
from shared.auth.identity import VerifiedIdentity
from shared.models.entities import Session
from shared.services import user_service
from tests.support.auth import KEY, bearer, claims, sign

NOT_FOUND = {"error": {"code": "session_not_found", "message": "Session not found."}}


@pytest.fixture
def sessions(auth_client) -> dict[str, str]:
    """Users A and B, a session of A's and an anonymous one; returns their ids."""
    with session_scope() as db:
        user_a = user_service.get_or_create_user(
            session=db, identity=VerifiedIdentity(sub="user-a", token_use="id")
        )
        user_service.get_or_create_user(
            session=db, identity=VerifiedIdentity(sub="user-b", token_use="id")
        )
        owned = Session(user_id=user_a.id, subject="maths")
        anonymous = Session(user_id=None, subject="science")
        db.add_all([owned, anonymous])
        db.flush()
        return {"a": owned.id, "anonymous": anonymous.id, "user_a": user_a.id}


@pytest.fixture
def allow_anonymous(monkeypatch):
    monkeypatch.setenv("ALLOW_ANONYMOUS_SESSIONS", "true")
    reset_settings()


A = bearer(sign(claims(sub="user-a"), KEY))
B = bearer(sign(claims(sub="user-b"), KEY))


def get(client, session_id: str, headers: dict | None = None):
    return client.get(f"/test/sessions/{session_id}", headers=headers or {})


def test_owner_gets_their_session(auth_client, sessions):
    response = get(auth_client, sessions["a"], A)
    assert response.status_code == 200
    assert response.json() == {"id": sessions["a"], "user_id": sessions["user_a"]}


def test_another_user_gets_404_like_a_missing_session(auth_client, sessions):
    other = get(auth_client, sessions["a"], B)
    missing = get(auth_client, "no-such-session", B)
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json() == NOT_FOUND


def test_no_token_is_401(auth_client, sessions):
    response = get(auth_client, sessions["a"])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"


def test_bad_token_is_401_even_when_anonymous_sessions_are_allowed(
    auth_client, sessions, allow_anonymous
):
    expired = bearer(sign(claims(sub="user-a", expires_in=-3600), KEY))
    response = get(auth_client, sessions["anonymous"], expired)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


def test_anonymous_sessions_are_hidden_by_default(auth_client, sessions):
    assert get(auth_client, sessions["anonymous"], A).json() == NOT_FOUND
    assert get(auth_client, sessions["anonymous"]).status_code == 401


def test_anonymous_sessions_when_allowed(auth_client, sessions, allow_anonymous):
    assert get(auth_client, sessions["anonymous"]).status_code == 200
    assert get(auth_client, sessions["anonymous"], B).status_code == 200
    # An anonymous caller still cannot reach a user's session.
    assert get(auth_client, sessions["a"]).json() == NOT_FOUND
    assert get(auth_client, sessions["a"], B).json() == NOT_FOUND
    assert get(auth_client, sessions["a"], A).status_code == 200
