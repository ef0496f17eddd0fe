"""The approved curriculum, one level per call (contract §2.3). Progress badges are
`GET /sessions/subtopic-progress`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from database import DbSession
from shared.api.params import Grade
from shared.api.route import ApiRoute
from shared.auth.dependencies import get_optional_identity
from tutor.services import curriculum_service

# The curriculum is the same for everyone, so no token is needed; the frontend still sends
# one, and a bad one is a 401 as on every optional-auth route (README, Clients).
router = APIRouter(
    prefix="/curriculum",
    tags=["curriculum"],
    route_class=ApiRoute,
    dependencies=[Depends(get_optional_identity)],
)

Name = Annotated[str, Query(min_length=1, max_length=200)]


class SubtopicEntry(BaseModel):
    subtopic: str = Field(description="The guideline's `subtopic`, as the frontend's URL segment")
    guideline_id: str
    subtopic_key: str | None = Field(description="Slug of the subtopic (this backend's addition)")


class CurriculumRead(BaseModel):
    """Exactly one level is a list; the two others are null."""

    subjects: list[str] | None
    topics: list[str] | None
    subtopics: list[SubtopicEntry] | None


@router.get("", response_model=CurriculumRead)
def curriculum(
    session: DbSession,
    country: Name,
    board: Name,
    grade: Grade,
    subject: Annotated[str | None, Query(max_length=200)] = None,
    topic: Annotated[str | None, Query(max_length=200)] = None,
):
    """Subjects of country/board/grade; with `subject`, its topics; with `subject` and
    `topic`, its subtopics and their guideline ids. Approved guidelines only; exact,
    case-sensitive matching; distinct values sorted alphabetically."""
    return curriculum_service.curriculum(
        session=session, country=country, board=board, grade=grade, subject=subject, topic=topic
    )
