"""A job's progress detail as a model: stored rows of any age load, the stored text keeps
exactly the keys that were written, and each job type reads its own fields."""

from __future__ import annotations

import json

from book_ingestion.models.job_details import ExtractionDetail, FinalizationDetail
from shared.jobs.detail import JobDetail, JobError
from shared.jobs.items import ItemOutcome, JobContext
from shared.jobs.models import BookJob
from study_plans.models.job_detail import StudyPlanBulkDetail

OLD_ROW = (
    '{"page_ids": ["p1", "p2"], "start_page": 1, "legacy": {"x": [1, null]}, '
    '"errors": [{"item": 2, "page": null, "error": "boom", "hint": "old"}]}'
)


def test_an_older_row_with_unknown_keys_loads_and_writes_back_the_same_keys():
    column = BookJob.__table__.c.progress_detail.type
    detail = column.process_result_value(OLD_ROW, None)

    as_extraction = detail.as_type(ExtractionDetail)

    assert as_extraction.page_ids == ["p1", "p2"] and as_extraction.stats is None
    assert json.loads(column.process_bind_param(as_extraction, None)) == json.loads(OLD_ROW)
    assert json.loads(detail.to_json()) == json.loads(OLD_ROW)


def test_keys_never_written_stay_absent_and_an_empty_detail_is_an_empty_object():
    assert JobDetail().to_json() == "{}"
    assert FinalizationDetail(errors=[], auto_sync_to_db=False).dump() == {
        "errors": [],
        "auto_sync_to_db": False,
    }
    bulk = StudyPlanBulkDetail.model_validate({"guideline_ids": ["g"]})
    assert bulk.force_regenerate is False and bulk.dump() == {"guideline_ids": ["g"]}


def test_recording_items_writes_errors_results_and_stats_as_before():
    ctx = JobContext("j", "b", "extraction", ExtractionDetail(page_ids=["p"]), 2, 1)

    ctx.record(1, ItemOutcome(error="bad", error_fields={"page": None}))
    ctx.record(2, ItemOutcome(note={"action": "new"}))
    ctx.detail.count(created=True)

    assert (ctx.completed, ctx.failed) == (1, 1)
    assert ctx.detail.errors == [JobError(item=1, page=None, error="bad")]
    assert json.loads(ctx.detail.to_json()) == {
        "page_ids": ["p"],
        "errors": [{"item": 1, "page": None, "error": "bad"}],
        "results": [{"action": "new"}],
        "stats": {"subtopics_created": 1, "subtopics_merged": 0},
    }
