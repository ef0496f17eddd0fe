"""What the tutor is given (profile, how the student writes), safety running alongside the
tutor call, exam marks kept hidden until the exam ends, coverage kept across pause and
resume, and which sessions can be paused."""

from __future__ import annotations

import json
import threading

from sqlalchemy import select

from database import session_scope
from shared.models.entities import Session as TutorSession
from shared.models.entities import StudyPlan
from tests.fakes.llm_server import Reply, request_schema_name
from tests.support.tutor import (
    STUDENT_A,
    add_guideline,
    mark,
    paper,
    reply,
    say,
    session_body,
    teach,
)

PROFILE = {"name": "Asha", "age": 10, "grade": 5, "about_me": "I love cricket."}


def _create(client, gid: str, mode: str = "teach_me") -> str:
    r = client.post("/sessions", json=session_body(gid, mode), headers=STUDENT_A)
    assert r.status_code == 200, r.json()
    return r.json()["session_id"]


def _step(client, sid: str, message: str):
    r = client.post(f"/sessions/{sid}/step", json=reply(message), headers=STUDENT_A)
    assert r.status_code == 200, r.json()
    return r.json()["next_turn"]


def _system_text(fake_llm, schema: str) -> str:
    """The system instructions of the last request asking for `schema`."""
    body = [q.body for q in fake_llm.requests if request_schema_name(q.path, q.body) == schema][-1]
    return json.dumps(body)


def test_tutor_gets_the_profile_and_how_the_student_writes(auth_client, fake_llm):
    assert auth_client.put("/profile", json=PROFILE, headers=STUDENT_A).status_code == 200
    gid = add_guideline()
    fake_llm.push(say("Hi Asha!"))
    sid = _create(auth_client, gid)
    opening = _system_text(fake_llm, "TutorMessage")
    assert "Student: call them Asha, age 10, grade 5, about them: I love cricket." in opening
    assert "How the student writes: not known yet" in opening

    fake_llm.push(teach("right", "Yes"))
    _step(auth_client, sid, "2/4")
    assert "How the student writes: short messages (about 1 words)" in _system_text(
        fake_llm, "TeachTurn"
    )
    long = " ".join(["because"] * 79)  # with "2/4" before it: (1 + 79) / 2 = 40 words
    fake_llm.push(teach("none", "Tell me more"))
    _step(auth_client, sid, long)
    assert "How the student writes: long, detailed messages (about 40 words)" in _system_text(
        fake_llm, "TeachTurn"
    )


def test_safety_check_runs_while_the_tutor_thinks(auth_client, fake_llm):
    """The safety answer is held until the tutor's request has arrived: a pipeline that waited
    for the safety verdict before asking the tutor would find the tutor never asked."""
    gid = add_guideline()
    fake_llm.push(say("Welcome"))
    sid = _create(auth_client, gid)
    tutor_asked = threading.Event()
    seen: list[bool] = []

    def responder(path: str, body: dict):
        name = request_schema_name(path, body)
        if name == "TeachTurn":
            tutor_asked.set()
        elif name == "SafetyCheck":
            seen.append(tutor_asked.wait(timeout=10))
            return Reply({"flagged": False, "category": "none"})
        return None  # the script answers

    fake_llm.responder = responder
    fake_llm.push(teach("right", "Well done"))
    assert _step(auth_client, sid, "2/4")["message"] == "Well done"
    assert seen == [True]


