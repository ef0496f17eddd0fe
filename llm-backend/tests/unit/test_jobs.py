"""The job message format and the job-type registry the SQS worker dispatches through."""

from __future__ import annotations

import json
import sys

import pytest

from shared.jobs import registry
from shared.jobs.messages import InvalidJobMessageError, JobMessage


@pytest.fixture
def clean_registry(monkeypatch):
    monkeypatch.setattr(registry, "_handlers", {})
    monkeypatch.setattr(registry, "_loaded", False)
    # Only what the test registers: the real handler modules (book ingestion) stay out.
    monkeypatch.setattr(registry, "JOB_HANDLER_MODULES", ())


def test_message_round_trips_and_ignores_unknown_keys():
    message = JobMessage.parse('{"job_id": "j-1", "job_type": "book_ingestion", "attempt": 2}')

    assert message == JobMessage(job_id="j-1", job_type="book_ingestion")
    assert json.loads(message.to_body()) == {"job_id": "j-1", "job_type": "book_ingestion"}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('{"job_id": "j-1", "job_type": ', "body: Invalid JSON: EOF while parsing a value"),
        ('{"job_id": "j-1"}', "job_type: Field required"),
        ('{"job_id": "", "job_type": "x"}', "job_id: String should have at least 1 character"),
        ('{"job_id": 7, "job_type": "x"}', "job_id: Input should be a valid string"),
        ('["j-1", "x"]', "body: Input should be an object"),
    ],
)
def test_malformed_message_says_what_is_wrong(body, problem):
    with pytest.raises(InvalidJobMessageError) as caught:
        JobMessage.parse(body)

    assert problem in str(caught.value)
    assert str(caught.value).startswith("invalid job message (")


def test_register_directly_and_as_decorator(clean_registry):
    def ingest(job_id, context):
        return None

    registry.register("book_ingestion", ingest)

    @registry.register("study_plan")
    def plan(job_id, context):
        return None

    assert registry.get_handler("book_ingestion") is ingest
    assert registry.get_handler("study_plan") is plan
    assert registry.registered_job_types() == ["book_ingestion", "study_plan"]
    registry.register("study_plan", plan)  # the same handler again (a re-import) is fine
    registry.unregister("study_plan")
    assert registry.registered_job_types() == ["book_ingestion"]


def test_a_second_handler_for_a_type_is_refused(clean_registry):
    registry.register("book_ingestion", lambda job_id, context: None)

    with pytest.raises(ValueError, match="job type 'book_ingestion' already has a handler"):
        registry.register("book_ingestion", lambda job_id, context: None)


def test_unknown_job_type_names_the_known_ones(clean_registry):
    registry.register("book_ingestion", lambda job_id, context: None)

    with pytest.raises(registry.UnknownJobTypeError) as caught:
        registry.get_handler("nope")

    assert str(caught.value) == "no handler for job type 'nope' (registered: book_ingestion)"


def test_handler_modules_are_imported_once_on_first_lookup(clean_registry, tmp_path, monkeypatch):
    (tmp_path / "sample_job_handlers.py").write_text(
        "from shared.jobs.registry import register\n"
        "IMPORTS = []\n"
        "IMPORTS.append(1)\n"
        "@register('sample')\n"
        "def run(job_id, context):\n"
        "    return None\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "JOB_HANDLER_MODULES", ("sample_job_handlers",))
    monkeypatch.delitem(sys.modules, "sample_job_handlers", raising=False)

    handler = registry.get_handler("sample")
    registry.get_handler("sample")

    module = sys.modules["sample_job_handlers"]
    assert handler is module.run
    assert module.IMPORTS == [1]
