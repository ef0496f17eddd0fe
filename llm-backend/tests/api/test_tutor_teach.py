"""teach_me flow through the API: study plan, mastery numbers, escalation, misconceptions,
pause/resume, summary; events with the right nodes."""

from __future__ import annotations

import json

from sqlalchemy import select

from database import session_scope
from shared.models.entities import Event
from shared.models.entities import Session as TutorSession
from tests.support.tutor import STUDENT_A, add_guideline, reply, say, session_body, teach


def _events(session_id: str) -> list[tuple[str, int, dict]]:
    with session_scope() as db:
        rows = db.scalars(
            select(Event).where(Event.session_id == session_id).order_by(Event.created_at)
        ).all()
        return [(e.node, e.step_idx, json.loads(e.payload_json)) for e in rows]


def _step(client, sid: str, text: str) -> dict:
    r = client.post(f"/sessions/{sid}/step", json=reply(text), headers=STUDENT_A)
    assert r.status_code == 200, r.json()
    return r.json()["next_turn"]


def _state(client, sid: str) -> dict:
    return client.get(f"/sessions/{sid}", headers=STUDENT_A).json()


def test_teach_me_full_flow(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(say("Hi! A fraction is equal parts. What is one half?"))
    r = auth_client.post("/sessions", json=session_body(gid, "teach_me"), headers=STUDENT_A)
    assert r.status_code == 200, r.json()
    body = r.json()
    sid = body["session_id"]
    assert body["mode"] == "teach_me"
    assert body["first_turn"]["message"] == "Hi! A fraction is equal parts. What is one half?"
    assert (body["first_turn"]["step_idx"], body["first_turn"]["is_complete"]) == (1, False)
    state = _state(auth_client, sid)
    assert (state["current_step"], len(state["topic"]["study_plan"]["steps"])) == (1, 4)
    assert (state["mastery_estimates"], state["concepts_covered_set"]) == ({}, ["equal parts"])
    assert (state["misconceptions"], state["turn_count"], state["is_paused"]) == ([], 0, False)

    fake_llm.push(teach("partial", "Nearly!"))
    turn = _step(auth_client, sid, "one of two")
    assert (turn["step_idx"], turn["mastery_score"]) == (2, 0.6)
    assert _state(auth_client, sid)["mastery_estimates"] == {"equal parts": 0.6}

    fake_llm.push(teach("wrong", "Think again", misconception="bigger denominator bigger"))
    turn = _step(auth_client, sid, "1/4 > 1/2")
    assert (turn["step_idx"], turn["mastery_score"]) == (2, 0.3)

    fake_llm.push(teach("wrong", "Hint...", misconception="Bigger denominator bigger"))
    _step(auth_client, sid, "still 1/4")
    [seen] = _state(auth_client, sid)["misconceptions"]
    assert (seen["description"], seen["concept"]) == ("bigger denominator bigger", "equal parts")

    fake_llm.push(teach("right_with_reasoning", "Yes!"))
    turn = _step(auth_client, sid, "1/2, halves are bigger")
    assert (turn["step_idx"], turn["mastery_score"]) == (3, 0.95)
    assert _state(auth_client, sid)["concepts_covered_set"] == ["equal parts", "equivalence"]

    # The escalation ladder: guiding question, then hint.
    remediate = [p["strategy"] for n, _, p in _events(sid) if n == "Remediate"]
    assert remediate == ["guiding_question", "hint"]
    prompts = [
        r.body for r in fake_llm.requests if r.schema and "verdict" in r.schema["properties"]
    ]
    assert "strategy: hint (give one concrete hint" in json.dumps(prompts[2])
    # The tutor is told which misconceptions it has seen, so it can name a recurring one.
    assert "Seen so far: none so far." in json.dumps(prompts[1])
    assert 'Seen so far: \\"bigger denominator bigger\\" (1 time).' in json.dumps(prompts[2])
    assert "(2 times, recurring)" in json.dumps(prompts[3])

    # Pause, then resume restores the whole conversation.
    r = auth_client.post(f"/sessions/{sid}/pause", headers=STUDENT_A)
    assert r.status_code == 200 and r.json()["coverage"] == 100.0
    r = auth_client.post(f"/sessions/{sid}/step", json=reply("hi"), headers=STUDENT_A)
    assert r.status_code == 409 and r.json()["error"]["code"] == "session_paused"
    r = auth_client.get(f"/sessions/resumable?guideline_id={gid}", headers=STUDENT_A)
    assert r.json()["session_id"] == sid
    r = auth_client.post(f"/sessions/{sid}/resume", headers=STUDENT_A)
    assert r.status_code == 200
    messages = r.json()["conversation_history"]
    assert [m["role"] for m in messages] == ["teacher"] + ["student", "teacher"] * 4
    assert messages[-1]["content"] == "Yes!"
    assert _state(auth_client, sid)["is_paused"] is False

    fake_llm.push(teach("partial", "Good start"), teach("right", "Well done, last step"))
    _step(auth_client, sid, "2/4")
    turn = _step(auth_client, sid, "4/6")
    assert (turn["is_complete"], turn["step_idx"], turn["mastery_score"]) == (True, 5, 0.875)
    assert _state(auth_client, sid)["mastery_estimates"] == {
        "equal parts": 0.95,
        "equivalence": 0.8,
    }
    calls = len(fake_llm.requests)
    after = _step(auth_client, sid, "more")
    assert after["is_complete"] is True and len(fake_llm.requests) == calls

    with session_scope() as db:
        row = db.get(TutorSession, sid)
        assert (row.step_idx, row.mastery, row.is_paused, row.subject) == (
            4,
            0.875,
            False,
            "Mathematics",
        )
        assert (row.guideline_id, row.mode, row.state_version) == (gid, "teach_me", 9)

    nodes = [n for n, _, _ in _events(sid)]
    assert nodes[0] == "Present"
    assert set(nodes) == {"Present", "Check", "Diagnose", "Remediate", "Advance"}
    assert nodes.count("Diagnose") == 2

    summary = auth_client.get(f"/sessions/{sid}/summary", headers=STUDENT_A).json()
    assert summary["steps_completed"] == 4 and summary["mastery_score"] == 0.88
    assert summary["misconceptions_seen"] == ["bigger denominator bigger"]
    assert _state(auth_client, sid)["turn_count"] == 6

    card = auth_client.get("/sessions/report-card", headers=STUDENT_A).json()
    sub = card["subjects"][0]["topics"][0]["subtopics"][0]
    assert card["subjects"][0]["subject"] == "Mathematics"
    assert (sub["guideline_id"], sub["coverage"], sub["latest_exam_score"]) == (gid, 100.0, None)
