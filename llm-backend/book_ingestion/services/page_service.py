"""Pages: uploads (one or many) and retried OCR as `ocr_batch` jobs, read, approve, delete with
renumbering. Bad input is refused before anything is stored.

OCR is a model call with retries, which does not fit an API request's time with a realistic
provider, so no route here calls the model: each one stores what it can at once and starts a
job (README "Guarantees"). Files are named by page id (see `keys`), so renumbering moves no
file."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from book_ingestion.models.database import BookPage
from book_ingestion.models.job_details import OcrBatchDetail
from book_ingestion.models.status import PageStage
from book_ingestion.schemas import BulkUploadStarted, PageJobStarted, PageRead
from book_ingestion.services import book_service, images, job_lock_service, keys, page_ocr
from book_ingestion.services.page_etag import if_match_allows, page_etag
from config import get_settings
from database import run_transaction
from shared.errors import BadRequestError, ConflictError, NotFoundError, PreconditionFailedError
from shared.jobs import lifecycle
from shared.jobs.messages import JobMessage
from shared.models.base import new_id, utcnow
from shared.models.enums import JobType
from shared.sql import table_of
from shared.storage import BlobNotFoundError, get_blob_store
from shared.uploads import read_limited

logger = logging.getLogger(__name__)
PAGES = table_of(BookPage)
# A bulk upload's files are checked and stored this many at a time: a check is a full decode
# (zlib and unfiltering in Pillow's C code, which releases the GIL) and a store a file write or
# an S3 PUT (network), so one at a time left cores and connections idle for 200 pages.
UPLOAD_THREADS = 4


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
        if self.stream is None:
            raise ValueError(f"upload {self.name} kept neither its bytes nor its stream")
        self.stream.seek(0)
        return self.stream.read()


def read_upload(*, name: str | None, stream: BinaryIO, keep: bool = True) -> Upload:
    """Reads and checks one upload; `keep=False` drops the bytes after the check."""
    name = name or "upload"
    data = read_limited(stream, name=name, limit=get_settings().max_upload_bytes)
    fmt = images.check_image(data, name=name)
    return Upload(name=name, data=data, fmt=fmt) if keep else Upload(name, None, fmt, stream)


def natural_key(name: str) -> list:
    """`page2` sorts before `page10`."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


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
        id=page.id,
        etag=page_etag(page.id),
        number=page.page_number,
        stage=page.status,
        image_url=store.url(image) if image else None,
        text_url=store.url(page.text_s3_key) if page.text_s3_key else None,
        text=text,
        ocr_error=page.ocr_error,
        original_filename=page.original_filename,
        approved_at=page.approved_at,
    )


def upload_page(*, book_id: str, upload: Upload) -> PageJobStarted:
    """Stores the page as `queued` (its original kept, as in a bulk upload) and OCRs it in a
    one-page ocr_batch job; answers with the page as stored."""
    job_id, page = _queue_pages(book_id=book_id, uploads=[upload])
    return PageJobStarted(**page.model_dump(), job_id=job_id)


def bulk_upload(*, book_id: str, files: Sequence[tuple[str | None, BinaryIO]]) -> BulkUploadStarted:
    """Stores the originals of `files` (name, stream) as queued pages (sorted by file name) and
    starts an ocr_batch job. The number of files is checked before any file is read, then each
    file (kept only as its stream, so a 200-file upload is not held in memory at once)."""
    limit = get_settings().max_bulk_files
    if not files:
        raise BadRequestError("No files: send images in the `images` field.", code="no_files")
    if len(files) > limit:
        raise BadRequestError(
            f"{len(files)} files sent; at most {limit} per bulk upload.", code="too_many_files"
        )
    with ThreadPoolExecutor(min(UPLOAD_THREADS, len(files))) as pool:
        # In file order, so the first bad file is the one the 4xx names, as when read in turn.
        uploads = list(pool.map(lambda f: read_upload(name=f[0], stream=f[1], keep=False), files))
    job_id, first = _queue_pages(book_id=book_id, uploads=uploads)
    numbers = list(range(first.number, first.number + len(uploads)))
    return BulkUploadStarted(
        job_id=job_id,
        pages_uploaded=numbers,
        total_pages=numbers[-1],
        message=f"{len(numbers)} page(s) uploaded; OCR runs in job {job_id}.",
    )


