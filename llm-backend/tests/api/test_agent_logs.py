"""Agent logs (GET /sessions/{id}/agent-logs): built from the session's stored events and
model calls, per turn; an unfinished exam's marks stay hidden; the owner check of the other
session routes."""

from __future__ import annotations

from sqlalchemy import select

from database import session_scope
from shared.models.entities import LLMCall, LLMConfig
from shared.models.entities import Session as TutorSession
from tests.support.tutor import (
    STUDENT_A,
    STUDENT_B,
    add_guideline,
    fail_tutor,
    mark,
    paper,
    say,
    session_body,
    teach,
    unsafe,
)
from tutor.services.agent_log_service import EXAM_SECRETS

# The one place these tests spell today's session requests.
EXAM_MODE = "exam"


def _start(client, gid: str, mode: str = "teach_me") -> str:
    r = client.post("/sessions", json=session_body(gid, mode), headers=STUDENT_A)
    assert r.status_code == 200, r.text
    return r.json()["session_id"]


def _step(client, sid: str, message: str):
    return client.post(f"/sessions/{sid}/step", json={"student_reply": message}, headers=STUDENT_A)


def _logs(client, sid: str, query: str = "", headers: dict | None = None) -> dict:
    r = client.get(f"/sessions/{sid}/agent-logs?{query}", headers=headers or STUDENT_A)
    assert r.status_code == 200, r.text
    return r.json()


def _tutor_model() -> str:
    with session_scope() as db:
        return db.get(LLMConfig, "tutor").model_id


def test_logs_follow_the_turns_of_a_session(auth_client, fake_llm):
    sid = _start(auth_client, add_guideline())  # turn 0: one tutor call, a Present event
    fake_llm.push(teach("right", "Well done"))
    assert _step(auth_client, sid, "a half").status_code == 200  # turn 1: safety + tutor

    body = _logs(auth_client, sid)

    assert (body["session_id"], body["turn_id"], body["total_count"]) == (sid, None, 7)
    rows = [(x["turn_id"], x["agent_name"], x["event_type"]) for x in body["logs"]]
    assert rows[0] == ("turn_0", "tutor", "llm_call")
    assert rows[1] == ("turn_0", "orchestrator", "Present")
    # The two calls of a turn run concurrently: either may start first.
    assert sorted(rows[2:4]) == [("turn_1", "tutor", "llm_call")] * 2
    assert rows[4:] == [
        ("turn_1", "orchestrator", "Check"),
        ("turn_1", "orchestrator", "Advance"),
        ("turn_1", "orchestrator", "Present"),
    ]
    call, check = body["logs"][0], body["logs"][4]
    assert call["model"] == _tutor_model()
    assert call["duration_ms"] >= 0
    assert call["output"]["outcome"] == "ok" and call["output"]["attempts"] == 1
    assert call["prompt"] is None and call["reasoning"] is None
    assert check["output"]["verdict"] == "right" and check["output"]["turn"] == 1
    assert check["model"] is None and check["duration_ms"] is None
    assert body["logs"][0]["timestamp"].endswith("Z")
    stamps = [x["timestamp"] for x in body["logs"]]
    assert stamps == sorted(stamps)


def test_filters_and_limit(auth_client, fake_llm):
    sid = _start(auth_client, add_guideline())
    fake_llm.push(teach("right"))
    _step(auth_client, sid, "a half")

    turn = _logs(auth_client, sid, "turn_id=turn_1")
    assert turn["turn_id"] == "turn_1" and turn["total_count"] == 5
    assert {x["turn_id"] for x in turn["logs"]} == {"turn_1"}
    both = _logs(auth_client, sid, "turn_id=turn_1&agent_name=orchestrator")
    assert [x["event_type"] for x in both["logs"]] == ["Check", "Advance", "Present"]
    last_two = _logs(auth_client, sid, "limit=2")
    assert [x["event_type"] for x in last_two["logs"]] == ["Advance", "Present"]
    assert last_two["total_count"] == 7
    # As upstream: a filtered answer has every matching log, whatever the limit.
    filtered = _logs(auth_client, sid, "agent_name=orchestrator&limit=1")
    assert len(filtered["logs"]) == filtered["total_count"] == 4
    assert _logs(auth_client, sid, "agent_name=master_tutor") == {
        "session_id": sid,
        "turn_id": None,
        "logs": [],
        "total_count": 0,
    }
    for bad in ("turn_id=3", "turn_id=turn_x", "limit=0", "limit=501"):
        r = auth_client.get(f"/sessions/{sid}/agent-logs?{bad}", headers=STUDENT_A)
        assert r.status_code == 422, bad


