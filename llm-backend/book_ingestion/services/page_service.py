"""Pages: single upload with inline OCR, bulk upload into an `ocr_batch` job, read, approve,
retry OCR, delete with renumbering. Bad input is refused before anything is stored."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from book_ingestion.models.database import BookPage
from book_ingestion.schemas import PageRead
from book_ingestion.services import book_service, images, job_lock_service, keys, ocr_service
from config import get_settings
from database import run_transaction, session_scope
from shared.errors import BadRequestError, ConflictError, NotFoundError
from shared.jobs.messages import JobMessage
from shared.models.base import utcnow
from shared.storage import BlobNotFoundError, get_blob_store

OCR_BATCH = "ocr_batch"
PAGES = BookPage.__table__


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes | None
    fmt: str
    # Bulk uploads keep only the (spooled) request file and read it again when storing, so a
    # 200-file upload does not hold every image in memory at once.
    stream: BinaryIO | None = None

    def content(self) -> bytes:
        if self.data is not None:
            return self.data
        self.stream.seek(0)
        return self.stream.read()


def read_upload(*, name: str | None, stream: BinaryIO, keep: bool = True) -> Upload:
    """Reads and checks one upload; `keep=False` drops the bytes after the check."""
    name = name or "upload"
    data = images.read_limited(stream, name=name, limit=get_settings().max_upload_bytes)
    fmt = images.check_image(data, name=name)
    return Upload(name=name, data=data, fmt=fmt) if keep else Upload(name, None, fmt, stream)


def natural_key(name: str) -> list:
    """`page2` sorts before `page10`."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def _pages(session: Session, book_id: str) -> list[BookPage]:
    stmt = select(BookPage).where(BookPage.book_id == book_id).order_by(BookPage.page_number)
    return list(session.scalars(stmt))


def _count(session: Session, book_id: str) -> int:
    return session.scalar(select(func.count()).where(BookPage.book_id == book_id)) or 0


def _page(session: Session, book_id: str, number: int) -> BookPage:
    page = session.scalars(
        select(BookPage).where(BookPage.book_id == book_id, BookPage.page_number == number)
    ).first()
    if page is None:
        count = _count(session, book_id)
        raise NotFoundError(
            f"Page {number} does not exist; book {book_id} has {count} page(s).",
            code="page_not_found",
        )
    return page


def page_read(page: BookPage) -> PageRead:
    store = get_blob_store()
    text = None
    if page.text_s3_key:
        try:
            text = store.get(page.text_s3_key).decode("utf-8")
        except BlobNotFoundError:
            text = None
    image = page.image_s3_key or page.original_s3_key
    return PageRead(
        number=page.page_number,
        status=page.status,
        image_url=store.url(image) if image else None,
        text=text,
        ocr_error=page.ocr_error,
        original_filename=page.original_filename,
        approved_at=page.approved_at,
    )


def upload_page(*, book_id: str, upload: Upload) -> PageRead:
    with session_scope() as session:
        book = book_service.get_book(session, book_id=book_id)
        job_lock_service.ensure_no_active_job(session, book_id=book_id)
        subject, grade = book.subject, book.grade
    png = images.to_png(upload.content())
    text = ocr_service.ocr_page(png=png, subject=subject, grade=grade)
    store = get_blob_store()
    written: list[str] = []
    try:
        with session_scope() as session:
            book_service.get_book(session, book_id=book_id, lock=True)
            job_lock_service.ensure_no_active_job(session, book_id=book_id)
            number = _count(session, book_id) + 1
            page = BookPage(
                book_id=book_id,
                page_number=number,
                status="pending_review",
                original_filename=upload.name,
                image_s3_key=keys.image_key(book_id, number),
                text_s3_key=keys.text_key(book_id, number),
            )
            session.add(page)
            session.flush()
            for key, data, kind in (
                (page.image_s3_key, png, "image/png"),
                (page.text_s3_key, text.encode(), "text/plain; charset=utf-8"),
            ):
                written.append(key)
                store.put(key, data, content_type=kind)
            return page_read(page)
    except BaseException:
        for key in written:
            store.delete(key)
        raise


def bulk_upload(*, book_id: str, uploads: list[Upload]) -> str:
    """Stores the originals as queued pages (sorted by file name) and starts an ocr_batch job."""
    limit = get_settings().max_bulk_files
    if not uploads:
        raise BadRequestError("No files: send images in the `files` field.", code="no_files")
    if len(uploads) > limit:
        raise BadRequestError(
            f"{len(uploads)} files sent; at most {limit} per bulk upload.", code="too_many_files"
        )
    ordered = sorted(uploads, key=lambda u: natural_key(u.name))
    store = get_blob_store()

    def work(session: Session) -> str:
        written: list[str] = []
        try:
            book_service.get_book(session, book_id=book_id, lock=True)
            first = _count(session, book_id) + 1
            job = job_lock_service.acquire(
                session, book_id=book_id, job_type=OCR_BATCH, total_items=len(ordered), detail={}
            )
            page_ids = []
            for offset, upload in enumerate(ordered):
                number = first + offset
                key = keys.original_key(book_id, number, images.ACCEPTED_FORMATS[upload.fmt])
                page = BookPage(
                    book_id=book_id,
                    page_number=number,
                    status="queued",
                    original_filename=upload.name,
                    original_s3_key=key,
                    ocr_job_id=job.id,
                )
                session.add(page)
                session.flush()
                page_ids.append(page.id)
                written.append(key)
                store.put(key, upload.content(), content_type=f"image/{upload.fmt.lower()}")
            job.progress_detail = json_detail(page_ids=page_ids, first_page=first)
            return job.id
        except BaseException:
            # Each attempt removes its own objects: a retried one may number pages anew.
            for key in written:
                store.delete(key)
            raise

    job_id = run_transaction(work)
    job_lock_service.start(JobMessage(job_id=job_id, job_type=OCR_BATCH))
    return job_id


