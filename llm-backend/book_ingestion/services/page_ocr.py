"""A page's OCR fields (stage, error, job, image and text keys and their files), written here
and nowhere else: a page is queued for a job's OCR, then gets the job's text or its error."""

from __future__ import annotations

from book_ingestion.models.database import BookPage
from book_ingestion.models.status import PageStage
from book_ingestion.services import keys
from shared.storage import get_blob_store


def queue(page: BookPage, *, job_id: str) -> None:
    """The page waits for job `job_id`'s OCR; until the job writes, it keeps the text it has."""
    page.status, page.ocr_error, page.ocr_job_id = PageStage.QUEUED, None, job_id


def store_text(page: BookPage, *, png: bytes, text: str) -> None:
    """The page's image and OCR text, stored and named on the row; the page awaits review.
    Keys and bytes depend only on the page and the result, so a retried transaction writes
    the same objects again."""
    # A page keeps the keys it has: a page stored before files were named by id may have
    # been renumbered, and its `pages/{n}.*` keys no longer match its number.
    page.image_s3_key = page.image_s3_key or keys.image_key(page.book_id, page_id=page.id)
    page.text_s3_key = page.text_s3_key or keys.text_key(page.book_id, page_id=page.id)
    store = get_blob_store()
    store.put(page.image_s3_key, png, content_type="image/png")
    store.put(page.text_s3_key, text.encode(), content_type="text/plain; charset=utf-8")
    page.status, page.ocr_error = PageStage.PENDING_REVIEW, None


def store_error(page: BookPage, *, error: str) -> None:
    """OCR gave up on the page; it keeps any earlier text, and can be retried."""
    page.status, page.ocr_error = PageStage.OCR_FAILED, error
