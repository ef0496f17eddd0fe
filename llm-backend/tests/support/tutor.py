"""Helpers for tutor tests: an approved curriculum and scripted model replies by schema name."""

from __future__ import annotations

import json

from database import session_scope
from shared.models.entities import StudyPlan, TeachingGuideline
from tests.fakes.llm_server import Fail, Reply
from tests.support.auth import KEY, bearer, claims, sign

STUDENT_A = bearer(sign(claims(sub="student-a"), KEY))
STUDENT_B = bearer(sign(claims(sub="student-b"), KEY))
ADMIN = bearer(sign(claims(sub="admin-1", groups=["admin"]), KEY))

PLAN = [
    {"type": "explain", "concept": "equal parts", "goal": "What a fraction is"},
    {"type": "check", "concept": "equal parts", "goal": "Name a fraction"},
    {"type": "explain", "concept": "equivalence", "goal": "1/2 = 2/4"},
    {"type": "practice", "concept": "equivalence", "goal": "Find one equal to 2/3"},
]


def add_guideline(
    *,
    review_status: str = "APPROVED",
    subtopic: str = "Equivalent fractions",
    topic: str = "Fractions",
    grade: int = 5,
    board: str = "CBSE",
    subject: str = "Mathematics",
    plan: list[dict] | None = PLAN,
) -> str:
    with session_scope() as db:
        g = TeachingGuideline(
            country="India",
            board=board,
            grade=grade,
            subject=subject,
            # As the book sync writes them: the legacy columns the curriculum lists, = titles.
            topic=topic,
            subtopic=subtopic,
            topic_title=topic,
            topic_key=topic.lower(),
            subtopic_title=subtopic,
            subtopic_key=subtopic.lower().replace(" ", "-"),
            subtopic_summary=f"Summary of {subtopic}",
            guideline=f"How to teach {subtopic}.",
            review_status=review_status,
        )
        db.add(g)
        db.flush()
        if plan is not None:
            db.add(StudyPlan(guideline_id=g.id, plan_json=json.dumps({"steps": plan})))
        return g.id


def say(text: str) -> Reply:
    return Reply({"message": text}, for_schema="TutorMessage")


def teach(verdict: str, text: str = "ok", misconception: str = "", skip: bool = False) -> Reply:
    content = {
        "verdict": verdict,
        "misconception": misconception,
        "message": text,
        "skip_ahead": skip,
    }
    return Reply(content, for_schema="TeachTurn")


def clarify(text: str, concepts: list[str], done: bool = False, check: bool = False) -> Reply:
    content = {
        "message": text,
        "concepts": concepts,
        "student_is_done": done,
        "asked_check_question": check,
    }
    return Reply(content, for_schema="ClarifyTurn")


def unsafe(category: str = "violence") -> Reply:
    return Reply({"flagged": True, "category": category}, for_schema="SafetyCheck")


def paper(count: int = 7) -> Reply:
    kinds = ["conceptual", "procedural", "application"]
    levels = ["easy"] * 2 + ["medium"] * 4 + ["hard"] * 1
    questions = [
        {
            "question": f"Q{i + 1}?",
            "difficulty": levels[i % len(levels)],
            "kind": kinds[i % 3],
            "concept": "equivalence" if i % 2 else "equal parts",
            "expected_answer": f"A{i + 1}",
        }
        for i in range(count)
    ]
    return Reply({"questions": questions}, for_schema="ExamPaper")


# A mark in the middle of each verdict's band (>= 0.8 correct, >= 0.2 partial).
SCORE_FOR = {"correct": 1.0, "partial": 0.5, "incorrect": 0.0}


def mark(verdict: str | float) -> Reply:
    """An exam mark: a verdict's typical fraction, or an exact fraction 0-1."""
    score = SCORE_FOR[verdict] if isinstance(verdict, str) else verdict
    return Reply({"score": score, "rationale": f"marked {verdict}"}, for_schema="AnswerMark")


def fail_tutor(schema: str = "TeachTurn", times: int = 3) -> list[Fail]:
    return [Fail(500, for_schema=schema) for _ in range(times)]


def session_body(guideline_id: str, mode: str | None = None, *, student_id: str = "s1") -> dict:
    """`POST /sessions` exactly as the frontend's ModeSelectPage sends it (the scorecard's
    "Practice Again" leaves `mode` out)."""
    body = {
        "student": {"id": student_id, "grade": 3, "prefs": {"style": "standard", "lang": "en"}},
        "goal": {
            "topic": "Fractions",
            "syllabus": "CBSE-G3",
            "learning_objectives": ["Learn Equivalent fractions"],
            "guideline_id": guideline_id,
        },
    }
    if mode is not None:
        body["mode"] = mode
    return body


def reply(text: str) -> dict:
    """`POST /sessions/{id}/step` as the frontend sends it."""
    return {"student_reply": text}


# What the frontend sends on every learner call: the Cognito *access* token.
LEARNER = bearer(sign(claims(sub="learner-1", token_use="access"), KEY))
OTHER_LEARNER = bearer(sign(claims(sub="learner-2", token_use="access"), KEY))
