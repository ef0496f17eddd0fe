"""What a study_plan_bulk job records in its `progress_detail` (see `shared.jobs.detail`)."""

from __future__ import annotations

from pydantic import Field

from shared.jobs.detail import JobDetail


class StudyPlanBulkDetail(JobDetail):
    guideline_ids: list[str] = Field(default_factory=list)  # the items (`items_key`)
    force_regenerate: bool = False
