"""Concurrent requests on one book through the HTTP app: a book on which every kind of job
start can be accepted, the requests themselves, a barrier-released race, and PostgreSQL's
deadlock counter for the test database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import select, text

from book_ingestion.models.database import BookPage
from book_ingestion.services import extraction_service, keys
from database import get_db_manager, session_scope
from shared.jobs.detail import JobDetail
from shared.jobs.models import BookJob
from shared.models.base import utcnow
from shared.models.entities import TeachingGuideline
from shared.storage import get_blob_store
from tests.support.books import ADMIN, image_bytes, wait_jobs_idle
from tests.support.guidelines import BookModel, make_book, synced_guideline

# Pages 1-3 are extracted; page RETRY is an unapproved page with an image (retry-OCR); page
# DELETED is deleted (later pages move down), so a book of PAGES pages serves ROUNDS rounds.
PAGES, RETRY, DELETED = 20, 13, 14
JOB_STARTS = {"bulk", "extract", "finalize", "sync", "resume", "study_plans"}


@dataclass
class RaceBook:
    book_id: str
    failed_job_id: str

    def guideline_ids(self) -> list[str]:
        with session_scope() as session:
            stmt = select(TeachingGuideline.id).where(TeachingGuideline.book_id == self.book_id)
            return sorted(session.scalars(stmt))


def race_book(fake_llm, **book) -> RaceBook:
    """Extracted guidelines (finalize, sync), synced guideline rows (bulk study plans), a
    failed job (resume), approved pages (extraction) and an unapproved page (retry-OCR);
    `book` overrides BookCreate fields (another year is another book id)."""
    fake_llm.responder = BookModel()
    book_id = make_book(pages=PAGES, **book)
    extraction_service.start_extraction(book_id=book_id, start_page=1, end_page=3)
    wait_jobs_idle()
    store = get_blob_store()
    with session_scope() as session:
        page = session.scalars(
            select(BookPage).where(BookPage.book_id == book_id, BookPage.page_number == RETRY)
        ).one()
        page.status, page.image_s3_key = "pending_review", keys.image_key(book_id, page_id=page.id)
        store.put(page.image_s3_key, image_bytes(), content_type="image/png")
        for n in range(2):
            session.add(synced_guideline(book_id, n))
        failed = BookJob(
            id=f"failed-{book_id}",
            book_id=book_id,
            job_type="finalization",
            status="failed",
            total_items=1,
            completed_items=0,
            failed_items=0,
            progress_detail=JobDetail(errors=[]),
            heartbeat_at=utcnow(),
            created_at=utcnow(),
            completed_at=utcnow(),
            error_message="interrupted",
        )
        session.add(failed)
    return RaceBook(book_id=book_id, failed_job_id=failed.id)


def requests_for(client, book: RaceBook) -> dict[str, Callable[[], object]]:
    """One callable per kind of request that starts a job or changes the book's pages."""
    base = f"/admin/books/{book.book_id}"
    png = image_bytes()

    def post(path: str, **kwargs):
        return client.post(f"{base}{path}", headers=ADMIN, **kwargs)

    guideline_ids = book.guideline_ids()
    return {
        "bulk": lambda: post("/pages/bulk", files=[("images", ("b.png", png, "image/png"))]),
        "upload": lambda: post("/pages", files={"image": ("s.png", png, "image/png")}),
        "retry_ocr": lambda: post(f"/pages/{RETRY}/retry-ocr"),
        "delete_page": lambda: client.delete(f"{base}/pages/{DELETED}", headers=ADMIN),
        "extract": lambda: post("/generate-guidelines", json={"start_page": 1, "end_page": 3}),
        "finalize": lambda: post("/finalize"),
        "sync": lambda: post("/sync"),
        "resume": lambda: post(f"/jobs/{book.failed_job_id}/resume"),
        "study_plans": lambda: client.post(
            "/admin/guidelines/bulk-generate-study-plans",
            json={"guideline_ids": guideline_ids},
            headers=ADMIN,
        ),
    }


def race(calls: list[tuple[str, Callable[[], object]]]) -> list[tuple[str, object]]:
    """Runs every call at once (released together by a barrier); (kind, response) pairs."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [(kind, pool.submit(run, call)) for kind, call in calls]
        return [(kind, future.result()) for kind, future in futures]


def answer(response) -> tuple[int, str | None]:
    body = response.json() if response.content else {}
    return response.status_code, (body.get("error") or {}).get("code")


def job_statuses(job_ids: list[str]) -> list[str]:
    with session_scope() as session:
        return [session.get(BookJob, job_id).status for job_id in job_ids]


def deadlocks() -> int:
    """`pg_stat_database.deadlocks` of the test database, with every pooled connection's
    pending statistics flushed first: once `pg_stat_force_next_flush()` lifted the rate limit
    (PostgreSQL 15), a backend flushes them when its transaction ends, before it answers the
    COMMIT. The race tests size the pool so that no connection is closed meanwhile."""
    engine = get_db_manager().engine
    held = []
    try:
        for _ in range(engine.pool.checkedin()):
            conn = engine.pool.connect()
            held.append(conn)
            cursor = conn.cursor()
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.close()
            conn.commit()
    finally:
        for conn in held:
            conn.close()
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        return conn.execute(
            text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        ).scalar_one()
