"""What an evaluation job records in its `progress_detail` (see `shared.jobs.detail`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.jobs.detail import JobDetail

# The job type (`book_jobs.job_type`). Its rows belong to no book, so it is not one of the
# book jobs' `JobType` values (their API filter).
EVALUATION_JOB = "evaluation"
Phase = Literal["simulate_and_judge", "judge_only"]
SIMULATE_AND_JUDGE: Phase = "simulate_and_judge"
JUDGE_ONLY: Phase = "judge_only"


class EvaluationDetail(JobDetail):
    run_id: str = ""
    # simulate_and_judge: a start or a resume (finished conversations are skipped);
    # judge_only: re-judging stored transcripts (retry-evaluation, an existing session).
    phase: Phase = SIMULATE_AND_JUDGE
    # The run's conversation items this job covers, in order: job item i is items[i - 1]
    # (`items_key`), so a resume or a re-judging job lists only what is left to do.
    items: list[int] = Field(default_factory=list)
