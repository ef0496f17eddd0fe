"""Starting, re-judging and resuming evaluation runs over HTTP (real PostgreSQL, the fake model
server playing tutor, student and judge, jobs in the local executor): upstream §3.1's shapes,
this project's additions, and the 400 / 404 / 409 / 422 answers."""

from __future__ import annotations

import pytest

from evaluation.models.persona import PERSONA_IDS
from tests.support.books import wait_jobs_idle
from tests.support.evaluation_rows import add_run, same
from tests.support.evaluation_runs import evaluation_responder
from tests.support.tutor import ADMIN, STUDENT_A, add_guideline, reply, session_body

START_KEYS = {"status", "topic_id", "max_turns"}  # upstream's, with their values
STATUS_KEYS = {"status", "run_id", "detail", "turn", "max_turns", "error"}


@pytest.fixture
def scripted(fake_llm):
    fake_llm.responder = evaluation_responder(
        {"average_student": [7, 7, 7], "ace": [9, 9, 9], "struggler": [4, 4, 4]}
    )
    return fake_llm


def test_status_is_idle_before_any_run(auth_client):
    response = auth_client.get("/api/evaluation/status", headers=ADMIN)

    assert response.status_code == 200
    assert response.json() == {
        "status": "idle",
        "run_id": None,
        "detail": "",
        "turn": 0,
        "max_turns": 0,
        "error": None,
    }


def test_start_as_upstreams_client_sends_it_runs_the_default_persona(auth_client, scripted):
    gid = add_guideline()

    response = auth_client.post(
        "/api/evaluation/start", json={"topic_id": gid, "max_turns": 2}, headers=ADMIN
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in START_KEYS} == {
        "status": "started",
        "topic_id": gid,
        "max_turns": 2,
    }
    assert body["run_id"].startswith("run_")
    assert (body["personas"], body["repeats"], body["judge_repeats"], body["mode"]) == (
        ["average_student"],
        1,
        1,
        "teach_me",
    )
    wait_jobs_idle()
    status = auth_client.get("/api/evaluation/status", headers=ADMIN).json()
    assert set(status) == STATUS_KEYS
    assert (status["status"], status["run_id"], status["max_turns"]) == (
        "complete",
        body["run_id"],
        2,
    )
    detail = auth_client.get(f"/api/evaluation/runs/{body['run_id']}", headers=ADMIN).json()
    assert detail["config"]["topic_id"] == gid
    assert detail["config"]["persona_file"] == "average_student.json"
    assert (detail["config"]["tutor_llm_provider"], detail["config"]["eval_llm_provider"]) == (
        "openai",
        "openai",
    )
    # the opening, then two turns of a student message and the tutor's answer
    assert [(m["role"], m["turn"]) for m in detail["messages"]] == [
        ("tutor", 0),
        ("student", 1),
        ("tutor", 1),
        ("student", 2),
        ("tutor", 2),
    ]
    assert detail["message_count"] == 5
    assert (detail["evaluation"]["avg_score"], detail["evaluation"]["summary"]) == (7.0, "scored 7")
    assert detail["evaluation"]["scores"] == {d: 7.0 for d in detail["evaluation"]["scores"]}
    assert detail["stats"]["overall"] == {
        "mean": 7.0,
        "low": None,
        "high": None,
        "n": 1,
        "sd": None,
    }
    components = {row["component"] for row in detail["cost"]["rows"]}
    assert components == {"tutor", "eval_simulator", "eval_evaluator"}
    assert detail["cost"]["total_usd"] > 0 and detail["cost"]["missing_prices"] == []


def test_start_with_personas_repeats_and_persona_file(auth_client, scripted):
    gid = add_guideline()

    chosen = auth_client.post(
        "/api/evaluation/start",
        json={
            "topic_id": gid,
            "max_turns": 1,
            "personas": ["ace", "struggler"],
            "repeats": 2,
            "seed": 11,
        },
        headers=ADMIN,
    )
    upstream_file = auth_client.post(
        "/api/evaluation/start",
        json={"topic_id": gid, "persona_file": "ace.json", "max_turns": 1},
        headers=ADMIN,
    )
    wait_jobs_idle()

    assert chosen.status_code == 200 and upstream_file.status_code == 200
    assert (chosen.json()["personas"], chosen.json()["seed"]) == (["ace", "struggler"], 11)
    assert upstream_file.json()["personas"] == ["ace"]
    run = auth_client.get(f"/api/evaluation/runs/{chosen.json()['run_id']}", headers=ADMIN).json()
    assert [
        (c["item"], c["persona_id"], c["repeat"], c["status"], c["avg_score"])
        for c in run["conversations"]
    ] == [
        (1, "ace", 1, "judged", 9.0),
        (2, "ace", 2, "judged", 9.0),
        (3, "struggler", 1, "judged", 4.0),
        (4, "struggler", 2, "judged", 4.0),
    ]
    assert run["stats"]["per_persona"]["ace"]["overall"]["mean"] == 9.0
    assert run["stats"]["overall"]["mean"] == 6.5
    listed = auth_client.get("/api/evaluation/runs", headers=ADMIN).json()
    assert {r["run_id"] for r in listed} == {
        chosen.json()["run_id"],
        upstream_file.json()["run_id"],
    }


