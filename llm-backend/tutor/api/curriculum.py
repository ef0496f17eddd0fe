"""The approved curriculum, with the caller's progress on each subtopic."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shared.api.params import Grade
from shared.api.route import ApiRoute
from shared.auth.dependencies import CurrentUser, DbSession
from tutor.services import curriculum_service, report_card_service

router = APIRouter(prefix="/curriculum", tags=["curriculum"], route_class=ApiRoute)

Country = Annotated[str | None, Query(max_length=100)]
Board = Annotated[str | None, Query(max_length=100)]


@router.get("/subjects")
def subjects(
    user: CurrentUser,
    db: DbSession,
    country: Country = None,
    board: Board = None,
    grade: Grade | None = None,
) -> dict:
    items, applied = curriculum_service.subjects(
        db=db, user=user, country=country, board=board, grade=grade
    )
    return {"filters": applied, "subjects": items}


@router.get("/topics")
def topics(
    user: CurrentUser,
    db: DbSession,
    subject: Annotated[str, Query(min_length=1)],
    country: Country = None,
    board: Board = None,
    grade: Grade | None = None,
) -> dict:
    items, applied = curriculum_service.topics(
        db=db, user=user, country=country, board=board, grade=grade, subject=subject
    )
    return {"filters": applied, "topics": items}


@router.get("/subtopics")
def subtopics(
    user: CurrentUser,
    db: DbSession,
    subject: Annotated[str, Query(min_length=1)],
    topic: Annotated[str, Query(min_length=1)],
    country: Country = None,
    board: Board = None,
    grade: Grade | None = None,
) -> dict:
    rows, applied = curriculum_service.subtopics(
        db=db, user=user, country=country, board=board, grade=grade, subject=subject, topic=topic
    )
    progress = report_card_service.progress_by_guideline(db=db, user=user, guidelines=rows)
    return {
        "filters": applied,
        "subtopics": [
            {
                "guideline_id": g.id,
                "subtopic": curriculum_service.subtopic_of(g),
                "subtopic_key": g.subtopic_key,
                "summary": g.subtopic_summary,
                "grade": g.grade,
                "progress": report_card_service.progress_read(progress[g.id]),
            }
            for g in rows
        ],
    }
