"""Everything a tutor turn reads, in one statement: the caller's user row (by token subject), the
session, its guideline and the admin's examples for it.

A turn's other statements are its writes (the CAS update, the events, the call records), so
this read is what keeps a turn at four round trips. Nothing here is cached: every turn sees the
user's current `is_active`, the session's current version and the guideline as it is now. The
authorization rules stay in shared.auth.dependencies; this module only reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, func, literal_column, select
from sqlalchemy.orm import Session

from shared.models.entities import Content, TeachingGuideline, User
from shared.models.entities import Session as TutorSession
from tutor.services.contents_service import MAX_EXAMPLES


@dataclass(frozen=True)
class GuidelineRead:
    """The guideline a session row names (`sessions.guideline_id`) as read with it: None when
    the row names none or it no longer exists; its examples as `contents_service.examples_for`
    would give them."""

    guideline_id: str | None
    guideline: TeachingGuideline | None
    examples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TurnRead:
    user: User | None  # None: no token subject given, or no row for it yet
    row: TutorSession | None  # None: no such session
    guideline: GuidelineRead


def _topic_of(g: type[TeachingGuideline]) -> ColumnElement[str]:
    """`curriculum_service.topic_of` in SQL (Python's `or` skips empty strings, so does this)."""
    return func.coalesce(
        func.nullif(g.topic_title, ""),
        func.nullif(g.topic, ""),
        func.nullif(g.topic_key, ""),
        "General",
    )


@cache
def _statement(signed_in: bool) -> Select:
    """Built once per shape (the parameters are bound at execution), so a turn pays neither the
    construction nor the cache-key walk of this statement."""
    base = select(literal_column("1").label("one")).subquery("base")
    g = TeachingGuideline
    # The topics `session_service._context` asks `examples_for` about; NULL never matches IN,
    # and empty names are skipped as examples_for skips them.
    example_on = and_(
        Content.grade == g.grade,
        Content.topic.in_([_topic_of(g), g.topic, g.topic_key]),
        Content.topic != "",
    )
    # Anonymous callers join no user at all (`== None` would compile to IS NULL).
    user_on = User.cognito_sub == bindparam("sub") if signed_in else false()
    return (
        select(User, TutorSession, g, Content.text)
        .select_from(base)
        .outerjoin(User, user_on)
        .outerjoin(TutorSession, TutorSession.id == bindparam("session_id"))
        .outerjoin(g, g.id == TutorSession.guideline_id)
        .outerjoin(Content, example_on)
        .order_by(Content.id)
        .limit(MAX_EXAMPLES)
    )


def read_turn(*, session: Session, session_id: str, sub: str | None) -> TurnRead:
    """One SELECT from a one-row base, every table LEFT JOINed, so a missing user or session
    still answers a row: (user <= 1) x (session <= 1) x (guideline <= 1) x (examples <= 5)."""
    params = {"session_id": session_id} if sub is None else {"session_id": session_id, "sub": sub}
    rows = session.execute(_statement(sub is not None), params).all()
    user, row, guideline, _ = rows[0]
    examples = [text for *_, text in rows if text is not None]
    return TurnRead(
        user=user,
        row=row,
        guideline=GuidelineRead(row.guideline_id if row else None, guideline, examples),
    )
