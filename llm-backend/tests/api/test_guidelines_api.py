"""Admin guideline routes: extraction/finalize/sync jobs (202), the review queue with filters
and counts, approve/reject/delete, and study plans (generate, review, one improvement pass,
force, bulk job). Real PostgreSQL, fake model server."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from book_ingestion.services import book_service
from database import session_scope
from shared.jobs.models import BookJob
from shared.models.entities import StudyPlan, TeachingGuideline
from tests.fakes.llm_server import Fail
from tests.support.book_jobs import HeldDispatcher, age_heartbeat, sweep_stale_jobs
from tests.support.books import ADMIN, wait_jobs_idle
from tests.support.guidelines import BookModel, make_book
from tests.support.study_plans import pending_guideline, plan_reply, review_reply
from tests.support.tutor import STUDENT_A


def test_generate_finalize_and_sync_routes_start_jobs(auth_client, local_storage, fake_llm):
    fake_llm.responder = BookModel()
    book_id = make_book(pages=3)

    bad = auth_client.post(
        f"/admin/books/{book_id}/generate-guidelines",
        json={"start_page": 2, "end_page": 3},
        headers=ADMIN,
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_start_page")
    outside = auth_client.post(
        f"/admin/books/{book_id}/generate-guidelines",
        json={"start_page": 1, "end_page": 4},
        headers=ADMIN,
    )
    assert (outside.status_code, outside.json()["error"]["code"]) == (400, "invalid_page_range")
    early = auth_client.post(f"/admin/books/{book_id}/sync", headers=ADMIN)
    assert (early.status_code, early.json()["error"]["code"]) == (409, "no_guidelines")

    types = []
    for path, body in (
        ("generate-guidelines", {"start_page": 1, "end_page": 3}),
        ("finalize", None),
        ("sync", None),
    ):
        started = auth_client.post(f"/admin/books/{book_id}/{path}", json=body, headers=ADMIN)
        assert started.status_code == 202, started.json()
        wait_jobs_idle()
        job = auth_client.get(
            f"/admin/books/{book_id}/jobs/{started.json()['job_id']}", headers=ADMIN
        ).json()
        types.append((job["job_type"], job["status"]))
    assert types == [("extraction", "completed"), ("finalization", "completed"),
                     ("sync", "completed")]  # fmt: skip
    listing = auth_client.get("/admin/guidelines/review", headers=ADMIN).json()
    assert [g["subtopic_key"] for g in listing] == ["what-is-a-fraction"]


def test_review_filters_counts_approve_reject_and_delete(auth_client):
    a = pending_guideline()
    b = pending_guideline(subtopic_key="thirds", source_page_start=3, review_status="APPROVED")
    c = pending_guideline(board="ICSE", grade=6, subject="Science", source_page_start=5)

    filters = auth_client.get("/admin/guidelines/review/filters", headers=ADMIN).json()
    assert filters == {
        "countries": ["India"],
        "boards": ["CBSE", "ICSE"],
        "grades": [5, 6],
        "subjects": ["Mathematics", "Science"],
        "review_statuses": ["TO_BE_REVIEWED", "APPROVED"],
        "counts": {"total": 3, "pending": 2, "approved": 1},
    }
    pending = auth_client.get(
        "/admin/guidelines/review?status=TO_BE_REVIEWED&board=CBSE", headers=ADMIN
    ).json()
    assert [g["id"] for g in pending] == [a]
    # Those to review first, then by subject, topic, subtopic.
    everything = auth_client.get("/admin/guidelines/review", headers=ADMIN).json()
    assert [g["id"] for g in everything] == [a, c, b]
    paged = auth_client.get("/admin/guidelines/review?limit=2&offset=1", headers=ADMIN).json()
    assert [g["id"] for g in paged] == [c, b]
    sixth = auth_client.get("/admin/guidelines/review?grade=6", headers=ADMIN).json()
    assert [g["id"] for g in sixth] == [c]

    approved = auth_client.post(
        f"/admin/guidelines/{a}/approve", json={"approved": True}, headers=ADMIN
    ).json()
    assert (approved["review_status"], approved["status"], approved["reviewed_by"]) == (
        "APPROVED", "approved", "admin-1",
    )  # fmt: skip
    assert approved["reviewed_at"] is not None
    rejected = auth_client.post(
        f"/admin/guidelines/{b}/approve", json={"approved": False}, headers=ADMIN
    ).json()
    assert (rejected["review_status"], rejected["status"]) == ("TO_BE_REVIEWED", "rejected")
    counts = auth_client.get("/admin/guidelines/review/filters", headers=ADMIN).json()["counts"]
    assert counts == {"total": 3, "pending": 2, "approved": 1}

    got = auth_client.get(f"/admin/guidelines/{c}", headers=ADMIN).json()
    assert (got["board"], got["guideline"]) == ("ICSE", "Teach halves with paper folding.")
    deleted = auth_client.delete(f"/admin/guidelines/{c}", headers=ADMIN)
    assert (deleted.status_code, deleted.json()) == (
        200, {"message": "Guideline deleted successfully", "id": c},
    )  # fmt: skip
    missing = auth_client.get(f"/admin/guidelines/{c}", headers=ADMIN)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "guideline_not_found")


def test_review_routes_are_admin_only(auth_client):
    gid = pending_guideline()
    calls = [
        ("get", "/admin/guidelines/review", None),
        ("get", "/admin/guidelines/review/filters", None),
        ("get", f"/admin/guidelines/{gid}", None),
        ("post", f"/admin/guidelines/{gid}/approve", {"approved": True}),
        ("delete", f"/admin/guidelines/{gid}", None),
        ("post", f"/admin/guidelines/{gid}/generate-study-plan", None),
        ("get", f"/admin/guidelines/{gid}/study-plan", None),
        ("post", "/admin/guidelines/bulk-generate-study-plans", {"guideline_ids": [gid]}),
    ]
    for method, path, body in calls:
        kwargs = {"json": body} if body is not None else {}
        assert auth_client.request(method, path, **kwargs).status_code == 401, path
        forbidden = auth_client.request(method, path, headers=STUDENT_A, **kwargs)
        assert forbidden.status_code == 403, path
    with session_scope() as session:
        assert session.get(TeachingGuideline, gid).review_status == "TO_BE_REVIEWED"


def _generate(auth_client, gid: str, force: bool = False):
    suffix = "?force_regenerate=true" if force else ""
    return auth_client.post(f"/admin/guidelines/{gid}/generate-study-plan{suffix}", headers=ADMIN)


def test_study_plan_approved_first_time(auth_client, fake_llm):
    gid = pending_guideline()
    fake_llm.push(plan_reply("first"), review_reply(True, "clear and well paced", 5))

    plan = _generate(auth_client, gid).json()

    assert [s["title"] for s in plan["todo_list"]] == ["first one", "first two", "first three"]
    assert [s["concept"] for s in plan["todo_list"]] == ["first one", "first two", "first three"]
    assert plan["metadata"] == {
        "plan_version": 1,
        "estimated_duration_minutes": 20,
        "difficulty_level": "easy",
        "is_generic": True,
        "creative_theme": "pizza",
    }
    assert plan["review"] == {"rating": 5, "approved": True}
    assert (plan["generator_model"], plan["reviewer_model"]) == ("gpt-5.2", "gpt-5.2")
    assert (plan["generation_reasoning"], plan["reviewer_feedback"]) == (
        "first reasoning", "clear and well paced",
    )  # fmt: skip
    assert (plan["was_revised"], plan["version"], plan["status"]) == (False, 1, "generated")
    assert len(fake_llm.requests) == 2
    assert "Teach halves with paper folding." in json.dumps(fake_llm.requests[0].body)
    assert auth_client.get(f"/admin/guidelines/{gid}/study-plan", headers=ADMIN).json() == plan

    # An existing plan is returned as is: no model call.
    assert _generate(auth_client, gid).json() == plan
    assert len(fake_llm.requests) == 2


def test_study_plan_revised_once_after_review(auth_client, fake_llm):
    gid = pending_guideline()
    fake_llm.push(
        plan_reply("first"), review_reply(False, "add a check step", 2), plan_reply("better")
    )

    plan = _generate(auth_client, gid).json()

    assert [s["title"] for s in plan["todo_list"]] == ["better one", "better two", "better three"]
    assert (plan["was_revised"], plan["generation_reasoning"], plan["reviewer_feedback"]) == (
        True, "better reasoning", "add a check step",
    )  # fmt: skip
    assert len(fake_llm.requests) == 3
    improve = json.dumps(fake_llm.requests[2].body)
    assert "add a check step" in improve and "first one" in improve


def test_improvement_failure_keeps_the_original(auth_client, fake_llm):
    gid = pending_guideline()
    fake_llm.push(
        plan_reply("first"),
        review_reply(False, "too long", 2),
        Fail(400, for_schema="GeneratedPlan"),
    )

    plan = _generate(auth_client, gid).json()

    assert [s["title"] for s in plan["todo_list"]] == ["first one", "first two", "first three"]
    assert (plan["was_revised"], plan["generation_reasoning"], plan["reviewer_feedback"]) == (
        False, "first reasoning", "too long",
    )  # fmt: skip


def test_force_regenerate_bumps_the_version(auth_client, fake_llm):
    gid = pending_guideline()
    fake_llm.push(plan_reply("first"), review_reply(True))
    first = _generate(auth_client, gid).json()
    fake_llm.push(plan_reply("second"), review_reply(True))

    second = _generate(auth_client, gid, force=True).json()

    assert (second["id"], second["version"]) == (first["id"], 2)
    assert second["todo_list"][0]["title"] == "second one"
    assert second["metadata"]["plan_version"] == 2
    with session_scope() as session:
        assert session.scalar(select(StudyPlan.version)) == 2
    none = auth_client.get(f"/admin/guidelines/{pending_guideline()}/study-plan", headers=ADMIN)
    assert (none.status_code, none.json()["error"]["code"]) == (404, "study_plan_not_found")


def test_bulk_study_plans_run_as_a_job_with_per_guideline_results(
    auth_client, local_storage, fake_llm
):
    book_id = make_book(pages=1)
    ids = [pending_guideline(book_id=book_id, subtopic_key=f"s{n}") for n in range(3)]
    fake_llm.push(plan_reply("done"), review_reply(True))
    assert _generate(auth_client, ids[0]).status_code == 202  # a job: the guideline has a book
    wait_jobs_idle()
    fake_llm.push(plan_reply("a"), review_reply(True), *[Fail(400, for_schema="GeneratedPlan")])

    started = auth_client.post(
        "/admin/guidelines/bulk-generate-study-plans",
        json={"guideline_ids": ids, "force_regenerate": False},
        headers=ADMIN,
    )
    assert started.status_code == 202
    wait_jobs_idle()

    with session_scope() as session:
        job = book_service.job_read(session.get(BookJob, started.json()["job_id"]))
    assert (job.job_type, job.book_id, job.status) == ("study_plan_bulk", book_id, "completed")
    assert (job.completed_items, job.failed_items) == (2, 1)
    assert [(r["guideline_id"], r["status"]) for r in job.detail["results"]] == [
        (ids[0], "existing"), (ids[1], "generated"), (ids[2], "failed"),
    ]  # fmt: skip
    mixed = auth_client.post(
        "/admin/guidelines/bulk-generate-study-plans",
        json={"guideline_ids": [ids[0], pending_guideline()]},
        headers=ADMIN,
    )
    assert (mixed.status_code, mixed.json()["error"]["code"]) == (400, "mixed_books")


def test_a_swept_bulk_study_plan_job_saves_nothing_more(auth_client, local_storage, fake_llm):
    from shared.jobs import lifecycle
    from shared.jobs.dispatch import set_dispatcher
    from shared.jobs.items import JobContext, LeaseLostError
    from study_plans.models.job_detail import StudyPlanBulkDetail
    from study_plans.services import plan_jobs as study_plan_service

    set_dispatcher(HeldDispatcher())
    book_id = make_book(pages=1)
    gid = pending_guideline(book_id=book_id)
    job_id = study_plan_service.start_bulk(guideline_ids=[gid], force_regenerate=False)
    lease = lifecycle.claim(job_id=job_id, handoff=None)
    age_heartbeat(job_id, 3600)
    assert sweep_stale_jobs(book_id) == [job_id]
    fake_llm.push(plan_reply("late"), review_reply(True))
    detail = StudyPlanBulkDetail(guideline_ids=[gid])
    ctx = JobContext(job_id, book_id, "study_plan_bulk", detail, 1, 1)
    ctx.lease = lease

    with pytest.raises(LeaseLostError):
        study_plan_service.run_study_plan_bulk.process(ctx, 1)

    assert auth_client.get(f"/admin/guidelines/{gid}/study-plan", headers=ADMIN).status_code == 404
