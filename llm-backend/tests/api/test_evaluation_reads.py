"""The evaluation API's reads over stored runs: upstream §3.1's shapes (runs list, run detail)
with the intervals, comparisons and cost this project adds; values computed by hand.

Run A: item 1 ace judged [6, 8] (all dimensions equal) -> 7; item 2 ace [5, 5] -> 5; item 3
struggler [4, 6] -> 5; item 4 struggler failed (no judgment). Overall over conversations
[7, 5, 5]: mean 5.666667, variance 4/3, sd 1.154701, se 0.666667, t(0.975, 2 df) = 4.302653,
half width 2.868435: [2.798232, 8.535102]. Judge noise: squared deviations 2 + 0 + 2 over 3
degrees of freedom, sd sqrt(4/3) = 1.154701.
"""

from __future__ import annotations

import pytest

from database import session_scope
from evaluation.models.judgment import DIMENSIONS
from shared.models.base import utcnow
from shared.models.entities import LLMCall
from tests.support.auth import KEY, bearer, claims, sign
from tests.support.evaluation_rows import add_run, same

ADMIN = bearer(sign(claims(sub="admin-1", groups=["admin"], email="ops@example.com"), KEY))
STUDENT = bearer(sign(claims(sub="student-1"), KEY))
RUNS_KEYS = {
    "run_id",
    "timestamp",
    "topic_id",
    "message_count",
    "avg_score",
    "scores",
    "source",
    "source_session_id",
}


@pytest.fixture
def stored(db):
    add_run(
        "run_a",
        [
            ("ace", [same(6), same(8)]),
            ("ace", [same(5), same(5)]),
            ("struggler", [same(4), same(6)]),
            ("struggler", []),
        ],
    )
    add_run("run_b", [("ace", [same(8)]), ("ace", [same(9)]), ("ace", [same(8)])], minutes=10)
    add_run("run_d", [("ace", [same(4)]), ("ace", [same(7)]), ("ace", [same(6)])], minutes=20)
    add_run("run_s", [(None, [])], minutes=30, source="existing_session", job_status="pending")
    with session_scope() as session:
        for component, tokens, job_id, session_id in [
            ("eval_simulator", (1000, 100), "job-run_a", None),
            ("eval_evaluator", (20000, 2000), "job-run_a", None),
            ("tutor", (500, 50), None, "run_a-s1"),
            ("tutor", (9999, 9999), None, "run_b-s1"),  # another run's
        ]:
            session.add(
                LLMCall(
                    component=component,
                    provider="openai",
                    model="gpt-5.2",
                    started_at=utcnow(),
                    latency_ms=3,
                    input_tokens=tokens[0],
                    output_tokens=tokens[1],
                    outcome="ok",
                    job_id=job_id,
                    session_id=session_id,
                )
            )


def _rounded(interval: dict) -> tuple:
    bounds = [None if interval[k] is None else round(interval[k], 6) for k in ("low", "high")]
    return (round(interval["mean"], 6), *bounds, interval["n"])


def test_runs_list_is_a_bare_array_newest_first_with_upstreams_fields(auth_client, stored):
    response = auth_client.get("/api/evaluation/runs", headers=ADMIN)

    assert response.status_code == 200
    rows = response.json()
    assert [r["run_id"] for r in rows] == ["run_s", "run_d", "run_b", "run_a"]
    assert all(set(r) >= RUNS_KEYS for r in rows)
    run_a = rows[-1]
    assert {k: run_a[k] for k in RUNS_KEYS - {"timestamp"}} == {
        "run_id": "run_a",
        "topic_id": "g-fractions",
        "message_count": 5,  # the first conversation's: the opening + 2 turns x 2 messages
        "avg_score": 5.67,
        "scores": dict.fromkeys(DIMENSIONS, 5.67),
        "source": "simulated",
        "source_session_id": None,
    }
    assert run_a["timestamp"].startswith("2026-11-01T09:00:00")
    assert (run_a["status"], run_a["personas"], run_a["n_conversations"]) == (
        "complete",
        ["ace", "struggler"],
        4,
    )
    assert (run_a["n_judged"], run_a["n_failed"], run_a["error"]) == (3, 1, None)
    assert _rounded(run_a["overall"]) == (5.666667, 2.798232, 8.535102, 3)
    session_run = rows[0]
    assert (session_run["avg_score"], session_run["scores"], session_run["overall"]) == (
        None,
        {},
        None,
    )
    assert (session_run["source"], session_run["source_session_id"]) == (
        "existing_session",
        "real-session",
    )
    assert (session_run["topic_id"], session_run["status"]) == ("Fractions", "loading_persona")


