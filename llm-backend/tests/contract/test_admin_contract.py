"""The admin routes as the learnlikemagic frontend calls them (contract §2.6 and §2.7, route
inventory rows 33-50 and 59-65): its exact requests (with the admin token this project
requires), and every field it reads, with types and enum values. Deliberate differences
(README "Clients"): single upload and retry-OCR answer 202 with a job, a study plan is
generated in a job (202), and a missing page is 404, not 400.

Real PostgreSQL, local storage, the fake model server; jobs run in the local executor."""

from __future__ import annotations

import json
from datetime import datetime

from database import session_scope
from shared.jobs import lifecycle
from shared.jobs.dispatch import set_dispatcher
from tests.fakes.llm_server import Reply
from tests.support.admin_model import AdminBookModel
from tests.support.books import ADMIN, BOOK, DeferredDispatcher, image_bytes, wait_jobs_idle
from tests.support.guidelines import make_book, synced_guideline

JOB_STATUSES = {"pending", "running", "completed", "failed"}


def _is_time(value) -> bool:
    return isinstance(value, str) and datetime.fromisoformat(value) is not None


def _book(client, **fields) -> dict:
    response = client.post("/admin/books", json={**BOOK, **fields}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


def _png(name: str, n: int = 0) -> tuple[str, tuple[str, bytes, str]]:
    return name, (f"p{n}.png", image_bytes(color=(n, 0, 0)), "image/png")


def _job(client, book_id: str, job_id: str) -> dict:
    response = client.get(f"/admin/books/{book_id}/jobs/{job_id}", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def _assert_job_status(job: dict, *, book_id: str, job_type: str) -> None:
    """Every JobStatus field the frontend's job polling reads, with its type."""
    assert (job["book_id"], job["job_type"]) == (book_id, job_type)
    assert job["status"] in JOB_STATUSES
    assert isinstance(job["job_id"], str)
    assert job["total_items"] is None or isinstance(job["total_items"], int)
    assert isinstance(job["completed_items"], int) and isinstance(job["failed_items"], int)
    for key in ("current_item", "last_completed_item"):
        assert job[key] is None or isinstance(job[key], int)
    assert isinstance(json.loads(job["progress_detail"]), dict)  # a JSON *string*
    assert job["error_message"] is None or isinstance(job["error_message"], str)
    for key in ("heartbeat_at", "started_at", "completed_at"):
        assert job[key] is None or _is_time(job[key])


# §2.6 books ----------------------------------------------------------------------------


def test_create_list_detail_and_delete_a_book(auth_client, local_storage):
    create = auth_client.post(
        "/admin/books",
        json={
            "title": "Maths Magic",
            "author": None,
            "edition": None,
            "edition_year": 2026,
            "country": "India",
            "board": "CBSE",
            "grade": 3,
            "subject": "Mathematics",
        },
        headers=ADMIN,
    )

    assert create.status_code == 201, create.text
    book = create.json()
    assert book["id"] == "mathematics_3_2026"  # a slug: the frontend puts it in paths raw
    assert (book["title"], book["author"], book["edition"], book["edition_year"]) == (
        "Maths Magic", None, None, 2026,
    )  # fmt: skip
    assert (book["country"], book["board"], book["grade"], book["subject"]) == (
        "India", "CBSE", 3, "Mathematics",
    )  # fmt: skip
    assert (book["s3_prefix"], book["cover_image_s3_key"]) == ("books/mathematics_3_2026/", None)
    # What the dashboard derives the display status from: a Draft.
    assert (
        book["page_count"],
        book["guideline_count"],
        book["approved_guideline_count"],
        book["has_active_job"],
    ) == (0, 0, 0, False)
    assert _is_time(book["created_at"]) and _is_time(book["updated_at"])

    listing = auth_client.get("/admin/books", headers=ADMIN)
    assert listing.status_code == 200
    assert (listing.json()["total"], listing.json()["books"]) == (1, [book])
    # The frontend's client may send `status`; it filters nothing.
    assert auth_client.get("/admin/books?status=draft", headers=ADMIN).json()["total"] == 1

    detail = auth_client.get(f"/admin/books/{book['id']}", headers=ADMIN).json()
    assert {k: detail[k] for k in book} == book
    assert detail["pages"] == []

    assert auth_client.delete(f"/admin/books/{book['id']}", headers=ADMIN).status_code == 204
    gone = auth_client.get(f"/admin/books/{book['id']}", headers=ADMIN)
    assert gone.status_code == 404
    assert gone.json()["detail"] == "Book mathematics_3_2026 not found."  # a string to show


def test_a_page_uploaded_reviewed_viewed_and_deleted(auth_client, local_storage, fake_llm):
    book_id = _book(auth_client)["id"]
    fake_llm.push(Reply("Chapter 1. Numbers"))

    upload = auth_client.post(
        f"/admin/books/{book_id}/pages", files=dict([_png("image")]), headers=ADMIN
    )

    # 202: stored and queued; OCR runs in the job (README "Clients").
    assert upload.status_code == 202, upload.text
    page = upload.json()
    assert (page["page_num"], page["status"], page["ocr_text"]) == (1, "pending_review", None)
    assert page["image_url"].startswith("http") or page["image_url"].startswith("/admin/files/")
    wait_jobs_idle()
    assert _job(auth_client, book_id, page["job_id"])["status"] == "completed"

    view = auth_client.get(f"/admin/books/{book_id}/pages/1", headers=ADMIN)
    assert view.status_code == 200
    viewed = view.json()
    assert (viewed["page_num"], viewed["status"], viewed["ocr_text"]) == (
        1, "pending_review", "Chapter 1. Numbers\n",
    )  # fmt: skip
    assert isinstance(viewed["image_url"], str) and isinstance(viewed["text_url"], str)
    text = auth_client.get(viewed["text_url"], headers=ADMIN)
    assert text.content == b"Chapter 1. Numbers\n"

    detail = auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()
    assert [(p["page_num"], p["status"], p["ocr_status"], p["ocr_error"])
            for p in detail["pages"]] == [(1, "pending_review", "completed", None)]  # fmt: skip
    assert detail["page_count"] == 1

    approve = auth_client.put(f"/admin/books/{book_id}/pages/1/approve", headers=ADMIN)
    assert approve.status_code == 200
    assert (approve.json()["page_num"], approve.json()["status"]) == (1, "approved")
    assert (
        auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()["pages"][0]["status"]
        == "approved"
    )

    # A missing page is 404 (upstream: 400), with a string detail.
    for response in (
        auth_client.put(f"/admin/books/{book_id}/pages/7/approve", headers=ADMIN),
        auth_client.delete(f"/admin/books/{book_id}/pages/7", headers=ADMIN),
        auth_client.get(f"/admin/books/{book_id}/pages/7", headers=ADMIN),
    ):
        assert response.status_code == 404
        assert isinstance(response.json()["detail"], str)

    delete = auth_client.delete(f"/admin/books/{book_id}/pages/1", headers=ADMIN)
    assert (delete.status_code, delete.content) == (204, b"")
    assert auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()["pages"] == []


def test_bulk_upload_and_its_job(auth_client, local_storage, fake_llm):
    book_id = _book(auth_client)["id"]
    assert auth_client.get(f"/admin/books/{book_id}/jobs/latest", headers=ADMIN).json() is None
    fake_llm.responder = AdminBookModel()
    auth_client.post(f"/admin/books/{book_id}/pages", files=dict([_png("image")]), headers=ADMIN)
    wait_jobs_idle()

    bulk = auth_client.post(
        f"/admin/books/{book_id}/pages/bulk",
        files=[_png("images", 1), _png("images", 2), _png("images", 3)],
        headers=ADMIN,
    )

    assert bulk.status_code == 202, bulk.text
    started = bulk.json()
    assert (started["pages_uploaded"], started["total_pages"], started["status"]) == (
        [2, 3, 4], 4, "processing",
    )  # fmt: skip
    assert isinstance(started["message"], str)
    wait_jobs_idle()
    latest = auth_client.get(
        f"/admin/books/{book_id}/jobs/latest?job_type=ocr_batch", headers=ADMIN
    )
    job = latest.json()
    assert job["job_id"] == started["job_id"]
    _assert_job_status(job, book_id=book_id, job_type="ocr_batch")
    assert (job["status"], job["total_items"], job["completed_items"], job["failed_items"]) == (
        "completed", 3, 3, 0,
    )  # fmt: skip
    assert (job["last_completed_item"], job["error_message"]) == (3, None)
    assert _is_time(job["completed_at"])
    assert _job(auth_client, book_id, job["job_id"]) == job
    pages = auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()["pages"]
    assert [(p["page_num"], p["status"], p["ocr_status"]) for p in pages] == [
        (n, "pending_review", "completed") for n in (1, 2, 3, 4)
    ]

    # A file of another type is a 4xx naming it (upstream: 500), and nothing is stored.
    bad = auth_client.post(
        f"/admin/books/{book_id}/pages/bulk",
        files=[_png("images", 5), ("images", ("notes.txt", b"plain text", "text/plain"))],
        headers=ADMIN,
    )
    assert bad.status_code == 415
    assert "notes.txt" in bad.json()["detail"]
    assert auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()["page_count"] == 4
    unknown = auth_client.get(f"/admin/books/{book_id}/jobs/not-a-job", headers=ADMIN)
    assert unknown.status_code == 404


def test_retry_ocr(auth_client, local_storage, fake_llm):
    book_id = _book(auth_client)["id"]
    fake_llm.push(Reply("blurry"), Reply("sharp"))
    auth_client.post(f"/admin/books/{book_id}/pages", files=dict([_png("image")]), headers=ADMIN)
    wait_jobs_idle()

    retry = auth_client.post(f"/admin/books/{book_id}/pages/1/retry-ocr", headers=ADMIN)

    assert retry.status_code == 202, retry.text
    assert (retry.json()["page_num"], retry.json()["ocr_status"]) == (1, "pending")
    wait_jobs_idle()
    assert _job(auth_client, book_id, retry.json()["job_id"])["status"] == "completed"
    page = auth_client.get(f"/admin/books/{book_id}/pages/1", headers=ADMIN).json()
    assert (page["ocr_status"], page["ocr_text"]) == ("completed", "sharp\n")


# §2.6 book guidelines ------------------------------------------------------------------


def _generate(client, book_id: str, body: dict):
    return client.post(f"/admin/books/{book_id}/generate-guidelines", json=body, headers=ADMIN)


def test_generate_guidelines(auth_client, local_storage, fake_llm):
    fake_llm.responder = AdminBookModel()
    book_id = make_book(pages=5)

    started = _generate(auth_client, book_id, {"start_page": 1, "end_page": 5})

    assert started.status_code == 202, started.text
    body = started.json()
    assert (body["status"], body["start_page"], body["end_page"], body["total_pages"]) == (
        "started", 1, 5, 5,
    )  # fmt: skip
    assert isinstance(body["job_id"], str) and isinstance(body["message"], str)
    wait_jobs_idle()
    job = _job(auth_client, book_id, body["job_id"])
    _assert_job_status(job, book_id=book_id, job_type="extraction")
    assert job["status"] == "completed"
    # The frontend shows these while extraction runs.
    assert json.loads(job["progress_detail"])["stats"] == {
        "subtopics_created": 2,
        "subtopics_merged": 3,
    }

    # Resume with every page done: no job.
    done = _generate(auth_client, book_id, {"resume": True})
    assert done.status_code == 200
    assert {k: done.json()[k] for k in ("job_id", "status", "start_page", "end_page")} == {
        "job_id": None, "status": "already_complete", "start_page": 0, "end_page": 0,
    }  # fmt: skip
    assert done.json()["total_pages"] == 0


def test_generate_guidelines_refusals(auth_client, local_storage, fake_llm):
    book_id = _book(auth_client)["id"]
    none = _generate(auth_client, book_id, {"start_page": 1, "end_page": 1})
    assert none.status_code == 400
    assert (
        none.json()["detail"] == f"Book {book_id} has no approved pages; approve page text first."
    )
    assert _generate(auth_client, "no-such-book", {}).status_code == 404

    fake_llm.responder = AdminBookModel()
    other = make_book(pages=2)
    deferred = DeferredDispatcher()
    set_dispatcher(deferred)
    first = _generate(
        auth_client, other, {"start_page": 1, "end_page": 2, "auto_sync_to_db": False}
    )
    second = _generate(auth_client, other, {"start_page": 1, "end_page": 2})
    assert (first.status_code, second.status_code) == (202, 409)
    assert first.json()["job_id"] in second.json()["detail"]  # the lock's message
    deferred.release()


def test_guidelines_list_one_finalize_approve_and_delete(auth_client, local_storage, fake_llm):
    fake_llm.responder = AdminBookModel()
    book_id = make_book(pages=5)
    empty = auth_client.get(f"/admin/books/{book_id}/guidelines", headers=ADMIN)
    assert (empty.status_code, empty.json()) == (
        200, {"book_id": book_id, "total_subtopics": 0, "guidelines": [], "processed_pages": []},
    )  # fmt: skip
    _generate(auth_client, book_id, {"start_page": 1, "end_page": 5})
    wait_jobs_idle()

    listing = auth_client.get(f"/admin/books/{book_id}/guidelines", headers=ADMIN).json()

    assert (listing["book_id"], listing["total_subtopics"], listing["processed_pages"]) == (
        book_id, 2, [1, 2, 3, 4, 5],
    )  # fmt: skip
    first = listing["guidelines"][0]
    assert {k: first[k] for k in (
        "topic_key", "topic_title", "subtopic_key", "subtopic_title", "status",
        "source_page_start", "source_page_end", "version", "guidelines",
    )} == {
        "topic_key": "fractions", "topic_title": "Fractions",
        "subtopic_key": "what-is-a-fraction", "subtopic_title": "What is a fraction",
        "status": "open", "source_page_start": 1, "source_page_end": 3, "version": 1,
        "guidelines": "g1 + g2 + g3",
    }  # fmt: skip
    assert [g["status"] for g in listing["guidelines"]] == ["open", "open"]
    one = auth_client.get(
        f"/admin/books/{book_id}/guidelines/fractions/what-is-a-fraction", headers=ADMIN
    )
    assert (one.status_code, one.json()) == (200, first)
    missing = auth_client.get(f"/admin/books/{book_id}/guidelines/fractions/nope", headers=ADMIN)
    assert missing.status_code == 404

    finalize = auth_client.post(
        f"/admin/books/{book_id}/finalize", json={"auto_sync_to_db": False}, headers=ADMIN
    )
    assert finalize.status_code == 202, finalize.text
    assert finalize.json()["status"] == "started"
    assert isinstance(finalize.json()["message"], str)
    wait_jobs_idle()
    job = _job(auth_client, book_id, finalize.json()["job_id"])
    _assert_job_status(job, book_id=book_id, job_type="finalization")
    detail = json.loads(job["progress_detail"])
    assert (job["status"], detail["subtopics_finalized"], detail["subtopics_renamed"],
            detail["duplicates_merged"]) == ("completed", 2, 0, 0)  # fmt: skip

    approve = auth_client.put(f"/admin/books/{book_id}/guidelines/approve", headers=ADMIN)
    assert approve.status_code == 200, approve.text
    approved = approve.json()
    assert (approved["book_id"], approved["status"], approved["approved_count"],
            approved["synced_count"]) == (book_id, "approved", 2, 2)  # fmt: skip
    assert isinstance(approved["message"], str)
    after = auth_client.get(f"/admin/books/{book_id}/guidelines", headers=ADMIN).json()
    assert [(g["status"], g["version"]) for g in after["guidelines"]] == [("final", 1)] * 2
    review = auth_client.get("/admin/guidelines/review", headers=ADMIN).json()
    assert sorted(g["subtopic"] for g in review) == ["Equivalent fractions", "What is a fraction"]
    book = auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()
    assert (book["guideline_count"], book["approved_guideline_count"]) == (2, 0)
    # Approving again after a review changes nothing: unchanged guidelines keep their review.
    gid = review[0]["id"]
    auth_client.post(f"/admin/guidelines/{gid}/approve", json={"approved": True}, headers=ADMIN)
    again = auth_client.put(f"/admin/books/{book_id}/guidelines/approve", headers=ADMIN)
    assert again.json()["synced_count"] == 2
    review = auth_client.get("/admin/guidelines/review?status=APPROVED", headers=ADMIN).json()
    assert [g["id"] for g in review] == [gid]

    # "Reject": the guidelines are really gone, synced rows included.
    delete = auth_client.delete(f"/admin/books/{book_id}/guidelines", headers=ADMIN)
    assert (delete.status_code, delete.content) == (204, b"")
    assert (
        auth_client.get(f"/admin/books/{book_id}/guidelines", headers=ADMIN).json() == empty.json()
    )
    assert auth_client.get("/admin/guidelines/review", headers=ADMIN).json() == []
    assert auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()["guideline_count"] == 0
    nothing = auth_client.put(f"/admin/books/{book_id}/guidelines/approve", headers=ADMIN)
    assert nothing.status_code == 404
    assert (
        auth_client.delete("/admin/books/no-such-book/guidelines", headers=ADMIN).status_code == 404
    )


def test_book_guideline_changes_wait_for_a_running_job(auth_client, local_storage, fake_llm):
    fake_llm.responder = AdminBookModel()
    book_id = make_book(pages=2)
    _generate(auth_client, book_id, {"start_page": 1, "end_page": 2})
    wait_jobs_idle()
    deferred = DeferredDispatcher()
    set_dispatcher(deferred)
    assert (
        auth_client.post(f"/admin/books/{book_id}/finalize", json={}, headers=ADMIN).status_code
        == 202
    )

    for response in (
        auth_client.put(f"/admin/books/{book_id}/guidelines/approve", headers=ADMIN),
        auth_client.delete(f"/admin/books/{book_id}/guidelines", headers=ADMIN),
        auth_client.post(f"/admin/books/{book_id}/finalize", json={}, headers=ADMIN),
    ):
        assert (response.status_code, response.json()["error"]["code"]) == (409, "job_running")
    deferred.release()
    with session_scope() as session:
        assert lifecycle.active_job(session, book_id=book_id) is None


# §2.7 teaching-guideline review and study plans ---------------------------------------


def _rows(book_id: str, *statuses: str) -> list[str]:
    ids = []
    with session_scope() as session:
        for n, status in enumerate(statuses):
            row = synced_guideline(book_id, n, review_status=status)
            row.topic, row.subtopic = "Fractions", f"Part {n}"
            session.add(row)
            session.flush()
            ids.append(row.id)
    return ids


def test_review_filters_and_list(auth_client, local_storage):
    book_id = make_book(pages=1)
    approved, pending = _rows(book_id, "APPROVED", "TO_BE_REVIEWED")
    with session_scope() as session:
        science = synced_guideline(book_id, 9)
        science.subject, science.grade, science.board = "Science", 4, "ICSE"
        session.add(science)

    filters = auth_client.get("/admin/guidelines/review/filters", headers=ADMIN)
    assert filters.status_code == 200
    assert {
        k: filters.json()[k] for k in ("countries", "boards", "grades", "subjects", "counts")
    } == {
        "countries": ["India"],
        "boards": ["CBSE", "ICSE"],
        "grades": [4, 5],
        "subjects": ["Mathematics", "Science"],
        "counts": {"total": 3, "pending": 2, "approved": 1},
    }

    listing = auth_client.get("/admin/guidelines/review", headers=ADMIN)
    assert listing.status_code == 200
    rows = listing.json()
    assert isinstance(rows, list)  # a bare array
    # To review first, then by subject, topic, subtopic.
    assert [(r["review_status"], r["subject"], r["subtopic"]) for r in rows] == [
        ("TO_BE_REVIEWED", "Mathematics", "Part 1"),
        ("TO_BE_REVIEWED", "Science", None),
        ("APPROVED", "Mathematics", "Part 0"),
    ]
    first = rows[0]
    fields = ("id", "country", "board", "grade", "topic", "guideline")
    assert [first[k] for k in fields] == [pending, "India", "CBSE", 5, "Fractions", "Teach it."]
    assert _is_time(first["updated_at"])
    # The evaluation dashboard's topic picker.
    picked = auth_client.get(
        "/admin/guidelines/review?status=APPROVED&country=India&board=CBSE&grade=5&subject=Mathematics",
        headers=ADMIN,
    ).json()
    assert [(r["id"], r["subject"], r["topic"], r["subtopic"], r["grade"]) for r in picked] == [
        (approved, "Mathematics", "Fractions", "Part 0", 5)
    ]


def test_approve_reject_and_delete_a_guideline(auth_client, local_storage):
    book_id = make_book(pages=1)
    [gid] = _rows(book_id, "TO_BE_REVIEWED")

    approve = auth_client.post(
        f"/admin/guidelines/{gid}/approve", json={"approved": True}, headers=ADMIN
    )
    assert approve.status_code == 200
    assert (approve.json()["id"], approve.json()["review_status"]) == (gid, "APPROVED")
    reject = auth_client.post(
        f"/admin/guidelines/{gid}/approve", json={"approved": False}, headers=ADMIN
    )
    assert (reject.json()["id"], reject.json()["review_status"]) == (gid, "TO_BE_REVIEWED")
    missing = auth_client.post(
        "/admin/guidelines/nope/approve", json={"approved": True}, headers=ADMIN
    )
    assert missing.status_code == 404

    delete = auth_client.delete(f"/admin/guidelines/{gid}", headers=ADMIN)
    assert (delete.status_code, delete.json()) == (
        200, {"message": "Guideline deleted successfully", "id": gid},
    )  # fmt: skip
    assert auth_client.delete(f"/admin/guidelines/{gid}", headers=ADMIN).status_code == 404


def test_study_plan_generated_in_a_job_and_read(auth_client, local_storage, fake_llm):
    fake_llm.responder = AdminBookModel()
    book_id = make_book(pages=1)
    [gid] = _rows(book_id, "APPROVED")
    none = auth_client.get(f"/admin/guidelines/{gid}/study-plan", headers=ADMIN)
    assert (none.status_code, none.json()["detail"]) == (404, "Study plan not found")

    # The frontend always sends force_regenerate=true; here it is a job (README "Clients").
    started = auth_client.post(
        f"/admin/guidelines/{gid}/generate-study-plan?force_regenerate=true", headers=ADMIN
    )
    assert started.status_code == 202, started.text
    assert (started.json()["status"], started.json()["guideline_id"]) == ("started", gid)
    wait_jobs_idle()
    assert _job(auth_client, book_id, started.json()["job_id"])["status"] == "completed"

    plan = auth_client.get(f"/admin/guidelines/{gid}/study-plan", headers=ADMIN)
    assert plan.status_code == 200
    body = plan.json()
    assert [s["step_id"] for s in body["todo_list"]] == ["step_1", "step_2", "step_3"]
    first = body["todo_list"][0]
    assert {k: first[k] for k in (
        "title", "description", "teaching_approach", "success_criteria", "status",
    )} == {
        "title": "Equal parts", "description": "Equal parts: goal",
        "teaching_approach": "paper folding", "success_criteria": "explains it",
        "status": "pending",
    }  # fmt: skip
    assert {s["status"] for s in body["todo_list"]} == {"pending"}
    assert body["metadata"] == {
        "plan_version": 1,
        "estimated_duration_minutes": 15,
        "difficulty_level": "easy",
        "is_generic": True,
        "creative_theme": "pizza party",
    }


def test_finalize_with_auto_sync_writes_the_teaching_guidelines(
    auth_client, local_storage, fake_llm
):
    fake_llm.responder = AdminBookModel()
    book_id = make_book(pages=5)
    _generate(auth_client, book_id, {"start_page": 1, "end_page": 5})
    wait_jobs_idle()

    finalize = auth_client.post(
        f"/admin/books/{book_id}/finalize", json={"auto_sync_to_db": True}, headers=ADMIN
    )

    assert finalize.status_code == 202, finalize.text
    wait_jobs_idle()
    job = _job(auth_client, book_id, finalize.json()["job_id"])
    assert (job["status"], json.loads(job["progress_detail"])["synced_count"]) == ("completed", 2)
    review = auth_client.get("/admin/guidelines/review", headers=ADMIN).json()
    assert [(g["subtopic"], g["review_status"]) for g in review] == [
        ("Equivalent fractions", "TO_BE_REVIEWED"),
        ("What is a fraction", "TO_BE_REVIEWED"),
    ]
