"""Curriculum (approved only, profile defaults, progress), admin contents CRUD given to the
tutor, and the demo curriculum seed."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from database import session_scope
from db import main as db_main
from shared.models.entities import Content, StudyPlan, TeachingGuideline, User
from tests.support.tutor import ADMIN, STUDENT_A, add_guideline, say, session_body


def _set_profile(**values) -> None:
    with session_scope() as db:
        user = db.scalar(select(User).where(User.cognito_sub == "student-a"))
        for key, value in values.items():
            setattr(user, key, value)


def test_curriculum_lists_only_approved_guidelines_with_progress(auth_client, fake_llm):
    g1 = add_guideline(subtopic="Equivalent fractions")
    g2 = add_guideline(subtopic="Adding fractions")
    add_guideline(subtopic="Unreviewed", review_status="TO_BE_REVIEWED")
    add_guideline(subtopic="Other grade", grade=6)
    add_guideline(subject="Science", topic="Plants", subtopic="Roots")

    r = auth_client.get("/curriculum/subjects?grade=5", headers=STUDENT_A)
    assert r.status_code == 200
    assert r.json()["subjects"] == ["Mathematics", "Science"]
    r = auth_client.get("/curriculum/topics?grade=5&subject=Mathematics", headers=STUDENT_A)
    assert [(t["topic"], t["count"]) for t in r.json()["topics"]] == [("Fractions", 2)]

    # Defaults come from the profile: grade 6 shows only the grade-6 guideline.
    _set_profile(grade=6, board="CBSE")
    r = auth_client.get(
        "/curriculum/subtopics?subject=Mathematics&topic=Fractions", headers=STUDENT_A
    )
    assert [s["subtopic"] for s in r.json()["subtopics"]] == ["Other grade"]
    assert r.json()["filters"]["grade"] == 6

    fake_llm.push(say("hi"))
    sid = auth_client.post(
        "/sessions", json=session_body(g1, "teach_me"), headers=STUDENT_A
    ).json()["session_id"]
    auth_client.post(f"/sessions/{sid}/pause", headers=STUDENT_A)
    r = auth_client.get(
        "/curriculum/subtopics?subject=Mathematics&topic=Fractions&grade=5", headers=STUDENT_A
    )
    subs = {s["guideline_id"]: s for s in r.json()["subtopics"]}
    assert set(subs) == {g1, g2}
    assert subs[g1]["summary"] == "Summary of Equivalent fractions"
    progress = subs[g1]["progress"]
    assert (progress["coverage"], progress["coverage_percent"]) == (0.5, 50.0)
    assert progress["paused_session_id"] == sid
    assert progress["last_studied"] is not None
    assert subs[g2]["progress"] == {
        "coverage": 0.0,
        "coverage_percent": 0.0,
        "latest_exam": None,
        "last_studied": None,
        "paused_session_id": None,
    }


def test_admin_contents_crud_and_tutor_gets_them(auth_client, fake_llm):
    body = {"topic": "Fractions", "grade": 5, "text": "Pizza slices: 4/8 = 1/2", "tags": "food"}
    assert auth_client.post("/admin/contents", json=body, headers=STUDENT_A).status_code == 403
    r = auth_client.post("/admin/contents", json=body, headers=ADMIN)
    assert r.status_code == 201
    cid = r.json()["id"]
    assert r.json() == {**body, "id": cid, "skill": None}
    r = auth_client.patch(f"/admin/contents/{cid}", json={"skill": "equivalence"}, headers=ADMIN)
    assert r.json()["skill"] == "equivalence"
    r = auth_client.patch(f"/admin/contents/{cid}", json={"text": None}, headers=ADMIN)
    assert r.status_code == 422
    r = auth_client.post("/admin/contents", json={**body, "grade": 13}, headers=ADMIN)
    assert r.status_code == 422
    listing = auth_client.get("/admin/contents?topic=Fractions&grade=5", headers=ADMIN).json()
    assert [c["id"] for c in listing["items"]] == [cid] and listing["total"] == 1

    gid = add_guideline()
    auth_client.post("/sessions", json=session_body(gid, "teach_me"), headers=STUDENT_A)
    assert "Pizza slices: 4/8 = 1/2" in json.dumps(fake_llm.requests[-1].body)

    assert auth_client.delete(f"/admin/contents/{cid}", headers=ADMIN).status_code == 204
    assert auth_client.get(f"/admin/contents/{cid}", headers=ADMIN).status_code == 404


def test_seed_demo_adds_an_approved_curriculum_once(db, capsys):
    assert db_main(["--seed-demo"]) == 0
    assert "Demo curriculum added" in capsys.readouterr().out
    assert db_main(["--seed-demo"]) == 0
    assert "demo not added" in capsys.readouterr().out
    with session_scope() as s:
        rows = s.scalars(select(TeachingGuideline)).all()
        assert [(g.grade, g.subject, g.topic_title, g.review_status) for g in rows] == [
            (5, "Mathematics", "Fractions", "APPROVED")
        ] * 2
        assert s.scalar(select(func.count()).select_from(StudyPlan)) == 2
        assert s.scalar(select(func.count()).select_from(Content)) == 2
