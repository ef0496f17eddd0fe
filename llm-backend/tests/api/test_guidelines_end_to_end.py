"""End to end through the admin API and a student's session: pages → OCR → extraction →
finalize → sync → approve → study plan → a teach_me session that teaches from that plan."""

from __future__ import annotations

import json

from config import reset_settings
from tests.fakes.llm_server import Reply, request_schema_name
from tests.support.admin_model import PLAN_STEPS, AdminBookModel
from tests.support.books import ADMIN, BOOK, image_bytes, wait_jobs_idle
from tests.support.tutor import STUDENT_A, reply, session_body


class EndToEndModel(AdminBookModel):
    """The admin flow's model, and fixed tutor answers."""

    def __call__(self, path: str, body: dict):
        schema = request_schema_name(path, body)
        if schema == "TutorMessage":
            return Reply({"message": "Welcome! What are equal parts?"})
        if schema == "TeachTurn":
            return Reply(
                {"verdict": "right", "misconception": "", "message": "Yes!", "skip_ahead": False}
            )
        return super().__call__(path, body)


def test_pages_to_a_teach_me_session(auth_client, local_storage, fake_llm, monkeypatch):
    monkeypatch.setenv("OCR_CONCURRENCY", "1")
    reset_settings()
    fake_llm.responder = EndToEndModel()

    book_id = auth_client.post("/admin/books", json=BOOK, headers=ADMIN).json()["id"]
    files = [
        ("images", (f"p{n}.png", image_bytes(color=(n, 0, 0)), "image/png")) for n in (1, 2, 3)
    ]
    bulk = auth_client.post(f"/admin/books/{book_id}/pages/bulk", files=files, headers=ADMIN)
    assert bulk.status_code == 202, bulk.json()
    wait_jobs_idle()
    for n in (1, 2, 3):
        page = auth_client.put(f"/admin/books/{book_id}/pages/{n}/approve", headers=ADMIN)
        assert (page.status_code, page.json()["text"]) == (200, f"PAGE-{n} fractions text.\n")

    for path, body in (
        ("generate-guidelines", {"start_page": 1, "end_page": 3}),
        ("finalize", {"auto_sync_to_db": False}),
    ):
        started = auth_client.post(f"/admin/books/{book_id}/{path}", json=body, headers=ADMIN)
        assert started.status_code == 202, started.json()
        wait_jobs_idle()
        job_id = started.json()["job_id"]
        job = auth_client.get(f"/admin/books/{book_id}/jobs/{job_id}", headers=ADMIN).json()
        assert job["status"] == "completed", job
    approved = auth_client.put(f"/admin/books/{book_id}/guidelines/approve", headers=ADMIN)
    assert approved.json()["synced_count"] == 1, approved.json()

    queue = auth_client.get("/admin/guidelines/review?status=TO_BE_REVIEWED", headers=ADMIN).json()
    assert [(g["subtopic_key"], g["guideline"], g["source_page_start"], g["source_page_end"])
            for g in queue] == [("what-is-a-fraction", "g1 + g2 + g3", 1, 3)]  # fmt: skip
    gid = queue[0]["id"]
    # Not approved yet: a student cannot start a session on it.
    early = auth_client.post("/sessions", json=session_body(gid, "teach_me"), headers=STUDENT_A)
    assert early.status_code == 404

    approved = auth_client.post(
        f"/admin/guidelines/{gid}/approve", json={"approved": True}, headers=ADMIN
    )
    assert approved.json()["review_status"] == "APPROVED"
    book = auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()
    assert book["status"] == "approved"
    started = auth_client.post(f"/admin/guidelines/{gid}/generate-study-plan", headers=ADMIN)
    assert started.status_code == 202, started.json()  # a job of the guideline's book
    assert (started.json()["book_id"], started.json()["guideline_id"]) == (book_id, gid)
    wait_jobs_idle()
    job_url = f"/admin/books/{book_id}/jobs/{started.json()['job_id']}"
    assert auth_client.get(job_url, headers=ADMIN).json()["status"] == "completed"
    plan = auth_client.get(f"/admin/guidelines/{gid}/study-plan", headers=ADMIN).json()
    assert [s["title"] for s in plan["todo_list"]] == [t for t, _, _ in PLAN_STEPS]

    session = auth_client.post("/sessions", json=session_body(gid, "teach_me"), headers=STUDENT_A)
    assert session.status_code == 200, session.json()
    body = session.json()
    assert body["first_turn"]["message"] == "Welcome! What are equal parts?"
    sid = body["session_id"]
    state = auth_client.get(f"/sessions/{sid}", headers=STUDENT_A).json()
    assert (state["current_step"], len(state["topic"]["study_plan"]["steps"])) == (1, 3)

    step = auth_client.post(
        f"/sessions/{sid}/step", json=reply("parts of the same size"), headers=STUDENT_A
    )
    assert step.status_code == 200, step.json()
    assert step.json()["next_turn"]["step_idx"] == 2
    state = auth_client.get(f"/sessions/{sid}", headers=STUDENT_A).json()
    assert state["mastery_estimates"] == {"equal parts": 0.8}
    teach = [r for r in fake_llm.requests if request_schema_name(r.path, r.body) == "TeachTurn"]
    prompt = json.dumps(teach[0].body)
    assert 'on \\"equal parts\\": Equal parts: goal' in prompt
    assert "g1 + g2 + g3" in prompt  # the synced guideline text reaches the tutor
