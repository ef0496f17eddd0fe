"""Comparing two runs, and what a run cost.

Both runs' statistics come from the run service (`runs.get_run`): the unit is the judged
conversation, whose score on a dimension is the mean of its k judgments (the k judgments of one
transcript are not independent samples of the tutor, so counting them separately would shrink
the interval for nothing). A comparison puts the two runs' per-conversation values through
Welch's interval: the difference b - a per dimension and overall, with a verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation.models.judgment import DIMENSIONS
from evaluation.models.tables import SOURCE_EXISTING_SESSION, EvalConversation, EvalRun
from evaluation.services import runs
from evaluation.services.stats import Difference, Interval, compare_means, mean_ci
from shared.errors import BadRequestError, NotFoundError
from shared.llm import prices

OVERALL = "overall"


@dataclass(frozen=True)
class ScoreComparison:
    a: Interval
    b: Interval
    difference: Difference  # b - a: positive means run b scored higher


@dataclass(frozen=True)
class Comparison:
    run_a: str
    run_b: str
    overall: ScoreComparison
    per_dimension: dict[str, ScoreComparison]


def compare_samples(
    *,
    run_a: str,
    a: Mapping[str, Sequence[float]],
    run_b: str,
    b: Mapping[str, Sequence[float]],
) -> Comparison:
    """Run b against run a (b is the newer one). `a` and `b` map "overall" and each dimension
    to one value per judged conversation. 400 when a run has no judged conversation."""
    for run_id, samples in ((run_a, a), (run_b, b)):
        if not samples.get(OVERALL):
            raise BadRequestError(
                f"Run {run_id} has no judged conversation to compare.", code="run_not_judged"
            )

    def compare(key: str) -> ScoreComparison:
        values_a, values_b = list(a[key]), list(b[key])
        return ScoreComparison(
            a=mean_ci(values_a), b=mean_ci(values_b), difference=compare_means(values_a, values_b)
        )

    return Comparison(
        run_a=run_a,
        run_b=run_b,
        overall=compare(OVERALL),
        per_dimension={d: compare(d) for d in DIMENSIONS},
    )


def compare_runs(*, session: Session, run_a: str, run_b: str) -> Comparison:
    """404 for an unknown run, 400 for a run without any judged conversation."""
    a = runs.get_run(session=session, run_id=run_a).samples()
    b = runs.get_run(session=session, run_id=run_b).samples()
    return compare_samples(run_a=run_a, a=a, run_b=run_b, b=b)


def run_cost(*, session: Session, run_id: str) -> prices.Cost:
    """Tokens and dollars of every model call the run caused: the calls of its jobs (simulator,
    judge) and of its conversations' tutoring sessions (the tutor's), per component, provider
    and model, priced with the current llm_prices. A judged existing session's tutor calls
    were a student's, not the run's: only the judge's calls count there."""
    run = session.get(EvalRun, run_id)
    if run is None:
        raise NotFoundError(f"Run not found: {run_id}", code="run_not_found")
    session_ids: list[str] = []
    if run.source != SOURCE_EXISTING_SESSION:
        rows = session.scalars(
            select(EvalConversation.session_id).where(EvalConversation.run_id == run_id)
        )
        session_ids = [sid for sid in rows if sid is not None]
    usage = prices.calls_usage(
        session=session, job_ids=list(run.job_ids or []), session_ids=session_ids
    )
    return prices.price_usage(session=session, usage=usage)
