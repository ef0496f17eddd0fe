"""Session ownership through `get_owned_session` (probe route `/test/sessions/{session_id}`)."""

from __future__ import annotations

import pytest

from config import reset_settings
from database import session_scope
from shared.auth.identity import VerifiedIdentity
from shared.models.entities import Session
from shared.services import user_service
from tests.support.auth import KEY, bearer, claims, sign
from tests.support.errors import error_json
from tests.support.routes import app_routes, dependency_calls

NOT_FOUND = error_json("session_not_found", "Session not found.")


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


# --- every session route of the real app -------------------------------------------------


def _session_routes() -> list[tuple[str, str]]:
    """(method, path) of every app route that takes a `session_id`, from the route table, so a
    route the tutor adds later is covered without editing this file."""
    from main import create_app

    routes = []
    for route in app_routes(create_app()):
        if "{session_id}" in route.path:
            routes.extend((method, route.path) for method in sorted(route.methods or ()))
    return routes


def test_every_session_route_loads_the_session_through_the_ownership_check():
    from fastapi.routing import APIRoute

    from main import create_app
    from shared.auth.dependencies import get_owned_session
    from tutor.api.turn_access import get_owned_turn

    # The turn route reads the session with its guideline in one statement, under the same
    # rules (tests/api/test_turn_reads.py compares the two guards' answers case by case).
    guards = {get_owned_session, get_owned_turn}
    missing = [
        f"{sorted(route.methods)} {route.path}"
        for route in app_routes(create_app())
        if "{session_id}" in route.path
        and isinstance(getattr(route, "original_route", route), APIRoute)
        and not guards & set(dependency_calls(route.dependant))
    ]
    assert missing == []
    assert len(_session_routes()) >= 8  # the check above did look at the tutor's routes


SIGNED_IN_ONLY = ("/pause", "/resume", "/end-exam", "/end-clarify", "/replay", "/exam-review")


def test_another_user_and_an_anonymous_caller_get_404_on_every_session_route(
    auth_client, fake_llm, allow_anonymous
):
    from sqlalchemy import func, select

    from shared.models.entities import Event
    from tests.support.tutor import STUDENT_A, STUDENT_B, add_guideline, session_body

    created = auth_client.post(
        "/sessions", json=session_body(add_guideline(), "teach_me"), headers=STUDENT_A
    )
    assert created.status_code == 200, created.json()
    sid = created.json()["session_id"]

    def snapshot() -> tuple:
        with session_scope() as db:
            row = db.get(Session, sid)
            events = db.scalar(
                select(func.count()).select_from(Event).where(Event.session_id == sid)
            )
            return (row.state_json, row.state_version, row.is_paused, row.updated_at, events)

    before, model_calls = snapshot(), len(fake_llm.requests)
    routes = _session_routes()
    assert {path for _, path in routes} >= {
        "/sessions/{session_id}",
        "/sessions/{session_id}/step",
        "/sessions/{session_id}/pause",
        "/sessions/{session_id}/resume",
        "/sessions/{session_id}/end-exam",
        "/sessions/{session_id}/end-clarify",
        "/sessions/{session_id}/replay",
        "/sessions/{session_id}/summary",
        "/sessions/{session_id}/exam-review",
        "/sessions/{session_id}/agent-logs",
    }
    for method, path in routes:
        url = path.replace("{session_id}", sid)
        body = {"student_reply": "let me in"} if method in ("POST", "PUT", "PATCH") else None
        response = auth_client.request(method, url, json=body, headers=STUDENT_B)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), (method, url)
        # Routes the contract marks "required auth" refuse a tokenless caller before looking.
        anonymous = auth_client.request(method, url, json=body)
        expected = 401 if path.endswith(SIGNED_IN_ONLY) else 404
        assert anonymous.status_code == expected, (method, url)
    assert snapshot() == before
    assert len(fake_llm.requests) == model_calls  # nobody's request reached the model
    assert auth_client.get(f"/sessions/{sid}", headers=STUDENT_A).status_code == 200
