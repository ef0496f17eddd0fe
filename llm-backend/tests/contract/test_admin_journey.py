"""An admin's journey in the order the learnlikemagic frontend makes the calls, with the admin
token this project requires: create a book → upload one page (`image`) → bulk-upload more
(`images`) → poll `jobs/latest` → approve the pages → generate guidelines → poll the job → read
the book's guidelines → finalize → approve them → the review list → approve a teaching
guideline → generate its study plan (a job) → read the plan's `todo_list`.

Real PostgreSQL, local storage, the fake model server; jobs run in the local executor."""

from __future__ import annotations

import json

from config import reset_settings
from tests.support.admin_model import PLAN_STEPS, AdminBookModel
from tests.support.books import ADMIN, image_bytes, wait_jobs_idle


def _poll(client, book_id: str, job_id: str) -> dict:
    """useJobPolling: poll the job by id until it is completed or failed."""
    wait_jobs_idle()
    job = client.get(f"/admin/books/{book_id}/jobs/{job_id}", headers=ADMIN).json()
    assert job["status"] in ("completed", "failed"), job
    return job


def test_admin_journey(auth_client, local_storage, fake_llm, monkeypatch):
    monkeypatch.setenv("OCR_CONCURRENCY", "1")
    reset_settings()
    fake_llm.responder = AdminBookModel()
    api = auth_client

    # CreateBook, with the form's defaults.
    created = api.post(
        "/admin/books",
        json={
            "title": "Math Magic 3",
            "author": "NCERT",
            "edition_year": 2024,
            "country": "India",
            "board": "CBSE",
            "grade": 3,
            "subject": "Mathematics",
        },
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    book_id = created.json()["id"]
    assert book_id == "ncert_mathematics_3_2024"
    books = api.get("/admin/books", headers=ADMIN).json()["books"]
    assert [(b["id"], b["page_count"], b["has_active_job"]) for b in books] == [(book_id, 0, False)]

    # PageUploadPanel: one page, then the rest in bulk.
    single = api.post(
        f"/admin/books/{book_id}/pages",
        files={"image": ("p1.png", image_bytes(color=(1, 0, 0)), "image/png")},
        headers=ADMIN,
    )
    assert single.status_code == 202, single.text
    assert (single.json()["page_num"], single.json()["status"]) == (1, "pending_review")
    assert _poll(api, book_id, single.json()["job_id"])["status"] == "completed"
    page = api.get(f"/admin/books/{book_id}/pages/1", headers=ADMIN).json()
    assert page["ocr_text"] == "PAGE-1 fractions text.\n"

    bulk = api.post(
        f"/admin/books/{book_id}/pages/bulk",
        files=[
            ("images", (f"p{n}.png", image_bytes(color=(n, 0, 0)), "image/png")) for n in (2, 3)
        ],
        headers=ADMIN,
    )
    assert bulk.status_code == 202, bulk.text
    assert (bulk.json()["pages_uploaded"], bulk.json()["total_pages"]) == ([2, 3], 3)
    latest = api.get(f"/admin/books/{book_id}/jobs/latest?job_type=ocr_batch", headers=ADMIN)
    assert latest.json()["job_id"] == bulk.json()["job_id"]
    assert _poll(api, book_id, bulk.json()["job_id"])["completed_items"] == 2

    # BookDetail / PageViewPanel: review and approve each page.
    detail = api.get(f"/admin/books/{book_id}", headers=ADMIN).json()
    assert [(p["page_num"], p["status"], p["ocr_status"]) for p in detail["pages"]] == [
        (n, "pending_review", "completed") for n in (1, 2, 3)
    ]
    for n in (1, 2, 3):
        text = api.get(f"/admin/books/{book_id}/pages/{n}", headers=ADMIN).json()["ocr_text"]
        assert text == f"PAGE-{n} fractions text.\n"
        approved = api.put(f"/admin/books/{book_id}/pages/{n}/approve", headers=ADMIN).json()
        assert (approved["page_num"], approved["status"]) == (n, "approved")

    # GuidelinesPanel: no extraction job yet; generate all pages; poll.
    none = api.get(f"/admin/books/{book_id}/jobs/latest?job_type=extraction", headers=ADMIN)
    assert none.json() is None
    generated = api.post(
        f"/admin/books/{book_id}/generate-guidelines",
        json={"start_page": 1, "end_page": 3},
        headers=ADMIN,
    )
    assert generated.status_code == 202, generated.text
    assert (generated.json()["status"], generated.json()["total_pages"]) == ("started", 3)
    extraction = _poll(api, book_id, generated.json()["job_id"])
    assert json.loads(extraction["progress_detail"])["stats"]["subtopics_created"] == 1

    guidelines = api.get(f"/admin/books/{book_id}/guidelines", headers=ADMIN).json()
    assert (guidelines["total_subtopics"], guidelines["processed_pages"]) == (1, [1, 2, 3])
    [shard] = guidelines["guidelines"]
    assert (shard["subtopic_title"], shard["guidelines"], shard["status"]) == (
        "What is a fraction", "g1 + g2 + g3", "open",
    )  # fmt: skip

    finalized = api.post(
        f"/admin/books/{book_id}/finalize", json={"auto_sync_to_db": False}, headers=ADMIN
    )
    assert finalized.status_code == 202, finalized.text
    job = _poll(api, book_id, finalized.json()["job_id"])
    assert json.loads(job["progress_detail"])["subtopics_finalized"] == 1

    approved = api.put(f"/admin/books/{book_id}/guidelines/approve", headers=ADMIN)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["approved_count"], approved.json()["synced_count"]) == (1, 1)
    book = api.get(f"/admin/books/{book_id}", headers=ADMIN).json()
    assert (book["guideline_count"], book["approved_guideline_count"]) == (1, 0)

    # GuidelinesReview: filters, the queue, approve one.
    filters = api.get("/admin/guidelines/review/filters", headers=ADMIN).json()
    assert filters["counts"] == {"total": 1, "pending": 1, "approved": 0}
    queue = api.get(
        "/admin/guidelines/review?country=India&board=CBSE&grade=3&subject=Mathematics",
        headers=ADMIN,
    ).json()
    assert [(g["topic"], g["subtopic"], g["review_status"]) for g in queue] == [
        ("Fractions", "What is a fraction", "TO_BE_REVIEWED")
    ]
    gid = queue[0]["id"]
    reviewed = api.post(f"/admin/guidelines/{gid}/approve", json={"approved": True}, headers=ADMIN)
    assert (reviewed.json()["id"], reviewed.json()["review_status"]) == (gid, "APPROVED")
    book = api.get(f"/admin/books/{book_id}", headers=ADMIN).json()
    assert book["approved_guideline_count"] == 1

    # "View Plan": none yet, so generate one (the UI always forces), follow the job, read it.
    assert api.get(f"/admin/guidelines/{gid}/study-plan", headers=ADMIN).status_code == 404
    started = api.post(
        f"/admin/guidelines/{gid}/generate-study-plan?force_regenerate=true", headers=ADMIN
    )
    assert started.status_code == 202, started.text
    assert _poll(api, book_id, started.json()["job_id"])["status"] == "completed"
    plan = api.get(f"/admin/guidelines/{gid}/study-plan", headers=ADMIN).json()
    assert [(s["step_id"], s["title"]) for s in plan["todo_list"]] == [
        (f"step_{i}", title) for i, (title, _, _) in enumerate(PLAN_STEPS, 1)
    ]
    assert (
        plan["metadata"]["estimated_duration_minutes"],
        plan["metadata"]["creative_theme"],
    ) == (15, "pizza party")
