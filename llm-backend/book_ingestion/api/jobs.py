"""Admin job routes: progress polling and resume."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from book_ingestion.schemas import JobRead
from book_ingestion.services import job_service
from database import DbSession
from shared.api.responses import errors
from shared.api.route import ApiRoute
from shared.auth.dependencies import AdminUser
from shared.jobs.schemas import JobStarted
from shared.models.enums import JobType

router = APIRouter(prefix="/admin/books/{book_id}/jobs", tags=["jobs"], route_class=ApiRoute)


@router.get("")
def list_jobs(book_id: str, admin: AdminUser, session: DbSession) -> list[JobRead]:
    return job_service.list_jobs(session=session, book_id=book_id)


@router.get("/latest")
def latest_job(
    book_id: str,
    admin: AdminUser,
    session: DbSession,
    job_type: Annotated[JobType | None, Query(description="Only jobs of this type")] = None,
) -> JobRead | None:
    """The most recently requested job, or JSON `null` (200) when the book has none: the
    frontend's job polling checks this on mount."""
    return job_service.latest_job(session=session, book_id=book_id, job_type=job_type)


@router.get("/{job_id}")
def get_job(book_id: str, job_id: str, admin: AdminUser, session: DbSession) -> JobRead:
    return job_service.get_job(session=session, book_id=book_id, job_id=job_id)


@router.post("/{job_id}/resume", status_code=202, responses=errors(409))
def resume_job(book_id: str, job_id: str, admin: AdminUser) -> JobStarted:
    return JobStarted(job_id=job_service.resume_job(book_id=book_id, job_id=job_id))
