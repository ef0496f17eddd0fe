"""exam and clarify_doubts flows, the safety redirect, and the default study plan."""

from __future__ import annotations

import json

from sqlalchemy import select

from database import session_scope
from shared.models.entities import Event, LLMCall
from shared.models.entities import Session as TutorSession
from tests.fakes.llm_server import Reply
from tests.support.books import wait_for
from tests.support.tutor import (
    STUDENT_A,
    add_guideline,
    clarify,
    mark,
    paper,
    reply,
    say,
    session_body,
    teach,
    unsafe,
)


def _outcomes() -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(LLMCall.outcome).order_by(LLMCall.started_at)))


def _create(client, gid: str, mode: str):
    r = client.post("/sessions", json=session_body(gid, mode), headers=STUDENT_A)
    assert r.status_code == 200, r.json()
    return r.json()


def _step(client, sid: str, message: str):
    return client.post(f"/sessions/{sid}/step", json=reply(message), headers=STUDENT_A)


def _state(client, sid: str) -> dict:
    return client.get(f"/sessions/{sid}", headers=STUDENT_A).json()


def test_exam_full_flow_scores_without_revealing(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(paper(7))
    body = _create(auth_client, gid, "exam")
    sid = body["session_id"]
    assert body["first_turn"]["message"].endswith("**Question 1:** Q1?")
    assert body["first_turn"]["exam_progress"]["total_questions"] == 7
    # The generator was asked for the 30/50/20 mix: 2 easy, 4 medium, 1 hard.
    gen = next(r for r in fake_llm.requests if r.body["text"]["format"]["name"] == "ExamPaper")
    assert "2 easy, 4 medium, 1 hard" in json.dumps(gen.body)

    verdicts = ["correct", "partial", "incorrect", "correct", "correct", "partial", "correct"]
    for k, verdict in enumerate(verdicts[:-1], start=1):
        fake_llm.push(mark(verdict))
        r = _step(auth_client, sid, f"answer {k}")
        assert r.status_code == 200
        turn = r.json()["next_turn"]
        assert turn["message"] == f"**Question {k + 1}:** Q{k + 1}?"
        assert verdict not in turn["message"] and "A" + str(k) not in turn["message"]
        assert turn["exam_progress"]["current_question"] == k + 1
        assert turn["exam_feedback"] is None
    fake_llm.push(mark(verdicts[-1]))
    turn = _step(auth_client, sid, "answer 7").json()["next_turn"]
    assert turn["message"].startswith("Exam complete!\nFinal score: 5.0/7 (71.4%)")
    assert turn["is_complete"] is True

    feedback, results = turn["exam_feedback"], turn["exam_results"]
    assert (feedback["score"], feedback["total"], feedback["percentage"]) == (5.0, 7, 71.4)
    assert [q["result"] for q in results] == verdicts
    assert results[1]["student_answer"] == "answer 2"
    assert results[1]["expected_answer"] == "A2"
    # Questions 1,3,5,7 test "equal parts"; 2,4,6 "equivalence" (order kept: already sorted).
    assert feedback["strengths"] == []
    assert feedback["weak_areas"] == ["equal parts", "equivalence"]
    assert feedback["patterns"] == ["Overall strong performance"]  # 4 correct, 1 incorrect
    with session_scope() as db:
        row = db.get(TutorSession, sid)
        assert (row.exam_score, row.exam_total, row.mastery) == (5.0, 7, 0.714)
    # end-exam on a finished exam is refused; the stored result stays.
    again = auth_client.post(f"/sessions/{sid}/end-exam", headers=STUDENT_A)
    assert again.status_code == 400 and again.json()["error"]["code"] == "exam_already_finished"
    assert _state(auth_client, sid)["exam_feedback"] == feedback

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
    result = r.json()
    assert (result["score"], result["total"], result["percentage"]) == (1.5, 7, 21.4)
    next_steps = result["feedback"]["next_steps"]
    assert next_steps[-1] == "Answer all questions next time (5 left unanswered)."
    calls = len(fake_llm.requests)
    later = _step(auth_client, sid, "a3")
    assert later.status_code == 200 and later.json()["next_turn"]["is_complete"] is True
    assert later.json()["next_turn"]["exam_feedback"] == result["feedback"]
    assert len(fake_llm.requests) == calls
    r = auth_client.post(f"/sessions/{sid}/end-clarify", headers=STUDENT_A)
    assert r.status_code == 400 and r.json()["error"]["code"] == "wrong_mode"


def test_clarify_doubts_flow(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(say("Hi! What's your question?"))
    sid = _create(auth_client, gid, "clarify_doubts")["session_id"]
    fake_llm.push(clarify("Multiply top and bottom.", ["equivalent fractions"], check=True))
    r = _step(auth_client, sid, "how do I make 1/2 into quarters?")
    assert r.json()["next_turn"]["message"] == "Multiply top and bottom."
    fake_llm.push(clarify("Yes, 2/4.", ["equivalent fractions", "simplifying"]))
    r = _step(auth_client, sid, "so 2/4?")
    assert r.json()["next_turn"]["concepts_discussed"] == [
        "equivalent fractions",
        "simplifying",
    ]
    # The one allowed understanding check has been used; the prompt now says so.
    last = [q for q in fake_llm.requests if q.body["text"]["format"]["name"] == "ClarifyTurn"][-1]
    assert "already checked understanding once" in json.dumps(last.body)
    r = auth_client.post(f"/sessions/{sid}/end-clarify", headers=STUDENT_A)
    assert r.status_code == 200
    state = _state(auth_client, sid)
    assert state["full_conversation_log"][-1]["content"] == (
        "Thanks for your questions! We talked about equivalent fractions, simplifying. "
        "Come back any time you're curious."
    )
    assert state["clarify_complete"] is True
    after = _step(auth_client, sid, "one more")
    assert after.status_code == 200 and after.json()["next_turn"]["is_complete"] is True
    with session_scope() as db:
        nodes = db.scalars(
            select(Event.node).where(Event.session_id == sid).order_by(Event.created_at)
        ).all()
    assert nodes == ["Present", "Present", "Check", "Present", "Advance"]
    assert (state["turn_count"], state["concepts_discussed"]) == (
        2,
        ["equivalent fractions", "simplifying"],
    )
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
    assert r.json()["next_turn"]["is_complete"] is True


def test_unsafe_message_discards_draft_and_redirects(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(say("Welcome"))
    sid = _create(auth_client, gid, "teach_me")["session_id"]
    fake_llm.push(unsafe("violence"), teach("right", "DRAFT THAT MUST NOT BE SHOWN"))
    r = _step(auth_client, sid, "something unsafe")
    assert r.status_code == 200
    assert r.json()["next_turn"]["message"].startswith("I can't help with that here.")
    assert r.json()["next_turn"]["mastery_score"] == 0.0  # the draft's verdict was discarded
    assert r.json()["next_turn"]["step_idx"] == 1
    # The draft is not waited for: it ends on its own (answered before the verdict: `ok`;
    # otherwise `abandoned`, after at most the one attempt it had in flight).
    outcomes = wait_for(lambda: len(_outcomes()) == 3 and sorted(_outcomes()))
    assert outcomes in (["ok", "ok", "ok"], ["abandoned", "ok", "ok"])
    names = [q.body["text"]["format"]["name"] for q in fake_llm.requests[1:]]
    assert "SafetyCheck" in names and names.count("TeachTurn") <= 1 and len(names) <= 2
    replay = auth_client.get(f"/sessions/{sid}/replay", headers=STUDENT_A).json()
    assert [m["content"] for m in replay["full_conversation_log"][1:2]] == [
        "[message withheld by the safety check]"
    ]
    assert replay["mastery_estimates"] == {}
    assert (replay["safety_flags"], replay["warning_count"]) == (["violence"], 1)
    with session_scope() as db:
        last = db.scalars(
            select(Event).where(Event.session_id == sid).order_by(Event.created_at.desc())
        ).first()
        assert last.node == "Remediate"
        assert json.loads(last.payload_json) == {
            "action": "safety_redirect",
            "category": "violence",
            "draft": "discarded",
            "turn": 1,
        }


def test_default_plan_when_guideline_has_none(auth_client, fake_llm):
    gid = add_guideline(plan=None, subtopic="Halves")
    body = _create(auth_client, gid, "teach_me")
    steps = _state(auth_client, body["session_id"])["topic"]["study_plan"]["steps"]
    assert len(steps) == 4
    with session_scope() as db:
        state = json.loads(db.get(TutorSession, body["session_id"]).state_json)
    assert [s["kind"] for s in state["plan"]] == ["explain", "check", "explain", "practice"]
    assert state["plan"][0]["concept"] == "Halves: core idea"


def test_strong_student_skips_ahead_and_gets_extra_turns(auth_client, fake_llm):
    gid = add_guideline()
    sid = _create(auth_client, gid, "teach_me")["session_id"]
    fake_llm.push(teach("right_with_reasoning", "Great", skip=True))
    turn = _step(auth_client, sid, "answer").json()["next_turn"]
    assert turn["step_idx"] == 3
    assert _state(auth_client, sid)["concepts_covered_set"] == ["equal parts", "equivalence"]
    fake_llm.push(teach("right_with_reasoning"), teach("right_with_reasoning"))
    _step(auth_client, sid, "a")
    turn = _step(auth_client, sid, "b").json()["next_turn"]
    # The plan is done but extra challenge turns run: the step stays on the last one, so the
    # frontend's "current_step > steps" agrees with is_complete.
    assert (turn["step_idx"], turn["is_complete"]) == (4, False)
    state = _state(auth_client, sid)
    assert state["current_step"] == 4 and state["allow_extension"] is True
    for _ in range(3):
        fake_llm.push(teach("right_with_reasoning"))
        turn = _step(auth_client, sid, "more").json()["next_turn"]
    assert (turn["step_idx"], turn["is_complete"]) == (5, True)


def test_an_unusable_paper_is_asked_for_again_with_three_questions(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(*[Reply("not json", for_schema="ExamPaper") for _ in range(2)], paper(3))
    body = _create(auth_client, gid, "exam")
    assert body["first_turn"]["exam_progress"]["total_questions"] == 3
    asks = [r for r in fake_llm.requests if r.body["text"]["format"]["name"] == "ExamPaper"]
    assert "exactly 7 questions" in json.dumps(asks[0].body)
    assert "exactly 3 questions" in json.dumps(asks[-1].body)
    assert "1 easy, 1 medium, 1 hard" in json.dumps(asks[-1].body)
