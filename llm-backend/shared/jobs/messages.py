"""The body of a job message on the queue: `{"job_id": str, "job_type": str}`.

Only the job's id travels: the job's state (items, progress, heartbeat) lives in the database,
so a re-delivered or re-enqueued message simply continues the job from what is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class InvalidJobMessageError(ValueError):
    """The body is not JSON or lacks a non-empty `job_id` / `job_type`."""


class JobMessage(BaseModel):
    # Unknown keys are ignored so a newer producer does not break an older worker mid-deploy.
    model_config = ConfigDict(extra="ignore", frozen=True)

    job_id: str = Field(min_length=1)
    job_type: str = Field(min_length=1)
    # A continuation's hand-off token (book jobs): only the message carrying the job's current
    # token may claim it, so a duplicate delivery is a no-op. Absent on a job's first message.
    handoff: str | None = None

    @classmethod
    def parse(cls, body: str) -> JobMessage:
        try:
            return cls.model_validate_json(body)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
                for err in exc.errors(include_url=False, include_input=False)
            )
            raise InvalidJobMessageError(f"invalid job message ({problems})") from None

    def to_body(self) -> str:
        return self.model_dump_json(exclude_none=True)


_current: ContextVar[JobMessage | None] = ContextVar("current_job_message", default=None)


@contextmanager
def current_message(message: JobMessage) -> Iterator[None]:
    """Makes `message` visible to the handler it is passed to (`get_current_message()`)."""
    token = _current.set(message)
    try:
        yield
    finally:
        _current.reset(token)


def get_current_message() -> JobMessage | None:
    return _current.get()
