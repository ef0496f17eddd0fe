"""AWS Lambda entry points.

- `handler`: API Gateway HTTP API (payload 2.0) -> the FastAPI app through Mangum.
- `worker_handler`: SQS job messages -> the job registry, with partial batch failures.
- `migrate_handler`: runs `db.py`'s migration inside the VPC for the deploy pipeline.

The app (main.get_app(), the one the process serves) and its Mangum adapter are built on the
first invocation and reused while the container lives; nothing here connects to anything at
import time.

X-Ray tracing is on where Powertools would trace (in Lambda, the template's `Tracing: Active`,
unless POWERTOOLS_TRACE_DISABLED): only there is a Tracer built, because building one, even a
disabled one, imports the X-Ray SDK and botocore (about a third of this module's import time).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aws_lambda_powertools import Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from mangum import Mangum

from shared.observability.logging import SERVICE_NAME, get_logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch import BatchProcessor
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

logger = get_logger()
metrics = Metrics(namespace="TutorBackend", service=SERVICE_NAME)
# Powertools' own rule for when a Tracer traces (it disables itself everywhere else).
tracer = None if Tracer._is_tracer_disabled() else Tracer(service=SERVICE_NAME)

H = TypeVar("H", bound=Callable[..., Any])


def _traced(function: H) -> H:
    """`function` as a traced Lambda handler (the `## name` subsegment, ColdStart and Service
    annotations) where tracing is on; unchanged elsewhere."""
    if tracer is None:
        return function
    return cast(H, tracer.capture_lambda_handler(function, capture_response=False))


_asgi_adapter: Mangum | None = None


@cache
def _job_batch_processor() -> BatchProcessor:
    # Built once so warm invocations reuse it (it holds no connections), and imported only
    # by the worker: an API cold start does not load the batch utilities.
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    return BatchProcessor(event_type=EventType.SQS)


def _adapter() -> Mangum:
    global _asgi_adapter
    if _asgi_adapter is None:
        # Imported here: the worker and migrate functions never build the app.
        from main import get_app

        _asgi_adapter = Mangum(get_app(), lifespan="off")
    return _asgi_adapter


@metrics.log_metrics(capture_cold_start_metric=True)
@_traced
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _adapter()(event, context)


@metrics.log_metrics(capture_cold_start_metric=True)
@_traced
@logger.inject_lambda_context
def worker_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    """Runs each record's job (`{"job_id", "job_type"}`) through `shared.jobs`; a record whose
    body is malformed, whose type is unknown or whose handler raises is returned in
    `batchItemFailures`, so SQS redelivers only that message."""
    from aws_lambda_powertools.utilities.batch import process_partial_response

    from shared.heap import freeze_startup_objects
    from shared.jobs.registry import load_job_handlers
    from shared.jobs.worker import process_record

    load_job_handlers()
    freeze_startup_objects()

    return process_partial_response(
        event=event,
        record_handler=process_record,
        processor=_job_batch_processor(),
        context=context,
    )


@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context
def migrate_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Runs the migration (or, with `{"status": true}`, reports pending work) and returns the
    report; a failure raises, so the pipeline's invoke sees a function error."""
    from db import run_migrations

    report = run_migrations(dry_run=bool((event or {}).get("status")))
    logger.info("migration finished", extra={"changed": report.changed})
    for item in report.skipped:
        logger.warning("migration skipped a constraint", extra={"skipped_constraint": item})
    return report.as_dict()
