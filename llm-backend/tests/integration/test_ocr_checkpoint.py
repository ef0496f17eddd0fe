"""An ocr_batch checkpoint writes all its pages in one statement (`page_ocr.OcrResult`), and
stores exactly what the per-page writes it replaced stored: pages' stage, error, keys and
files, the job's counters and errors, the run's `llm_calls` rows; a checkpoint whose lease is
gone writes none of it. On real PostgreSQL, through `ItemLoop._checkpoint` itself."""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text

from book_ingestion.models.database import BookPage
from book_ingestion.models.job_details import OcrBatchDetail
from book_ingestion.models.status import PageStage
from book_ingestion.schemas import BookCreate
from book_ingestion.services import book_service, keys
from book_ingestion.services.page_ocr import OcrResult
from database import session_scope
from db import run_migrations
from shared.jobs import lifecycle
from shared.jobs.dispatch import set_dispatcher
from shared.jobs.engine import load_context
from shared.jobs.items import ItemOutcome, JobContext
from shared.jobs.loop import ItemLoop
from shared.llm import recorder
from shared.models.base import utcnow
from shared.models.entities import LLMCall
from shared.storage import get_blob_store
from tests.support.app_database import use_database
from tests.support.book_jobs import HeldDispatcher, load_job, new_book, upload_pages
from tests.support.books import BOOK, stored_keys
from tests.support.statements import matching, recorded_statements

PAGES = 4


@pytest.fixture
def held(local_storage, db):
    set_dispatcher(HeldDispatcher())


@pytest.fixture
def held_on_sqlite(tmp_path, local_storage):
    """The embedded default (SQLite), which runs jobs too: the same one statement works."""
    previous = os.environ.get("DATABASE_URL")
    use_database(f"sqlite:///{tmp_path / 'tutor.db'}")
    run_migrations()
    set_dispatcher(HeldDispatcher())
    yield
    use_database(previous)


def _second_book() -> str:
    data = BookCreate(**{**BOOK, "edition_year": BOOK.get("edition_year", 2000) + 1})
    return book_service.create_book(data=data, created_by="admin-1").id


def _claimed_job(book_id: str) -> JobContext[OcrBatchDetail]:
    """A bulk upload of PAGES pages whose job is claimed (running, with a lease); page 3 has
    the keys of a page stored before files were named by id (kept, as before)."""
    job_id = upload_pages(book_id, PAGES)
    lease = lifecycle.claim(job_id=job_id, handoff=None)
    assert lease is not None
    ctx = load_context(job_id, lease, OcrBatchDetail)
    assert ctx is not None
    with session_scope() as session:
        page = session.get(BookPage, ctx.detail.page_ids[2])
        page.image_s3_key = f"books/{book_id}/pages/3.png"
        page.text_s3_key = f"books/{book_id}/pages/3.txt"
    return ctx


def _outcomes(ctx: JobContext[OcrBatchDetail]) -> list[tuple[int, ItemOutcome]]:
    """Items 1..3 as the handler returns them: page 2's OCR failed."""
    book, ids = ctx.book, ctx.detail.page_ids
    text_1 = OcrResult(book, ids[0], text="page one", png=b"png-1")
    failed = OcrResult(book, ids[1], error="Fail: bad image")
    text_3 = OcrResult(book, ids[2], text="page three", png=b"png-3")
    return [
        (1, ItemOutcome(write=text_1)),
        (2, ItemOutcome(error="Fail: bad image", error_fields={"page": 2}, write=failed)),
        (3, ItemOutcome(write=text_3)),
    ]


def _per_page(outcomes: list[tuple[int, ItemOutcome]]) -> list[tuple[int, ItemOutcome]]:
    """The same outcomes written the way checkpoints wrote them before: one `commit` per page
    that reads the row and sets its fields (the replaced `page_ocr.store_text/store_error`)."""

    def commit(result: OcrResult):
        def write(session):
            page = session.get(BookPage, result.page_id)
            if page is None:
                return
            if result.error is not None:
                page.status, page.ocr_error = PageStage.OCR_FAILED, result.error
                return
            page.image_s3_key = page.image_s3_key or keys.image_key(page.book_id, page_id=page.id)
            page.text_s3_key = page.text_s3_key or keys.text_key(page.book_id, page_id=page.id)
            store = get_blob_store()
            store.put(page.image_s3_key, result.png, content_type="image/png")
            store.put(page.text_s3_key, result.text.encode(), content_type="text/plain")
            page.status, page.ocr_error = PageStage.PENDING_REVIEW, None

        return write

    return [
        (item, ItemOutcome(outcome.error, commit(outcome.write), error_fields=outcome.error_fields))
        for item, outcome in outcomes
    ]


def _loop(ctx: JobContext[OcrBatchDetail]) -> ItemLoop:
    heartbeat = SimpleNamespace(lost=threading.Event())
    loop = ItemLoop(SimpleNamespace(), ctx, heartbeat, None, concurrency=4)  # type: ignore[arg-type]
    loop.calls = recorder.CallBatch()
    for _ in range(3):  # the run's model calls so far, held for the checkpoint
        record = recorder.CallRecord(
            component="book_ingestion", provider="openai", model="m", started_at=utcnow()
        )
        record.job_id = ctx.job_id
        loop.calls.offer(record)
    return loop


