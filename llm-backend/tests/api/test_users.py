"""Users are created on first sight of a verified token, once, even under concurrent requests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from database import get_db_manager, session_scope
from shared.api.profile import ProfileRead
from shared.auth.identity import VerifiedIdentity
from shared.models.entities import User
from shared.services import user_service
from tests.support.app_database import use_database
from tests.support.auth import KEY, bearer, claims, sign


def user_rows(sub: str | None = None) -> list[User]:
    with session_scope() as session:
        query = select(User).order_by(User.created_at)
        if sub is not None:
            query = query.where(User.cognito_sub == sub)
        return list(session.scalars(query))


def identity(sub: str = "sub-1", **values) -> VerifiedIdentity:
    return VerifiedIdentity(sub=sub, token_use="id", **values)


def test_first_request_creates_the_user_from_the_claims(auth_client):
    token = sign(
        claims(
            sub="sub-asha",
            email="Asha@Example.com",
            email_verified=True,
            phone_number="+919800000001",
            phone_number_verified=True,
            name="Asha",
        ),
        KEY,
    )
    response = auth_client.get("/profile", headers=bearer(token))

    assert response.status_code == 200
    (user,) = user_rows()
    assert (user.cognito_sub, user.email, user.phone, user.auth_provider, user.name) == (
        "sub-asha",
        "asha@example.com",
        "+919800000001",
        "phone",  # a verified phone number makes a phone account (the client contract's rule)
        "Asha",
    )
    assert (user.is_active, user.onboarding_complete) == (True, False)
    assert user.last_login_at is not None
    body = response.json()
    assert body["id"] == user.id
    assert (body["email"], body["name"], body["onboarding_complete"]) == (
        "asha@example.com",
        "Asha",
        False,
    )


def test_later_requests_reuse_the_row(auth_client):
    token = sign(claims(sub="sub-repeat"), KEY)
    ids = {auth_client.get("/profile", headers=bearer(token)).json()["id"] for _ in range(5)}
    assert len(ids) == 1
    assert len(user_rows()) == 1


def test_twenty_concurrent_first_requests_create_one_user(auth_client):
    token = sign(claims(sub="sub-race", email="race@example.com"), KEY)
    barrier = threading.Barrier(20)
    responses = []

    def first_request() -> None:
        barrier.wait()
        responses.append(auth_client.get("/profile", headers=bearer(token)))

    threads = [threading.Thread(target=first_request) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status_code for r in responses] == [200] * 20
    (user,) = user_rows()
    assert {r.json()["id"] for r in responses} == {user.id}


def test_twenty_concurrent_service_calls_create_one_user(db):
    """The service itself, each caller on its own connection, released together."""
    barrier = threading.Barrier(20)
    ids: list[str] = []
    errors: list[BaseException] = []

    def call() -> None:
        session = get_db_manager().session()
        try:
            barrier.wait()
            user = user_service.get_or_create_user(
                session=session, identity=identity("sub-svc", email="svc@example.com")
            )
            ids.append(user.id)
        except BaseException as exc:
            errors.append(exc)
        finally:
            session.close()

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(ids) == 20 and len(set(ids)) == 1
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1


def test_insert_that_loses_the_race_reads_the_winner(db, monkeypatch):
    """Deterministic version of the race: the row appears between the lookup and the insert."""
    with session_scope() as session:
        winner = User(cognito_sub="sub-late", email="late@example.com")
        session.add(winner)
    real_by_sub = user_service._by_sub
    calls = []

    def lookup_misses_once(session, sub):
        calls.append(sub)
        return None if len(calls) == 1 else real_by_sub(session, sub)

    monkeypatch.setattr(user_service, "_by_sub", lookup_misses_once)
    with session_scope() as session:
        user = user_service.get_or_create_user(
            session=session, identity=identity("sub-late", email="late@example.com")
        )
    assert user.id == winner.id
    assert len(user_rows()) == 1


def test_email_held_by_another_account_is_not_copied(db):
    with session_scope() as session:
        user_service.get_or_create_user(
            session=session, identity=identity("sub-old", email="shared@example.com")
        )
    with session_scope() as session:
        newcomer = user_service.get_or_create_user(
            session=session,
            identity=identity("sub-new", email="shared@example.com", name="New"),
        )
    assert (newcomer.cognito_sub, newcomer.email, newcomer.name) == ("sub-new", None, "New")
    assert [u.email for u in user_rows()] == ["shared@example.com", None]


def test_last_login_is_refreshed_at_most_once_a_minute(db):
    start = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    with session_scope() as session:
        user_service.get_or_create_user(session=session, identity=identity(), now=start)
        created = user_rows()[0]
    for offset, expected in [(30, start), (61, start + timedelta(seconds=61))]:
        with session_scope() as session:
            user = user_service.get_or_create_user(
                session=session, identity=identity(), now=start + timedelta(seconds=offset)
            )
        assert user.last_login_at == expected
        (stored,) = user_rows()
        assert stored.last_login_at == expected
        assert stored.updated_at == created.updated_at  # a sign-in is not a profile change


def test_sync_refreshes_contacts_and_login_but_not_a_chosen_name(auth_client):
    first = sign(claims(sub="sub-sync", email="old@example.com", name="From Cognito"), KEY)
    assert auth_client.post("/auth/sync", headers=bearer(first)).json()["name"] == "From Cognito"
    auth_client.put("/profile", headers=bearer(first), json={"name": "Chosen"})
    with session_scope() as session:
        session.execute(update(User).values(last_login_at=datetime(2020, 1, 1, tzinfo=UTC)))

    later = sign(
        claims(
            sub="sub-sync",
            email="new@example.com",
            name="Other",
            identities=[{"providerName": "Google"}],
        ),
        KEY,
    )
    response = auth_client.post("/auth/sync", headers=bearer(later))

    assert response.status_code == 200
    body = response.json()
    assert (body["email"], body["name"], body["auth_provider"]) == (
        "new@example.com",
        "Chosen",
        "google",
    )
    (user,) = user_rows()
    assert user.last_login_at > datetime(2020, 1, 2, tzinfo=UTC)
    assert user.email == "new@example.com"


def test_sync_with_an_access_token_keeps_contacts(auth_client):
    auth_client.post(
        "/auth/sync", headers=bearer(sign(claims(sub="sub-acc", email="a@example.com"), KEY))
    )
    response = auth_client.post(
        "/auth/sync", headers=bearer(sign(claims(sub="sub-acc", token_use="access"), KEY))
    )
    assert response.status_code == 200
    assert response.json()["email"] == "a@example.com"
    assert len(user_rows()) == 1


@pytest.mark.sqlite
def test_get_or_create_is_idempotent_on_sqlite(tmp_path, db):
    from db import run_migrations

    use_database(f"sqlite:///{tmp_path / 'tutor.db'}")
    run_migrations()
    for _ in range(3):
        with session_scope() as session:
            user_service.get_or_create_user(
                session=session, identity=identity("sub-lite", email="lite@example.com")
            )
    with session_scope() as session:
        rows = session.scalars(select(User)).all()
        assert [(u.cognito_sub, u.email) for u in rows] == [("sub-lite", "lite@example.com")]
        profile = ProfileRead.model_validate(rows[0]).model_dump(mode="json")
    assert profile["created_at"].endswith("Z")  # SQLite's naive datetimes are read as UTC
