"""Users: created on first sight of a verified token, synced from its claims, profile edits.

The caller passes the request's session; these functions commit their own small transactions
(a user row must exist, committed, before anything else in the request refers to it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from shared.auth.identity import VerifiedIdentity
from shared.errors import AppError, ConflictError, NotFoundError
from shared.models.base import new_id
from shared.models.entities import User
from shared.observability.logging import get_logger
from shared.sql import conflict_insert, execute_dml

PROFILE_FIELDS = (
    "name",
    "preferred_name",
    "age",
    "grade",
    "board",
    "school_name",
    "about_me",
    "text_language_preference",
    "audio_language_preference",
)
ONBOARDING_FIELDS = ("name", "age", "grade", "board")
# `last_login_at` is refreshed at most this often by ordinary requests, so an active user does
# not cost a write per request; POST /auth/sync always refreshes it.
LOGIN_TOUCH_INTERVAL = timedelta(minutes=1)


def get_or_create_user(
    *,
    session: Session,
    identity: VerifiedIdentity,
    now: datetime | None = None,
    found: User | None = None,
) -> User:
    """The user row for `identity.sub`, inserted on first sight. Safe under concurrent first
    requests: the insert is `INSERT ... ON CONFLICT DO NOTHING`, then the row is read back.
    `found`: the row for `identity.sub` when the caller has just read it in a statement of its
    own (a turn reads it together with the session), so it is not read again."""
    now = now or datetime.now(UTC)
    if found is not None and found.cognito_sub != identity.sub:
        raise ValueError("`found` is not the row of this identity")
    user = found or _by_sub(session, identity.sub)
    if user is not None:
        _touch_login(session, user, now=now, min_interval=LOGIN_TOUCH_INTERVAL)
        return user
    values = {
        "id": new_id(),
        "cognito_sub": identity.sub,
        "email": identity.email,
        "phone": identity.phone,
        "auth_provider": identity.auth_provider,
        "name": identity.name,
        "last_login_at": now,
        "created_at": now,
        "updated_at": now,
    }
    _insert_ignoring_conflicts(session, values)
    user = _by_sub(session, identity.sub)
    if user is None and (identity.email or identity.phone):
        # The conflict was an email or phone that another account (another `sub`) already
        # holds: the columns are unique, so this account starts without them.
        get_logger().warning("new user's email/phone belongs to another account; not stored")
        _insert_ignoring_conflicts(session, {**values, "email": None, "phone": None})
        user = _by_sub(session, identity.sub)
    if user is None:
        raise AppError("Could not create the user record.")
    return user


def sync_user(*, session: Session, identity: VerifiedIdentity) -> User:
    """Upsert from the token: contact details follow the identity provider (id tokens only;
    access tokens carry none), a name is taken only while the profile has none (the profile
    owns it), and `last_login_at` is refreshed."""
    now = datetime.now(UTC)
    user = get_or_create_user(session=session, identity=identity, now=now)
    changes: dict[str, Any] = {"last_login_at": now}
    if identity.token_use == "id":
        for column, value in (("email", identity.email), ("phone", identity.phone)):
            if value and value != getattr(user, column) and not _taken(session, column, value):
                changes[column] = value
        changes["auth_provider"] = identity.auth_provider
        if identity.name and not user.name:
            changes["name"] = identity.name
    for column, value in changes.items():
        setattr(user, column, value)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError(
            "That email or phone number already belongs to another account."
        ) from None
    return user


def update_profile(*, session: Session, user_id: str, changes: Mapping[str, Any]) -> User:
    """Apply a partial profile update (a None value clears the column); `onboarding_complete`
    turns true (and stays true) once name, age, grade and board are all non-empty. The row is
    locked so two concurrent updates cannot both judge onboarding from a stale row."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    locked = (
        select(User)
        .where(User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)  # re-read, even if loaded earlier
    )
    user = session.scalars(locked).one_or_none()
    if user is None:
        raise NotFoundError("User not found.")
    for column, value in changes.items():
        setattr(user, column, value)
    if all(getattr(user, column) not in (None, "") for column in ONBOARDING_FIELDS):
        user.onboarding_complete = True
    session.commit()
    return user


def _by_sub(session: Session, sub: str) -> User | None:
    return session.scalars(select(User).where(User.cognito_sub == sub)).one_or_none()


def _taken(session: Session, column: str, value: str) -> bool:
    return session.scalar(select(User.id).where(getattr(User, column) == value)) is not None


def _insert_ignoring_conflicts(session: Session, values: dict[str, Any]) -> None:
    """`INSERT ... ON CONFLICT DO NOTHING` (PostgreSQL and SQLite). Without a conflict target,
    so a clash on any unique column (sub, email, phone) is skipped rather than raised."""
    session.execute(conflict_insert(session, User).values(**values).on_conflict_do_nothing())
    session.commit()


def _touch_login(session: Session, user: User, *, now: datetime, min_interval: timedelta) -> None:
    # A conditional UPDATE, so concurrent requests do not race, and `updated_at` is kept as is:
    # it means "profile changed", not "signed in".
    seen = user.last_login_at
    if seen is not None and seen >= now - min_interval:  # UTCDateTime: always aware
        # The row just read is recent enough, and the stored time only moves forward: the
        # UPDATE would match nothing, so it is not sent (a statement on every request).
        session.commit()
        return
    result = execute_dml(
        session,
        update(User)
        .where(
            User.id == user.id,
            or_(User.last_login_at.is_(None), User.last_login_at < now - min_interval),
        )
        .values(last_login_at=now, updated_at=User.updated_at)
        .execution_options(synchronize_session=False),
    )
    session.commit()
    if result.rowcount:
        set_committed_value(user, "last_login_at", now)
