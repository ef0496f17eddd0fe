"""Contract (shared/reference/upstream-api.md §2.2, §2.3, §2.4.7, §1.3): browsing the
curriculum, the model label, the devtools agent logs and the browser's preflight, each called
exactly as the learnlikemagic frontend calls it: `api.ts` sends its access token and a JSON
Content-Type on every call, GET included, and builds query strings with URLSearchParams (a
space becomes `+`)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from config import reset_settings
from database import session_scope
from shared.models.base import utcnow
from shared.models.entities import Event, LLMCall, LLMConfig, User
from shared.models.entities import Session as TutorSession
from tests.support.auth import KEY, bearer, claims, sign
from tests.support.tutor import add_guideline

ACCESS = bearer(sign(claims(sub="student-a", token_use="access"), KEY))
EXPIRED = bearer(sign(claims(sub="student-a", token_use="access", expires_in=-3600), KEY))
API_TS = {**ACCESS, "Content-Type": "application/json"}
ORIGIN = "http://localhost:5173"


def _get(client, url: str, headers: dict = API_TS) -> dict:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


# §2.3 GET /curriculum -------------------------------------------------------------------


@pytest.fixture
def grade_3() -> dict[str, str]:
    """The profile defaults the UI falls back to: India, CBSE, grade 3."""
    ids = {
        name: add_guideline(subject="Social Studies", topic="Our Earth", subtopic=name, grade=3)
        for name in ("Maps and Directions", "Day and Night")
    }
    add_guideline(subject="Mathematics", topic="Shapes and Space", subtopic="Circles", grade=3)
    draft = {"review_status": "TO_BE_REVIEWED"}
    add_guideline(subject="Mathematics", topic="Numbers", subtopic="Draft", grade=3, **draft)
    return ids


def test_subject_select(auth_client, grade_3):
    body = _get(auth_client, "/curriculum?country=India&board=CBSE&grade=3")

    assert body == {
        "subjects": ["Mathematics", "Social Studies"],
        "topics": None,
        "subtopics": None,
    }


def test_topic_select(auth_client, grade_3):
    body = _get(auth_client, "/curriculum?country=India&board=CBSE&grade=3&subject=Social+Studies")

    assert body == {"subjects": None, "topics": ["Our Earth"], "subtopics": None}


def test_subtopic_select_and_the_deep_link(auth_client, grade_3):
    url = "/curriculum?country=India&board=CBSE&grade=3&subject=Social+Studies&topic=Our+Earth"
    body = _get(auth_client, url)

    assert body["subjects"] is None and body["topics"] is None
    entries = body["subtopics"]
    assert [e["subtopic"] for e in entries] == ["Day and Night", "Maps and Directions"]
    for entry in entries:
        assert isinstance(entry["subtopic"], str)
        assert entry["guideline_id"] == grade_3[entry["subtopic"]]
    # ModeSelectPage: the entry whose subtopic equals the decoded URL segment, exactly.
    segment = "Maps and Directions"
    match = next(e for e in entries if e["subtopic"] == segment)
    assert match["guideline_id"] == grade_3[segment]


def test_a_level_with_nothing_approved_is_an_empty_list(auth_client, grade_3):
    url = "/curriculum?country=India&board=CBSE&grade=3&subject=Mathematics&topic=Numbers"
    assert _get(auth_client, url) == {"subjects": None, "topics": None, "subtopics": []}


# §2.2 GET /config/models -----------------------------------------------------------------


@pytest.mark.parametrize("headers", [API_TS, {}, {**EXPIRED, "Content-Type": "application/json"}])
def test_config_models_never_sends_the_frontend_to_login(auth_client, headers):
    body = _get(auth_client, "/config/models", headers)

    with session_scope() as db:
        keys = {row.component_key for row in db.query(LLMConfig)}
    assert set(body) == keys and "tutor" in keys
    for entry in body.values():
        assert isinstance(entry["provider"], str) and isinstance(entry["model_id"], str)
        assert entry["description"] is None or isinstance(entry["description"], str)
    # LearnLayout / ChatSession: the label is tutor.description, else tutor.model_id.
    assert body["tutor"]["description"] or body["tutor"]["model_id"]


# §2.4.7 GET /sessions/{session_id}/agent-logs ---------------------------------------------

LOG_KEYS = {
    "timestamp",
    "turn_id",
    "agent_name",
    "event_type",
    "input_summary",
    "output",
    "reasoning",
    "duration_ms",
    "prompt",
    "model",
}


@pytest.fixture
def stored_session(auth_client) -> str:
    """A teach_me session of student-a as the tutor stores it: its opening (turn 0) and one
    answered turn, each with the events and the model calls it wrote."""
    now = utcnow()
    with session_scope() as db:
        user = User(cognito_sub="student-a", email="a@example.com")
        db.add(user)
        db.flush()
        row = TutorSession(
            user_id=user.id, mode="teach_me", state_json=json.dumps({"is_complete": False})
        )
        db.add(row)
        db.flush()
        for i, (turn, node, payload) in enumerate(
            [
                (0, "Present", {"action": "present_step", "concept": "halves"}),
                (1, "Check", {"verdict": "right", "concept": "halves", "mastery": 0.8}),
                (1, "Advance", {"from": 0, "to": 1, "skipped": False}),
            ]
        ):
            db.add(
                Event(
                    session_id=row.id,
                    node=node,
                    step_idx=turn,
                    payload_json=json.dumps({**payload, "turn": turn}),
                    # A turn's rows are written together, 1 µs apart, as the tutor does.
                    created_at=now + timedelta(seconds=10 * turn + 2, microseconds=i),
                )
            )
        for turn in (0, 1):
            db.add(
                LLMCall(
                    component="tutor",
                    provider="openai",
                    model="gpt-4o-mini",
                    started_at=now + timedelta(seconds=10 * turn),
                    latency_ms=1500,
                    attempts=1,
                    outcome="ok",
                    session_id=row.id,
                )
            )
        return row.id


def test_agent_logs_panel(auth_client, stored_session):
    body = _get(auth_client, f"/sessions/{stored_session}/agent-logs")

    assert body["session_id"] == stored_session
    assert body["turn_id"] is None
    assert body["total_count"] == len(body["logs"]) == 5
    for log in body["logs"]:
        assert set(log) == LOG_KEYS
        assert isinstance(log["timestamp"], str) and isinstance(log["turn_id"], str)
        assert isinstance(log["agent_name"], str) and isinstance(log["event_type"], str)
        assert log["output"] is None or isinstance(log["output"], dict)
        assert log["duration_ms"] is None or isinstance(log["duration_ms"], int)
        assert log["prompt"] is None
    assert [(x["turn_id"], x["agent_name"], x["event_type"]) for x in body["logs"]] == [
        ("turn_0", "tutor", "llm_call"),
        ("turn_0", "orchestrator", "Present"),
        ("turn_1", "tutor", "llm_call"),
        ("turn_1", "orchestrator", "Check"),
        ("turn_1", "orchestrator", "Advance"),
    ]
    call = body["logs"][2]
    assert (call["model"], call["duration_ms"]) == ("gpt-4o-mini", 1500)


def test_agent_logs_panel_filters(auth_client, stored_session):
    url = f"/sessions/{stored_session}/agent-logs?turn_id=turn_1&agent_name=orchestrator"
    body = _get(auth_client, url)

    assert body["turn_id"] == "turn_1"
    assert [x["event_type"] for x in body["logs"]] == ["Check", "Advance"]
    assert body["logs"][0]["output"]["verdict"] == "right"
    assert body["total_count"] == 2


# §1.3 CORS --------------------------------------------------------------------------------


@pytest.fixture
def dev_origins(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.delenv("CORS_ALLOWED_ORIGINS", raising=False)
    reset_settings()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/sessions"),
        ("GET", "/curriculum?country=India&board=CBSE&grade=3&subject=Social+Studies"),
        ("GET", "/config/models"),
        ("GET", "/sessions/3f1c0a52-0000-4000-8000-000000000000/agent-logs?turn_id=turn_1"),
    ],
)
def test_the_browser_preflight(auth_client, dev_origins, method, path):
    response = auth_client.options(
        path,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert method in response.headers["access-control-allow-methods"].split(", ")
    allowed = {h.lower() for h in response.headers["access-control-allow-headers"].split(", ")}
    assert {"authorization", "content-type"} <= allowed
