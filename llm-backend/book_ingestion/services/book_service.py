"""Books: create (slug id + metadata.json), list, detail with derived status, delete."""

from __future__ import annotations

import json
import re
import secrets
import string
from datetime import datetime

from anyascii import anyascii
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from book_ingestion.models.database import Book, BookPage
from book_ingestion.models.status import BookStatus, PageStage
from book_ingestion.schemas import BookCreate, BookDetail, BookList, BookRead, JobRead, PageSummary
from book_ingestion.services import keys
from book_ingestion.services.page_etag import page_etag
from database import run_transaction, session_scope
from shared.errors import ConflictError, NotFoundError
from shared.jobs import lifecycle
from shared.jobs.detail import JobDetail
from shared.jobs.models import BookJob
from shared.models.base import utcnow
from shared.models.entities import TeachingGuideline
from shared.models.enums import ACTIVE_JOB_STATUSES, JobStatus, ReviewStatus
from shared.models.paging import equal_to, page
from shared.storage import get_blob_store

# Numbered suffixes first (`_2`, `_3`, …, read from the ids already taken); a creator that
# keeps losing races to parallel creators of the same slug switches to random suffixes.
NUMBERED_ATTEMPTS = 5
MAX_ID_ATTEMPTS = 50
SLUG_PART_LENGTH = 40
_RANDOM_ALPHABET = string.ascii_lowercase + string.digits


def _slug_part(value: str) -> str:
    # anyascii romanizes every script (Devanagari, Chinese, Arabic, …); what is left after
    # that is cut to URL- and storage-key-safe characters.
    ascii_text = anyascii(value).lower()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")[:SLUG_PART_LENGTH].strip("_")


def _random_token() -> str:
    # Starts with a letter, so it is never read back as a numbered suffix.
    return secrets.choice(string.ascii_lowercase) + "".join(
        secrets.choice(_RANDOM_ALPHABET) for _ in range(5)
    )


def base_slug(data: BookCreate) -> str:
    """`author_subject_grade_year` (missing parts left out); when neither author nor subject
    leaves a usable character, `book_<random>` stands in for them."""
    words = [p for p in (_slug_part(data.author or ""), _slug_part(data.subject)) if p]
    numbers = [str(data.grade), str(data.edition_year or "")]
    return "_".join([*(words or [f"book_{_random_token()}"]), *(n for n in numbers if n)])


def _next_numbered_id(session: Session, base: str) -> str:
    taken = session.scalars(
        select(Book.id).where(or_(Book.id == base, Book.id.startswith(f"{base}_", autoescape=True)))
    ).all()
    if base not in taken:
        return base
    numbered = re.compile(rf"{re.escape(base)}_(\d+)")
    suffixes = [int(m.group(1)) for book_id in taken if (m := numbered.fullmatch(book_id))]
    return f"{base}_{max(suffixes, default=1) + 1}"


def create_book(*, data: BookCreate, created_by: str) -> BookRead:
    """Id `author_subject_grade_year`, then `_2`, `_3`, … when taken. The primary key decides
    between parallel creators: a loser picks the next free id and tries again."""
    base = base_slug(data)
    store = get_blob_store()
    for attempt in range(1, MAX_ID_ATTEMPTS + 1):
        try:
            with session_scope() as session:
                if attempt <= NUMBERED_ATTEMPTS:
                    book_id = _next_numbered_id(session, base)
                else:
                    book_id = f"{base}_{_random_token()}"
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
            continue  # another request took this id between the read and the insert
    # Fifty lost races in a row (45 of them on random ids) do not happen; if they ever do, the
    # client may simply try again.
    raise ConflictError("Could not reserve a book id; try again.", code="book_id_conflict")


def get_book(*, session: Session, book_id: str, lock: bool = False) -> Book:
    """`lock=True` takes the book's row FOR NO KEY UPDATE: step 1 of the lock order in
    job_lock_service, for every request that starts a job or changes the book."""
    stmt = select(Book).where(Book.id == book_id)
    if lock:
        stmt = stmt.with_for_update(key_share=True)
    book = session.scalars(stmt).first()
    if book is None:
        raise NotFoundError(f"Book {book_id} not found.", code="book_not_found")
    return book


def swept_book(*, session: Session, book_id: str) -> Book:
    """For reads of a book's jobs: the stale sweep in a transaction of its own (lock order
    step 2 alone, held no longer than the sweep), then the book (404 without it)."""
    lifecycle.sweep_stale(session, book_id=book_id)
    session.commit()
    return get_book(session=session, book_id=book_id)


def prompt_facts(*, book_id: str) -> dict[str, str | int]:
    """What a job's prompts say about its book (subject, grade, board), read once per run in a
    session of its own."""
    with session_scope() as session:
        book = get_book(session=session, book_id=book_id)
        return {"subject": book.subject, "grade": book.grade, "board": book.board}


def book_exists(session: Session, *, book_id: str) -> bool:
    return session.get(Book, book_id) is not None


