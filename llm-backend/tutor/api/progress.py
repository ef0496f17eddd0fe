"""The learner's progress: report card, subtopic badges, history, stats, the sessions on one
guideline, and the review of a finished exam. Every route needs a signed-in student and shows
only the caller's own sessions.

Registered before `tutor.api.sessions`, so `/sessions/history` and the other fixed paths are
never read as a session id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from database import DbSession
from shared.api.params import Limit, ListPageNumber
from shared.api.responses import errors
from shared.api.route import ApiRoute
from shared.auth.dependencies import CurrentUser, OwnerOnlySession
from shared.models.enums import SessionMode
from tutor.api.progress_schemas import (
    ExamReviewRead,
    GuidelineSessionsRead,
    HistoryPageRead,
    ReportCardRead,
    SessionListRead,
    SessionStatsRead,
    SubtopicProgressMapRead,
)
from tutor.services import history_service, report_card_service

router = APIRouter(prefix="/sessions", tags=["progress"], route_class=ApiRoute)

PageSize = Limit
Subject = Annotated[str | None, Query(max_length=100)]


@router.get("/report-card", response_model=ReportCardRead)
def report_card(user: CurrentUser, session: DbSession) -> dict:
    return report_card_service.report_card(session=session, user=user)


@router.get("/subtopic-progress", response_model=SubtopicProgressMapRead)
def subtopic_progress(user: CurrentUser, session: DbSession) -> dict:
    return report_card_service.subtopic_progress(session=session, user=user)


@router.get("/history", response_model=HistoryPageRead)
def history(
    user: CurrentUser,
    session: DbSession,
    subject: Subject = None,
    page: ListPageNumber = 1,
    page_size: PageSize = 20,
) -> dict:
    sessions, total = history_service.history(
        session=session, user=user, subject=subject, page_number=page, page_size=page_size
    )
    return {"sessions": sessions, "page": page, "page_size": page_size, "total": total}


@router.get("/stats", response_model=SessionStatsRead)
def stats(user: CurrentUser, session: DbSession) -> dict:
    return history_service.stats(session=session, user=user)


@router.get("", response_model=SessionListRead)
def list_sessions(user: CurrentUser, session: DbSession) -> dict:
    sessions, total = history_service.newest(session=session, user=user)
    return {"sessions": sessions, "total": total}


@router.get("/guideline/{guideline_id}", response_model=GuidelineSessionsRead)
def guideline_sessions(
    guideline_id: str,
    user: CurrentUser,
    session: DbSession,
    mode: SessionMode | None = None,
    finished_only: bool = False,
) -> dict:
    sessions = history_service.guideline_sessions(
        session=session,
        user=user,
        guideline_id=guideline_id,
        mode=mode,
        finished_only=finished_only,
    )
    return {"sessions": sessions}


# 400: not an exam; 403: an anonymous session (nobody owns it), or the exam is not finished.
@router.get("/{session_id}/exam-review", response_model=ExamReviewRead, responses=errors(400, 403))
def exam_review(row: OwnerOnlySession) -> dict:
    return history_service.exam_review(row=row)
