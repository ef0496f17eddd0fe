"""Generating one guideline's study plan (generate, review, maybe improve: up to three model
calls) is a job of the guideline's book, not part of the request; an existing plan is still
returned at once. A guideline of no book gets its plan in the request, under its budget.
Real PostgreSQL, local storage, the fake model server."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from config import reset_settings
from database import session_scope
from shared.llm import deadline
from shared.models.entities import LLMCall, StudyPlan
from tests.fakes.llm_server import Reply
from tests.support.books import ADMIN, wait_jobs_idle
from tests.support.guidelines import make_book
from tests.support.study_plans import pending_guideline, plan_reply, review_reply


def _generate(client, gid: str, force: bool = False):
    suffix = "?force_regenerate=true" if force else ""
    return client.post(f"/admin/guidelines/{gid}/generate-study-plan{suffix}", headers=ADMIN)


def test_a_book_guideline_plan_is_generated_in_a_job(auth_client, local_storage, fake_llm):
    book_id = make_book(pages=1)
    gid = pending_guideline(book_id=book_id)
    fake_llm.push(plan_reply("first"), review_reply(True, "clear", 5))

    started = _generate(auth_client, gid, force=True)

    assert started.status_code == 202, started.json()
    body = started.json()
    assert (body["book_id"], body["guideline_id"]) == (book_id, gid)
    wait_jobs_idle()
    job = auth_client.get(f"/admin/books/{book_id}/jobs/{body['job_id']}", headers=ADMIN).json()
    assert (job["job_type"], job["status"], job["completed_items"]) == (
        "study_plan_bulk", "completed", 1,
    )  # fmt: skip
    assert [(r["guideline_id"], r["status"]) for r in job["detail"]["results"]] == [
        (gid, "generated")
    ]
    plan = auth_client.get(f"/admin/guidelines/{gid}/study-plan", headers=ADMIN).json()
    assert [s["title"] for s in plan["todo_list"]] == ["first one", "first two", "first three"]
    assert (plan["reviewer_feedback"], plan["version"]) == ("clear", 1)
    assert len(fake_llm.requests) == 2

    # The existing plan, at once and without a model call (no job either).
    again = _generate(auth_client, gid)
    assert (again.status_code, again.json()) == (200, plan)
    assert len(fake_llm.requests) == 2
    jobs = auth_client.get(f"/admin/books/{book_id}/jobs", headers=ADMIN).json()
    assert len(jobs) == 1

    fake_llm.push(plan_reply("second"), review_reply(True))
    assert _generate(auth_client, gid, force=True).status_code == 202
    wait_jobs_idle()
    with session_scope() as session:
        assert session.scalar(select(StudyPlan.version)) == 2


def test_a_guideline_of_no_book_gets_its_plan_within_the_request_budget(
    auth_client, fake_llm, monkeypatch
):
    monkeypatch.setenv("API_REQUEST_BUDGET_SECONDS", "1.5")
    monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "30")
    monkeypatch.setenv("LLM_DEADLINE_MARGIN_SECONDS", "0.5")
    monkeypatch.setenv("LLM_MIN_ATTEMPT_SECONDS", "0.2")
    reset_settings()
    monkeypatch.setattr(deadline, "_clock", lambda: 1000.0)  # only the held call spends time
    gid = pending_guideline()
    gate = threading.Event()
    fake_llm.push(Reply(plan_reply("slow").content, for_schema="GeneratedPlan", gate=gate))
    try:
        response = _generate(auth_client, gid)
    finally:
        gate.set()

    assert (response.status_code, response.json()["error"]["code"]) == (503, "llm_deadline")
    assert len(fake_llm.requests) == 1
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(StudyPlan)) == 0
        assert list(session.scalars(select(LLMCall.outcome))) == ["deadline"]
