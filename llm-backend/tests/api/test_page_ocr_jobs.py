"""OCR from the API runs as an ocr_batch job, never inside the request: retrying a page's OCR
answers 202 with a job, and concurrent retries of one page make one job and one model call.
Real PostgreSQL, local storage, the fake model server."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from database import session_scope
from shared.jobs.dispatch import set_dispatcher
from shared.jobs.models import BookJob
from tests.fakes.llm_server import Fail, Reply
from tests.support.books import ADMIN, BOOK, DeferredDispatcher, image_bytes, wait_jobs_idle


def _book_with_a_page(client, fake_llm) -> str:
    book_id = client.post("/admin/books", json=BOOK, headers=ADMIN).json()["id"]
    fake_llm.push(Reply("first reading"))
    files = {"image": ("p.png", image_bytes(), "image/png")}
    assert (
        client.post(f"/admin/books/{book_id}/pages", files=files, headers=ADMIN).status_code == 202
    )
    wait_jobs_idle()
    return book_id


def test_twenty_parallel_retries_of_a_page_are_one_job_and_one_model_call(
    auth_client, local_storage, fake_llm
):
    book_id = _book_with_a_page(auth_client, fake_llm)
    calls_before = len(fake_llm.requests)
    deferred = DeferredDispatcher()
    set_dispatcher(deferred)
    fake_llm.push(Reply("second reading"))
    barrier = threading.Barrier(20)

    def retry(_):
        barrier.wait()
        return auth_client.post(f"/admin/books/{book_id}/pages/1/retry-ocr", headers=ADMIN)

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(retry, range(20)))
    deferred.release()

    assert sorted(r.status_code for r in responses) == [202] + [409] * 19
    [started] = [r.json() for r in responses if r.status_code == 202]
    assert (started["number"], started["stage"], started["status"]) == (
        1,
        "queued",
        "pending_review",
    )
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"job_running"}
    assert [m.job_id for m in deferred.messages] == [started["job_id"]]
    assert len(fake_llm.requests) == calls_before + 1
    with session_scope() as session:
        jobs = session.scalars(select(BookJob).where(BookJob.book_id == book_id)).all()
        assert sorted((j.job_type, j.status, j.total_items) for j in jobs) == [
            ("ocr_batch", "completed", 1), ("ocr_batch", "completed", 1),
        ]  # fmt: skip
    page = auth_client.get(f"/admin/books/{book_id}/pages/1", headers=ADMIN).json()
    assert (page["stage"], page["text"]) == ("pending_review", "second reading\n")


def test_a_retry_whose_ocr_fails_marks_the_page_failed_in_its_job(
    auth_client, local_storage, fake_llm
):
    book_id = _book_with_a_page(auth_client, fake_llm)
    fake_llm.push(Fail(400))

    retried = auth_client.post(f"/admin/books/{book_id}/pages/1/retry-ocr", headers=ADMIN)
    wait_jobs_idle()

    assert retried.status_code == 202
    job = auth_client.get(f"/admin/books/{book_id}/jobs/{retried.json()['job_id']}", headers=ADMIN)
    assert (job.json()["status"], job.json()["failed_items"]) == ("completed", 1)
    page = auth_client.get(f"/admin/books/{book_id}/pages/1", headers=ADMIN).json()
    assert (page["stage"], page["status"], page["ocr_status"]) == (
        "ocr_failed", "pending_review", "failed",
    )  # fmt: skip
    assert "refused the request" in page["ocr_error"]
    assert retried.json()["ocr_status"] == "pending"  # as stored when the job was started
    detail = auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()
    assert [(p["ocr_status"], p["ocr_error"]) for p in detail["pages"]] == [
        ("failed", page["ocr_error"])
    ]
    missing = auth_client.post(f"/admin/books/{book_id}/pages/9/retry-ocr", headers=ADMIN)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "page_not_found")
