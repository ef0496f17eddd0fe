"""The body of a job message on the queue: `{"job_id": str, "job_type": str}`.

Only the job's id travels: the job's state (items, progress, heartbeat) lives in the database,
so a re-delivered or re-enqueued message simply continues the job from what is stored.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class InvalidJobMessageError(ValueError):
    """The body is not JSON or lacks a non-empty `job_id` / `job_type`."""


class JobMessage(BaseModel):
    # Unknown keys are ignored so a newer producer does not break an older worker mid-deploy.
    model_config = ConfigDict(extra="ignore", frozen=True)

    job_id: str = Field(min_length=1)
    job_type: str = Field(min_length=1)

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
        return self.model_dump_json()
