"""Learner journeys in the order the frontend makes the calls (contract §2.1, §2.3,
§2.4.16), on real PostgreSQL and the fake model server: sign-in and onboarding, browsing the
curriculum, a session in each mode, and what the progress pages then show."""

from __future__ import annotations

from tests.support.auth import KEY, bearer, claims, sign
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


# The learner's ID token: /auth/sync is the one call that sends it (§1.2).
LEARNER_ID = {
    **bearer(sign(claims(sub="learner-1", email="meera@example.com", name="Meera S"), KEY)),
    "Content-Type": "application/json",
}


def _sign_in_and_onboard(client) -> dict:
    """AuthContext.syncUser, then OnboardingFlow: one field per step, each followed by
    GET /profile (refreshProfile). Returns the final profile."""
    r = client.post("/auth/sync", headers=LEARNER_ID)
    assert r.status_code == 200, r.text
    assert r.json()["onboarding_complete"] is False  # OnboardingGuard redirects to onboarding
    for body in ({"name": "Meera Sharma"}, {"preferred_name": "Meera"}, {"age": 10}):
        assert client.put("/profile", json=body, headers=LEARNER).status_code == 200
        assert _get(client, "/profile")["onboarding_complete"] is False
    for body in ({"grade": 5}, {"board": "CBSE"}):
        assert client.put("/profile", json=body, headers=LEARNER).status_code == 200
    profile = _get(client, "/profile")
    assert profile["onboarding_complete"] is True
    assert (profile["preferred_name"], profile["grade"], profile["board"]) == ("Meera", 5, "CBSE")
    return profile


def _browse_to(client, profile: dict, subject: str, topic: str, subtopic: str) -> str:
    """SubjectSelect → TopicSelect → SubtopicSelect (with its badges): the guideline id."""
    base = f"/curriculum?country=India&board={profile['board']}&grade={profile['grade']}"
    assert subject in _get(client, base)["subjects"]
    assert topic in _get(client, f"{base}&subject={subject}")["topics"]
    subtopics = _get(client, f"{base}&subject={subject}&topic={topic}")["subtopics"]
    return next(s["guideline_id"] for s in subtopics if s["subtopic"] == subtopic)


def test_teach_me_journey(auth_client, fake_llm):
    add_guideline(subtopic="Equivalent fractions")
    add_guideline(subtopic="Adding fractions")
    profile = _sign_in_and_onboard(auth_client)
    gid = _browse_to(auth_client, profile, "Mathematics", "Fractions", "Equivalent fractions")
    assert _get(auth_client, "/sessions/subtopic-progress") == {"user_progress": {}}

    fake_llm.push(say("Hi Meera! What is one half?"))
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

    # The progress pages: badges, the report card, history and its stats.
    badge = _get(auth_client, "/sessions/subtopic-progress")["user_progress"][gid]
    assert (badge["status"], badge["coverage"], badge["session_count"]) == ("studied", 100.0, 1)
    card = _get(auth_client, "/sessions/report-card")
    assert (card["total_sessions"], card["total_topics_studied"]) == (1, 1)
    [subject] = card["subjects"]
    [topic] = subject["topics"]
    [studied] = topic["subtopics"]
    assert (subject["subject"], topic["topic"]) == ("Mathematics", "Fractions")
    assert (studied["subtopic"], studied["guideline_id"], studied["coverage"]) == (
        "Equivalent fractions",
        gid,
        100.0,
    )
    assert studied["latest_exam_score"] is None and studied["last_studied"] is not None
    history = auth_client.get("/sessions/history?page=1&page_size=10", headers=LEARNER).json()
    assert history["total"] == 1
    [entry] = history["sessions"]
    assert (entry["session_id"], entry["mode"], entry["step_idx"]) == (sid, "teach_me", 5)
    assert (entry["topic_name"], entry["coverage"]) == ("Fractions - Equivalent fractions", 100.0)
    assert entry["mastery"] == 0.875
    stats = _get(auth_client, "/sessions/stats")
    assert stats == {
        "total_sessions": 1,
        "average_mastery": 0.88,
        "topics_covered": ["Mathematics"],
        "total_steps": 5,
    }

    # "Reload": ChatSession hydrates from /replay.
    state = _get(auth_client, f"/sessions/{sid}/replay")
    assert state["mode"] == "teach_me" and state["current_step"] == 5
    assert state["current_step"] > len(state["topic"]["study_plan"]["steps"])  # completed
    log = state["full_conversation_log"]
    assert [m["role"] for m in log] == ["teacher"] + ["student", "teacher"] * 3
    assert log[0]["content"] == "Hi Meera! What is one half?" and log[1]["content"] == (
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

    # ExamReviewPage, and ModeSelection's Past Exams (the fractional score there).
    review = _get(auth_client, f"/sessions/{sid}/exam-review")
    assert review["exam_feedback"] == feedback
    assert [q["question_idx"] for q in review["questions"]] == list(range(7))
    assert [q["score"] for q in review["questions"]] == marks
    assert [q["student_answer"] for q in review["questions"]] == [f"answer {i}" for i in range(7)]
    assert all(q["expected_answer"] and q["marks_rationale"] for q in review["questions"])
    [past] = _get(auth_client, f"/sessions/guideline/{gid}")["sessions"]
    assert (past["session_id"], past["is_complete"], past["exam_finished"]) == (sid, True, True)
    assert (past["exam_score"], past["exam_total"], past["exam_answered"]) == (4.5, 7, 7)
    # The report card and history count the questions marked >= 0.8 instead.
    card = _get(auth_client, "/sessions/report-card")
    studied = card["subjects"][0]["topics"][0]["subtopics"][0]
    assert (studied["latest_exam_score"], studied["latest_exam_total"]) == (4, 7)
    entry = _get(auth_client, "/sessions/history?page=1&page_size=10")["sessions"][0]
    assert (entry["mode"], entry["exam_score"], entry["exam_total"]) == ("exam", 4, 7)

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
    # ModeSelection offers "Resume Exam 1/7" (newest first) and still lists the past exam.
    listed = _get(auth_client, f"/sessions/guideline/{gid}")["sessions"]
    assert [e["session_id"] for e in listed] == [second, sid]
    assert (listed[0]["is_complete"], listed[0]["exam_answered"]) == (False, 1)
    assert listed[0]["exam_score"] is None  # no marks before the exam ends
    # Its review is refused until it ends.
    r = auth_client.get(f"/sessions/{second}/exam-review", headers=LEARNER)
    assert (r.status_code, r.json()["detail"]) == (403, "Exam is not yet finished")


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
