"""The learner's progress routes as the frontend calls them (contract §2.4.8-§2.4.14):
ScorecardPage (report card), SubtopicSelect (badges), SessionHistoryPage (history, stats),
ModeSelection (sessions on a guideline), ExamReviewPage, and the admin picker's `GET /sessions`.

Sessions are written straight to the database at chosen progress (tests.support.sessions).
The three exam scores: the guideline list and the review's feedback give the sum of the
fractional marks; history and the report card count the questions marked >= 0.8.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import event

from config import reset_settings
from database import session_scope
from shared.models.entities import TeachingGuideline
from tests.support import sessions as make
from tests.support.auth import KEY, bearer, claims, sign
from tests.support.tutor import add_guideline

# The frontend sends the Cognito access token on every learner call.
A = bearer(sign(claims(sub="student-a", token_use="access"), KEY))
B = bearer(sign(claims(sub="student-b", token_use="access"), KEY))
# Four questions marked 1.0, 0.9, 0.5, 0.0: two correct (>= 0.8), one partial, one incorrect.
MARKS = [1.0, 0.9, 0.5, 0.0]
MODES = {"teach_me", "clarify_doubts", "exam"}


def when(value: str) -> datetime:
    """A time as the frontend parses it (`new Date(...)`): ISO-8601."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
def curriculum() -> dict[str, str]:
    return {
        "equivalent": add_guideline(),  # Mathematics / Fractions / Equivalent fractions
        "adding": add_guideline(subtopic="Adding fractions"),
        "roots": add_guideline(subject="Science", topic="Plants", subtopic="Roots"),
    }


@pytest.fixture
def studied(curriculum) -> dict[str, str]:
    """Student A's sessions, oldest first; student B has one of their own."""
    g = curriculum
    ids = {
        "old_exam": make.exam(g["equivalent"], owner="student-a", minute=0, marks=[1.0] * 4),
        "teach_half": make.teach_me(g["equivalent"], owner="student-a", minute=1, step_idx=0),
        "teach_more": make.teach_me(
            g["equivalent"], owner="student-a", minute=2, step_idx=2, mastery={"a": 0.6, "b": 0.9}
        ),
        "exam": make.exam(g["equivalent"], owner="student-a", minute=3, marks=MARKS),
        "exam_running": make.exam(
            g["equivalent"], owner="student-a", minute=4, marks=[1.0, None, None], finished=False
        ),
        "clarify": make.clarify(
            g["roots"], owner="student-a", minute=5, concepts=["roots", "water"], complete=True
        ),
        "exam_only": make.exam(g["adding"], owner="student-a", minute=6, marks=[0.0, 0.1]),
    }
    ids["other"] = make.teach_me(g["adding"], owner="student-b", minute=7, step_idx=3)
    return ids


ROUTES = [
    "/sessions/report-card",
    "/sessions/subtopic-progress",
    "/sessions/history?page=1&page_size=10",
    "/sessions/stats",
    "/sessions",
    "/sessions/guideline/g-1",
    "/sessions/s-1/exam-review",
]


@pytest.mark.parametrize("path", ROUTES)
def test_every_progress_route_needs_a_token(auth_client, path):
    r = auth_client.get(path)
    assert r.status_code == 401
    assert isinstance(r.json()["detail"], str)


def test_report_card(auth_client, curriculum, studied):
    r = auth_client.get("/sessions/report-card", headers=A)
    assert r.status_code == 200
    card = r.json()
    assert card["total_sessions"] == 7  # every mode counts
    assert card["total_topics_studied"] == 2  # Fractions, Plants
    assert [s["subject"] for s in card["subjects"]] == ["Mathematics", "Science"]
    maths, science = card["subjects"]
    assert [(t["topic"], t["topic_key"]) for t in maths["topics"]] == [("Fractions", "fractions")]
    adding, equivalent = maths["topics"][0]["subtopics"]  # sorted by key
    assert equivalent == {
        "subtopic": "Equivalent fractions",
        "subtopic_key": "equivalent-fractions",
        "guideline_id": curriculum["equivalent"],
        "coverage": 100.0,  # 0-100: both plan concepts reached across the two sessions
        "latest_exam_score": 2,  # the latest FINISHED exam, counted: marks >= 0.8
        "latest_exam_total": 4,
        "last_studied": equivalent["last_studied"],
    }
    assert isinstance(equivalent["coverage"], float)
    assert isinstance(equivalent["latest_exam_score"], int)
    # The latest teach_me or finished exam (the running exam after it does not count).
    assert when(equivalent["last_studied"]) == when("2026-03-01T09:04:00Z")
    assert adding["subtopic"] == "Adding fractions" and adding["subtopic_key"] == "adding-fractions"
    assert (adding["coverage"], adding["latest_exam_score"], adding["latest_exam_total"]) == (
        0.0,
        0,
        2,
    )
    [plants] = science["topics"]
    assert (plants["topic"], plants["topic_key"]) == ("Plants", "plants")
    [roots] = plants["subtopics"]
    # Studied only by a clarify session: listed, nothing measured.
    assert roots["guideline_id"] == curriculum["roots"]
    assert (roots["coverage"], roots["latest_exam_score"], roots["latest_exam_total"]) == (
        0.0,
        None,
        None,
    )
    assert roots["last_studied"] is None


