"""LLM failures, as members of the one AppError hierarchy."""

from __future__ import annotations

from shared.errors import AppError, ServiceUnavailableError


class LLMConfigNotFoundError(AppError):
    """No `llm_config` row for a component: there is deliberately no fallback model."""

    status_code = 503
    code = "llm_config_missing"

    def __init__(self, component: str):
        super().__init__(
            f"No model is configured for component '{component}'; an admin must choose one "
            "on the LLM configuration page (/admin/llm-config)."
        )
        self.component = component


class LLMUnavailableError(ServiceUnavailableError):
    """The provider kept failing (rate limits, server errors, timeouts) through every attempt."""

    code = "llm_unavailable"


# Every model failure is a failing dependency to the client (503): the request itself was
# fine and nothing was stored; the code tells an unusable answer from a refused request.
class LLMOutputError(ServiceUnavailableError):
    """The model's answer did not match the required structure, even after a retry."""

    code = "llm_output_invalid"


class LLMRequestError(ServiceUnavailableError):
    """The provider refused the request itself (bad key, unknown model): retrying cannot help."""

    code = "llm_request_rejected"


class LLMDeadlineError(LLMUnavailableError):
    """The request's time budget ran out before the model answered (or before another attempt
    could finish): a slow provider, answered before the platform kills the invocation."""

    code = "llm_deadline"


class LLMAbandonedError(LLMUnavailableError):
    """The caller went on without this call's answer (shared.llm.deadline.abandonable); raised
    in the abandoned thread only, so no client ever sees it."""

    code = "llm_abandoned"
