"""`GET /admin/books/{id}/jobs/latest` as the frontend's job polling uses it (contract §2.6):
JSON `null` with 200 when there is no job, else the newest job with `job_id` and a
`progress_detail` JSON string; a stale job is swept before it is shown."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import text

from shared.jobs import lifecycle
from shared.models.base import utcnow
from tests.fakes.llm_server import Reply
from tests.support.books import ADMIN, image_bytes, post_book, wait_jobs_idle
from tests.support.tutor import STUDENT_A


def _latest(client, book_id: str, query: str = ""):
    return client.get(f"/admin/books/{book_id}/jobs/latest{query}", headers=ADMIN)


def test_a_book_without_jobs_answers_json_null(auth_client, storage):
    book_id = post_book(auth_client)

    response = _latest(auth_client, book_id)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b"null"
    assert _latest(auth_client, book_id, "?job_type=extraction").content == b"null"


def test_the_newest_job_with_the_fields_the_frontend_reads(auth_client, storage, fake_llm):
    book_id = post_book(auth_client)
    fake_llm.push(Reply("page one"))
    png = ("p1.png", image_bytes(), "image/png")
    first = auth_client.post(f"/admin/books/{book_id}/pages", files={"image": png}, headers=ADMIN)
    wait_jobs_idle()
    fake_llm.push(Reply("page two"))
    second = auth_client.post(f"/admin/books/{book_id}/pages", files={"image": png}, headers=ADMIN)
    wait_jobs_idle()
    assert (first.status_code, second.status_code) == (202, 202)

    job = _latest(auth_client, book_id).json()

    assert job["job_id"] == job["id"] == second.json()["job_id"]
    assert (job["job_type"], job["status"]) == ("ocr_batch", "completed")
    assert (job["total_items"], job["completed_items"], job["failed_items"]) == (1, 1, 0)
    assert job["last_completed_item"] == 1 and job["current_item"] is None
    assert job["error_message"] is None
    detail = json.loads(job["progress_detail"])  # a JSON string, as the frontend parses it
    assert detail["errors"] == [] and detail["first_page"] == 2
    assert _latest(auth_client, book_id, "?job_type=ocr_batch").json()["id"] == job["id"]
    assert _latest(auth_client, book_id, "?job_type=extraction").content == b"null"


def test_a_stale_job_is_swept_before_it_is_shown(auth_client, storage, db):
    book_id = post_book(auth_client)
    with db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO book_jobs (id, book_id, job_type, status, total_items, "
                "completed_items, failed_items, progress_detail, heartbeat_at, created_at) "
                "VALUES ('stale-1', :book, 'extraction', 'running', 3, 1, 0, '{}', :beat, :beat)"
            ),
            {"book": book_id, "beat": utcnow() - timedelta(hours=1)},
        )

    job = _latest(auth_client, book_id).json()

    assert (job["job_id"], job["status"]) == ("stale-1", "failed")
    assert job["error_message"] == lifecycle.stale_message(180)


def test_bad_type_unknown_book_and_a_student(auth_client, storage):
    book_id = post_book(auth_client)

    bad_type = _latest(auth_client, book_id, "?job_type=everything")
    assert bad_type.status_code == 422
    assert bad_type.json()["error"]["message"].startswith("query.job_type")
    missing = _latest(auth_client, "no_such_book")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "book_not_found")
    student = auth_client.get(f"/admin/books/{book_id}/jobs/latest", headers=STUDENT_A)
    assert student.status_code == 403