def test_run_detail_has_upstreams_keys_and_the_statistics(auth_client, stored):
    response = auth_client.get("/api/evaluation/runs/run_a", headers=ADMIN)

    assert response.status_code == 200
    body = response.json()
    assert body["config"]["topic_id"] == "g-fractions"
    assert body["config"]["persona_file"] == "ace.json"
    assert body["config"]["tutor_model"] == "openai/gpt-5.2"
    assert body["message_count"] == len(body["messages"]) == 5  # item 1, the first judged
    assert [(m["role"], m["turn"]) for m in body["messages"][:3]] == [
        ("tutor", 0),
        ("student", 1),
        ("tutor", 1),
    ]
    evaluation = body["evaluation"]
    assert (evaluation["avg_score"], evaluation["item"]) == (5.67, 1)
    assert evaluation["scores"] == dict.fromkeys(DIMENSIONS, 5.67)
    assert evaluation["dimension_analysis"]["pacing"] == "pacing of item 1"
    assert evaluation["summary"] == "Summary of item 1, attempt 1."
    assert evaluation["problems"][0]["root_cause"] == "wrong_pacing"
    assert (body["status"], body["summary"]["n_judged"], body["job"]["status"]) == (
        "complete",
        3,
        "completed",
    )
    assert body["job_ids"] == ["job-run_a"]
    stats = body["stats"]
    assert _rounded(stats["overall"]) == (5.666667, 2.798232, 8.535102, 3)
    assert _rounded(stats["per_dimension"]["pacing"]) == (5.666667, 2.798232, 8.535102, 3)
    # ace [7, 5]: mean 6, sd 1.414214, se 1, t(0.975, 1 df) 12.706205
    assert _rounded(stats["per_persona"]["ace"]["overall"]) == (6.0, -6.706205, 18.706205, 2)
    # struggler: one judged conversation, no interval
    assert _rounded(stats["per_persona"]["struggler"]["overall"]) == (5.0, None, None, 1)
    assert round(stats["judge_noise"]["sd"], 6) == 1.154701
    assert stats["judge_noise"]["n_conversations"] == 3
    assert [
        (c["item"], c["persona_id"], c["status"], c["avg_score"], c["message_count"])
        for c in body["conversations"]
    ] == [
        (1, "ace", "judged", 7.0, 5),
        (2, "ace", "judged", 5.0, 5),
        (3, "struggler", "judged", 5.0, 5),
        (4, "struggler", "failed", None, 5),
    ]
    assert body["conversations"][3]["error"] == "judge answer broke the schema"
    assert body["error"] is None


def test_run_cost_counts_the_runs_jobs_and_sessions_only(auth_client, stored):
    cost = auth_client.get("/api/evaluation/runs/run_a", headers=ADMIN).json()["cost"]

    # gpt-5.2 at $1.75 / $14 per million tokens
    assert [
        (r["component"], r["calls"], r["input_tokens"], r["output_tokens"], r["total_usd"])
        for r in cost["rows"]
    ] == [
        ("eval_evaluator", 1, 20000, 2000, 0.063),
        ("eval_simulator", 1, 1000, 100, 0.00315),
        ("tutor", 1, 500, 50, 0.001575),
    ]
    assert cost["total_usd"] == 0.067725
    assert cost["missing_prices"] == []


def test_a_run_without_transcript_or_judgment_leaves_upstreams_keys_out(auth_client, db):
    add_run("run_empty", [("ace", [])], turns=0)
    with session_scope() as session:
        from evaluation.models.tables import EvalConversation

        conversation = session.get(EvalConversation, "run_empty-c1")
        conversation.messages = []

    body = auth_client.get("/api/evaluation/runs/run_empty", headers=ADMIN).json()

    assert "messages" not in body and "message_count" not in body and "evaluation" not in body
    assert body["stats"] == {
        "overall": None,
        "per_dimension": {},
        "per_persona": {},
        "judge_noise": None,
    }