def test_report_card_of_a_new_student_is_empty(auth_client, studied):
    fresh = bearer(sign(claims(sub="student-c", token_use="access"), KEY))
    r = auth_client.get("/sessions/report-card", headers=fresh)
    assert r.json() == {"total_sessions": 0, "total_topics_studied": 0, "subjects": []}


def test_report_card_offers_practice_only_on_an_approved_guideline(auth_client, curriculum):
    make.teach_me(curriculum["roots"], owner="student-a")
    with session_scope() as db:
        db.get(TeachingGuideline, curriculum["roots"]).review_status = "TO_BE_REVIEWED"
    card = auth_client.get("/sessions/report-card", headers=A).json()
    [sub] = card["subjects"][0]["topics"][0]["subtopics"]
    assert (sub["subtopic"], sub["guideline_id"], sub["coverage"]) == ("Roots", None, 50.0)


def test_report_card_reads_a_constant_number_of_queries(db, curriculum):
    """Sessions, guidelines and study plans are each read once, whatever the subtopics."""
    from shared.models.entities import User
    from tutor.services import report_card_service

    def statements() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(db, "before_cursor_execute", count)
        try:
            with session_scope() as s:
                user = s.get(User, make.user_id("student-a"))
                seen.clear()
                report_card_service.report_card(session=s, user=user)
        finally:
            event.remove(db, "before_cursor_execute", count)
        return len(seen)

    make.teach_me(curriculum["equivalent"], owner="student-a")
    one = statements()
    for i in range(4):
        make.teach_me(add_guideline(subtopic=f"Extra {i}"), owner="student-a", minute=i + 1)
    make.exam(curriculum["adding"], owner="student-a", marks=[1.0])
    assert statements() == one == 3


def test_subtopic_progress(auth_client, curriculum, studied):
    r = auth_client.get("/sessions/subtopic-progress", headers=A)
    assert r.status_code == 200
    # Only teach_me sessions count: the clarify-only and exam-only subtopics have no entry.
    assert r.json() == {
        "user_progress": {
            curriculum["equivalent"]: {"coverage": 100.0, "session_count": 2, "status": "studied"}
        }
    }
    other = auth_client.get("/sessions/subtopic-progress", headers=B).json()["user_progress"]
    assert other == {
        curriculum["adding"]: {"coverage": 100.0, "session_count": 1, "status": "studied"}
    }


def test_history_page_newest_first_with_each_modes_fields(auth_client, studied):
    r = auth_client.get("/sessions/history?page=1&page_size=10", headers=A)  # the UI's request
    assert r.status_code == 200
    body = r.json()
    assert (body["page"], body["page_size"], body["total"]) == (1, 10, 7)
    entries = body["sessions"]
    assert [e["session_id"] for e in entries] == [
        studied[k]
        for k in (
            "exam_only",
            "clarify",
            "exam_running",
            "exam",
            "teach_more",
            "teach_half",
            "old_exam",
        )
    ]
    by_id = {e["session_id"]: e for e in entries}
    for e in entries:
        assert e["mode"] in MODES
        assert isinstance(e["step_idx"], int) and e["step_idx"] >= 1
        assert isinstance(e["mastery"], float) and 0.0 <= e["mastery"] <= 1.0
        assert when(e["updated_at"]) > when(e["created_at"])

    teach = by_id[studied["teach_more"]]
    assert teach["topic_name"] == "Fractions - Equivalent fractions"
    assert teach["subject"] == "Mathematics"
    assert teach["mode"] == "teach_me"
    assert teach["step_idx"] == 3  # on plan step 3 of 4 (1-based)
    assert teach["mastery"] == 0.75
    assert teach["coverage"] == 100.0
    assert by_id[studied["teach_half"]]["coverage"] == 50.0
    assert when(teach["created_at"]) == when("2026-03-01T09:02:00Z")

    clarify = by_id[studied["clarify"]]
    assert (clarify["mode"], clarify["subject"]) == ("clarify_doubts", "Science")
    assert clarify["concepts_discussed"] == ["roots", "water"]
    assert (clarify["step_idx"], clarify["mastery"]) == (1, 0.0)

    exam = by_id[studied["exam"]]
    assert exam["mode"] == "exam"
    assert (exam["exam_score"], exam["exam_total"]) == (2, 4)  # counted, not the sum 2.4
    assert isinstance(exam["exam_score"], int)
    # A running exam shows no score: marks stay hidden until the end.
    running = by_id[studied["exam_running"]]
    assert (running["exam_score"], running["exam_total"]) == (None, 3)


