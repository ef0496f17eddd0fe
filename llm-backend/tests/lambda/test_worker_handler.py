"""`worker_handler` with stored SQS events: each record runs its job; a bad record fails alone
and comes back in `batchItemFailures` so SQS redelivers only that message."""

from __future__ import annotations

import copy
import json
import logging

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

import lambda_handler
from shared.jobs import registry
from tests.support.lambda_context import FakeLambdaContext, load_event

GOOD_ID = "3f2a8c1e-5b7d-4e21-9a0c-6d1f2e3b4a51"
BAD_ID = "9c7b6d5e-1a2f-4c3b-8e9d-0f1a2b3c4d5e"


@pytest.fixture
def ran(monkeypatch):
    """Registers `test_echo` (records its calls) and `test_explode` (raises)."""
    monkeypatch.setattr(registry, "_handlers", {})
    calls: list[tuple[str, object]] = []

    @registry.register("test_echo")
    def echo(job_id, context):
        calls.append((job_id, context))

    @registry.register("test_explode")
    def explode(job_id, context):
        raise RuntimeError(f"job {job_id} broke")

    return calls


def _event(*bodies: str) -> dict:
    """The stored event's record shape, one record per body, with ids msg-0, msg-1, ..."""
    template = load_event("sqs_batch_one_good_one_bad.json")["Records"][0]
    records = []
    for index, body in enumerate(bodies):
        record = copy.deepcopy(template)
        record["messageId"] = f"msg-{index}"
        record["body"] = body
        records.append(record)
    return {"Records": records}


def _job(job_id: str, job_type: str) -> str:
    return json.dumps({"job_id": job_id, "job_type": job_type})


def test_stored_batch_returns_only_the_bad_record(ran):
    context = FakeLambdaContext(function_name="tutor-worker")

    response = lambda_handler.worker_handler(load_event("sqs_batch_one_good_one_bad.json"), context)

    assert response == {"batchItemFailures": [{"itemIdentifier": BAD_ID}]}
    # The job handler gets the Lambda context, to watch its remaining time.
    assert ran == [("job-42", context)]


def test_unknown_type_and_failing_handler_fail_only_their_records(ran, caplog):
    event = _event(
        _job("job-1", "test_echo"),
        _job("job-2", "no_such_type"),
        _job("job-3", "test_explode"),
        _job("job-4", "test_echo"),
    )

    with caplog.at_level(logging.INFO, logger="shared.jobs.worker"):
        response = lambda_handler.worker_handler(event, FakeLambdaContext())

    assert response == {
        "batchItemFailures": [{"itemIdentifier": "msg-1"}, {"itemIdentifier": "msg-2"}]
    }
    assert [job_id for job_id, _ in ran] == ["job-1", "job-4"]
    failures = {r.message: r for r in caplog.records if r.levelno == logging.ERROR}
    assert set(failures) == {"job message rejected", "job failed"}
    assert failures["job failed"].job_id == "job-3"
    assert failures["job failed"].job_type == "test_explode"
    assert failures["job failed"].exc_info[1].args == ("job job-3 broke",)
    assert failures["job message rejected"].message_id == "msg-1"
    assert str(failures["job message rejected"].exc_info[1]) == (
        "no handler for job type 'no_such_type' (registered: test_echo, test_explode)"
    )


def test_all_good_batch_reports_no_failures(ran):
    event = _event(_job("job-1", "test_echo"), _job("job-2", "test_echo"))

    assert lambda_handler.worker_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}
    assert [job_id for job_id, _ in ran] == ["job-1", "job-2"]


def test_batch_where_every_record_fails_is_a_function_error(ran):
    """Powertools raises when nothing succeeded, so Lambda records an error (the worker
    alarm watches Errors) and SQS redelivers the whole batch."""
    event = _event("not json", _job("job-9", "test_explode"))

    with pytest.raises(BatchProcessingError, match="All records failed processing"):
        lambda_handler.worker_handler(event, FakeLambdaContext())


def test_the_worker_freezes_start_up_objects_once_its_handlers_are_loaded(ran, monkeypatch):
    import shared.heap

    seen: list[bool] = []
    monkeypatch.setattr(
        shared.heap, "freeze_startup_objects", lambda: seen.append(registry._loaded)
    )
    lambda_handler.worker_handler(_event(_job(GOOD_ID, "test_echo")), FakeLambdaContext())

    assert seen == [True]
