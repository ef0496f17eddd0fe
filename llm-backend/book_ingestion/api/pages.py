"""Admin page routes: uploads and retried OCR (each an ocr_batch job), review, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Header, Path, Response, UploadFile

from book_ingestion.api.upload_limit import UploadLimitRoute
from book_ingestion.schemas import BulkUploadStarted, PageJobStarted, PageRead
from book_ingestion.services import page_service
from database import DbSession
from shared.api.params import PageNumber
from shared.api.responses import errors
from shared.auth.dependencies import AdminUser

router = APIRouter(
    prefix="/admin/books/{book_id}/pages", tags=["pages"], route_class=UploadLimitRoute
)
Number = Annotated[PageNumber, Path(description="1-based page number")]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The `etag` of the page the client means (from a page read or the book's "
        "pages list). When page n is another page by now, nothing is deleted and the answer "
        "is 412 `precondition_failed`. Without it, whatever page is number n now is deleted.",
    ),
]


def _tagged(page: PageRead, response: Response) -> PageRead:
    response.headers["ETag"] = page.etag
    return page


@router.post("", status_code=202, responses=errors(400, 409, 415))
def upload_page(
    book_id: str, admin: AdminUser, image: Annotated[UploadFile, File()]
) -> PageJobStarted:
    upload = page_service.read_upload(name=image.filename, stream=image.file)
    return page_service.upload_page(book_id=book_id, upload=upload)


@router.post("/bulk", status_code=202, responses=errors(400, 409, 415))
def bulk_upload(
    book_id: str, admin: AdminUser, images: Annotated[list[UploadFile], File()]
) -> BulkUploadStarted:
    files = [(f.filename, f.file) for f in images]
    return page_service.bulk_upload(book_id=book_id, files=files)


@router.get("/{number}")
def get_page(
    book_id: str, number: Number, admin: AdminUser, session: DbSession, response: Response
) -> PageRead:
    page = page_service.get_page(session=session, book_id=book_id, number=number)
    return _tagged(page, response)


@router.put("/{number}/approve", responses=errors(409))
def approve_page(book_id: str, number: Number, admin: AdminUser, response: Response) -> PageRead:
    return _tagged(page_service.approve_page(book_id=book_id, number=number), response)


@router.post("/{number}/retry-ocr", status_code=202, responses=errors(409))
def retry_ocr(book_id: str, number: Number, admin: AdminUser) -> PageJobStarted:
    return page_service.retry_ocr(book_id=book_id, number=number)


@router.delete("/{number}", status_code=204, responses=errors(409, 412))
def delete_page(
    book_id: str, number: Number, admin: AdminUser, if_match: IfMatch = None
) -> Response:
    page_service.delete_page(book_id=book_id, number=number, if_match=if_match)
    return Response(status_code=204)
