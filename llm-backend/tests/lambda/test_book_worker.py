"""The SQS path of book jobs: `worker_handler` with little Lambda time left processes a chunk,
checkpoints and re-enqueues one continuation, which finishes the job; a duplicate of that
continuation does nothing. moto SQS and S3, real PostgreSQL, the fake model server."""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field

import boto3
import pytest

import lambda_handler
from book_ingestion.models.database import BookPage
from book_ingestion.schemas import BookCreate
from book_ingestion.services import book_service, page_service
from config import reset_settings
from database import session_scope
from shared.errors import ServiceUnavailableError
from shared.jobs.dispatch import reset_dispatcher
from shared.jobs.models import BookJob
from shared.storage import reset_blob_store
from tests.fakes.llm_server import Reply
from tests.support.aws import REGION, mocked_aws
from tests.support.book_jobs import image_files, load_job
from tests.support.books import BOOK, BUCKET, stored_keys
from tests.support.lambda_context import load_event

PAGES = 6


@dataclass
class DeadlineContext:
    """A Lambda context whose remaining time runs down with the clock."""

    seconds: float
    function_name: str = "tutor-worker"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:tutor-worker"
    aws_request_id: str = "req-1"
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@pytest.fixture
def aws(db, fake_llm, monkeypatch):
    with mocked_aws(monkeypatch):
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        for key, value in {
            "SQS_QUEUE_URL": queue_url,
            "S3_BUCKET": BUCKET,
            "OCR_CONCURRENCY": "1",
            "JOB_TIME_MARGIN_SECONDS": "2.5",
            "JOB_HEARTBEAT_SECONDS": "0.2",
            # Model calls end before the invocation does (an item started with more than the
            # job margin left has that long); the deadline's own margins scale down with it.
            "LLM_DEADLINE_MARGIN_SECONDS": "0.1",
            "LLM_MIN_ATTEMPT_SECONDS": "0.1",
        }.items():
            monkeypatch.setenv(key, value)
        reset_settings()
        reset_blob_store()
        reset_dispatcher()
        yield sqs, queue_url
        reset_blob_store()
        reset_dispatcher()


def _receive(sqs, queue_url) -> list[dict]:
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def _event(*messages: dict) -> dict:
    template = load_event("sqs_batch_one_good_one_bad.json")["Records"][0]
    records = []
    for index, message in enumerate(messages):
        record = copy.deepcopy(template)
        record["messageId"] = f"{message['MessageId']}-{index}"
        record["body"] = message["Body"]
        records.append(record)
    return {"Records": records}


def test_chunk_continuation_and_duplicate(aws, fake_llm):
    sqs, queue_url = aws
    fake_llm.push(*[Reply(f"page text {n}", delay=0.3) for n in range(PAGES)])
    book_id = book_service.create_book(data=BookCreate(**BOOK), created_by="admin-1").id
    files = image_files(PAGES, name="{n}.png")
    job_id = page_service.bulk_upload(book_id=book_id, files=files).job_id
    [first] = _receive(sqs, queue_url)
    assert json.loads(first["Body"]) == {"job_id": job_id, "job_type": "ocr_batch"}

    # Little time left: some pages, a checkpoint, then one continuation on the queue.
    response = lambda_handler.worker_handler(_event(first), DeadlineContext(seconds=4.0))

    assert response == {"batchItemFailures": []}
    partial = load_job(job_id)
    assert partial.status == "pending"
    assert 1 <= partial.completed_items < PAGES
    assert partial.last_completed_item == partial.completed_items
    [continuation] = _receive(sqs, queue_url)
    assert json.loads(continuation["Body"]) == {
        "job_id": job_id,
        "job_type": "ocr_batch",
        "handoff": partial.lease_id,
    }

    # The continuation delivered twice in one batch: the first finishes, the second is a no-op.
    response = lambda_handler.worker_handler(
        _event(continuation, continuation), DeadlineContext(seconds=600)
    )

    assert response == {"batchItemFailures": []}
    done = load_job(job_id)
    assert (done.status, done.completed_items, done.failed_items, done.last_completed_item) == (
        "completed", PAGES, 0, PAGES,
    )  # fmt: skip
    assert _receive(sqs, queue_url) == []
    assert len(fake_llm.requests) == PAGES

    # A late redelivery of either message changes nothing.
    lambda_handler.worker_handler(_event(first, continuation), DeadlineContext(seconds=600))
    assert load_job(job_id).status == "completed"
    assert len(fake_llm.requests) == PAGES
    assert _receive(sqs, queue_url) == []
    with session_scope() as session:
        pages = session.query(BookPage).filter_by(book_id=book_id).order_by(BookPage.page_number)
        assert [p.status for p in pages] == ["pending_review"] * PAGES
    assert len(stored_keys(f"books/{book_id}/pages/")) == 2 * PAGES


def test_a_job_whose_message_cannot_be_sent_is_failed_at_once(aws, monkeypatch):
    monkeypatch.setenv("SQS_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/gone")
    reset_settings()
    reset_dispatcher()
    book_id = book_service.create_book(data=BookCreate(**BOOK), created_by="admin-1").id
    with pytest.raises(ServiceUnavailableError) as caught:
        page_service.bulk_upload(book_id=book_id, files=image_files(1))

    assert caught.value.code == "queue_unavailable"
    with session_scope() as session:
        [job] = session.query(BookJob).filter_by(book_id=book_id).all()
        assert (job.status, job.error_message) == (
            "failed",
            "The job could not be queued; start it again.",
        )
