"""The job engine's single rules: how much time an invocation needs to start an item, and the
one message a crashed job is failed with."""

from __future__ import annotations

from config import reset_settings
from shared.jobs.items import Outcome, crash_message
from shared.jobs.loop import has_time
from tests.support.lambda_context import FakeLambdaContext


def test_an_item_starts_only_with_more_than_the_margin_left(monkeypatch):
    monkeypatch.setenv("JOB_TIME_MARGIN_SECONDS", "240")
    reset_settings()
    try:
        assert has_time(None) is True  # off Lambda there is no limit
        assert has_time(FakeLambdaContext(remaining_ms=240_001)) is True
        assert has_time(FakeLambdaContext(remaining_ms=240_000)) is False
    finally:
        monkeypatch.delenv("JOB_TIME_MARGIN_SECONDS")
        reset_settings()


def test_one_crash_message_names_the_error_or_its_type():
    assert crash_message(RuntimeError("database went away")) == "Job crashed: database went away"
    assert crash_message(RuntimeError()) == "Job crashed: RuntimeError"


def test_outcomes_are_the_three_ways_a_run_ends():
    assert [o.value for o in Outcome] == ["done", "out_of_time", "lost"]
