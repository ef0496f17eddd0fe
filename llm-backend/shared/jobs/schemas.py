"""What a route that starts (or resumes) a job answers, in every domain."""

from __future__ import annotations

from pydantic import BaseModel


class JobStarted(BaseModel):
    job_id: str
