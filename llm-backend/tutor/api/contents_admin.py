"""Admin CRUD for `contents`: extra examples the tutor gets for a topic and grade."""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le
from fastapi import APIRouter, status

from database import DbSession
from shared.api.params import Grade, Offset
from shared.api.route import ApiRoute
from shared.auth.dependencies import AdminUser
from tutor.api.schemas import ContentCreate, ContentPage, ContentRead, ContentUpdate
from tutor.services import contents_service

router = APIRouter(prefix="/admin/contents", tags=["admin: contents"], route_class=ApiRoute)
ContentsLimit = Annotated[int, Ge(1), Le(200)]


@router.get("", response_model=ContentPage)
def list_contents(
    admin: AdminUser,
    session: DbSession,
    topic: str | None = None,
    grade: Grade | None = None,
    limit: ContentsLimit = 50,
    offset: Offset = 0,
) -> ContentPage:
    rows, total = contents_service.list_contents(
        session=session, topic=topic, grade=grade, limit=limit, offset=offset
    )
    return ContentPage(
        items=[ContentRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ContentRead)
def create_content(body: ContentCreate, admin: AdminUser, session: DbSession) -> ContentRead:
    row = contents_service.create_content(session=session, values=body.model_dump())
    return ContentRead.model_validate(row)


@router.get("/{content_id}", response_model=ContentRead)
def get_content(content_id: str, admin: AdminUser, session: DbSession) -> ContentRead:
    return ContentRead.model_validate(
        contents_service.get_content(session=session, content_id=content_id)
    )


@router.patch("/{content_id}", response_model=ContentRead)
def update_content(
    content_id: str, body: ContentUpdate, admin: AdminUser, session: DbSession
) -> ContentRead:
    row = contents_service.update_content(
        session=session, content_id=content_id, changes=body.model_dump(exclude_unset=True)
    )
    return ContentRead.model_validate(row)


@router.delete("/{content_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_content(content_id: str, admin: AdminUser, session: DbSession) -> None:
    contents_service.delete_content(session=session, content_id=content_id)
