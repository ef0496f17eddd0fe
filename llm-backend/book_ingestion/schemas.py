"""Request and response schemas of the book ingestion API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from book_ingestion.models.status import OcrStatus, PageStage, PageStatus
from shared.api.page import Page
from shared.api.params import Grade, Year


class BookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300)
    author: str | None = Field(None, max_length=200)
    edition: str | None = Field(None, max_length=100)
    edition_year: Year | None = None
    country: str = Field(min_length=1, max_length=100)
    board: str = Field(min_length=1, max_length=100)
    grade: Grade
    subject: str = Field(min_length=1, max_length=100)


class BookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    author: str | None
    edition: str | None
    edition_year: int | None
    country: str
    board: str
    grade: int
    subject: str
    s3_prefix: str
    metadata_s3_key: str | None
    cover_image_s3_key: str | None = None
    created_at: datetime
    updated_at: datetime
    created_by: str
    # What the learnlikemagic frontend derives a book's display status from.
    page_count: int = 0
    guideline_count: int = Field(0, description="The book's synced teaching guidelines")
    approved_guideline_count: int = Field(0, description="Those of them approved")
    has_active_job: bool = Field(False, description="A job is pending or running")


class BookList(Page[BookRead]):
    books: list[BookRead] = Field(description="The same list, under the frontend's name")


PAGE_ID = "The page's id: stable for the page's life, whatever its number becomes."
PAGE_ETAG = (
    "The page's entity tag (its id, quoted), also sent as the `ETag` header. Send it as "
    "`If-Match` on `DELETE …/pages/{n}` to delete this page and no other."
)


_OCR_STATUS = {PageStage.QUEUED: OcrStatus.PENDING, PageStage.OCR_FAILED: OcrStatus.FAILED}


class ContractPageFields(BaseModel):
    """A page's number and stage, and the names and values the learnlikemagic frontend reads
    (derived here, in one place)."""

    number: int
    stage: PageStage = Field(
        description="Where the page stands in this API: `queued` (waiting for its OCR job), "
        "`pending_review`, `ocr_failed` (OCR gave up; retry it) or `approved`"
    )

    # `@computed_field` on a plain method: pydantic makes it a read-only property. (Stacked on
    # `@property`, as pydantic's docs show, it is a decorated property, which mypy rejects.)
    @computed_field(description="`number` under the frontend's name")
    def page_num(self) -> int:
        return self.number

    @computed_field(description="The review status the frontend reads: approved or not yet")
    def status(self) -> PageStatus:
        if self.stage == PageStage.APPROVED:
            return PageStatus.APPROVED
        return PageStatus.PENDING_REVIEW

    @computed_field(description="Where the page's OCR stands: queued, failed or done")
    def ocr_status(self) -> OcrStatus:
        return _OCR_STATUS.get(self.stage, OcrStatus.COMPLETED)


class PageSummary(ContractPageFields):
    id: str = Field(description=PAGE_ID)
    etag: str = Field(description=PAGE_ETAG)
    ocr_error: str | None = None


class JobRead(BaseModel):
    id: str
    job_id: str = Field(description="The same as `id`: the name the learnlikemagic frontend reads")
    book_id: str
    job_type: str
    status: str
    total_items: int | None
    completed_items: int
    failed_items: int
    current_item: int | None
    last_completed_item: int | None
    percent: float
    eta_seconds: float | None
    errors: list[dict]
    detail: dict
    heartbeat_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    error_message: str | None
    progress_detail: str = Field(
        description="The job's whole progress detail as a JSON string (the frontend parses it)"
    )


class BookDetail(BookRead):
    status: str
    pages: list[PageSummary]
    active_job: JobRead | None


class PageRead(ContractPageFields):
    id: str = Field(description=PAGE_ID)
    etag: str = Field(description=PAGE_ETAG)
    image_url: str | None
    text_url: str | None = Field(description="Where the page's OCR text can be fetched")
    text: str | None
    ocr_error: str | None
    original_filename: str | None
    approved_at: datetime | None

    @computed_field(description="`text` under the frontend's name")
    def ocr_text(self) -> str | None:
        return self.text


class BulkUploadStarted(BaseModel):
    """The pages are stored (queued); their OCR runs in the `ocr_batch` job `job_id`."""

    job_id: str
    pages_uploaded: list[int] = Field(description="The new pages' numbers, in upload order")
    total_pages: int = Field(description="The book's page count, these pages included")
    status: Literal["processing"] = "processing"
    message: str


class PageJobStarted(PageRead):
    """A page as stored when its OCR job was started (status `queued`, or further along if the
    job already ran); follow the job at /admin/books/{book_id}/jobs/{job_id}."""

    job_id: str
