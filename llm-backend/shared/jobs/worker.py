"""One SQS record -> one job handler call. Used by `lambda_handler.worker_handler` through
Powertools' BatchProcessor: an exception here fails only this record (it is reported in
`batchItemFailures`, so SQS redelivers just that message)."""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shared.jobs.messages import JobMessage, current_message
from shared.jobs.registry import get_handler
from shared.llm import deadline

logger = logging.getLogger(__name__)


def process_record(record: SQSRecord, lambda_context: Any = None) -> None:
    receive_count = record.attributes.approximate_receive_count
    try:
        message = JobMessage.parse(record.body)
        handler = get_handler(message.job_type)
    except Exception:
        logger.exception(
            "job message rejected",
            extra={"message_id": record.message_id, "receive_count": receive_count},
        )
        raise
    fields = {
        "message_id": record.message_id,
        "job_id": message.job_id,
        "job_type": message.job_type,
        "receive_count": receive_count,
    }
    logger.info("job started", extra=fields)
    try:
        # Model calls end before the invocation does; the runners stop taking items once less
        # than JOB_TIME_MARGIN_SECONDS is left, so an item started in time rarely meets this.
        seconds = deadline.lambda_remaining_seconds(lambda_context)
        with current_message(message), deadline.budget(seconds):
            handler(message.job_id, lambda_context)
    except Exception:
        logger.exception("job failed", extra=fields)
        raise
    logger.info("job finished", extra=fields)
