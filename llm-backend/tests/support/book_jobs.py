"""Book jobs driven from a test: a dispatcher that holds them, books and bulk uploads made
through the services, and the job rows as stored (for lock, heartbeat and sweep tests)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import BinaryIO

from sqlalchemy import text

from book_ingestion.schemas import BookCreate
from book_ingestion.services import book_service, page_service
from database import session_scope
from shared.jobs import lifecycle
from shared.jobs.models import BookJob
from shared.models.base import utcnow
from tests.support.books import BOOK, image_bytes


class HeldDispatcher:
    """Keeps every job pending (the lock stays held) and records the messages. Install it with
    `shared.jobs.dispatch.set_dispatcher`."""

    def __init__(self) -> None:
        self.messages = []

    def dispatch(self, message) -> None:
        self.messages.append(message)


def new_book() -> str:
    """A book made through the service (no request), as admin-1; its id."""
    return book_service.create_book(data=BookCreate(**BOOK), created_by="admin-1").id


def upload_pages(book_id: str, count: int) -> str:
    """A bulk upload of `count` distinct images; the id of the OCR job it starts."""
    return page_service.bulk_upload(book_id=book_id, files=image_files(count)).job_id


def image_files(count: int, *, name: str = "p{n}.png") -> list[tuple[str, BinaryIO]]:
    """`count` distinct PNG images as (file name, stream), as a bulk upload sends them."""
    return [
        (name.format(n=n), io.BytesIO(image_bytes(color=(n, n, n)))) for n in range(1, count + 1)
    ]


def load_job(job_id: str) -> BookJob:
    with session_scope() as session:
        return session.get(BookJob, job_id)


def job_view(job_id: str):
    """The job as the API answers it."""
    with session_scope() as session:
        return book_service.job_read(session.get(BookJob, job_id))


def sweep_stale_jobs(book_id: str | None = None) -> list[str]:
    with session_scope() as session:
        return lifecycle.sweep_stale(session, book_id=book_id)


def age_heartbeat(job_id: str, seconds: float) -> None:
    """Moves the job's last heartbeat `seconds` into the past (a worker gone quiet)."""
    with session_scope() as session:
        session.execute(
            text("UPDATE book_jobs SET heartbeat_at = :at WHERE id = :id"),
            {"at": utcnow() - timedelta(seconds=seconds), "id": job_id},
        )