def test_an_unfinished_exam_hides_its_marks(auth_client, fake_llm):
    fake_llm.push(paper(2))
    sid = _start(auth_client, add_guideline(), EXAM_MODE)
    fake_llm.push(mark("incorrect"))
    _step(auth_client, sid, "a1")

    running = _logs(auth_client, sid, "agent_name=orchestrator")["logs"]
    checks = [x["output"] for x in running if x["event_type"] == "Check"]
    assert [c["question"] for c in checks] == [1]
    assert not set(EXAM_SECRETS) & set(checks[0])
    assert "incorrect" not in str(running)

    fake_llm.push(mark("correct"))
    _step(auth_client, sid, "a2")
    done = _logs(auth_client, sid, "agent_name=orchestrator")["logs"]
    checks = [x["output"] for x in done if x["event_type"] == "Check"]
    assert [c["verdict"] for c in checks] == ["incorrect", "correct"]


def test_a_safety_redirect_is_the_safety_agents(auth_client, fake_llm):
    sid = _start(auth_client, add_guideline())
    fake_llm.push(unsafe("violence"))
    _step(auth_client, sid, "something unsafe")

    logs = _logs(auth_client, sid, "agent_name=safety")["logs"]
    assert [(x["turn_id"], x["event_type"]) for x in logs] == [("turn_1", "Remediate")]
    assert logs[0]["output"]["category"] == "violence"


def test_the_calls_of_a_failed_turn_belong_to_the_turn_it_tried(auth_client, fake_llm):
    sid = _start(auth_client, add_guideline())
    fake_llm.push(*fail_tutor())
    assert _step(auth_client, sid, "a half").status_code == 503

    failed = _logs(auth_client, sid, "turn_id=turn_1")["logs"]
    assert [x["event_type"] for x in failed] == ["llm_call", "llm_call"]
    assert {x["output"]["outcome"] for x in failed} >= {"unavailable"}

    fake_llm.push(teach("right"))
    assert _step(auth_client, sid, "a half").status_code == 200
    retried = _logs(auth_client, sid, "turn_id=turn_1")
    assert [x["event_type"] for x in retried["logs"]].count("llm_call") == 4
    with session_scope() as db:
        calls = db.scalars(select(LLMCall).where(LLMCall.session_id == sid)).all()
    assert len(calls) == _logs(auth_client, sid, "agent_name=tutor")["total_count"] == 5


def test_only_the_owner_reads_a_sessions_logs(auth_client, fake_llm):
    fake_llm.push(say("hi"))
    sid = _start(auth_client, add_guideline())

    other = auth_client.get(f"/sessions/{sid}/agent-logs", headers=STUDENT_B)
    anonymous = auth_client.get(f"/sessions/{sid}/agent-logs")
    bad_token = auth_client.get(
        f"/sessions/{sid}/agent-logs", headers={"Authorization": "Bearer not-a-jwt"}
    )
    missing = auth_client.get("/sessions/no-such-session/agent-logs", headers=STUDENT_A)

    assert other.status_code == 404  # another user's session looks like a missing one
    assert anonymous.status_code == 401
    assert bad_token.status_code == 401
    assert missing.status_code == 404


def test_a_finished_exam_without_its_result_columns_shows_marks_from_its_state(
    auth_client, fake_llm
):
    fake_llm.push(paper(1))
    sid = _start(auth_client, add_guideline(), EXAM_MODE)
    fake_llm.push(mark("correct"))
    _step(auth_client, sid, "a1")
    with session_scope() as db:  # a row finished before the result columns were written
        db.get(TutorSession, sid).exam_total = None

    logs = _logs(auth_client, sid, "agent_name=orchestrator")["logs"]

    assert [x["output"]["verdict"] for x in logs if x["event_type"] == "Check"] == ["correct"]
