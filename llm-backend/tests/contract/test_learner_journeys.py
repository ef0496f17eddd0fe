"""Learner journeys in the order the frontend makes the calls (contract §2.4.16), on real
PostgreSQL and the fake model server.

The progress routes (report card, history and stats, guideline session list, exam review) are
another part of issue 12; their steps belong where the `# progress:` comments stand.
"""

from __future__ import annotations

from tests.support.tutor import (
    LEARNER,
    add_guideline,
    clarify,
    mark,
    paper,
    reply,
    say,
    session_body,
    teach,
)


def _post(client, path, body=None):
    r = client.post(path, json=body, headers=LEARNER)
    assert r.status_code == 200, r.text
    return r.json()


def _get(client, path):
    r = client.get(path, headers=LEARNER)
    assert r.status_code == 200, r.text
    return r.json()


def test_teach_me_journey(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(say("Hi! What is one half?"))
    created = _post(auth_client, "/sessions", session_body(gid, "teach_me"))
    sid = created["session_id"]
    assert created["first_turn"]["step_idx"] == 1

    # Three answers: a strong one skips a step, then the last two steps are passed.
    fake_llm.push(
        teach("right_with_reasoning", "Great, and you explained why!", skip=True),
        teach("right", "Yes, 2/4 is the same as 1/2."),
        teach("right", "Well done, that's the whole lesson."),
    )
    turns = [
        _post(auth_client, f"/sessions/{sid}/step", reply(text))["next_turn"]
        for text in ("one of two equal parts", "2/4", "4/6")
    ]
    assert [t["step_idx"] for t in turns] == [3, 4, 5]  # 4 steps: complete = total + 1
    assert [t["is_complete"] for t in turns] == [False, False, True]
    assert turns[-1]["mastery_score"] == 0.875

    # is_complete → the frontend asks for the summary.
    summary = _get(auth_client, f"/sessions/{sid}/summary")
    assert summary["steps_completed"] == 4 and summary["mastery_score"] == 0.88
    assert summary["misconceptions_seen"] == []
    assert summary["suggestions"] == [
        "Excellent work! You have a strong grasp of this topic; try an exam or move on."
    ]

    # progress: report card (coverage 100 for this subtopic), history and stats go here.

    # "Reload": ChatSession hydrates from /replay.
    state = _get(auth_client, f"/sessions/{sid}/replay")
    assert state["mode"] == "teach_me" and state["current_step"] == 5
    assert state["current_step"] > len(state["topic"]["study_plan"]["steps"])  # completed
    log = state["full_conversation_log"]
    assert [m["role"] for m in log] == ["teacher"] + ["student", "teacher"] * 3
    assert log[0]["content"] == "Hi! What is one half?" and log[1]["content"] == (
        "one of two equal parts"
    )
    assert log[-1]["audio_text"] == "Well done, that's the whole lesson."
    assert state["concepts_discussed"] == []


def test_exam_journey(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(paper(7))
    created = _post(auth_client, "/sessions", session_body(gid, "exam"))
    sid, first = created["session_id"], created["first_turn"]
    paper_sent = first["exam_questions"]
    assert len(paper_sent) == 7 and first["exam_progress"]["total_questions"] == 7

    # "Submit All Answers": one step per question, in question order.
    marks = [1.0, 0.9, 0.5, 0.0, 0.8, 0.25, 1.0]
    fake_llm.push(*[mark(m) for m in marks])
    turns = [
        _post(auth_client, f"/sessions/{sid}/step", reply(f"answer {q['question_idx']}"))[
            "next_turn"
        ]
        for q in paper_sent
    ]
    assert [t["is_complete"] for t in turns] == [False] * 6 + [True]
    assert all(t["exam_feedback"] is None for t in turns[:-1])
    final = turns[-1]
    feedback, results = final["exam_feedback"], final["exam_results"]
    assert (feedback["score"], feedback["total"], feedback["percentage"]) == (4.5, 7, 63.6)
    assert [r["score"] for r in results] == marks
    assert [r["student_answer"] for r in results] == [f"answer {i}" for i in range(7)]
    assert [r["result"] for r in results] == [
        "correct",
        "correct",
        "partial",
        "incorrect",
        "correct",
        "partial",
        "correct",
    ]

    later = _post(auth_client, f"/sessions/{sid}/step", reply("did I pass?"))["next_turn"]
    assert later["message"] == "The exam is already complete. Check your results!"
    assert later["exam_results"] == results

    # Hydration of a finished exam shows everything.
    state = _get(auth_client, f"/sessions/{sid}/replay")
    assert state["exam_finished"] is True and state["exam_feedback"] == feedback
    assert [q["expected_answer"] for q in state["exam_questions"]] == [f"A{i}" for i in range(1, 8)]
    assert [q["score"] for q in state["exam_questions"]] == marks

    # progress: exam-review and the guideline session list (Past Exams) go here.

    # A new exam, answered once and left: a third start is sent to it.
    fake_llm.push(paper(7), mark(1.0))
    second = _post(auth_client, "/sessions", session_body(gid, "exam"))["session_id"]
    _post(auth_client, f"/sessions/{second}/step", reply("answer 0"))
    r = auth_client.post("/sessions", json=session_body(gid, "exam"), headers=LEARNER)
    assert r.status_code == 409
    assert r.json()["detail"]["existing_session_id"] == second
    resumed = _get(auth_client, f"/sessions/{second}/replay")
    answered = [q for q in resumed["exam_questions"] if q["student_answer"]]
    assert [q["question_idx"] for q in answered] == [0]


def test_clarify_journey(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(say("Hi! What would you like to ask?"))
    created = _post(auth_client, "/sessions", session_body(gid, "clarify_doubts"))
    sid = created["session_id"]
    fake_llm.push(
        clarify("Multiply top and bottom by the same number.", ["equivalent fractions"]),
        clarify("Yes: 2/4 simplifies to 1/2.", ["equivalent fractions", "simplifying"]),
    )
    first = _post(auth_client, f"/sessions/{sid}/step", reply("how do I make quarters?"))
    second = _post(auth_client, f"/sessions/{sid}/step", reply("so 2/4 is 1/2?"))
    assert first["next_turn"]["concepts_discussed"] == ["equivalent fractions"]
    assert second["next_turn"]["concepts_discussed"] == ["equivalent fractions", "simplifying"]
    ended = _post(auth_client, f"/sessions/{sid}/end-clarify")
    assert ended == {
        "concepts_discussed": ["equivalent fractions", "simplifying"],
        "message": "Doubts session ended successfully.",
    }
    state = _get(auth_client, f"/sessions/{sid}/replay")
    assert state["clarify_complete"] is True
    assert len(state["full_conversation_log"]) == 6  # welcome, 2 exchanges, the close
