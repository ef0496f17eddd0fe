"""The one entry point every domain uses to call a model: `complete(component=..., ...)`."""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Sequence
from typing import TypeVar, overload

from pydantic import BaseModel, ValidationError

from config import get_settings
from shared.llm import config_store, deadline, recorder
from shared.llm.errors import (
    LLMAbandonedError,
    LLMDeadlineError,
    LLMOutputError,
    LLMRequestError,
    LLMUnavailableError,
)
from shared.llm.providers.registry import get_provider
from shared.llm.schema import strict_json_schema
from shared.llm.types import (
    ImageInput,
    Message,
    PermanentProviderError,
    ProviderRequest,
    Reasoning,
    TransientProviderError,
)
from shared.models.base import utcnow
from shared.observability.logging import get_logger

T = TypeVar("T", bound=BaseModel)
OUTPUT_ATTEMPTS = 2  # an invalid structured answer is retried once
# Latency clock; a seam so tests can check recorded latency exactly instead of timing calls.
_clock = time.monotonic


@overload
def complete(*, component: str, messages: Sequence[Message | dict], output: type[T], **kw) -> T: ...
@overload
def complete(
    *, component: str, messages: Sequence[Message | dict], output: None = None, **kw
) -> str: ...


def complete(
    *,
    component: str,
    messages: Sequence[Message | dict],
    output: type[T] | None = None,
    images: Sequence[ImageInput] = (),
    temperature: float | None = None,
    reasoning: Reasoning | None = None,
    max_output_tokens: int = 4096,
    session_id: str | None = None,
    job_id: str | None = None,
) -> T | str:
    """Ask the component's configured model; return validated `output` or plain text.

    Raises LLMConfigNotFoundError (no row), LLMUnavailableError (provider kept failing),
    LLMDeadlineError (the budget of shared.llm.deadline ran out first), LLMOutputError (answer
    never matched `output`), LLMRequestError (request refused).
    """
    settings = get_settings()
    target = config_store.resolve(component)
    request = ProviderRequest(
        model=target.model_id,
        messages=[m if isinstance(m, Message) else Message(**m) for m in messages],
        images=list(images),
        schema=strict_json_schema(output) if output is not None else None,
        schema_name=output.__name__ if output is not None else "output",
        temperature=temperature,
        reasoning=reasoning,
        timeout=settings.llm_timeout_seconds,
        max_output_tokens=max_output_tokens,
    )
    record = recorder.CallRecord(
        component=component,
        provider=target.provider,
        model=target.model_id,
        started_at=utcnow(),
        session_id=session_id,
        job_id=job_id,
    )
    started = _clock()
    try:
        result = _attempt_until_done(target.provider, request, output, record, settings)
        record.outcome = "ok" if record.attempts == 1 else "retried"
        if deadline.abandoned():  # answered, but nobody waits for it any more
            record.outcome = "abandoned"
        return result
    except (LLMUnavailableError, LLMOutputError, LLMRequestError) as exc:
        if record.outcome == "ok":  # refused before any attempt (no API key, unknown provider)
            record.outcome = "error"
        record.error_message = record.error_message or exc.message
        raise
    except Exception as exc:
        # A bug or an SDK error we do not map: the call still failed and is logged as such.
        record.outcome = "error"
        record.error_message = f"unexpected {type(exc).__name__}"
        raise
    finally:
        record.latency_ms = round((_clock() - started) * 1000)
        recorder.save(record)


def _attempt_until_done(provider_name, request, output, record, settings):
    provider = get_provider(provider_name)
    transient_failures = output_failures = 0
    while True:
        timeout = _attempt_timeout(record, settings, after=0.0)
        record.attempts += 1
        try:
            response = provider.complete(dataclasses.replace(request, timeout=timeout))
        except TransientProviderError as exc:
            if exc.kind == "timeout" and timeout < settings.llm_timeout_seconds:
                # Cut short by the budget, not by the provider's own limit.
                record.outcome = "deadline"
                raise LLMDeadlineError(_deadline_message(record)) from exc
            transient_failures += 1
            if transient_failures >= settings.llm_max_attempts:
                record.outcome = exc.kind
                raise LLMUnavailableError(_unavailable_message(record, exc)) from exc
            get_logger().warning(
                "llm call failed, retrying",
                extra={"component": record.component, "attempt": record.attempts, "why": str(exc)},
            )
            delay = _backoff(transient_failures, settings)
            _attempt_timeout(record, settings, after=delay)  # no backoff that cannot end in time
            time.sleep(delay)
            continue
        except PermanentProviderError as exc:
            record.outcome = "error"
            # The provider's own words (which can quote a masked key or the request) go to the
            # admin-only call log and the server log; the caller gets only the safe summary.
            record.error_message = f"{exc}: {exc.detail}" if exc.detail else str(exc)
            get_logger().warning(
                "llm request refused",
                extra={"component": record.component, "why": record.error_message},
            )
            raise LLMRequestError(
                f"The {record.provider} model '{record.model}' refused the request for "
                f"'{record.component}': {exc}. An admin can check the key and model at "
                "/admin/llm-config."
            ) from exc
        record.add_usage(response.input_tokens, response.output_tokens)
        if output is None:
            return response.text
        try:
            return output.model_validate_json(response.text)
        except ValidationError as exc:
            output_failures += 1
            if output_failures >= OUTPUT_ATTEMPTS:
                record.outcome = "output_error"
                raise LLMOutputError(
                    f"The {record.provider} model '{record.model}' returned output for "
                    f"'{record.component}' that does not match {output.__name__} "
                    f"({exc.error_count()} problems), twice."
                ) from exc


def _attempt_timeout(record: recorder.CallRecord, settings, *, after: float) -> float:
    """The timeout of an attempt that starts `after` seconds from now: the setting, or what is
    left of the budget (less the margin) when that is shorter. An attempt with less than
    LLM_MIN_ATTEMPT_SECONDS left is not made: LLMDeadlineError, recorded as `deadline`; nor
    is one whose caller went on without it (LLMAbandonedError, recorded as `abandoned`)."""
    if deadline.abandoned():
        record.outcome = "abandoned"
        raise LLMAbandonedError("The caller no longer waits for this answer.")
    left = deadline.remaining()
    if left is None:
        return settings.llm_timeout_seconds
    usable = left - settings.llm_deadline_margin_seconds - after
    if usable < min(settings.llm_min_attempt_seconds, settings.llm_timeout_seconds):
        record.outcome = "deadline"
        raise LLMDeadlineError(_deadline_message(record))
    return min(settings.llm_timeout_seconds, usable)


def _deadline_message(record: recorder.CallRecord) -> str:
    return (
        f"The {record.provider} model '{record.model}' for '{record.component}' could not "
        f"answer within the time this request has ({record.attempts} attempts). Try again; if "
        "the provider stays slow, an admin can switch this component to another provider at "
        "/admin/llm-config."
    )


def _backoff(failures: int, settings) -> float:
    """Full jitter: a random wait up to base * 2^(n-1), capped."""
    ceiling = min(settings.llm_retry_max_delay, settings.llm_retry_base_delay * 2 ** (failures - 1))
    return random.uniform(0, ceiling)


def _unavailable_message(record: recorder.CallRecord, exc: TransientProviderError) -> str:
    return (
        f"The {record.provider} model '{record.model}' for '{record.component}' is not "
        f"answering ({exc}, {record.attempts} attempts). Try again in a minute; if it persists, "
        "an admin can switch this component to another provider at /admin/llm-config."
    )