def test_replay_hides_exam_marks_until_the_exam_ends(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(paper(2))
    sid = _create(auth_client, gid, "exam")
    fake_llm.push(mark("incorrect"))
    assert _step(auth_client, sid, "a1")["message"] == "**Question 2:** Q2?"
    for path in (f"/sessions/{sid}/replay", f"/sessions/{sid}"):
        state = auth_client.get(path, headers=STUDENT_A).json()
        text = json.dumps(state).replace('"exam_total_incorrect"', "")
        assert '"incorrect"' not in text and "marked" not in text and '"A1"' not in text
        assert state["exam_questions"][0]["student_answer"] == "a1"
        assert state["exam_questions"][0]["score"] is None

    fake_llm.push(mark("correct"))
    _step(auth_client, sid, "a2")
    state = auth_client.get(f"/sessions/{sid}/replay", headers=STUDENT_A).json()
    marks = [(q["result"], q["score"]) for q in state["exam_questions"]]
    assert marks == [("incorrect", 0.0), ("correct", 1.0)]


def _coverage(client, gid: str) -> float:
    card = client.get("/sessions/report-card", headers=STUDENT_A).json()
    subs = card["subjects"][0]["topics"][0]["subtopics"]
    assert [s["guideline_id"] for s in subs] == [gid]
    badges = client.get("/sessions/subtopic-progress", headers=STUDENT_A).json()
    assert badges["user_progress"][gid]["coverage"] == subs[0]["coverage"]  # one computation
    return subs[0]["coverage"]


def _plan(*concepts: str) -> list[dict]:
    return [{"type": "explain", "concept": c, "goal": c} for c in concepts]


def test_coverage_is_kept_across_pause_and_resume(auth_client, fake_llm):
    gid = add_guideline(plan=_plan("A", "B", "C"))
    first = _create(auth_client, gid)  # the opening presents A
    fake_llm.push(teach("right", "On to B"))
    _step(auth_client, first, "got it")
    paused = auth_client.post(f"/sessions/{first}/pause", headers=STUDENT_A).json()
    assert (paused["concepts_covered"], paused["coverage"]) == (["A", "B"], 66.7)
    # The guideline's sessions say which one is paused (the learner page offers it).
    listed = auth_client.get(f"/sessions/guideline/{gid}", headers=STUDENT_A).json()
    assert [(s["session_id"], s["is_paused"]) for s in listed["sessions"]] == [(first, True)]
    summary = auth_client.get(f"/sessions/{first}/summary", headers=STUDENT_A).json()
    assert (summary["steps_completed"], summary["coverage"]) == (1, 66.7)
    resumed = auth_client.post(f"/sessions/{first}/resume", headers=STUDENT_A).json()
    assert resumed["current_step"] == 2 and len(resumed["conversation_history"]) == 3
    state = auth_client.get(f"/sessions/{first}", headers=STUDENT_A).json()
    assert (state["is_paused"], state["concepts_covered_set"]) == (False, ["A", "B"])
    listed = auth_client.get(f"/sessions/guideline/{gid}", headers=STUDENT_A).json()
    assert listed["sessions"][0]["is_paused"] is False
    assert _coverage(auth_client, gid) == 66.7

    # An exam reaches no concepts of the plan.
    fake_llm.push(paper(1))
    _create(auth_client, gid, "exam")
    assert _coverage(auth_client, gid) == 66.7

    # The plan is regenerated: B is gone, D is new. Coverage is measured against it.
    with session_scope() as db:
        row = db.scalar(select(StudyPlan).where(StudyPlan.guideline_id == gid))
        row.plan_json = json.dumps({"steps": _plan("A", "C", "D")})
    assert _coverage(auth_client, gid) == 33.3
    # A second teach_me session reaches C; A (first session) and C (second) now count.
    second = _create(auth_client, gid)
    fake_llm.push(teach("right", "On to C"))
    _step(auth_client, second, "yes")
    assert _coverage(auth_client, gid) == 66.7


def test_only_teach_me_sessions_can_be_paused(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(paper(2))
    exam_id = _create(auth_client, gid, "exam")
    clarify_id = _create(auth_client, gid, "clarify_doubts")
    for sid in (exam_id, clarify_id):
        r = auth_client.post(f"/sessions/{sid}/pause", headers=STUDENT_A)
        assert r.status_code == 400 and r.json()["error"]["code"] == "wrong_mode"
    with session_scope() as db:
        assert db.get(TutorSession, exam_id).is_paused is False
        assert db.get(TutorSession, clarify_id).is_paused is False
    r = auth_client.get(f"/sessions/resumable?guideline_id={gid}", headers=STUDENT_A)
    assert r.status_code == 404
    teach_id = _create(auth_client, gid)
    assert auth_client.post(f"/sessions/{teach_id}/pause", headers=STUDENT_A).status_code == 200
