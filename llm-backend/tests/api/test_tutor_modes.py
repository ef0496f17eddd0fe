"""exam and clarify_doubts flows, the safety redirect, and the default study plan."""

from __future__ import annotations

import json

from sqlalchemy import select

from database import session_scope
from shared.models.entities import Event, LLMCall
from shared.models.entities import Session as TutorSession
from tests.support.books import wait_for
from tests.support.tutor import (
    STUDENT_A,
    add_guideline,
    clarify,
    mark,
    paper,
    say,
    teach,
    unsafe,
)


def _outcomes() -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(LLMCall.outcome).order_by(LLMCall.started_at)))


def _create(client, gid: str, mode: str):
    r = client.post("/sessions", json={"guideline_id": gid, "mode": mode}, headers=STUDENT_A)
    assert r.status_code == 201, r.json()
    return r.json()


def _step(client, sid: str, message: str):
    return client.post(f"/sessions/{sid}/step", json={"message": message}, headers=STUDENT_A)


def test_exam_full_flow_scores_without_revealing(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(paper(7))
    body = _create(auth_client, gid, "exam")
    sid = body["session_id"]
    assert body["message"].endswith("Question 1 of 7: Q1?")
    assert body["state"]["exam_progress"] == {"current": 1, "total": 7}
    # The generator was asked for the 30/50/20 mix: 2 easy, 4 medium, 1 hard.
    gen = next(r for r in fake_llm.requests if r.body["text"]["format"]["name"] == "ExamPaper")
    assert "2 easy, 4 medium, 1 hard" in json.dumps(gen.body)

    verdicts = ["correct", "partial", "incorrect", "correct", "correct", "partial", "correct"]
    for k, verdict in enumerate(verdicts[:-1], start=1):
        fake_llm.push(mark(verdict))
        r = _step(auth_client, sid, f"answer {k}")
        assert r.status_code == 200
        assert (
            r.json()["message"]
            == f"Thanks, your answer is noted.\n\nQuestion {k + 1} of 7: Q{k + 1}?"
        )
        assert verdict not in r.json()["message"] and "A" + str(k) not in r.json()["message"]
        assert r.json()["state"]["exam_progress"] == {"current": k + 1, "total": 7}
    fake_llm.push(mark(verdicts[-1]))
    r = _step(auth_client, sid, "answer 7")
    assert r.json()["message"] == "That was the last question. You scored 5 out of 7 (71.4%)."
    assert r.json()["state"]["is_complete"] is True

    summary = auth_client.get(f"/sessions/{sid}/summary", headers=STUDENT_A).json()
    result = summary["exam_result"]
    assert (result["score"], result["total"], result["percentage"]) == (5.0, 7, 71.4)
    assert [q["verdict"] for q in result["review"]] == verdicts
    assert result["review"][1]["your_answer"] == "answer 2"
    assert result["review"][1]["expected_answer"] == "A2"
    # Questions 1,3,5,7 test "equal parts"; 2,4,6 "equivalence" (order kept: already sorted).
    assert result["strengths"] == []
    assert result["weak_areas"] == ["equal parts", "equivalence"]
    with session_scope() as db:
        row = db.get(TutorSession, sid)
        assert (row.exam_score, row.exam_total, row.mastery) == (5.0, 7, 0.714)
    # end-exam on a finished exam returns the stored result unchanged.
    again = auth_client.post(f"/sessions/{sid}/end-exam", headers=STUDENT_A).json()
    assert again["result"] == result

    card = auth_client.get("/sessions/report-card", headers=STUDENT_A).json()
    sub = card["subjects"][0]["topics"][0]["subtopics"][0]
    # The report card counts the questions marked >= 0.8 (here all marks are 1, 0.5 or 0).
    assert (sub["latest_exam_score"], sub["latest_exam_total"]) == (4, 7)


def test_end_exam_early_counts_unanswered_as_zero(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(paper(7))
    sid = _create(auth_client, gid, "exam")["session_id"]
    fake_llm.push(mark("correct"), mark("partial"))
    _step(auth_client, sid, "a1")
    _step(auth_client, sid, "a2")
    r = auth_client.post(f"/sessions/{sid}/end-exam", headers=STUDENT_A)
    assert r.status_code == 200
    result = r.json()["result"]
    assert (result["score"], result["total"], result["answered"]) == (1.5, 7, 2)
    assert result["percentage"] == 21.4
    assert result["next_steps"][-1] == "Answer all questions next time (5 left unanswered)."
    assert _step(auth_client, sid, "a3").status_code == 409
    r = auth_client.post(f"/sessions/{sid}/end-clarify", headers=STUDENT_A)
    assert r.status_code == 409 and r.json()["error"]["code"] == "wrong_mode"


def test_clarify_doubts_flow(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(say("Hi! What's your question?"))
    sid = _create(auth_client, gid, "clarify_doubts")["session_id"]
    fake_llm.push(clarify("Multiply top and bottom.", ["equivalent fractions"], check=True))
    r = _step(auth_client, sid, "how do I make 1/2 into quarters?")
    assert r.json()["message"] == "Multiply top and bottom."
    fake_llm.push(clarify("Yes, 2/4.", ["equivalent fractions", "simplifying"]))
    r = _step(auth_client, sid, "so 2/4?")
    assert r.json()["state"]["concepts_discussed"] == ["equivalent fractions", "simplifying"]
    # The one allowed understanding check has been used; the prompt now says so.
    last = [q for q in fake_llm.requests if q.body["text"]["format"]["name"] == "ClarifyTurn"][-1]
    assert "already checked understanding once" in json.dumps(last.body)
    r = auth_client.post(f"/sessions/{sid}/end-clarify", headers=STUDENT_A)
    assert r.status_code == 200
    assert r.json()["message"] == (
        "Thanks for your questions! We talked about equivalent fractions, simplifying. "
        "Come back any time you're curious."
    )
    assert r.json()["state"]["is_complete"] is True
    assert _step(auth_client, sid, "one more").status_code == 409
    with session_scope() as db:
        nodes = db.scalars(
            select(Event.node).where(Event.session_id == sid).order_by(Event.created_at)
        ).all()
    assert nodes == ["Present", "Present", "Check", "Present", "Advance"]
    summary = auth_client.get(f"/sessions/{sid}/summary", headers=STUDENT_A).json()
    assert (summary["turns"], summary["is_complete"], summary["exam_result"]) == (2, True, None)
    assert summary["concepts_discussed"] == ["equivalent fractions", "simplifying"]
    # A clarify session counts as studying the subtopic but reaches none of the plan.
    card = auth_client.get("/sessions/report-card", headers=STUDENT_A).json()
    sub = card["subjects"][0]["topics"][0]["subtopics"][0]
    assert (sub["guideline_id"], sub["coverage"], sub["latest_exam_score"]) == (gid, 0.0, None)
    assert sub["last_studied"] is None  # only teach_me and finished exams count as studying


def test_clarify_closes_when_student_is_done(auth_client, fake_llm):
    gid = add_guideline()
    sid = _create(auth_client, gid, "clarify_doubts")["session_id"]
    fake_llm.push(clarify("You're welcome, bye!", [], done=True))
    r = _step(auth_client, sid, "thanks, that's all")
    assert r.json()["state"]["is_complete"] is True


def test_unsafe_message_discards_draft_and_redirects(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(say("Welcome"))
    sid = _create(auth_client, gid, "teach_me")["session_id"]
    fake_llm.push(unsafe("violence"), teach("right", "DRAFT THAT MUST NOT BE SHOWN"))
    r = _step(auth_client, sid, "something unsafe")
    assert r.status_code == 200
    assert r.json()["message"].startswith("I can't help with that here.")
    assert r.json()["state"]["mastery"] == {}  # the draft's verdict was discarded
    assert r.json()["state"]["current_step"] == 1
    # The draft is not waited for: it ends on its own (answered before the verdict: `ok`;
    # otherwise `abandoned`, after at most the one attempt it had in flight).
    outcomes = wait_for(lambda: len(_outcomes()) == 3 and sorted(_outcomes()))
    assert outcomes in (["ok", "ok", "ok"], ["abandoned", "ok", "ok"])
    names = [q.body["text"]["format"]["name"] for q in fake_llm.requests[1:]]
    assert "SafetyCheck" in names and names.count("TeachTurn") <= 1 and len(names) <= 2
    replay = auth_client.get(f"/sessions/{sid}/replay", headers=STUDENT_A).json()
    assert [m["text"] for m in replay["messages"][1:2]] == [
        "[message withheld by the safety check]"
    ]
    assert replay["events"][-1]["node"] == "Remediate"
    assert replay["events"][-1]["payload"] == {
        "action": "safety_redirect",
        "category": "violence",
        "draft": "discarded",
        "turn": 1,
    }


def test_default_plan_when_guideline_has_none(auth_client, fake_llm):
    gid = add_guideline(plan=None, subtopic="Halves")
    body = _create(auth_client, gid, "teach_me")
    assert body["state"]["total_steps"] == 4
    with session_scope() as db:
        state = json.loads(db.get(TutorSession, body["session_id"]).state_json)
    assert [s["kind"] for s in state["plan"]] == ["explain", "check", "explain", "practice"]
    assert state["plan"][0]["concept"] == "Halves: core idea"


def test_strong_student_skips_ahead_and_gets_extra_turns(auth_client, fake_llm):
    gid = add_guideline()
    sid = _create(auth_client, gid, "teach_me")["session_id"]
    fake_llm.push(teach("right_with_reasoning", "Great", skip=True))
    state = _step(auth_client, sid, "answer").json()["state"]
    assert state["current_step"] == 3 and state["coverage"] == 1.0
    fake_llm.push(teach("right_with_reasoning"), teach("right_with_reasoning"))
    _step(auth_client, sid, "a")
    state = _step(auth_client, sid, "b").json()["state"]
    assert (state["current_step"], state["is_complete"]) == (4, False)  # plan done, extra turns
    for _ in range(3):
        fake_llm.push(teach("right_with_reasoning"))
        state = _step(auth_client, sid, "more").json()["state"]
    assert state["is_complete"] is True
