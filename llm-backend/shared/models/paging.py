"""One page of rows plus the total that matches, for every paginated list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def equal_to(*pairs: tuple[Any, Any]) -> list[Any]:
    """`column == value` for each pair whose value was given (None means "any")."""
    return [column == value for column, value in pairs if value is not None]


def page(
    session: Session,
    model: type,
    *,
    where: Sequence[Any],
    order_by: Sequence[Any],
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    """Rows `offset`..`offset+limit` of `model` matching `where`, in `order_by`, and how many
    match in all."""
    total = session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    rows: Sequence[Any] = session.scalars(
        select(model).where(*where).order_by(*order_by).limit(limit).offset(offset)
    ).all()
    return list(rows), total
