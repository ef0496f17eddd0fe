"""The SessionState JSON of `/replay` and `GET /sessions/{id}` (contract §2.4.1, 2.4.5, 2.4.6)
and the FE-unused session routes (§2.4.15): exact requests, statuses and fields."""

from __future__ import annotations

from datetime import datetime

from tests.support.tutor import (
    LEARNER,
    OTHER_LEARNER,
    add_guideline,
    clarify,
    mark,
    paper,
    reply,
    say,
    session_body,
    teach,
)

STATE_KEYS = {
    "session_id",
    "created_at",
    "updated_at",
    "turn_count",
    "topic",
    "current_step",
    "last_concept_taught",
    "last_question",
    "awaiting_response",
    "allow_extension",
    "mastery_estimates",
    "misconceptions",
    "weak_areas",
    "student_context",
    "pace_preference",
    "off_topic_count",
    "warning_count",
    "safety_flags",
    "mode",
    "is_paused",
    "concepts_covered_set",
    "exam_questions",
    "exam_current_question_idx",
    "exam_total_correct",
    "exam_total_partial",
    "exam_total_incorrect",
    "exam_finished",
    "exam_feedback",
    "concepts_discussed",
    "clarify_complete",
    "session_summary",
    "conversation_history",
    "full_conversation_log",
}
SECRET = ("concept", "difficulty", "question_type", "expected_answer", "result", "feedback")


def _start(client, gid, mode):
    r = client.post("/sessions", json=session_body(gid, mode), headers=LEARNER)
    assert r.status_code == 200, r.text
    return r.json()["session_id"]


def _step(client, sid, text):
    r = client.post(f"/sessions/{sid}/step", json=reply(text), headers=LEARNER)
    assert r.status_code == 200, r.text
    return r.json()


def _completed(state: dict) -> bool:
    """The frontend's completion rule on hydration (ChatSession)."""
    steps = state["topic"]["study_plan"]["steps"]
    return state["clarify_complete"] or state["exam_finished"] or state["current_step"] > len(steps)


