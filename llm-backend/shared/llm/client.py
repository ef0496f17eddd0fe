"""The one entry point every domain uses to call a model: `complete(component=..., ...)`."""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar, overload

from pydantic import BaseModel, ValidationError

from config import get_settings
from shared.llm import config_store, deadline, recorder
from shared.llm.audio import join_mp3, split_text
from shared.llm.config_store import ResolvedModel
from shared.llm.errors import (
    LLMAbandonedError,
    LLMDeadlineError,
    LLMOutputError,
    LLMRequestError,
    LLMUnavailableError,
)
from shared.llm.providers.registry import AUDIO_PROVIDERS, AudioProvider, get_provider
from shared.llm.schema import strict_json_schema
from shared.llm.types import (
    AudioInput,
    ImageInput,
    Message,
    PermanentProviderError,
    ProviderRequest,
    ProviderResponse,
    Reasoning,
    SpeechRequest,
    SpeechResponse,
    TranscriptionRequest,
    TranscriptionResponse,
    TransientProviderError,
)
from shared.models.base import utcnow
from shared.observability.logging import get_logger

if TYPE_CHECKING:
    from config import Settings

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")  # a provider's response
V = TypeVar("V")  # what the caller gets from it
OUTPUT_ATTEMPTS = 2  # an invalid structured answer is retried once
# The most text OpenAI's speech endpoint takes in one request; longer texts go in pieces.
SPEECH_MAX_CHARS = 4096

# Latency clock; a seam so tests can check recorded latency exactly instead of timing calls.
_clock = time.monotonic


@overload
def complete(
    *,
    component: str,
    messages: Sequence[Message | dict[str, Any]],
    output: type[T],
    images: Sequence[ImageInput] = (),
    temperature: float | None = None,
    reasoning: Reasoning | None = None,
    max_output_tokens: int = 4096,
    session_id: str | None = None,
    job_id: str | None = None,
) -> T: ...
@overload
def complete(
    *,
    component: str,
    messages: Sequence[Message | dict[str, Any]],
    output: None = None,
    images: Sequence[ImageInput] = (),
    temperature: float | None = None,
    reasoning: Reasoning | None = None,
    max_output_tokens: int = 4096,
    session_id: str | None = None,
    job_id: str | None = None,
) -> str: ...


def complete(
    *,
    component: str,
    messages: Sequence[Message | dict[str, Any]],
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
    record = _record(target, session_id=session_id, job_id=job_id)
    output_failures = 0

    def accept(response: ProviderResponse) -> T | str:
        nonlocal output_failures
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
            record.outcome = "retried"
            raise _AskAgain from exc

    with _recorded(record):
        provider = get_provider(target.provider)

        def send(timeout: float) -> ProviderResponse:
            return provider.complete(dataclasses.replace(request, timeout=timeout))

        return _attempt_until_done(record, settings, send, accept)


def transcribe(*, component: str, audio: AudioInput) -> str:
    """The text spoken in `audio`, from the component's configured speech-to-text model, with
    the same retries, deadline, errors and `llm_calls` row as complete()."""
    settings = get_settings()
    target = config_store.resolve(component)
    record = _record(target)

    def accept(response: TranscriptionResponse) -> str:
        record.add_usage(response.input_tokens, response.output_tokens)
        record.audio_seconds = response.audio_seconds
        return response.text

    with _recorded(record):
        provider = _audio_provider(record, "speech-to-text", "gpt-4o-mini-transcribe")

        def send(timeout: float) -> TranscriptionResponse:
            request = TranscriptionRequest(model=target.model_id, audio=audio, timeout=timeout)
            return provider.transcribe(request)

        return _attempt_until_done(record, settings, send, accept)


def speak(
    *,
    component: str,
    text: str,
    voice: str,
    instructions: str | None = None,
    speed: float | None = None,
) -> bytes:
    """`text` read aloud as MP3 by the component's configured text-to-speech model. A text
    longer than the model takes at once is spoken in pieces cut at sentence ends, joined into
    one MP3; the pieces share one `llm_calls` row and the request's deadline."""
    settings = get_settings()
    target = config_store.resolve(component)
    record = _record(target)
    record.input_characters = len(text)
    with _recorded(record):
        provider = _audio_provider(record, "text-to-speech", "gpt-4o-mini-tts")
        parts: list[bytes] = []
        for piece in split_text(text, SPEECH_MAX_CHARS):

            def send(timeout: float, piece: str = piece) -> SpeechResponse:
                request = SpeechRequest(
                    model=target.model_id,
                    text=piece,
                    voice=voice,
                    instructions=instructions,
                    speed=speed,
                    timeout=timeout,
                )
                return provider.speak(request)

            parts.append(_attempt_until_done(record, settings, send, lambda r: r.audio))
        return join_mp3(parts)


class _AskAgain(Exception):
    """Raised by an `accept` that does not take the answer: the attempt is made again."""


def _record(
    target: ResolvedModel, *, session_id: str | None = None, job_id: str | None = None
) -> recorder.CallRecord:
    return recorder.CallRecord(
        component=target.component,
        provider=target.provider,
        model=target.model_id,
        started_at=utcnow(),
        session_id=session_id,
        job_id=job_id,
    )


@contextmanager
def _recorded(record: recorder.CallRecord) -> Iterator[None]:
    """Times the call and writes its `llm_calls` row, however it ends."""
    started = _clock()
    try:
        yield
        if deadline.abandoned():  # answered, but nobody waits for it any more
            record.outcome = "abandoned"
    except (LLMUnavailableError, LLMOutputError, LLMRequestError) as exc:
        if record.outcome in ("ok", "retried"):  # refused outside an attempt (no key, no audio)
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


def _audio_provider(
    record: recorder.CallRecord, operation: str, example_model: str
) -> AudioProvider:
    if record.provider in AUDIO_PROVIDERS:
        provider = get_provider(record.provider)
        if isinstance(provider, AudioProvider):  # what every AUDIO_PROVIDERS client is
            return provider
    raise LLMRequestError(
        f"The component '{record.component}' is configured with provider "
        f"'{record.provider}', which has no {operation} API. An admin can set it to "
        f"provider 'openai' (e.g. model '{example_model}') at /admin/llm-config."
    )


def _attempt_until_done(
    record: recorder.CallRecord,
    settings: Settings,
    send: Callable[[float], R],
    accept: Callable[[R], V],
) -> V:
    """Sends attempts (each with the timeout the budget allows) until `accept` takes an
    answer: transient failures are retried with backoff, a refusal is final. `accept` returns
    the result, or raises _AskAgain to ask once more."""
    transient_failures = 0
    while True:
        timeout = _attempt_timeout(record, settings, after=0.0)
        record.attempts += 1
        try:
            response = send(timeout)
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
            record.outcome = "retried"
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
        try:
            return accept(response)
        except _AskAgain:
            continue


def _attempt_timeout(record: recorder.CallRecord, settings: Settings, *, after: float) -> float:
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


def _backoff(failures: int, settings: Settings) -> float:
    """Full jitter: a random wait up to base * 2^(n-1), capped."""
    ceiling = min(settings.llm_retry_max_delay, settings.llm_retry_base_delay * 2 ** (failures - 1))
    return random.uniform(0, ceiling)


def _unavailable_message(record: recorder.CallRecord, exc: TransientProviderError) -> str:
    return (
        f"The {record.provider} model '{record.model}' for '{record.component}' is not "
        f"answering ({exc}, {record.attempts} attempts). Try again in a minute; if it persists, "
        "an admin can switch this component to another provider at /admin/llm-config."
    )
