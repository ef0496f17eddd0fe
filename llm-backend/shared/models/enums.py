"""The status and kind values more than one domain reads, each spelled once.

Values are the ones stored in the database and shown by the API; they never change here
(rows and the frontend hold them). A domain's own values live in its `models/`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

# The languages a student can choose: the profile's text and audio preferences
# (`users.text_language_preference`, `users.audio_language_preference`), the language a
# session's tutor writes in (`state_json.student.text_language`) and speech is spoken in.
Language = Literal["en", "hi", "hinglish"]


class ValueEnum(StrEnum):
    """A StrEnum that pydantic validates and documents as the string literal of its values:
    the OpenAPI document keeps an inline `enum` list (no named component) and a bad value's
    422 lists the values, exactly as the `Literal[...]` these enums replaced did."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        values = core_schema.literal_schema([member.value for member in cls])
        return core_schema.no_info_after_validator_function(cls, values)


class JobStatus(ValueEnum):
    """A `book_jobs` row: pending -> running -> completed | failed."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


# Statuses in which a job holds its book's lock; the partial unique index enforces one per book.
ACTIVE_JOB_STATUSES = (JobStatus.PENDING, JobStatus.RUNNING)


class JobType(ValueEnum):
    """`book_jobs.job_type`: each names the handler registered for it."""

    OCR_BATCH = "ocr_batch"
    EXTRACTION = "extraction"
    FINALIZATION = "finalization"
    SYNC = "sync"
    STUDY_PLAN_BULK = "study_plan_bulk"


class ReviewStatus(ValueEnum):
    """A teaching guideline's review (`review_status`); only APPROVED ones reach learners."""

    TO_BE_REVIEWED = "TO_BE_REVIEWED"
    APPROVED = "APPROVED"


class GuidelineStatus(ValueEnum):
    """A teaching guideline's content status (`status`), beside its review decision."""

    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"


class SessionMode(ValueEnum):
    """A tutoring session's mode (`sessions.mode`, `state_json.mode`)."""

    TEACH_ME = "teach_me"
    EXAM = "exam"
    CLARIFY_DOUBTS = "clarify_doubts"
