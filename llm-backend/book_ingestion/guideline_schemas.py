"""Request and response schemas of guideline extraction and review routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.api.params import PageNumber
from shared.models.enums import GuidelineStatus


class ExtractionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_page: PageNumber = Field(1, description="1 starts again (the book's files go)")
    end_page: PageNumber | None = Field(None, description="Default: the book's last page")
    auto_sync_to_db: bool = Field(
        False,
        description="Accepted for the frontend and ignored: approving a book's "
        "guidelines (`PUT …/guidelines/approve`) is what syncs them",
    )
    resume: bool = Field(
        False, description="Continue after the last extracted page (start_page is then ignored)"
    )


class ExtractionStarted(BaseModel):
    job_id: str | None = Field(description="The `extraction` job; null when nothing was left")
    status: Literal["started", "already_complete"]
    start_page: int
    end_page: int
    total_pages: int = Field(description="Pages the job processes")
    message: str


class FinalizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    auto_sync_to_db: bool = Field(
        False, description="Also sync the finalized guidelines into `teaching_guidelines`"
    )


class JobStartedMessage(BaseModel):
    job_id: str
    status: Literal["started"] = "started"
    message: str


class BookGuidelineRead(BaseModel):
    """One subtopic's guideline shard of a book."""

    topic_key: str
    topic_title: str
    subtopic_key: str
    subtopic_title: str
    status: Literal["open", "stable", "final", "needs_review"]
    source_page_start: int
    source_page_end: int
    version: int = Field(description="The sync that last wrote it to the database (1 before any)")
    guidelines: str
    topic_summary: str
    subtopic_summary: str


class BookGuidelines(BaseModel):
    book_id: str
    total_subtopics: int
    guidelines: list[BookGuidelineRead]
    processed_pages: list[int] = Field(
        description="Pages extraction has gone through (1..the last one; failed pages included, "
        "their errors are in the extraction job)"
    )


class BookGuidelinesApproved(BaseModel):
    book_id: str
    status: Literal[GuidelineStatus.APPROVED] = GuidelineStatus.APPROVED
    approved_count: int = Field(description="Subtopics marked final")
    synced_count: int = Field(description="`teaching_guidelines` rows written")
    message: str


class GuidelineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    book_id: str | None
    country: str
    board: str
    grade: int
    subject: str
    topic: str | None
    subtopic: str | None
    topic_key: str | None
    subtopic_key: str | None
    topic_title: str | None
    subtopic_title: str | None
    topic_summary: str | None
    subtopic_summary: str | None
    guideline: str | None
    source_page_start: int | None
    source_page_end: int | None
    status: str
    review_status: str
    generated_at: datetime | None
    reviewed_at: datetime | None
    reviewed_by: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class GuidelineDeleted(BaseModel):
    message: Literal["Guideline deleted successfully"] = "Guideline deleted successfully"
    id: str


class ReviewCounts(BaseModel):
    total: int
    pending: int
    approved: int


class ReviewFilters(BaseModel):
    countries: list[str]
    boards: list[str]
    grades: list[int]
    subjects: list[str]
    review_statuses: list[str]
    counts: ReviewCounts


class ApprovalUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approved: bool