def test_all_personas(auth_client, fake_llm):
    fake_llm.responder = evaluation_responder({p: [5] for p in PERSONA_IDS})

    response = auth_client.post(
        "/api/evaluation/start",
        json={"topic_id": add_guideline(), "personas": "all", "max_turns": 1},
        headers=ADMIN,
    )
    wait_jobs_idle()

    assert response.status_code == 200
    assert response.json()["personas"] == list(PERSONA_IDS)


def test_bad_starts_are_refused_and_store_nothing(auth_client, scripted):
    gid = add_guideline()
    cases = [
        ({"topic_id": gid, "personas": ["einstein"]}, 400, "unknown_persona"),
        ({"topic_id": gid, "personas": []}, 400, None),
        ({"topic_id": "no-such-guideline"}, 404, "guideline_not_found"),
        ({"topic_id": gid, "max_turns": 0}, 422, "validation_error"),
        ({"topic_id": gid, "max_turns": 41}, 422, "validation_error"),
        ({"topic_id": gid, "repeats": 21}, 422, "validation_error"),
        ({"topic_id": gid, "mode": "nap_time"}, 422, "validation_error"),
        ({"topic_id": gid, "persona": "ace"}, 422, "validation_error"),
        ({"max_turns": 3}, 422, "validation_error"),
    ]
    for body, status, code in cases:
        response = auth_client.post("/api/evaluation/start", json=body, headers=ADMIN)
        assert response.status_code == status, (body, response.text)
        if code:
            assert response.json()["error"]["code"] == code, body

    assert auth_client.get("/api/evaluation/runs", headers=ADMIN).json() == []


def test_many_runs_may_be_active_at_once(auth_client, scripted):
    """Upstream answers 409 "Evaluation already running"; runs here are independent jobs."""
    add_run("run_busy", [("ace", [])], job_status="running")

    response = auth_client.post(
        "/api/evaluation/start", json={"topic_id": add_guideline(), "max_turns": 1}, headers=ADMIN
    )
    wait_jobs_idle()

    assert response.status_code == 200


def _student_session(client) -> str:
    created = client.post("/sessions", json=session_body(add_guideline()), headers=STUDENT_A)
    assert created.status_code == 200, created.text
    session_id = created.json()["session_id"]
    step = client.post(f"/sessions/{session_id}/step", json=reply("is it 2?"), headers=STUDENT_A)
    assert step.status_code == 200, step.text
    return session_id


def test_evaluate_an_existing_session(auth_client, scripted):
    session_id = _student_session(auth_client)

    response = auth_client.post(
        "/api/evaluation/evaluate-session", json={"session_id": session_id}, headers=ADMIN
    )
    wait_jobs_idle()

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["session_id"]) == ("started", session_id)
    listed = auth_client.get("/api/evaluation/runs", headers=ADMIN).json()
    assert [(r["run_id"], r["source"], r["source_session_id"]) for r in listed] == [
        (body["run_id"], "existing_session", session_id)
    ]
    assert listed[0]["avg_score"] == 5.0  # the judge's score for a real session
    detail = auth_client.get(f"/api/evaluation/runs/{body['run_id']}", headers=ADMIN).json()
    assert [m["content"] for m in detail["messages"] if m["role"] == "student"] == ["is it 2?"]
    # The session's tutor calls were the student's, not the run's: only the judge is billed.
    assert [r["component"] for r in detail["cost"]["rows"]] == ["eval_evaluator"]


