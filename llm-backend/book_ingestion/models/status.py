"""A book page's stage and the statuses derived from it, and a book's derived status."""

from __future__ import annotations

from shared.models.enums import ValueEnum


class PageStage(ValueEnum):
    """`book_pages.status`: queued (original stored, waiting for OCR in a job), then
    pending_review | ocr_failed; approved."""

    QUEUED = "queued"
    PENDING_REVIEW = "pending_review"
    OCR_FAILED = "ocr_failed"
    APPROVED = "approved"


class PageStatus(ValueEnum):
    """The review status the frontend reads: approved or not yet."""

    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"


class OcrStatus(ValueEnum):
    """Where a page's OCR stands, as the frontend reads it."""

    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"


class BookStatus(ValueEnum):
    """A book's status, derived from its pages, jobs and guidelines (never stored)."""

    NO_PAGES = "no_pages"
    PROCESSING = "processing"
    PENDING_REVIEW = "pending_review"
    READY_FOR_EXTRACTION = "ready_for_extraction"
    APPROVED = "approved"
