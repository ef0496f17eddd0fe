"""Curriculum (approved only, one level per call, exact names), admin contents CRUD given to
the tutor, and the demo curriculum seed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from database import session_scope
from db import main as db_main
from shared.models.entities import Content, StudyPlan, TeachingGuideline
from tests.support.tutor import ADMIN, STUDENT_A, add_guideline, session_body


def _levels(client, query: str, headers: dict | None = None) -> dict:
    response = client.get(f"/curriculum?{query}", headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


def test_curriculum_lists_approved_guidelines_one_level_at_a_time(auth_client):
    g1 = add_guideline(subtopic="Equivalent fractions")
    g2 = add_guideline(subtopic="Adding fractions")
    add_guideline(subtopic="Unreviewed", review_status="TO_BE_REVIEWED")
    add_guideline(subtopic="Other grade", grade=6)
    add_guideline(subtopic="Other board", board="ICSE")
    add_guideline(subject="Science", topic="Plants", subtopic="Roots")
    add_guideline(subject="Science", topic="Animals", subtopic="Birds")
    add_guideline(subject="Science", topic="Animals", subtopic="Birds", grade=6)
    base = "country=India&board=CBSE&grade=5"

    assert _levels(auth_client, base) == {
        "subjects": ["Mathematics", "Science"],
        "topics": None,
        "subtopics": None,
    }
    # Distinct and sorted, whatever order the rows were written in.
    assert _levels(auth_client, f"{base}&subject=Science") == {
        "subjects": None,
        "topics": ["Animals", "Plants"],
        "subtopics": None,
    }
    assert _levels(auth_client, f"{base}&subject=Mathematics&topic=Fractions") == {
        "subjects": None,
        "topics": None,
        "subtopics": [
            {
                "subtopic": "Adding fractions",
                "guideline_id": g2,
                "subtopic_key": "adding-fractions",
            },
            {
                "subtopic": "Equivalent fractions",
                "guideline_id": g1,
                "subtopic_key": "equivalent-fractions",
            },
        ],
    }
    assert _levels(auth_client, "country=India&board=ICSE&grade=5")["subjects"] == ["Mathematics"]
    assert _levels(auth_client, "country=Nepal&board=CBSE&grade=5")["subjects"] == []


def test_curriculum_matches_the_stored_names_exactly(auth_client):
    add_guideline(subject="Social Studies", topic="Our Earth", subtopic="Maps & Globes")
    base = "country=India&board=CBSE&grade=5"

    assert _levels(auth_client, f"{base}&subject=social+studies")["topics"] == []
    assert _levels(auth_client, f"{base}&subject=Social+Studies&topic=Our+earth")["subtopics"] == []
    subs = _levels(auth_client, f"{base}&subject=Social%20Studies&topic=Our%20Earth")["subtopics"]
    assert [s["subtopic"] for s in subs] == ["Maps & Globes"]


def test_curriculum_lists_the_legacy_columns_not_the_titles(auth_client):
    gid = add_guideline(topic="Fractions", subtopic="Halves")
    with session_scope() as db:
        g = db.get(TeachingGuideline, gid)
        g.topic_title, g.subtopic_title = "Fractions (new title)", "Halves (new title)"
    add_guideline(topic="Untitled", subtopic="No legacy names")
    with session_scope() as db:
        for g in db.scalars(select(TeachingGuideline).where(TeachingGuideline.id != gid)):
            g.topic = g.subtopic = None  # rows of an older shape: nothing to list them by
    base = "country=India&board=CBSE&grade=5&subject=Mathematics"

    assert _levels(auth_client, base)["topics"] == ["Fractions"]
    subs = _levels(auth_client, f"{base}&topic=Fractions")["subtopics"]
    assert [(s["subtopic"], s["guideline_id"]) for s in subs] == [("Halves", gid)]


@pytest.mark.parametrize(
    "query",
    [
        "board=CBSE&grade=5",
        "country=India&grade=5",
        "country=India&board=CBSE",
        "country=India&board=CBSE&grade=13",
        "country=India&board=CBSE&grade=five",
    ],
)
def test_curriculum_needs_country_board_and_a_school_grade(auth_client, query):
    response = auth_client.get(f"/curriculum?{query}", headers=STUDENT_A)
    assert response.status_code == 422


def test_curriculum_needs_no_token_but_refuses_a_bad_one(auth_client):
    add_guideline()
    query = "country=India&board=CBSE&grade=5"

    assert _levels(auth_client, query)["subjects"] == ["Mathematics"]
    assert _levels(auth_client, query, STUDENT_A)["subjects"] == ["Mathematics"]
    bad = auth_client.get(f"/curriculum?{query}", headers={"Authorization": "Bearer not-a-jwt"})
    assert bad.status_code == 401


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