def test_history_pages_and_filters_by_subject(auth_client, studied):
    second = auth_client.get("/sessions/history?page=2&page_size=3", headers=A).json()
    assert (second["page"], second["page_size"], second["total"]) == (2, 3, 7)
    assert [e["session_id"] for e in second["sessions"]] == [
        studied["exam"],
        studied["teach_more"],
        studied["teach_half"],
    ]
    science = auth_client.get("/sessions/history?subject=Science", headers=A).json()
    assert (science["page"], science["page_size"], science["total"]) == (1, 20, 1)
    assert [e["session_id"] for e in science["sessions"]] == [studied["clarify"]]
    beyond = auth_client.get("/sessions/history?page=9&page_size=10", headers=A).json()
    assert (beyond["sessions"], beyond["total"]) == ([], 7)


@pytest.mark.parametrize(
    "query", ["page=0", "page_size=0", "page_size=101", "page=10001", "page=x"]
)
def test_history_paging_is_bounded(auth_client, query):
    r = auth_client.get(f"/sessions/history?{query}", headers=A)
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str)


def test_stats(auth_client, studied):
    r = auth_client.get("/sessions/stats", headers=A)
    assert r.status_code == 200
    stats = r.json()
    # Mastery: old exam 1.0, teach 0.0 and 0.75, exam 0.6, running exam 0, clarify 0, the
    # exam-only subtopic's 0.05.
    assert stats == {
        "total_sessions": 7,
        "average_mastery": round((1.0 + 0.75 + 0.6 + 0.05) / 7, 2),
        "topics_covered": ["Mathematics", "Science"],  # the subjects, sorted
        "total_steps": 1 + 1 + 3 + 1 + 1 + 1 + 1,
    }
    assert isinstance(stats["average_mastery"], float)
    fresh = bearer(sign(claims(sub="student-c", token_use="access"), KEY))
    assert auth_client.get("/sessions/stats", headers=fresh).json() == {
        "total_sessions": 0,
        "average_mastery": 0.0,
        "topics_covered": [],
        "total_steps": 0,
    }


def test_session_list_is_the_callers_newest_twenty(auth_client, curriculum):
    ids = [
        make.teach_me(curriculum["equivalent"], owner="student-a", minute=i, messages=i % 5)
        for i in range(21)
    ]
    make.clarify(curriculum["roots"], owner="student-b", minute=30, concepts=["x"])
    r = auth_client.get("/sessions", headers=A)
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 21  # all of the caller's sessions; the list stops at 20
    assert [s["session_id"] for s in body["sessions"]] == ids[::-1][:20]
    newest = body["sessions"][0]
    assert newest["message_count"] == 20 % 5
    assert newest["topic_name"] == "Fractions - Equivalent fractions"
    assert (newest["mode"], newest["mastery"], newest["coverage"]) == ("teach_me", 0.0, 50.0)
    assert when(newest["created_at"]) == when("2026-03-01T09:20:00Z")


def test_sessions_on_a_guideline(auth_client, curriculum, studied):
    gid = curriculum["equivalent"]
    r = auth_client.get(f"/sessions/guideline/{gid}", headers=A)  # the UI sends no query
    assert r.status_code == 200
    sessions = r.json()["sessions"]
    assert [s["session_id"] for s in sessions] == [
        studied[k] for k in ("exam_running", "exam", "teach_more", "teach_half", "old_exam")
    ]
    running, exam, teach_more, teach_half, _ = sessions
    # "Resume Exam": unfinished with answers, shown as answered/total; no score yet.
    assert running == {
        "session_id": studied["exam_running"],
        "mode": "exam",
        "created_at": running["created_at"],
        "is_complete": False,
        "is_paused": False,
        "exam_finished": False,
        "exam_score": None,
        "exam_total": 3,
        "exam_answered": 1,
        "coverage": None,
    }
    # "Past Exams": the FRACTIONAL sum of the marks (contrast history's count of 2).
    assert (exam["is_complete"], exam["exam_finished"]) == (True, True)
    assert (exam["exam_score"], exam["exam_total"], exam["exam_answered"]) == (2.4, 4, 4)
    assert isinstance(exam["exam_score"], float)
    assert when(exam["created_at"]) == when("2026-03-01T09:03:00Z")
    # "Resume Lesson": teach_me with coverage > 0 and not complete.
    assert (teach_half["mode"], teach_half["is_complete"], teach_half["coverage"]) == (
        "teach_me",
        False,
        50.0,
    )
    assert (teach_more["exam_finished"], teach_more["exam_score"], teach_more["exam_total"]) == (
        False,
        None,
        None,
    )

    exams = auth_client.get(f"/sessions/guideline/{gid}?mode=exam&finished_only=true", headers=A)
    assert [s["session_id"] for s in exams.json()["sessions"]] == [
        studied["exam"],
        studied["old_exam"],
    ]
    teach = auth_client.get(f"/sessions/guideline/{gid}?mode=teach_me", headers=A).json()
    assert {s["mode"] for s in teach["sessions"]} == {"teach_me"}
    # Only the caller's sessions; an unknown guideline is simply empty.
    other = auth_client.get(f"/sessions/guideline/{curriculum['adding']}", headers=B).json()
    assert [s["session_id"] for s in other["sessions"]] == [studied["other"]]
    assert auth_client.get(f"/sessions/guideline/{gid}", headers=B).json() == {"sessions": []}
    assert auth_client.get("/sessions/guideline/nope", headers=A).json() == {"sessions": []}
    assert auth_client.get(f"/sessions/guideline/{gid}?mode=exam_me", headers=A).status_code == 422


