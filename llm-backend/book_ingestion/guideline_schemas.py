"""Request and response schemas of guideline extraction, review and study plan routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.api.params import PageNumber


class ExtractionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_page: PageNumber
    end_page: PageNumber


class GuidelineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    book_id: str | None
    country: str
    board: str
    grade: int
    subject: str
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


class GuidelineList(BaseModel):
    items: list[GuidelineRead]
    total: int
    limit: int
    offset: int


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


class BulkStudyPlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    guideline_ids: list[str] = Field(min_length=1, max_length=200)
    force_regenerate: bool = False


class StudyPlanJobStarted(BaseModel):
    """A study plan being generated in a `study_plan_bulk` job of the guideline's book: follow
    it at /admin/books/{book_id}/jobs/{job_id}, then read /admin/guidelines/{id}/study-plan."""

    job_id: str
    book_id: str
    guideline_id: str


class StudyPlanRead(BaseModel):
    id: str
    guideline_id: str
    plan: dict
    generator_model: str | None
    reviewer_model: str | None
    generation_reasoning: str | None
    reviewer_feedback: str | None
    was_revised: bool
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