def test_evaluate_session_needs_a_known_session_id(auth_client, scripted):
    missing = auth_client.post("/api/evaluation/evaluate-session", json={}, headers=ADMIN)
    blank = auth_client.post(
        "/api/evaluation/evaluate-session", json={"session_id": "  "}, headers=ADMIN
    )
    unknown = auth_client.post(
        "/api/evaluation/evaluate-session", json={"session_id": "nope"}, headers=ADMIN
    )

    assert (missing.status_code, missing.json()["detail"]) == (400, "session_id is required")
    assert (blank.status_code, blank.json()["detail"]) == (400, "session_id is required")
    assert unknown.status_code == 404
    assert auth_client.get("/api/evaluation/runs", headers=ADMIN).json() == []


def test_retry_evaluation_judges_what_is_missing(auth_client, scripted):
    add_run("run_r", [("ace", [same(6)]), ("struggler", [])])  # item 2: its judge failed

    response = auth_client.post("/api/evaluation/runs/run_r/retry-evaluation", headers=ADMIN)
    wait_jobs_idle()

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "started", "run_id": "run_r"}
    run = auth_client.get("/api/evaluation/runs/run_r", headers=ADMIN).json()
    assert [(c["item"], c["status"], c["avg_score"]) for c in run["conversations"]] == [
        (1, "judged", 6.0),
        (2, "judged", 4.0),
    ]
    assert len(run["job_ids"]) == 2


def test_retry_and_resume_refusals(auth_client, scripted):
    add_run("run_done", [("ace", [same(6)])])
    add_run("run_busy", [("ace", [])], job_status="running")

    unknown = auth_client.post("/api/evaluation/runs/run_x/retry-evaluation", headers=ADMIN)
    busy = auth_client.post("/api/evaluation/runs/run_busy/retry-evaluation", headers=ADMIN)
    nothing = auth_client.post("/api/evaluation/runs/run_done/retry-evaluation", headers=ADMIN)
    not_failed = auth_client.post("/api/evaluation/runs/run_done/resume", headers=ADMIN)
    unknown_resume = auth_client.post("/api/evaluation/runs/run_x/resume", headers=ADMIN)

    assert (unknown.status_code, unknown.json()["detail"]) == (404, "Run not found: run_x")
    assert (busy.status_code, busy.json()["error"]["code"]) == (409, "run_active")
    assert (nothing.status_code, nothing.json()["error"]["code"]) == (409, "nothing_to_retry")
    assert (not_failed.status_code, not_failed.json()["error"]["code"]) == (
        409,
        "nothing_to_resume",
    )
    assert unknown_resume.status_code == 404


def test_resume_a_failed_run(auth_client, scripted):
    add_run("run_f", [("ace", [same(8)]), ("struggler", [])], job_status="failed")

    response = auth_client.post("/api/evaluation/runs/run_f/resume", headers=ADMIN)
    wait_jobs_idle()

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "started", "run_id": "run_f"}
    run = auth_client.get("/api/evaluation/runs/run_f", headers=ADMIN).json()
    assert run["status"] == "complete"
    # item 1 was judged already and kept its score; item 2 was simulated again and judged
    assert [(c["item"], c["avg_score"]) for c in run["conversations"]] == [(1, 8.0), (2, 4.0)]


def test_resume_a_completed_run_with_a_failed_conversation(auth_client, scripted):
    # item 2's simulation failed (a model that kept failing): the run completed without it.
    add_run("run_c", [("ace", [same(7)]), ("struggler", [])], job_status="completed")

    response = auth_client.post("/api/evaluation/runs/run_c/resume", headers=ADMIN)
    wait_jobs_idle()

    assert response.status_code == 200, response.text
    run = auth_client.get("/api/evaluation/runs/run_c", headers=ADMIN).json()
    assert run["status"] == "complete"
    assert [(c["item"], c["status"], c["avg_score"]) for c in run["conversations"]] == [
        (1, "judged", 7.0),
        (2, "judged", 4.0),
    ]
    assert len(run["job_ids"]) == 2


def test_writes_need_an_admin(auth_client, scripted):
    gid = add_guideline()
    for path, body in [
        ("/api/evaluation/start", {"topic_id": gid}),
        ("/api/evaluation/evaluate-session", {"session_id": "x"}),
        ("/api/evaluation/runs/run_x/retry-evaluation", None),
        ("/api/evaluation/runs/run_x/resume", None),
    ]:
        student = auth_client.post(path, json=body, headers=STUDENT_A)
        anonymous = auth_client.post(path, json=body)
        assert (student.status_code, student.json()["error"]["code"]) == (403, "admin_required")
        assert anonymous.status_code == 401
    assert auth_client.get("/api/evaluation/runs", headers=ADMIN).json() == []
