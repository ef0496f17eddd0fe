"""Admin book routes."""

from __future__ import annotations

from fastapi import APIRouter, Response

from book_ingestion.schemas import BookCreate, BookDetail, BookList, BookRead
from book_ingestion.services import book_service
from database import DbSession
from shared.api.params import Grade, Limit, Offset
from shared.api.responses import errors
from shared.api.route import ApiRoute
from shared.auth.dependencies import AdminUser

router = APIRouter(prefix="/admin/books", tags=["books"], route_class=ApiRoute)


@router.post("", status_code=201)
def create_book(body: BookCreate, admin: AdminUser) -> BookRead:
    return book_service.create_book(data=body, created_by=admin.cognito_sub or admin.id)


@router.get("")
def list_books(
    admin: AdminUser,
    session: DbSession,
    country: str | None = None,
    board: str | None = None,
    grade: Grade | None = None,
    subject: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> BookList:
    return book_service.list_books(
        session=session,
        country=country,
        board=board,
        grade=grade,
        subject=subject,
        limit=limit,
        offset=offset,
    )


@router.get("/{book_id}")
def get_book(book_id: str, admin: AdminUser, session: DbSession) -> BookDetail:
    return book_service.book_detail(session=session, book_id=book_id)


@router.delete("/{book_id}", status_code=204, responses=errors(409))
def delete_book(book_id: str, admin: AdminUser) -> Response:
    book_service.delete_book(book_id=book_id)
    return Response(status_code=204)
