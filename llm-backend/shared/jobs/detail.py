"""A job's `progress_detail`: what its items and its type record beside the counters.

Stored as JSON text in `book_jobs.progress_detail` (`JsonModel`), answered to the admin
frontend as that same JSON string (it parses it). The stored text keeps exactly the keys that
were written: a key is dumped only once it is set (on creation, by assignment or when read back
from a row), so an absent key stays absent and an explicit null stays null. Unknown keys (rows
written by older code) load and are written back unchanged.

Each job type's handler names its subclass (`ItemHandler.detail_type`); the engine itself only
knows the base fields: the item errors, the item notes, the resume link and the item list's key.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class JobError(BaseModel):
    """One failed item: its number, what it was about (a page) and the error text."""

    model_config = ConfigDict(extra="allow")

    item: int | None = None
    page: int | None = None
    error: str | None = ""


class ResumedFrom(BaseModel):
    model_config = ConfigDict(extra="allow")

    job_id: str
    item: int


class JobDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    errors: list[JobError] = Field(default_factory=list)
    # The handlers' notes, one per item that gave one (each job type's own shape).
    results: list[dict[str, Any]] | None = None
    resumed_from: ResumedFrom | None = None
    # Where the job's item list lives (`page_ids` unless named): what a resume slices.
    items_key: str | None = None

    def add_error(self, entry: JobError) -> None:
        self.errors = [*self.errors, entry]  # an assignment, so the key is written

    def add_result(self, note: dict[str, Any]) -> None:
        self.results = [*(self.results or []), note]

    def dump(self) -> dict[str, Any]:
        """The keys that were set, as plain JSON values."""
        return self.model_dump(mode="json", exclude_unset=True)

    def to_json(self) -> str:
        """The stored text and the API's `progress_detail` string (one format for both)."""
        return json.dumps(self.dump())

    def as_type(self, detail_type: type[D]) -> D:
        """This detail as a job type's subclass (every key kept)."""
        if type(self) is detail_type:
            return self
        return detail_type.model_validate(self.dump())


D = TypeVar("D", bound=JobDetail)
