"""The `ocr_batch` job: OCR of a book's queued pages, `OCR_CONCURRENCY` at a time, on the job
engine (`shared.jobs`), each page's output saved in its item's checkpoint (an `OcrResult`:
the pages of a checkpoint are written together, in one statement).

Items are 1..total_items over `progress_detail.page_ids` (page ids, stable under renumbering).
A resumed job starts at `last_completed_item + 1`; pages already OCR'd beyond it are skipped
without a model call.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from book_ingestion.models.database import BookPage
from book_ingestion.models.job_details import OcrBatchDetail
from book_ingestion.models.status import PageStage
from book_ingestion.services import book_service, images, ocr_service
from book_ingestion.services.page_ocr import OcrResult
from config import get_settings
from database import session_scope
from shared.jobs.engine import ItemHandler
from shared.jobs.items import ItemOutcome, JobContext, error_text
from shared.jobs.registry import register
from shared.models.enums import JobType
from shared.storage import get_blob_store


@dataclass(frozen=True)
class _Page:
    number: int
    queued: bool
    # A retried page OCRs its original again; pages stored before originals were kept have
    # only their converted image.
    source: str | None


def _pages(page_ids: list[str]) -> dict[str, _Page]:
    """The pages an invocation has left, read once: while this job is the book's active one
    no request changes their OCR fields or deletes them (deletes and retries are refused with
    409), and a read per item was a transaction on the slot, in line with the model call."""
    columns = (BookPage.id, BookPage.page_number, BookPage.status)
    keys = (BookPage.original_s3_key, BookPage.image_s3_key)
    with session_scope() as session:
        rows = session.execute(select(*columns, *keys).where(BookPage.id.in_(page_ids)))
        return {
            row.id: _Page(
                row.page_number,
                row.status == PageStage.QUEUED,
                row.original_s3_key or row.image_s3_key,
            )
            for row in rows
        }


def _failed(book_id: str, page_id: str, number: int, error: str) -> ItemOutcome:
    """Recorded in the job and on the page (`ocr_failed`); the job goes on."""
    write = OcrResult(book_id, page_id, error=error)
    return ItemOutcome(error=error, error_fields={"page": number}, write=write)


class OcrBatchJob(ItemHandler[OcrBatchDetail]):
    job_type = JobType.OCR_BATCH
    detail_type = OcrBatchDetail

    def concurrency(self) -> int:
        return get_settings().ocr_concurrency

    def setup(self, ctx: JobContext[OcrBatchDetail]) -> None:
        ctx.extra["book"] = book_service.prompt_facts(book_id=ctx.book)
        ctx.extra["pages"] = _pages(ctx.detail.page_ids[ctx.first_item - 1 :])

    def process(self, ctx: JobContext[OcrBatchDetail], item: int) -> ItemOutcome:
        page_id = ctx.detail.page_ids[item - 1]
        page: _Page | None = ctx.extra["pages"].get(page_id)
        if page is None:
            return ItemOutcome(error="page was deleted", error_fields={"page": None})
        if not page.queued:
            return ItemOutcome()
        number, source = page.number, page.source
        if source is None:
            return _failed(ctx.book, page_id, number, "the page has no image")
        book = ctx.extra["book"]
        try:
            png = images.to_png(get_blob_store().get(source))
            text = ocr_service.ocr_page(
                png=png, subject=book["subject"], grade=book["grade"], job_id=ctx.job_id
            )
        except Exception as exc:
            return _failed(ctx.book, page_id, number, error_text(exc))
        return ItemOutcome(write=OcrResult(ctx.book, page_id, text=text, png=png))


run_ocr_batch = OcrBatchJob()
register(JobType.OCR_BATCH, run_ocr_batch)
