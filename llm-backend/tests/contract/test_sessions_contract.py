"""Learner session routes as the frontend calls them (contract §2.4.1-2.4.6): the exact
request, the status, and every field the frontend reads with its type, unit and enum."""

from __future__ import annotations

import uuid

from database import session_scope
from shared.models.entities import Session as TutorSession
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

TURN_KEYS = {
    "message",
    "audio_text",
    "hints",
    "step_idx",
    "mastery_score",
    "is_complete",
    "concepts_discussed",
    "exam_progress",
    "exam_questions",
    "exam_feedback",
    "exam_results",
}
FEEDBACK_KEYS = {
    "score",
    "total",
    "percentage",
    "strengths",
    "weak_areas",
    "patterns",
    "next_steps",
}
RESULT_KEYS = {
    "question_idx",
    "question_text",
    "student_answer",
    "result",
    "score",
    "marks_rationale",
    "feedback",
    "expected_answer",
}


def _start(client, gid, mode=None, headers=LEARNER):
    r = client.post("/sessions", json=session_body(gid, mode), headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _step(client, sid, text, headers=LEARNER):
    return client.post(f"/sessions/{sid}/step", json=reply(text), headers=headers)


def _model_calls(fake_llm) -> int:
    return len(fake_llm.requests)


def test_create_teach_me_without_mode_is_200_with_a_first_turn(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(say("Hi! A **fraction** is equal parts."))
    body = _start(auth_client, gid)  # the scorecard's "Practice Again" sends no mode
    assert uuid.UUID(body["session_id"])
    assert body["mode"] == "teach_me" and body["past_discussions"] is None
    turn = body["first_turn"]
    assert set(turn) == TURN_KEYS
    assert turn["message"] == "Hi! A **fraction** is equal parts."
    assert turn["audio_text"] == "Hi! A fraction is equal parts."  # speakable: no Markdown
    assert (turn["hints"], turn["step_idx"], turn["is_complete"]) == ([], 1, False)
    assert turn["mastery_score"] == 0.0 and isinstance(turn["mastery_score"], float)
    assert turn["exam_progress"] is None and turn["exam_questions"] is None
    with session_scope() as db:
        row = db.get(TutorSession, body["session_id"])
        # The request's objects are stored as sent.
        assert '"syllabus": "CBSE-G3"' in row.goal_json and '"prefs"' in row.student_json


def test_create_needs_a_guideline_id_and_an_approved_guideline(auth_client, fake_llm):
    body = session_body("x")
    del body["goal"]["guideline_id"]
    r = auth_client.post("/sessions", json=body, headers=LEARNER)
    assert r.status_code == 422
    assert ["body", "goal", "guideline_id"] in [e["loc"] for e in r.json()["errors"]]
    assert "guideline_id" in r.json()["detail"]
    for gid in ("no-such-guideline", add_guideline(review_status="TO_BE_REVIEWED")):
        r = auth_client.post("/sessions", json=session_body(gid, "teach_me"), headers=LEARNER)
        assert r.status_code == 404 and isinstance(r.json()["detail"], str)
    r = auth_client.post("/sessions", json=session_body(gid, "exam_me"), headers=LEARNER)
    assert r.status_code == 422


def test_exam_first_turn_carries_the_whole_paper_without_answers(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(paper(7))
    body = _start(auth_client, gid, "exam")
    turn = body["first_turn"]
    assert body["mode"] == "exam"
    assert turn["message"].endswith("**Question 1:** Q1?")
    assert turn["audio_text"] is None and turn["hints"] == []
    assert turn["exam_progress"] == {
        "current_question": 1,
        "total_questions": 7,
        "answered_questions": 0,
    }
    assert turn["exam_questions"] == [
        {"question_idx": i, "question_text": f"Q{i + 1}?"} for i in range(7)
    ]
    assert turn["exam_feedback"] is None and turn["exam_results"] is None


def test_exam_steps_then_results_then_already_complete(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(paper(3))
    sid = _start(auth_client, gid, "exam")["session_id"]
    fake_llm.push(mark(0.9))
    r = _step(auth_client, sid, "A1")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"next_turn", "routing", "last_grading"}
    assert body["routing"] in ("Advance", "Continue") and body["last_grading"] is None
    turn = body["next_turn"]
    assert turn["message"] == "**Question 2:** Q2?"
    assert (turn["audio_text"], turn["mastery_score"], turn["is_complete"]) == (None, 0.0, False)
    assert turn["exam_progress"] == {
        "current_question": 2,
        "total_questions": 3,
        "answered_questions": 1,
    }
    assert turn["exam_questions"] is None and turn["exam_feedback"] is None
    assert turn["exam_results"] is None and "0.9" not in turn["message"]

    fake_llm.push(mark(0.5), mark(0.0))
    _step(auth_client, sid, "A2")
    turn = _step(auth_client, sid, "wrong").json()["next_turn"]
    assert turn["is_complete"] is True and turn["message"].startswith("Exam complete!")
    assert "1.4/3" in turn["message"]
    feedback = turn["exam_feedback"]
    assert set(feedback) == FEEDBACK_KEYS
    assert (feedback["score"], feedback["total"], feedback["percentage"]) == (1.4, 3, 46.7)
    assert all(isinstance(feedback[k], list) for k in ("weak_areas", "next_steps"))
    results = turn["exam_results"]
    assert [set(x) for x in results] == [RESULT_KEYS] * 3
    assert [x["question_idx"] for x in results] == [0, 1, 2]
    assert [x["score"] for x in results] == [0.9, 0.5, 0.0]
    assert [x["result"] for x in results] == ["correct", "partial", "incorrect"]
    assert results[1]["student_answer"] == "A2" and results[1]["expected_answer"] == "A2"
    assert turn["exam_progress"] == {
        "current_question": 3,
        "total_questions": 3,
        "answered_questions": 3,
    }

    calls = _model_calls(fake_llm)
    later = _step(auth_client, sid, "one more")
    assert later.status_code == 200
    again = later.json()["next_turn"]
    assert again["message"] == "The exam is already complete. Check your results!"
    assert again["is_complete"] is True
    assert again["exam_feedback"] == feedback and again["exam_results"] == results
    assert _model_calls(fake_llm) == calls  # no model call


def test_second_exam_conflicts_only_after_an_answer(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(paper(3))
    first = _start(auth_client, gid, "exam")["session_id"]
    fake_llm.push(paper(3))
    _start(auth_client, gid, "exam")  # a zero-progress exam does not block
    fake_llm.push(mark("correct"))
    _step(auth_client, first, "A1")
    calls = _model_calls(fake_llm)
    r = auth_client.post("/sessions", json=session_body(gid, "exam"), headers=LEARNER)
    assert r.status_code == 409
    assert r.json()["detail"] == {
        "message": "An incomplete exam already exists for this topic",
        "existing_session_id": first,
    }
    assert r.json()["error"]["code"] == "exam_in_progress"
    assert _model_calls(fake_llm) == calls  # refused before generating a paper
    # Another learner and the other modes are not blocked.
    fake_llm.push(paper(3))
    _start(auth_client, gid, "exam", headers=OTHER_LEARNER)
    _start(auth_client, gid, "teach_me")


def test_teach_me_step_turn_and_post_completion_reply(auth_client, fake_llm):
    gid = add_guideline(plan=[{"type": "check", "concept": "halves", "goal": "Name a half"}])
    sid = _start(auth_client, gid, "teach_me")["session_id"]
    r = auth_client.post(f"/sessions/{sid}/step", json={"message": "old shape"}, headers=LEARNER)
    assert r.status_code == 422
    fake_llm.push(teach("right", "Yes, *one half*.", misconception="none"))
    body = _step(auth_client, sid, "1/2").json()
    turn = body["next_turn"]
    assert set(turn) == TURN_KEYS
    assert body["routing"] == "Advance"
    assert body["last_grading"]["score"] == 0.8 and body["last_grading"]["labels"] == ["right"]
    assert (turn["step_idx"], turn["is_complete"], turn["mastery_score"]) == (2, True, 0.8)
    assert turn["audio_text"] == "Yes, *one half*." and turn["hints"] == []
    assert turn["concepts_discussed"] is None and turn["exam_progress"] is None
    calls = _model_calls(fake_llm)
    after = _step(auth_client, sid, "thanks!")
    assert after.status_code == 200
    assert after.json()["next_turn"]["is_complete"] is True
    assert after.json()["next_turn"]["message"].startswith("This session is complete.")
    assert after.json()["routing"] == "Continue" and _model_calls(fake_llm) == calls


def test_clarify_turns_carry_concepts_and_past_discussions(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(say("Ask away!"))
    first = _start(auth_client, gid, "clarify_doubts")
    assert first["past_discussions"] is None and first["first_turn"]["concepts_discussed"] == []
    fake_llm.push(clarify("Multiply both.", ["equivalent fractions"]))
    turn = _step(auth_client, first["session_id"], "how?").json()["next_turn"]
    assert turn["concepts_discussed"] == ["equivalent fractions"]
    assert (turn["step_idx"], turn["mastery_score"], turn["is_complete"]) == (1, 0.0, False)
    second = _start(auth_client, gid, "clarify_doubts")
    [past] = second["past_discussions"]
    assert past["concepts_discussed"] == ["equivalent fractions"]
    assert past["session_date"].startswith("20")


def test_summary_fields_and_units(auth_client, fake_llm):
    gid = add_guideline()
    sid = _start(auth_client, gid, "teach_me")["session_id"]
    fake_llm.push(teach("partial", "Nearly", misconception="bigger denominator bigger"))
    _step(auth_client, sid, "1/4 > 1/2")
    r = auth_client.get(f"/sessions/{sid}/summary", headers=LEARNER)
    assert r.status_code == 200
    summary = r.json()
    assert summary["steps_completed"] == 1  # current_step 2 - 1
    assert summary["mastery_score"] == 0.6  # 0-1, 2 decimals
    assert summary["misconceptions_seen"] == ["bigger denominator bigger"]
    assert summary["suggestions"][0].startswith("Keep practising")
    assert "bigger denominator bigger" in summary["suggestions"][1]
    assert summary["coverage"] == 50.0  # 0-100: one of two plan concepts reached
    other = auth_client.get(f"/sessions/{sid}/summary", headers=OTHER_LEARNER)
    assert other.status_code == 404