def list_books(
    *,
    session: Session,
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
    counts = book_counts(session=session, book_ids=[b.id for b in rows])
    items = [BookRead.model_validate(b).model_copy(update=counts[b.id]) for b in rows]
    return BookList(items=items, books=items, total=total, limit=limit, offset=offset)


def book_counts(*, session: Session, book_ids: list[str]) -> dict[str, dict]:
    """Per book: pages, synced guidelines, approved ones, an active job; three grouped queries
    for the whole list, never one per book."""
    counts = _guideline_counts(session, book_ids)
    for one in counts.values():
        one.update(page_count=0, has_active_job=False)
    if not book_ids:
        return counts
    pages = select(BookPage.book_id, func.count()).where(BookPage.book_id.in_(book_ids))
    for book_id, n in session.execute(pages.group_by(BookPage.book_id)):
        counts[book_id]["page_count"] = n
    active = select(BookJob.book_id).where(
        BookJob.book_id.in_(book_ids), BookJob.status.in_(ACTIVE_JOB_STATUSES)
    )
    for owner in session.scalars(active):
        if owner is not None:  # always: the query names the books
            counts[owner]["has_active_job"] = True
    return counts


def _guideline_counts(session: Session, book_ids: list[str]) -> dict[str, dict]:
    """Synced teaching guidelines and approved ones per book (0 and 0 when it has none)."""
    zero = {"guideline_count": 0, "approved_guideline_count": 0}
    counts = {book_id: dict(zero) for book_id in book_ids}
    if not book_ids:
        return counts
    approved = func.count().filter(TeachingGuideline.review_status == ReviewStatus.APPROVED)
    guidelines = select(TeachingGuideline.book_id, func.count(), approved).where(
        TeachingGuideline.book_id.in_(book_ids)
    )
    for book_id, n, n_approved in session.execute(guidelines.group_by(TeachingGuideline.book_id)):
        if book_id is not None:  # always: the WHERE matched it against book_ids
            counts[book_id] = {"guideline_count": n, "approved_guideline_count": n_approved}
    return counts


def job_read(job: BookJob, *, now: datetime | None = None) -> JobRead:
    stored = job.progress_detail or JobDetail()
    detail = stored.dump()
    total = job.total_items or 0
    done = job.completed_items + job.failed_items
    percent = (
        round(100.0 * done / total, 1)
        if total
        else (100.0 if job.status == JobStatus.COMPLETED else 0.0)
    )
    eta = None
    if job.status == JobStatus.RUNNING and job.started_at and done and total > done:
        elapsed = ((now or utcnow()) - job.started_at).total_seconds()
        eta = round(elapsed / done * (total - done), 1)
    return JobRead(
        id=job.id,
        job_id=job.id,
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
        progress_detail=stored.to_json(),
    )


def derive_status(*, pages: list[BookPage], active: bool, approved_guidelines: int) -> BookStatus:
    """no_pages -> processing (job or queued pages) -> pending_review (pages to review or failed
    OCR) -> ready_for_extraction (every page approved) -> approved (guidelines approved).

    `approved_guidelines` is the book's `approved_guideline_count` (its APPROVED
    teaching_guidelines), so the status and the count shown beside it never disagree."""
    if not pages:
        return BookStatus.PROCESSING if active else BookStatus.NO_PAGES
    statuses = {p.status for p in pages}
    if active or PageStage.QUEUED in statuses:
        return BookStatus.PROCESSING
    if statuses - {PageStage.APPROVED}:
        return BookStatus.PENDING_REVIEW
    return BookStatus.APPROVED if approved_guidelines else BookStatus.READY_FOR_EXTRACTION


def book_detail(*, session: Session, book_id: str) -> BookDetail:
    book = swept_book(session=session, book_id=book_id)
    pages = list(
        session.scalars(
            select(BookPage).where(BookPage.book_id == book_id).order_by(BookPage.page_number)
        )
    )
    active = lifecycle.active_job(session, book_id=book_id)
    # Pages and the active job are loaded already; only the guidelines need counting.
    counts = _guideline_counts(session, [book_id])[book_id]
    return BookDetail(
        **BookRead.model_validate(book)
        .model_copy(
            update={
                **counts,
                "page_count": len(pages),
                "has_active_job": active is not None,
            }
        )
        .model_dump(),
        status=derive_status(
            pages=pages,
            active=active is not None,
            approved_guidelines=counts["approved_guideline_count"],
        ),
        pages=[
            PageSummary(
                id=p.id,
                etag=page_etag(p.id),
                number=p.page_number,
                stage=p.status,
                ocr_error=p.ocr_error,
            )
            for p in pages
        ],
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
        book = get_book(session=session, book_id=book_id, lock=True)
        lifecycle.ensure_no_active_job(session, book_id=book_id)
        session.execute(delete(TeachingGuideline).where(TeachingGuideline.book_id == book_id))
        session.delete(book)
        session.flush()
        # Objects last: a failure above leaves the book whole; one here rolls the rows back.
        # Unlike a page's files, they go before the commit: a slug is reused by the next book
        # of that name, which would adopt objects left behind (its guideline index, say),
        # whereas a commit failing after this leaves a visible book that can be deleted again.
        get_blob_store().delete_prefix(keys.book_prefix(book_id))

    run_transaction(work)
