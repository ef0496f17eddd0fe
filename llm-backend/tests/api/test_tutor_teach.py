"""teach_me flow through the API: study plan, mastery numbers, escalation, misconceptions,
pause/resume, summary, report card; events with the right nodes."""

from __future__ import annotations

import json

from sqlalchemy import select

from database import session_scope
from shared.models.entities import Event
from shared.models.entities import Session as TutorSession
from tests.support.tutor import STUDENT_A, add_guideline, say, teach


def _events(session_id: str) -> list[tuple[str, int, dict]]:
    with session_scope() as db:
        rows = db.scalars(
            select(Event).where(Event.session_id == session_id).order_by(Event.created_at)
        ).all()
        return [(e.node, e.step_idx, json.loads(e.payload_json)) for e in rows]


def test_teach_me_full_flow(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(say("Hi! A fraction is equal parts. What is one half?"))
    r = auth_client.post(
        "/sessions", json={"guideline_id": gid, "mode": "teach_me"}, headers=STUDENT_A
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    sid = body["session_id"]
    assert body["mode"] == "teach_me"
    assert body["message"] == "Hi! A fraction is equal parts. What is one half?"
    assert body["state"] == {
        "mode": "teach_me",
        "current_step": 1,
        "total_steps": 4,
        "mastery": {},
        "coverage": 0.5,
        "concepts_discussed": [],
        "exam_progress": {"current": 0, "total": 0},
        "is_paused": False,
        "is_complete": False,
        "misconceptions": [],
        "turns": 0,
    }

    fake_llm.push(teach("partial", "Nearly!"))
    r = auth_client.post(f"/sessions/{sid}/step", json={"message": "one of two"}, headers=STUDENT_A)
    assert r.status_code == 200, r.json()
    state = r.json()["state"]
    assert (state["current_step"], state["mastery"]) == (2, {"equal parts": 0.6})

    fake_llm.push(teach("wrong", "Think again", misconception="bigger denominator bigger"))
    r = auth_client.post(f"/sessions/{sid}/step", json={"message": "1/4 > 1/2"}, headers=STUDENT_A)
    assert r.json()["state"]["mastery"] == {"equal parts": 0.3}
    assert r.json()["state"]["current_step"] == 2

    fake_llm.push(teach("wrong", "Hint...", misconception="Bigger denominator bigger"))
    r = auth_client.post(f"/sessions/{sid}/step", json={"message": "still 1/4"}, headers=STUDENT_A)
    assert r.json()["state"]["misconceptions"] == ["bigger denominator bigger"]

    fake_llm.push(teach("right_with_reasoning", "Yes!"))
    r = auth_client.post(
        f"/sessions/{sid}/step", json={"message": "1/2, halves are bigger"}, headers=STUDENT_A
    )
    state = r.json()["state"]
    assert (state["current_step"], state["coverage"]) == (3, 1.0)
    assert state["mastery"] == {"equal parts": 0.95}

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
    assert r.status_code == 200 and r.json()["state"]["is_paused"] is True
    r = auth_client.post(f"/sessions/{sid}/step", json={"message": "hi"}, headers=STUDENT_A)
    assert r.status_code == 409 and r.json()["error"]["code"] == "session_paused"
    r = auth_client.get(f"/sessions/resumable?guideline_id={gid}", headers=STUDENT_A)
    assert r.json()["session"]["id"] == sid
    r = auth_client.post(f"/sessions/{sid}/resume", headers=STUDENT_A)
    assert r.status_code == 200
    messages = r.json()["messages"]
    assert [m["role"] for m in messages] == ["tutor"] + ["student", "tutor"] * 4
    assert messages[-1]["text"] == "Yes!"
    assert r.json()["state"]["is_paused"] is False

    fake_llm.push(teach("partial", "Good start"), teach("right", "Well done, last step"))
    auth_client.post(f"/sessions/{sid}/step", json={"message": "2/4"}, headers=STUDENT_A)
    r = auth_client.post(f"/sessions/{sid}/step", json={"message": "4/6"}, headers=STUDENT_A)
    state = r.json()["state"]
    assert state["is_complete"] is True
    assert state["mastery"] == {"equal parts": 0.95, "equivalence": 0.8}
    r = auth_client.post(f"/sessions/{sid}/step", json={"message": "more"}, headers=STUDENT_A)
    assert r.status_code == 409 and r.json()["error"]["code"] == "session_complete"

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
    assert summary["turns"] == 6
    assert summary["concepts_covered"] == ["equal parts", "equivalence"]
    assert summary["misconceptions"] == {"bigger denominator bigger": 2}

    card = auth_client.get("/sessions/report-card", headers=STUDENT_A).json()
    sub = card["subjects"][0]["topics"][0]["subtopics"][0]
    assert card["subjects"][0]["subject"] == "Mathematics"
    assert (sub["guideline_id"], sub["coverage"], sub["latest_exam_score"]) == (gid, 100.0, None)
