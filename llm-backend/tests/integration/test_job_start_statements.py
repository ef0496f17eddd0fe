"""What a job start costs in statements: the book locked once, its stale jobs swept once, the
job row written by one INSERT with its final detail, and the pages of an upload (or the rows of
a sync) inserted in one batch, whatever their number. Real PostgreSQL, local storage."""

from __future__ import annotations

import pytest

from book_ingestion.services import job_service, page_service, sync_service
from book_ingestion.services.guideline_store import GuidelineShard
from database import session_scope
from shared.jobs import lifecycle
from shared.jobs.dispatch import set_dispatcher
from tests.support.book_jobs import (
    HeldDispatcher,
    image_files,
    load_job,
    new_book,
    upload_pages,
)
from tests.support.statements import matching, recorded_statements

LOCK = r"FROM books .*FOR NO KEY UPDATE"
SWEEP = r"^UPDATE book_jobs SET status"
JOB_INSERT = r"^INSERT INTO book_jobs"
JOB_UPDATE = r"^UPDATE book_jobs"


@pytest.fixture
def held(local_storage, db):
    dispatcher = HeldDispatcher()
    set_dispatcher(dispatcher)
    return dispatcher


def _upload(book_id: str, count: int) -> list[str]:
    files = image_files(count)
    with recorded_statements() as seen:
        page_service.bulk_upload(book_id=book_id, files=files)
    return seen


def _start_costs(seen: list[str]) -> tuple[int, int, int, int]:
    return (
        len(matching(seen, LOCK)),
        len(matching(seen, SWEEP)),
        len(matching(seen, JOB_INSERT)),
        len(matching(seen, JOB_UPDATE)),
    )


def test_a_bulk_upload_inserts_its_pages_in_one_statement_whatever_their_number(held):
    one = _upload(new_book(), 1)
    many = _upload(new_book(), 12)

    assert len(matching(many, r"^INSERT INTO book_pages")) == 1
    assert len(many) == len(one)
    # One lock, one sweep (its one UPDATE of book_jobs), one INSERT of the job, no update of it.
    assert _start_costs(many) == (1, 1, 1, 1)
    [job_id] = [m.job_id for m in held.messages[1:]]
    job = load_job(job_id)
    assert (job.total_items, job.progress_detail.first_page) == (12, 1)
    assert len(job.progress_detail.page_ids) == 12


def test_a_retried_ocr_writes_its_job_once(held):
    book_id = new_book()
    job_id = upload_pages(book_id, 1)
    lease = lifecycle.claim(job_id=job_id, handoff=None)
    assert lifecycle.complete(job_id=job_id, lease=lease)

    with recorded_statements() as seen:
        started = page_service.retry_ocr(book_id=book_id, number=1)

    assert _start_costs(seen) == (1, 1, 1, 1)
    detail = load_job(started.job_id).progress_detail
    assert (detail.page_ids, detail.first_page) == ([started.id], 1)


def test_a_resume_locks_and_sweeps_once(held):
    book_id = new_book()
    job_id = upload_pages(book_id, 3)
    lease = lifecycle.claim(job_id=job_id, handoff=None)
    assert lifecycle.fail(job_id=job_id, lease=lease, message="stopped")

    with recorded_statements() as seen:
        new_id = job_service.resume_job(book_id=book_id, job_id=job_id)

    assert _start_costs(seen) == (1, 1, 1, 1)
    assert load_job(new_id).total_items == 3


def _shards(book_id: str, count: int) -> list[GuidelineShard]:
    return [
        GuidelineShard(
            book_id=book_id,
            topic_key="t",
            topic_title="T",
            subtopic_key=f"s{n}",
            subtopic_title=f"S{n}",
            page_start=n,
            page_end=n,
            last_page=n,
            guidelines=f"g{n}",
        )
        for n in range(1, count + 1)
    ]


def test_a_sync_inserts_its_rows_in_one_statement_per_table(held):
    book_id = new_book()

    with recorded_statements() as seen, session_scope() as session:
        synced = sync_service.replace_rows(
            session=session, book_id=book_id, shards=_shards(book_id, 9)
        )

    assert synced == 9
    assert len(matching(seen, r"^INSERT INTO teaching_guidelines")) == 1
    assert len(matching(seen, r"^INSERT INTO book_guidelines")) == 1
