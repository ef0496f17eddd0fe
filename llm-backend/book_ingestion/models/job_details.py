"""What each book ingestion job type records in its `progress_detail` (see
`shared.jobs.detail`: a key is stored once set, unknown keys of older rows load unchanged)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.jobs.detail import JobDetail


class OcrBatchDetail(JobDetail):
    page_ids: list[str] = Field(default_factory=list)  # the items, stable under renumbering
    first_page: int | None = None  # the first uploaded page's number


class ExtractionStats(BaseModel):
    """What the frontend shows of a running extraction."""

    subtopics_created: int = 0
    subtopics_merged: int = 0


class ExtractionDetail(JobDetail):
    page_ids: list[str] = Field(default_factory=list)
    start_page: int | None = None
    stats: ExtractionStats | None = None

    def count(self, *, created: bool) -> None:
        if self.stats is None:
            self.stats = ExtractionStats(subtopics_created=0, subtopics_merged=0)
        if created:
            self.stats.subtopics_created += 1
        else:
            self.stats.subtopics_merged += 1


class FinalizationDetail(JobDetail):
    auto_sync_to_db: bool = False
    # The finalize result, as the frontend reads it.
    status: str | None = None
    subtopics_finalized: int | None = None
    subtopics_renamed: int | None = None
    duplicates_merged: int | None = None
    total_topics: int | None = None
    synced_count: int | None = None  # with auto_sync_to_db


class SyncDetail(JobDetail):
    """A sync records only its errors and its note."""
