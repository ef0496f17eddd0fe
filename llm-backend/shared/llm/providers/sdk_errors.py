"""Turns the official SDKs' exceptions into the layer's transient/permanent failures.

The openai and anthropic SDKs share one exception design (APITimeoutError ⊂
APIConnectionError, APIStatusError with status_code and body), so one translation serves both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Protocol

from shared.llm.types import PermanentProviderError, TransientProviderError, is_retryable_status


@contextmanager
def translated_errors(sdk: ModuleType, *, timeout: float) -> Iterator[None]:
    try:
        yield
    except sdk.APITimeoutError as exc:
        raise TransientProviderError(f"timed out after {timeout:g}s", kind="timeout") from exc
    except sdk.APIConnectionError as exc:
        raise TransientProviderError(f"connection failed: {exc}") from exc
    except ValueError as exc:  # a 200 whose body is not JSON: a broken proxy or stream
        raise TransientProviderError("unreadable response body") from exc
    except sdk.APIStatusError as exc:
        if is_retryable_status(exc.status_code):
            raise TransientProviderError(f"HTTP {exc.status_code}") from exc
        raise PermanentProviderError(
            f"HTTP {exc.status_code}", detail=provider_error_message(exc)
        ) from exc


class StatusError(Protocol):
    """What openai's and anthropic's `APIStatusError` both carry."""

    body: object
    message: str


def provider_error_message(exc: StatusError) -> str:
    """The provider's `error.message`, not the SDK's repr of the whole body (which can echo
    request data); kept for logs and `llm_calls`, never sent to clients."""
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body)
    message = error.get("message") if isinstance(error, dict) else None
    return str(message or exc.message)
