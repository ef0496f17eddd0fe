"""The functions' timeouts against the model-call deadline settings they run with (README
"Guarantees"): an API request's model calls end before API Gateway and Lambda give up, and a
job item started with the worker's time margin left can use every attempt it is allowed."""

from __future__ import annotations

from config import Settings
from tests.support.cfn_functions import (
    SETTINGS_VARIABLES,
    function_environment,
    function_properties,
)

# API Gateway HTTP APIs wait at most 30 s for an integration; the function must end first.
API_GATEWAY_LIMIT_SECONDS = 29


def _settings(cfn_template, name: str, monkeypatch) -> Settings:
    """The settings the function runs with: the template's literal values over the defaults
    (what CloudFormation resolves at deploy time does not touch these fields)."""
    with monkeypatch.context() as mp:
        for key in SETTINGS_VARIABLES:
            mp.delenv(key, raising=False)
        for key, value in function_environment(cfn_template, name).items():
            if isinstance(value, str):
                mp.setenv(key, value)
        mp.setenv("ENVIRONMENT", "development")
        return Settings(_env_file=None)


def test_api_model_calls_end_before_the_function_and_the_gateway(cfn_template, monkeypatch):
    timeout = function_properties(cfn_template, "ApiFunction")["Timeout"]
    api = _settings(cfn_template, "ApiFunction", monkeypatch)

    assert timeout <= API_GATEWAY_LIMIT_SECONDS
    # The budget is the invocation's remaining time capped by the setting; the cap stays
    # below the timeout, for the start-up and routing before the budget is taken.
    assert api.api_request_budget_seconds < timeout
    # At least one attempt fits, with the margin left for recording the call and answering.
    usable = api.api_request_budget_seconds - api.llm_deadline_margin_seconds
    assert usable >= api.llm_min_attempt_seconds > 0
    assert api.llm_deadline_margin_seconds > 0


def test_a_job_item_started_in_time_can_use_every_attempt(cfn_template, monkeypatch):
    timeout = function_properties(cfn_template, "WorkerFunction")["Timeout"]
    worker = _settings(cfn_template, "WorkerFunction", monkeypatch)

    every_attempt = (
        worker.llm_max_attempts * worker.llm_timeout_seconds
        + (worker.llm_max_attempts - 1) * worker.llm_retry_max_delay
        + worker.llm_deadline_margin_seconds
    )
    assert every_attempt <= worker.job_time_margin_seconds < timeout