def json_detail(**values) -> str:
    return json.dumps({"errors": [], **values})


def get_page(*, book_id: str, number: int) -> PageRead:
    with session_scope() as session:
        book_service.get_book(session, book_id=book_id)
        return page_read(_page(session, book_id, number))


def approve_page(*, book_id: str, number: int) -> PageRead:
    with session_scope() as session:
        book_service.get_book(session, book_id=book_id, lock=True)
        page = _page(session, book_id, number)
        if page.status not in ("pending_review", "approved"):
            raise ConflictError(
                f"Page {number} is {page.status}; only a page pending review can be approved.",
                code="page_not_reviewable",
            )
        if page.status != "approved":
            page.status, page.approved_at = "approved", utcnow()
        return page_read(page)


def retry_ocr(*, book_id: str, number: int) -> PageRead:
    store = get_blob_store()
    with session_scope() as session:
        book = book_service.get_book(session, book_id=book_id)
        job_lock_service.ensure_no_active_job(session, book_id=book_id)
        page = _page(session, book_id, number)
        if page.status == "approved":
            raise ConflictError(
                f"Page {number} is approved; OCR is retried only on unapproved pages.",
                code="page_approved",
            )
        source = page.image_s3_key or page.original_s3_key
        subject, grade, page_id = book.subject, book.grade, page.id
    png = images.to_png(store.get(source))
    text = ocr_service.ocr_page(png=png, subject=subject, grade=grade)
    with session_scope() as session:
        book_service.get_book(session, book_id=book_id, lock=True)
        job_lock_service.ensure_no_active_job(session, book_id=book_id)
        page = session.get(BookPage, page_id)
        if page is None or page.page_number != number:
            raise ConflictError(f"Page {number} changed during OCR; retry.", code="page_changed")
        page.image_s3_key = keys.image_key(book_id, number)
        page.text_s3_key = keys.text_key(book_id, number)
        store.put(page.image_s3_key, png, content_type="image/png")
        store.put(page.text_s3_key, text.encode(), content_type="text/plain; charset=utf-8")
        page.status, page.ocr_error = "pending_review", None
        return page_read(page)


def _moved_key(key: str | None, book_id: str, old: int, new: int) -> str | None:
    if key is None:
        return None
    if key == keys.image_key(book_id, old):
        return keys.image_key(book_id, new)
    if key == keys.text_key(book_id, old):
        return keys.text_key(book_id, new)
    ext = key.rsplit(".", 1)[-1]
    return keys.original_key(book_id, new, ext)


def delete_page(*, book_id: str, number: int) -> None:
    """Deletes page `number`; later pages move down one, their images, texts and originals
    renamed with them so each text stays with its image. Refused (409) while a job runs."""
    store = get_blob_store()
    with session_scope() as session:
        book_service.get_book(session, book_id=book_id, lock=True)
        job_lock_service.ensure_no_active_job(session, book_id=book_id)
        target = _page(session, book_id, number)
        removed = (target.image_s3_key, target.text_s3_key, target.original_s3_key)
        moves: list[tuple[str, str]] = []
        session.delete(target)
        session.flush()
        for page in _pages(session, book_id):
            if page.page_number < number:
                continue
            old, new = page.page_number, page.page_number - 1
            for column in ("image_s3_key", "text_s3_key", "original_s3_key"):
                key = getattr(page, column)
                moved = _moved_key(key, book_id, old, new)
                if key and moved != key:
                    moves.append((key, moved))
                    setattr(page, column, moved)
        # Two steps, so the unique (book_id, page_number) never sees two equal numbers.
        later = (PAGES.c.book_id == book_id) & (PAGES.c.page_number > number)
        session.flush()
        session.execute(update(PAGES).where(later).values(page_number=-(PAGES.c.page_number - 1)))
        session.execute(
            update(PAGES)
            .where(PAGES.c.book_id == book_id, PAGES.c.page_number < 0)
            .values(page_number=-PAGES.c.page_number)
        )
        # Objects change only once every row change has succeeded (a database error above
        # leaves files and rows as they were); in page order, so each copy lands on a key
        # whose object was already deleted or moved down.
        for key in removed:
            if key:
                store.delete(key)
        for key, moved in moves:
            store.copy(key, moved)
            store.delete(key)