def _queue_pages(*, book_id: str, uploads: list[Upload]) -> tuple[str, PageRead]:
    """The started job's id and the first page as committed (before the job can change it).
    The new pages are numbered from the book's last page on, so they are the last ones."""
    ordered = sorted(uploads, key=lambda u: natural_key(u.name))
    store = get_blob_store()

    def work(session: Session) -> tuple[str, PageRead]:
        written: list[str] = []
        try:
            book = job_lock_service.lock_for_start(session=session, book_id=book_id)
            first = _count(session, book_id) + 1
            pages = [
                BookPage(
                    id=new_id(),
                    book_id=book_id,
                    page_number=first + offset,
                    original_filename=upload.name,
                )
                for offset, upload in enumerate(ordered)
            ]
            # The detail is complete before the INSERT, so the job row is written once.
            job = job_lock_service.acquire(
                session=session,
                book=book,
                job_type=JobType.OCR_BATCH,
                total_items=len(pages),
                detail=OcrBatchDetail(errors=[], page_ids=[p.id for p in pages], first_page=first),
            )
            for page, upload in zip(pages, ordered, strict=True):
                ext = images.ACCEPTED_FORMATS[upload.fmt]
                page.original_s3_key = keys.original_key(book_id, page_id=page.id, ext=ext)
                page_ocr.queue(page, job_id=job.id)
                written.append(page.original_s3_key)

            def put(key: str, upload: Upload) -> None:
                store.put(key, upload.content(), content_type=f"image/{upload.fmt.lower()}")

            with ThreadPoolExecutor(min(UPLOAD_THREADS, len(written))) as pool:
                list(pool.map(put, written, ordered))  # the keys in page order
            session.add_all(pages)
            session.flush()  # every page in one flush: one batched INSERT, not one per page
            # The first page as committed (before the job can change it), for the answer.
            return job.id, page_read(pages[0])
        except BaseException:
            # Each attempt removes its own objects: a retried one may number pages anew.
            for key in written:
                store.delete(key)
            raise

    job_id, first_page = run_transaction(work)
    lifecycle.start(JobMessage(job_id=job_id, job_type=JobType.OCR_BATCH))
    return job_id, first_page


def get_page(*, session: Session, book_id: str, number: int) -> PageRead:
    book_service.get_book(session=session, book_id=book_id)
    return page_read(_page(session, book_id, number))


def approve_page(*, book_id: str, number: int) -> PageRead:
    return run_transaction(lambda session: _approve(session, book_id=book_id, number=number))


def _approve(session: Session, *, book_id: str, number: int) -> PageRead:
    book_service.get_book(session=session, book_id=book_id, lock=True)
    page = _page(session, book_id, number)
    if page.status not in (PageStage.PENDING_REVIEW, PageStage.APPROVED):
        raise ConflictError(
            f"Page {number} is {page.status}; only a page pending review can be approved.",
            code="page_not_reviewable",
        )
    if page.status != PageStage.APPROVED:
        page.status, page.approved_at = PageStage.APPROVED, utcnow()
    return page_read(page)


def retry_ocr(*, book_id: str, number: int) -> PageJobStarted:
    """Queues page `number` for OCR again, as a one-page ocr_batch job. The book's one active
    job makes concurrent retries of a page one job (one model call): the others get 409
    `job_running`. Until the job writes the new text, the page keeps its previous one."""

    def work(session: Session) -> PageJobStarted:
        book = job_lock_service.lock_for_start(session=session, book_id=book_id)
        page = _page(session, book_id, number)
        if page.status == PageStage.APPROVED:
            raise ConflictError(
                f"Page {number} is approved; OCR is retried only on unapproved pages.",
                code="page_approved",
            )
        job = job_lock_service.acquire(
            session=session,
            book=book,
            job_type=JobType.OCR_BATCH,
            total_items=1,
            detail=OcrBatchDetail(errors=[], page_ids=[page.id], first_page=number),
        )
        page_ocr.queue(page, job_id=job.id)
        session.flush()
        return PageJobStarted(**page_read(page).model_dump(), job_id=job.id)

    queued = run_transaction(work)
    lifecycle.start(JobMessage(job_id=queued.job_id, job_type=JobType.OCR_BATCH))
    return queued


def delete_page(*, book_id: str, number: int, if_match: str | None = None) -> None:
    """Deletes page `number`; later pages move down one (rows only: files are named by page
    id). With `if_match`, only if page `number` is still the page that tag names (412
    otherwise), so a retried or duplicated delete removes nothing more. Refused (409) while
    a job runs.

    The book row lock serialises every change of page numbers, so concurrent deletes are
    checked and applied one after another. Rows commit first; the removed page's files are
    deleted afterwards, and a failure there leaves only files that no row names."""

    def work(session: Session) -> list[str]:
        book_service.get_book(session=session, book_id=book_id, lock=True)
        lifecycle.ensure_no_active_job(session, book_id=book_id)
        target = _page(session, book_id, number)
        if not if_match_allows(if_match, target.id):
            raise PreconditionFailedError(
                f"Page {number} of book {book_id} is no longer the page you loaded (it was "
                "deleted or the pages were renumbered); reload the book and try again."
            )
        files = [k for k in (target.image_s3_key, target.text_s3_key, target.original_s3_key) if k]
        session.delete(target)
        session.flush()
        # Two steps, so the unique (book_id, page_number) never sees two equal numbers.
        later = (PAGES.c.book_id == book_id) & (PAGES.c.page_number > number)
        session.execute(update(PAGES).where(later).values(page_number=-(PAGES.c.page_number - 1)))
        session.execute(
            update(PAGES)
            .where(PAGES.c.book_id == book_id, PAGES.c.page_number < 0)
            .values(page_number=-PAGES.c.page_number)
        )
        return files

    _remove_files(run_transaction(work))


def _remove_files(files: list[str]) -> None:
    """The page is gone once its row is; a file that cannot be removed now is named by no row
    (keys are never reused) and goes with the book's prefix when the book is deleted."""
    store = get_blob_store()
    for key in files:
        try:
            store.delete(key)
        except Exception:
            logger.warning("file of a deleted page left behind", extra={"key": key}, exc_info=True)