def test_teach_me_state_view_for_replay_and_devtools(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(say("Welcome! What is **one half**?"))
    sid = _start(auth_client, gid, "teach_me")
    fake_llm.push(teach("wrong", "Think again", misconception="bigger denominator bigger"))
    _step(auth_client, sid, "1/4")
    replay = auth_client.get(f"/sessions/{sid}/replay", headers=LEARNER)
    assert replay.status_code == 200
    state = replay.json()
    assert set(state) == STATE_KEYS
    assert auth_client.get(f"/sessions/{sid}", headers=LEARNER).json() == state
    assert (state["session_id"], state["mode"], state["turn_count"]) == (sid, "teach_me", 1)
    assert state["created_at"].endswith("Z")
    topic = state["topic"]
    assert (topic["topic_id"], topic["topic_name"]) == (gid, "Fractions - Equivalent fractions")
    assert (topic["subject"], topic["grade_level"]) == ("Mathematics", 5)
    assert set(topic["guidelines"]) == {
        "learning_objectives",
        "required_depth",
        "prerequisite_concepts",
        "common_misconceptions",
        "teaching_approach",
    }
    steps = topic["study_plan"]["steps"]
    assert [s["step_id"] for s in steps] == [1, 2, 3, 4]
    assert [s["type"] for s in steps] == ["explain", "check", "explain", "practice"]
    assert steps[1] == {
        "step_id": 2,
        "type": "check",
        "concept": "equal parts",
        "content_hint": "Name a fraction",
        "question_type": "check",
        "question_count": 1,
    }
    assert state["current_step"] == 1 and not _completed(state)
    assert state["mastery_estimates"] == {"equal parts": 0.3}
    [wrong] = state["misconceptions"]
    assert (wrong["concept"], wrong["description"]) == ("equal parts", "bigger denominator bigger")
    assert datetime.fromisoformat(wrong["detected_at"]) and wrong["resolved"] is False
    assert state["concepts_covered_set"] == ["equal parts"]
    log = state["full_conversation_log"]
    assert [m["role"] for m in log] == ["teacher", "student", "teacher"]
    assert log[0]["content"] == "Welcome! What is **one half**?"
    assert log[0]["audio_text"] == "Welcome! What is one half?" and log[1]["audio_text"] is None
    assert len({m["message_id"] for m in log}) == 3 and state["conversation_history"] == log
    # Ids are stable across reads (the frontend keys its message list by them).
    again = auth_client.get(f"/sessions/{sid}/replay", headers=LEARNER).json()
    assert [m["message_id"] for m in again["full_conversation_log"]] == [
        m["message_id"] for m in log
    ]


def test_replay_is_owner_only_and_get_follows_ownership(auth_client, fake_llm, allow_anonymous):
    gid = add_guideline()
    sid = _start(auth_client, gid, "teach_me")
    assert auth_client.get(f"/sessions/{sid}/replay", headers=OTHER_LEARNER).status_code == 404
    assert auth_client.get(f"/sessions/{sid}", headers=OTHER_LEARNER).status_code == 404
    assert auth_client.get(f"/sessions/{sid}/replay").status_code == 401
    anonymous = auth_client.post("/sessions", json=session_body(gid, "teach_me")).json()
    anon_id = anonymous["session_id"]
    r = auth_client.get(f"/sessions/{anon_id}/replay", headers=LEARNER)
    assert r.status_code == 403 and isinstance(r.json()["detail"], str)
    assert auth_client.get(f"/sessions/{anon_id}").status_code == 200
    # An anonymous student is known by the grade the request sent.
    state = auth_client.get(f"/sessions/{anon_id}").json()
    assert state["student_context"]["grade"] == 3


def test_exam_state_hides_marks_until_the_end(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(paper(3))
    sid = _start(auth_client, gid, "exam")
    fake_llm.push(mark(1.0))
    _step(auth_client, sid, "A1")
    state = auth_client.get(f"/sessions/{sid}/replay", headers=LEARNER).json()
    assert state["mode"] == "exam" and not _completed(state)
    first, second = state["exam_questions"][:2]
    assert (first["question_idx"], first["question_text"], first["student_answer"]) == (
        0,
        "Q1?",
        "A1",
    )
    assert second["student_answer"] is None
    assert all(first[k] is None for k in (*SECRET, "score", "marks_rationale"))
    assert state["exam_current_question_idx"] == 1
    assert state["exam_total_correct"] is None and state["exam_feedback"] is None
    assert "A1" not in [
        m["content"] for m in state["full_conversation_log"] if m["role"] == "teacher"
    ]
    assert all(m["audio_text"] is None for m in state["full_conversation_log"])

    fake_llm.push(mark(0.5), mark(0.0))
    _step(auth_client, sid, "A2")
    _step(auth_client, sid, "nope")
    state = auth_client.get(f"/sessions/{sid}", headers=LEARNER).json()
    assert _completed(state) and state["exam_finished"] is True
    first = state["exam_questions"][0]
    assert (first["expected_answer"], first["result"], first["score"]) == ("A1", "correct", 1.0)
    assert first["marks_rationale"] == "marked 1.0" and first["difficulty"] == "easy"
    totals = (
        state["exam_total_correct"],
        state["exam_total_partial"],
        state["exam_total_incorrect"],
    )
    assert totals == (1, 1, 1)
    assert state["exam_feedback"]["score"] == 1.5 and state["exam_feedback"]["total"] == 3


def test_resumable_pause_and_resume(auth_client, fake_llm):
    gid = add_guideline()
    r = auth_client.get(f"/sessions/resumable?guideline_id={gid}", headers=LEARNER)
    assert r.status_code == 404 and r.json()["detail"] == "No resumable session found"
    fake_llm.push(say("Hello!"))
    sid = _start(auth_client, gid, "teach_me")
    r = auth_client.post(f"/sessions/{sid}/resume", headers=LEARNER)
    assert r.status_code == 400 and r.json()["detail"] == "Session is not paused"
    r = auth_client.post(f"/sessions/{sid}/pause", headers=LEARNER)
    assert r.status_code == 200
    assert r.json() == {
        "coverage": 50.0,
        "concepts_covered": ["equal parts"],
        "message": r.json()["message"],
    }
    assert r.json()["message"].startswith("You've covered 50% so far.")
    r = auth_client.get(f"/sessions/resumable?guideline_id={gid}", headers=LEARNER)
    assert r.status_code == 200
    assert r.json() == {
        "session_id": sid,
        "coverage": 50.0,
        "current_step": 1,
        "total_steps": 4,
        "concepts_covered": ["equal parts"],
    }
    assert auth_client.get(f"/sessions/{sid}/replay", headers=LEARNER).json()["is_paused"]
    r = auth_client.post(f"/sessions/{sid}/resume", headers=LEARNER)
    assert r.status_code == 200
    body = r.json()
    assert (body["session_id"], body["message"], body["current_step"]) == (
        sid,
        "Session resumed",
        1,
    )
    assert body["conversation_history"] == [{"role": "teacher", "content": "Hello!"}]
    assert auth_client.post(f"/sessions/{sid}/pause").status_code == 401  # required auth
    fake_llm.push(paper(3))
    exam = _start(auth_client, gid, "exam")
    r = auth_client.post(f"/sessions/{exam}/pause", headers=LEARNER)
    assert r.status_code == 400 and r.json()["detail"] == "Only Teach Me sessions can be paused"


def test_end_clarify(auth_client, fake_llm):
    gid = add_guideline()
    sid = _start(auth_client, gid, "clarify_doubts")
    fake_llm.push(clarify("Like this.", ["halves"]))
    _step(auth_client, sid, "what is a half?")
    r = auth_client.post(f"/sessions/{sid}/end-clarify", headers=LEARNER)
    assert r.status_code == 200
    assert r.json() == {
        "concepts_discussed": ["halves"],
        "message": "Doubts session ended successfully.",
    }
    state = auth_client.get(f"/sessions/{sid}/replay", headers=LEARNER).json()
    assert state["clarify_complete"] is True and _completed(state)
    r = auth_client.post(f"/sessions/{sid}/end-clarify", headers=LEARNER)
    assert r.status_code == 400 and r.json()["detail"] == "Session already ended"
    teach_id = _start(auth_client, gid, "teach_me")
    r = auth_client.post(f"/sessions/{teach_id}/end-clarify", headers=LEARNER)
    assert r.status_code == 400 and isinstance(r.json()["detail"], str)


def test_end_exam(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(paper(4))
    sid = _start(auth_client, gid, "exam")
    fake_llm.push(mark(0.75))
    _step(auth_client, sid, "A1")
    r = auth_client.post(f"/sessions/{sid}/end-exam", headers=LEARNER)
    assert r.status_code == 200
    body = r.json()
    assert (body["score"], body["total"], body["percentage"]) == (0.8, 4, 18.8)
    assert body["feedback"]["score"] == 0.8 and body["feedback"]["total"] == 4
    r = auth_client.post(f"/sessions/{sid}/end-exam", headers=LEARNER)
    assert r.status_code == 400 and r.json()["detail"] == "Exam already finished"
    teach_id = _start(auth_client, gid, "teach_me")
    r = auth_client.post(f"/sessions/{teach_id}/end-exam", headers=LEARNER)
    assert r.status_code == 400 and r.json()["detail"] == "Not an exam session"
    results = auth_client.get(f"/sessions/{sid}/replay", headers=LEARNER).json()["exam_questions"]
    assert [q["result"] for q in results] == ["partial", None, None, None]
    assert [q["score"] for q in results] == [0.75, 0.0, 0.0, 0.0]


def test_an_exam_stored_without_a_plan_is_not_shown_as_finished(auth_client, fake_llm):
    """Exam and clarify sessions written before every mode kept the plan: the view falls back
    to the guideline's plan, so the frontend's "current_step > steps" stays false."""
    import json

    from database import session_scope
    from shared.models.entities import Session as TutorSession

    gid = add_guideline()
    fake_llm.push(paper(2))
    sid = _start(auth_client, gid, "exam")
    with session_scope() as db:
        row = db.get(TutorSession, sid)
        row.state_json = json.dumps({**json.loads(row.state_json), "plan": []})
    state = auth_client.get(f"/sessions/{sid}/replay", headers=LEARNER).json()
    assert len(state["topic"]["study_plan"]["steps"]) == 4 and not _completed(state)