def test_unknown_run_and_conversation_are_404(auth_client, stored):
    run = auth_client.get("/api/evaluation/runs/run_nope", headers=ADMIN)
    item = auth_client.get("/api/evaluation/runs/run_a/conversations/9", headers=ADMIN)

    assert run.status_code == 404
    assert run.json()["detail"] == "Run not found: run_nope"
    assert item.status_code == 404
    assert item.json()["error"]["code"] == "conversation_not_found"


def test_one_conversation_with_transcript_draws_and_judgments(auth_client, stored):
    response = auth_client.get("/api/evaluation/runs/run_a/conversations/1", headers=ADMIN)

    assert response.status_code == 200
    body = response.json()
    summary = body["summary"]
    assert (body["run_id"], summary["item"], summary["persona_id"], summary["session_id"]) == (
        "run_a",
        1,
        "ace",
        "run_a-s1",
    )
    assert (summary["persona_name"], summary["seed"], summary["judgments"]) == ("Arjun", 7001, 2)
    assert (summary["ended_reason"], summary["message_count"], summary["avg_score"]) == (
        "max_turns",
        5,
        7.0,
    )
    assert len(body["messages"]) == 5
    assert body["decisions"] == [{"turn": 1, "correct": True, "mistake": None}]
    assert [(j["attempt"], j["avg_score"], j["scores"]["pacing"]) for j in body["judgments"]] == [
        (1, 6.0, 6),
        (2, 8.0, 8),
    ]


def test_compare_two_runs(auth_client, stored):
    # B [8, 9, 8]: mean 8.333333, variance 1/3. Welch: se^2 = (4/3)/3 + (1/3)/3 = 0.555556,
    # se 0.745356, df 2.941176, t(0.975, df) 3.2188, half 2.3991: [0.2675, 5.0658] -> better.
    better = auth_client.get("/api/evaluation/compare?a=run_a&b=run_b", headers=ADMIN)
    # D [4, 7, 6] has A's mean exactly: nothing to detect.
    same_mean = auth_client.get("/api/evaluation/compare?a=run_a&b=run_d", headers=ADMIN)
    worse = auth_client.get("/api/evaluation/compare?a=run_b&b=run_a", headers=ADMIN)

    assert better.status_code == 200
    overall = better.json()["overall"]
    assert _rounded(overall["a"]) == (5.666667, 2.798232, 8.535102, 3)
    assert round(overall["b"]["mean"], 6) == 8.333333
    difference = overall["difference"]
    assert difference["verdict"] == "better"
    assert (round(difference["diff"], 6), round(difference["low"], 4)) == (2.666667, 0.2675)
    assert round(difference["high"], 4) == 5.0658
    assert list(better.json()["per_dimension"]) == list(DIMENSIONS)
    assert better.json()["per_dimension"]["pacing"]["difference"]["verdict"] == "better"
    assert same_mean.json()["overall"]["difference"]["verdict"] == "no_detectable_difference"
    assert round(same_mean.json()["overall"]["difference"]["diff"], 9) == 0
    assert worse.json()["overall"]["difference"]["verdict"] == "worse"


def test_compare_refuses_unknown_and_unjudged_runs(auth_client, stored):
    unknown = auth_client.get("/api/evaluation/compare?a=run_a&b=run_x", headers=ADMIN)
    unjudged = auth_client.get("/api/evaluation/compare?a=run_s&b=run_a", headers=ADMIN)
    missing = auth_client.get("/api/evaluation/compare?a=run_a", headers=ADMIN)

    assert (unknown.status_code, unknown.json()["detail"]) == (404, "Run not found: run_x")
    assert (unjudged.status_code, unjudged.json()["error"]["code"]) == (400, "run_not_judged")
    assert missing.status_code == 422


def test_personas_lists_the_eight(auth_client, db):
    response = auth_client.get("/api/evaluation/personas", headers=ADMIN)

    assert response.status_code == 200
    personas = {p["persona_id"]: p for p in response.json()}
    assert len(personas) == 8
    assert personas["struggler"]["correct_answer_probability"] == 0.3
    assert personas["ace"]["grade"] == 5


def test_reads_need_an_admin(auth_client, stored):
    for path in (
        "/api/evaluation/runs",
        "/api/evaluation/runs/run_a",
        "/api/evaluation/status",
        "/api/evaluation/compare?a=run_a&b=run_b",
        "/api/evaluation/personas",
    ):
        assert auth_client.get(path, headers=STUDENT).status_code == 403, path
        assert auth_client.get(path).status_code == 401, path
