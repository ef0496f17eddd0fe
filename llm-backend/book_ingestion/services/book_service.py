"""Books: create (slug id + metadata.json), list, detail with derived status, delete."""

from __future__ import annotations

import json
import re
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from book_ingestion.models.database import Book, BookGuideline, BookJob, BookPage
from book_ingestion.schemas import BookCreate, BookDetail, BookList, BookRead, JobRead, PageSummary
from book_ingestion.services import job_lock_service, keys
from database import run_transaction, session_scope
from shared.errors import NotFoundError
from shared.models.base import utcnow
from shared.models.entities import TeachingGuideline
from shared.models.paging import equal_to, page
from shared.storage import get_blob_store

MAX_SLUG_ATTEMPTS = 50


def _slug_part(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.lower()).strip("_")[:40]


def base_slug(data: BookCreate) -> str:
    parts = [data.author or "", data.subject, str(data.grade), str(data.edition_year or "")]
    slug = "_".join(p for p in (_slug_part(x) for x in parts) if p)
    return slug or "book"


def create_book(*, data: BookCreate, created_by: str) -> BookRead:
    """Id `author_subject_grade_year` (missing parts left out), `_2`, `_3`, … when taken."""
    base = base_slug(data)
    store = get_blob_store()
    for attempt in range(1, MAX_SLUG_ATTEMPTS + 1):
        book_id = base if attempt == 1 else f"{base}_{attempt}"
        try:
            with session_scope() as session:
                if session.get(Book, book_id) is not None:
                    continue
                book = Book(
                    id=book_id,
                    **data.model_dump(),
                    s3_prefix=keys.book_prefix(book_id),
                    metadata_s3_key=keys.metadata_key(book_id),
                    created_by=created_by,
                )
                session.add(book)
                session.flush()
                metadata = {"id": book_id, **data.model_dump(), "created_by": created_by}
                store.put(
                    keys.metadata_key(book_id),
                    json.dumps(metadata, indent=2).encode(),
                    content_type="application/json",
                )
                return BookRead.model_validate(book)
        except IntegrityError:
            continue  # another request took the slug between the check and the insert
    raise RuntimeError(f"no free id for book slug {base!r}")


def get_book(session: Session, *, book_id: str, lock: bool = False) -> Book:
    """`lock=True` takes the book's row FOR NO KEY UPDATE: step 1 of the lock order in
    job_lock_service, for every request that starts a job or changes the book."""
    stmt = select(Book).where(Book.id == book_id)
    if lock:
        stmt = stmt.with_for_update(key_share=True)
    book = session.scalars(stmt).first()
    if book is None:
        raise NotFoundError(f"Book {book_id} not found.", code="book_not_found")
    return book


def list_books(
    session: Session,
    *,
    country: str | None,
    board: str | None,
    grade: int | None,
    subject: str | None,
    limit: int,
    offset: int,
) -> BookList:
    rows, total = page(
        session,
        Book,
        where=equal_to(
            (Book.country, country),
            (Book.board, board),
            (Book.grade, grade),
            (Book.subject, subject),
        ),
        order_by=(Book.created_at.desc(), Book.id),
        limit=limit,
        offset=offset,
    )
    return BookList(
        items=[BookRead.model_validate(b) for b in rows], total=total, limit=limit, offset=offset
    )


def job_read(job: BookJob, *, now: datetime | None = None) -> JobRead:
    detail = json.loads(job.progress_detail or "{}")
    total = job.total_items or 0
    done = job.completed_items + job.failed_items
    percent = (
        round(100.0 * done / total, 1) if total else (100.0 if job.status == "completed" else 0.0)
    )
    eta = None
    if job.status == "running" and job.started_at and done and total > done:
        elapsed = ((now or utcnow()) - job.started_at).total_seconds()
        eta = round(elapsed / done * (total - done), 1)
    return JobRead(
        id=job.id,
        book_id=job.book_id,
        job_type=job.job_type,
        status=job.status,
        total_items=job.total_items,
        completed_items=job.completed_items,
        failed_items=job.failed_items,
        current_item=job.current_item,
        last_completed_item=job.last_completed_item,
        percent=percent,
        eta_seconds=eta,
        errors=detail.get("errors", []),
        detail={k: v for k, v in detail.items() if k not in ("errors", "page_ids")},
        heartbeat_at=job.heartbeat_at,
        started_at=job.started_at,
        completed_at=job.completed_at,
        created_at=job.created_at,
        error_message=job.error_message,
    )


def derive_status(session: Session, *, book_id: str, pages: list[BookPage], active: bool) -> str:
    """no_pages -> processing (job or queued pages) -> pending_review (pages to review or failed
    OCR) -> ready_for_extraction (every page approved) -> approved (guidelines approved)."""
    if not pages:
        return "processing" if active else "no_pages"
    statuses = {p.status for p in pages}
    if active or "queued" in statuses:
        return "processing"
    if statuses - {"approved"}:
        return "pending_review"
    approved_guidelines = session.scalar(
        select(func.count())
        .select_from(BookGuideline)
        .where(BookGuideline.book_id == book_id, BookGuideline.review_status == "APPROVED")
    )
    return "approved" if approved_guidelines else "ready_for_extraction"


def book_detail(*, book_id: str) -> BookDetail:
    with session_scope() as session:
        job_lock_service.sweep_stale(session, book_id=book_id)
        book = get_book(session, book_id=book_id)
        pages = list(
            session.scalars(
                select(BookPage).where(BookPage.book_id == book_id).order_by(BookPage.page_number)
            )
        )
        active = job_lock_service.active_job(session, book_id=book_id)
        return BookDetail(
            **BookRead.model_validate(book).model_dump(),
            status=derive_status(session, book_id=book_id, pages=pages, active=active is not None),
            page_count=len(pages),
            pages=[PageSummary(number=p.page_number, status=p.status) for p in pages],
            active_job=job_read(active) if active else None,
        )


def delete_book(*, book_id: str) -> None:
    """Removes every object under `books/{id}/`, then the rows: pages, jobs and book_guidelines
    go with the book (FK CASCADE); its synced teaching_guidelines (and their study plans) are
    deleted here, since `teaching_guidelines.book_id` is a plain column and a deleted book's
    guidelines must not stay in the curriculum. Refused (409) while a job runs for the book.
    Locks follow job_lock_service's order: the book's row FOR NO KEY UPDATE, the job sweep,
    content rows, and the book row's DELETE (FOR UPDATE) last."""

    def work(session: Session) -> None:
        book = get_book(session, book_id=book_id, lock=True)
        job_lock_service.ensure_no_active_job(session, book_id=book_id)
        session.execute(delete(TeachingGuideline).where(TeachingGuideline.book_id == book_id))
        session.delete(book)
        session.flush()
        # Objects last: a failure above leaves the book whole; one here rolls the rows back.
        get_blob_store().delete_prefix(keys.book_prefix(book_id))

    run_transaction(work)
