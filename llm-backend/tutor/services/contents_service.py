"""Admin-managed `contents` rows: extra examples given to the tutor for a topic and grade."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from shared.errors import NotFoundError
from shared.models.entities import Content
from shared.models.paging import page
from shared.sql import execute_dml

MAX_EXAMPLES = 5  # keeps the prompt bounded however many rows admins add


def examples_for(*, session: Session, topics: Sequence[str | None], grade: int) -> list[str]:
    """Up to MAX_EXAMPLES texts for any of `topics` (unknown names, None or empty, are skipped)."""
    names = [t for t in topics if t]
    if not names:
        return []
    rows = session.scalars(
        select(Content.text)
        .where(Content.topic.in_(names), Content.grade == grade)
        .order_by(Content.id)
        .limit(MAX_EXAMPLES)
    ).all()
    return list(rows)


def list_contents(
    *, session: Session, topic: str | None, grade: int | None, limit: int, offset: int
) -> tuple[list[Content], int]:
    clauses = []
    if topic:
        clauses.append(Content.topic == topic)
    if grade is not None:
        clauses.append(Content.grade == grade)
    return page(
        session,
        Content,
        where=clauses,
        order_by=(Content.topic, Content.id),
        limit=limit,
        offset=offset,
    )


def get_content(*, session: Session, content_id: str) -> Content:
    row = session.get(Content, content_id)
    if row is None:
        raise NotFoundError("Content not found.", code="content_not_found")
    return row


def create_content(*, session: Session, values: dict) -> Content:
    row = Content(**values)
    session.add(row)
    session.commit()
    return row


def update_content(*, session: Session, content_id: str, changes: dict) -> Content:
    """One UPDATE … RETURNING: a row deleted meanwhile is a 404, not a write that matches
    nothing after a read that found it."""
    if not changes:
        return get_content(session=session, content_id=content_id)
    row = session.scalars(
        update(Content).where(Content.id == content_id).values(**changes).returning(Content)
    ).one_or_none()
    if row is None:
        raise NotFoundError("Content not found.", code="content_not_found")
    session.commit()
    return row


def delete_content(*, session: Session, content_id: str) -> None:
    """One DELETE decides: of two concurrent deletes the second waits on the row lock, then
    finds no row (404) instead of reading it first and answering 204 too."""
    deleted = execute_dml(session, delete(Content).where(Content.id == content_id)).rowcount
    if not deleted:
        raise NotFoundError("Content not found.", code="content_not_found")
    session.commit()
