"""A page's OCR fields (stage, error, job, image and text keys and their files), written here
and nowhere else: a page is queued for a job's OCR, then gets the job's text or its error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, update
from sqlalchemy.orm import Session

from book_ingestion.models.database import BookPage
from book_ingestion.models.status import PageStage
from book_ingestion.services import keys
from shared.sql import table_of
from shared.storage import StoredObject, get_blob_store

PAGES = table_of(BookPage)
TEXT_TYPE = "text/plain; charset=utf-8"


def queue(page: BookPage, *, job_id: str) -> None:
    """The page waits for job `job_id`'s OCR; until the job writes, it keeps the text it has."""
    page.status, page.ocr_error, page.ocr_job_id = PageStage.QUEUED, None, job_id


@dataclass(frozen=True)
class OcrResult:
    """A page's OCR as its job's checkpoint writes it (a `shared.jobs.items.BatchedWrite`):
    its text and PNG image, the page then awaiting review; or its error (`ocr_failed`: it
    keeps any earlier text, and can be retried)."""

    book_id: str
    page_id: str
    text: str = ""
    png: bytes = b""
    error: str | None = None

    @classmethod
    def write_all(cls, session: Session, results: Sequence[OcrResult]) -> None:
        """Every page of a checkpoint in ONE UPDATE (per-page values chosen by id), then the
        files of those that got text, in one blob-store call. A page keeps the keys it has:
        one stored before files were named by id may have been renumbered, and its
        `pages/{n}.*` keys no longer match its number; RETURNING gives the keys as stored,
        and a page deleted meanwhile returns no row and gets no file. Keys and bytes depend
        only on the page and the result, so a retried transaction writes the same objects
        again."""
        if not results:
            return
        texts = [r for r in results if r.error is None]
        errors = [r for r in results if r.error is not None]

        def by_page(values: dict[str, Any]) -> Any:
            return case(values, value=PAGES.c.id)

        fields: dict[str, Any] = {
            "status": by_page(
                {
                    r.page_id: PageStage.OCR_FAILED if r.error else PageStage.PENDING_REVIEW
                    for r in results
                }
            ),
            "ocr_error": by_page({r.page_id: r.error for r in errors}) if errors else None,
        }
        if texts:
            image_keys = {r.page_id: keys.image_key(r.book_id, page_id=r.page_id) for r in texts}
            text_keys = {r.page_id: keys.text_key(r.book_id, page_id=r.page_id) for r in texts}
            # An error page's CASE gives NULL: it keeps the key it has (or none).
            fields["image_s3_key"] = func.coalesce(PAGES.c.image_s3_key, by_page(image_keys))
            fields["text_s3_key"] = func.coalesce(PAGES.c.text_s3_key, by_page(text_keys))
        statement = (
            update(PAGES)
            .where(PAGES.c.id.in_([r.page_id for r in results]))
            .values(**fields)
            .returning(PAGES.c.id, PAGES.c.image_s3_key, PAGES.c.text_s3_key)
        )
        stored = {row.id: row for row in session.execute(statement)}
        files: list[StoredObject] = []
        for result in texts:
            row = stored.get(result.page_id)
            if row is not None:
                files.append((row.image_s3_key, result.png, "image/png"))
                files.append((row.text_s3_key, result.text.encode(), TEXT_TYPE))
        get_blob_store().put_many(files)  # one call for the checkpoint's files