def test_exam_review_of_a_finished_exam(auth_client, studied):
    r = auth_client.get(f"/sessions/{studied['exam']}/exam-review", headers=A)
    assert r.status_code == 200
    review = r.json()
    assert review["session_id"] == studied["exam"]
    assert when(review["created_at"]) == when("2026-03-01T09:03:00Z")
    feedback = review["exam_feedback"]
    assert (feedback["score"], feedback["total"], feedback["percentage"]) == (2.4, 4, 60.0)
    assert feedback["weak_areas"] == ["equal parts", "equivalence"]
    assert feedback["strengths"] == []
    assert feedback["patterns"] == ["Overall strong performance"]  # 2 correct > 1 incorrect
    assert feedback["next_steps"] and all(isinstance(s, str) for s in feedback["next_steps"])
    questions = review["questions"]
    assert [q["question_idx"] for q in questions] == [0, 1, 2, 3]
    assert questions[1] == {
        "question_idx": 1,
        "question_text": "Q2?",
        "student_answer": "answer 2",
        "expected_answer": "A2",
        "result": "correct",
        "score": 0.9,
        "marks_rationale": "marked 0.9",
        "feedback": "marked 0.9",
        "concept": "equivalence",
        "difficulty": "medium",
    }
    assert [q["result"] for q in questions] == ["correct", "correct", "partial", "incorrect"]
    assert [q["score"] for q in questions] == MARKS


def test_exam_review_counts_unanswered_questions_as_zero(auth_client, curriculum):
    # Ended early: one answer of three, marked incorrect.
    sid = make.exam(curriculum["equivalent"], owner="student-a", marks=[0.1, None, None])
    review = auth_client.get(f"/sessions/{sid}/exam-review", headers=A).json()
    unanswered = review["questions"][1]
    assert (unanswered["student_answer"], unanswered["result"], unanswered["score"]) == (
        None,
        None,
        0.0,
    )
    assert unanswered["marks_rationale"] == "" and unanswered["difficulty"] == "medium"
    feedback = review["exam_feedback"]
    assert (feedback["score"], feedback["total"], feedback["percentage"]) == (0.1, 3, 3.3)
    assert feedback["patterns"] == ["More practice needed across concepts"]


def test_exam_review_refusals(auth_client, curriculum, studied, monkeypatch):
    def review(sid: str, headers: dict):
        return auth_client.get(f"/sessions/{sid}/exam-review", headers=headers)

    r = review("no-such-session", A)
    assert (r.status_code, r.json()["detail"]) == (404, "Session not found.")
    r = review(studied["exam"], B)  # another student's: like a missing one
    assert (r.status_code, r.json()["detail"]) == (404, "Session not found.")
    anonymous = make.exam(curriculum["equivalent"], owner=None, marks=[1.0])
    monkeypatch.setenv("ALLOW_ANONYMOUS_SESSIONS", "true")  # even where anyone may use it
    reset_settings()
    r = review(anonymous, A)  # nobody owns it, so nobody may review it
    assert (r.status_code, r.json()["detail"]) == (403, "Not your session")
    r = review(studied["teach_more"], A)
    assert (r.status_code, r.json()["detail"]) == (400, "Not an exam session")
    r = review(studied["exam_running"], A)  # answers are never shown before the end
    assert (r.status_code, r.json()["detail"]) == (403, "Exam is not yet finished")
    assert "A1" not in r.text and "marked" not in r.text