def _state(ctx: JobContext[OcrBatchDetail]) -> dict:
    """What is stored for the job, with the book's and pages' ids written as names, so two
    books' states compare equal when the same things were written."""
    book = ctx.book
    names = {page_id: f"page{n}" for n, page_id in enumerate(ctx.detail.page_ids, start=1)}

    def named(key: str | None) -> str | None:
        if key is None:
            return None
        key = key.replace(book, "BOOK")
        for page_id, name in names.items():
            key = key.replace(page_id, name)
        return key

    store = get_blob_store()
    with session_scope() as session:
        pages = session.scalars(
            select(BookPage).where(BookPage.book_id == book).order_by(BookPage.page_number)
        ).all()
        job = load_job(ctx.job_id)
        calls = session.scalar(
            select(func.count()).select_from(LLMCall).where(LLMCall.job_id == ctx.job_id)
        )
        return {
            "pages": [
                (
                    p.page_number,
                    p.status,
                    p.ocr_error,
                    named(p.image_s3_key),
                    named(p.text_s3_key),
                    p.ocr_job_id == ctx.job_id,
                )
                for p in pages
            ],
            "files": {named(key): store.get(key) for key in stored_keys(f"books/{book}/pages/")},
            "job": (
                job.status,
                job.completed_items,
                job.failed_items,
                job.last_completed_item,
                job.current_item,
            ),
            "errors": [e.model_dump() for e in job.progress_detail.errors],
            "calls": calls,
        }


@pytest.mark.parametrize("database", ["held", "held_on_sqlite"])
def test_a_batched_checkpoint_stores_what_per_page_writes_stored(database, request):
    request.getfixturevalue(database)
    batched, per_page = _claimed_job(new_book()), _claimed_job(_second_book())

    loop = _loop(batched)
    saved = []
    with recorded_statements() as sent:
        saved.append(loop._checkpoint(_outcomes(batched), current=4))
    statements = [s.split()[0] for s in matching(sent, r"\bbook_pages\b")]
    old = _loop(per_page)
    assert old._checkpoint(_per_page(_outcomes(per_page)), current=4) is True

    assert saved == [True]
    assert statements == ["UPDATE"]  # every page of the checkpoint in one statement
    state = _state(batched)
    assert state == _state(per_page)
    assert state["pages"] == [
        (1, "pending_review", None, "books/BOOK/pages/page1.png",
         "books/BOOK/pages/page1.txt", True),
        (2, "ocr_failed", "Fail: bad image", None, None, True),
        (3, "pending_review", None, "books/BOOK/pages/3.png", "books/BOOK/pages/3.txt", True),
        (4, "queued", None, None, None, True),
    ]  # fmt: skip
    assert state["files"] == {
        "books/BOOK/pages/page1.png": b"png-1",
        "books/BOOK/pages/page1.txt": b"page one",
        "books/BOOK/pages/3.png": b"png-3",
        "books/BOOK/pages/3.txt": b"page three",
    }
    assert state["job"] == ("running", 2, 1, 3, 4)
    assert [(e["item"], e["page"], e["error"]) for e in state["errors"]] == [
        (2, 2, "Fail: bad image")
    ]
    assert state["calls"] == 3


def test_a_page_deleted_before_its_checkpoint_gets_no_row_and_no_file(held):
    ctx = _claimed_job(new_book())
    with session_scope() as session:
        session.execute(
            text("DELETE FROM book_pages WHERE id = :id"), {"id": ctx.detail.page_ids[0]}
        )

    assert _loop(ctx)._checkpoint(_outcomes(ctx), current=None) is True

    state = _state(ctx)
    assert [p[:3] for p in state["pages"]] == [
        (2, "ocr_failed", "Fail: bad image"),
        (3, "pending_review", None),
        (4, "queued", None),
    ]
    assert sorted(state["files"]) == ["books/BOOK/pages/3.png", "books/BOOK/pages/3.txt"]


def test_a_checkpoint_that_lost_its_lease_writes_nothing(held):
    ctx = _claimed_job(new_book())
    before = _state(ctx)
    with session_scope() as session:  # swept as stale: the lease is gone
        session.execute(
            text("UPDATE book_jobs SET heartbeat_at = :at WHERE id = :id"),
            {"at": utcnow() - timedelta(seconds=10_000), "id": ctx.job_id},
        )
        assert lifecycle.sweep_stale(session, book_id=ctx.book) == [ctx.job_id]
    swept = _state(ctx)

    assert _loop(ctx)._checkpoint(_outcomes(ctx), current=4) is False

    after = _state(ctx)
    assert after["pages"] == before["pages"]  # every page still queued, no keys
    assert after["files"] == {}
    assert after["job"] == swept["job"] == ("failed", 0, 0, None, None)
    assert after["errors"] == []
    # The model calls happened: their rows are saved on their own, as before.
    assert after["calls"] == 3
