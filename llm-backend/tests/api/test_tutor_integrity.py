"""Integrity of session state: compare-and-swap under 20 concurrent turns, model failures,
one paused session per subtopic, bad input, and ownership on every session route."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from database import session_scope
from shared.models.entities import Event
from shared.models.entities import Session as TutorSession
from tests.fakes.llm_server import Fail, Reply
from tests.support.errors import error_json
from tests.support.tutor import (
    STUDENT_A,
    STUDENT_B,
    add_guideline,
    fail_tutor,
    reply,
    session_body,
    teach,
)


def _create(client, gid: str, mode: str = "teach_me") -> str:
    r = client.post("/sessions", json=session_body(gid, mode), headers=STUDENT_A)
    assert r.status_code == 200, r.json()
    return r.json()["session_id"]


def _turns(client, sid: str) -> int:
    return client.get(f"/sessions/{sid}", headers=STUDENT_A).json()["turn_count"]


def _snapshot(sid: str) -> tuple:
    with session_scope() as db:
        row = db.get(TutorSession, sid)
        events = db.scalar(select(func.count()).select_from(Event).where(Event.session_id == sid))
        return (row.state_json, row.state_version, row.is_paused, row.mastery, row.step_idx, events)


def test_twenty_concurrent_steps_lose_and_duplicate_nothing(auth_client, fake_llm):
    gid = add_guideline()
    sid = _create(auth_client, gid)
    # Slow tutor answers so the turns overlap; "none" keeps the plan where it is.
    fake_llm.push(
        *[
            Reply(teach("none", f"reply {i}").content, delay=0.2, for_schema="TeachTurn")
            for i in range(20)
        ]
    )

    def one(i: int):
        return auth_client.post(
            f"/sessions/{sid}/step", json=reply(f"message {i}"), headers=STUDENT_A
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(one, range(20)))
    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 409}
    ok = [r.json() for r in responses if r.status_code == 200]
    conflicts = [r.json() for r in responses if r.status_code == 409]
    assert len(ok) >= 1
    assert all(c["error"]["code"] == "stale_session" for c in conflicts)
    assert all("reload" in c["error"]["message"] for c in conflicts)
    assert all(c["detail"] == c["error"]["message"] for c in conflicts)  # a string detail

    with session_scope() as db:
        row = db.get(TutorSession, sid)
        state = json.loads(row.state_json)
        events = db.scalars(select(Event).where(Event.session_id == sid)).all()
    assert state["turns"] == len(ok)
    assert row.state_version == 1 + len(ok)
    assert len(state["conversation"]) == 1 + 2 * len(ok)
    # Every accepted turn is stored exactly once, with its own student message.
    students = [t["text"] for t in state["conversation"] if t["role"] == "student"]
    assert len(set(students)) == len(ok)
    # Each accepted turn answered its own message (no reply was lost or given twice).
    assert sorted(r["next_turn"]["message"] for r in ok) == sorted(
        t["text"] for t in state["conversation"][2::2]
    )
    turn_events = sorted(json.loads(e.payload_json)["turn"] for e in events)
    assert turn_events == [0, *range(1, len(ok) + 1)]  # 0 = the opening's Present


def test_model_failure_leaves_session_exactly_as_before(auth_client, fake_llm):
    gid = add_guideline()
    sid = _create(auth_client, gid)
    before = _snapshot(sid)
    fake_llm.push(*fail_tutor("TeachTurn", 3))
    r = auth_client.post(f"/sessions/{sid}/step", json=reply("2/4"), headers=STUDENT_A)
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "llm_unavailable"
    assert _snapshot(sid) == before
    # The student can resend.
    fake_llm.push(teach("right", "Yes"))
    r = auth_client.post(f"/sessions/{sid}/step", json=reply("2/4"), headers=STUDENT_A)
    assert r.status_code == 200 and _turns(auth_client, sid) == 1


def test_unusable_model_output_is_a_503_and_changes_nothing(auth_client, fake_llm):
    gid = add_guideline()
    sid = _create(auth_client, gid)
    before = _snapshot(sid)
    fake_llm.push(*[Reply("not json", for_schema="TeachTurn") for _ in range(2)])
    r = auth_client.post(f"/sessions/{sid}/step", json=reply("2/4"), headers=STUDENT_A)
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "llm_output_invalid"
    assert _snapshot(sid) == before


def test_safety_failure_fails_the_turn_closed(auth_client, fake_llm):
    gid = add_guideline()
    sid = _create(auth_client, gid)
    before = _snapshot(sid)
    fake_llm.push(*[Fail(500, for_schema="SafetyCheck") for _ in range(3)])
    r = auth_client.post(f"/sessions/{sid}/step", json=reply("hello"), headers=STUDENT_A)
    assert r.status_code == 503
    assert _snapshot(sid) == before


def test_model_failure_on_create_creates_nothing(auth_client, fake_llm):
    gid = add_guideline()
    fake_llm.push(*[Fail(500, for_schema="TutorMessage") for _ in range(3)])
    r = auth_client.post("/sessions", json=session_body(gid, "teach_me"), headers=STUDENT_A)
    assert r.status_code == 503
    with session_scope() as db:
        assert db.scalar(select(func.count()).select_from(TutorSession)) == 0


def test_only_one_paused_session_per_subtopic(auth_client, fake_llm):
    gid = add_guideline()
    first, second = _create(auth_client, gid), _create(auth_client, gid)
    assert auth_client.post(f"/sessions/{first}/pause", headers=STUDENT_A).status_code == 200
    before = _snapshot(second)
    r = auth_client.post(f"/sessions/{second}/pause", headers=STUDENT_A)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "paused_session_exists"
    assert _snapshot(second) == before
    # Starting another teach_me on the subtopic points at the paused one.
    r = auth_client.post("/sessions", json=session_body(gid, "teach_me"), headers=STUDENT_A)
    assert r.json()["paused_session_id"] == first
    r = auth_client.get(f"/sessions/resumable?guideline_id={gid}", headers=STUDENT_A)
    assert r.json()["session_id"] == first
    # Another student's paused session is never offered; a missing guideline_id is a 422.
    r = auth_client.get(f"/sessions/resumable?guideline_id={gid}", headers=STUDENT_B)
    assert r.status_code == 404
    assert auth_client.get("/sessions/resumable", headers=STUDENT_A).status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"student_reply": ""}, "student_reply"),
        ({"student_reply": "   "}, "student_reply"),
        ({"student_reply": "x" * 5000}, "student_reply"),
        ({}, "student_reply"),
        ({"student_reply": 5}, "student_reply"),
        ({"message": "the old shape"}, "student_reply"),
    ],
)
def test_bad_step_input_is_422_and_session_untouched(auth_client, fake_llm, body, field):
    sid = _create(auth_client, add_guideline())
    before, calls = _snapshot(sid), len(fake_llm.requests)
    r = auth_client.post(f"/sessions/{sid}/step", json=body, headers=STUDENT_A)
    assert r.status_code == 422
    assert field in r.json()["error"]["message"]
    assert _snapshot(sid) == before
    assert len(fake_llm.requests) == calls  # no model was asked


def test_bad_create_input(auth_client, fake_llm):
    approved, draft = add_guideline(), add_guideline(review_status="TO_BE_REVIEWED")
    r = auth_client.post("/sessions", json=session_body(approved, "lecture_me"), headers=STUDENT_A)
    assert r.status_code == 422 and "mode" in r.json()["error"]["message"]
    old_shape = {"guideline_id": approved, "mode": "teach_me"}
    assert auth_client.post("/sessions", json=old_shape, headers=STUDENT_A).status_code == 422
    for gid in ("no-such-guideline", draft):
        r = auth_client.post("/sessions", json=session_body(gid, "teach_me"), headers=STUDENT_A)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "guideline_not_found"
    with session_scope() as db:
        assert db.scalar(select(func.count()).select_from(TutorSession)) == 0
    assert fake_llm.requests == []


def test_another_users_session_is_404_on_every_route(auth_client, fake_llm):
    sid = _create(auth_client, add_guideline())
    before = _snapshot(sid)
    calls = [
        ("GET", f"/sessions/{sid}", None),
        ("POST", f"/sessions/{sid}/step", reply("hi")),
        ("POST", f"/sessions/{sid}/pause", None),
        ("POST", f"/sessions/{sid}/resume", None),
        ("POST", f"/sessions/{sid}/end-exam", None),
        ("POST", f"/sessions/{sid}/end-clarify", None),
        ("GET", f"/sessions/{sid}/replay", None),
        ("GET", f"/sessions/{sid}/summary", None),
    ]
    for method, path, body in calls:
        r = auth_client.request(method, path, json=body, headers=STUDENT_B)
        assert r.status_code == 404, path
        assert r.json() == error_json("session_not_found", "Session not found.")
    assert _snapshot(sid) == before
    assert auth_client.get("/sessions", headers=STUDENT_B).json()["total"] == 0
    card = auth_client.get("/sessions/report-card", headers=STUDENT_B).json()
    assert card == {"total_sessions": 0, "total_topics_studied": 0, "subjects": []}
    assert auth_client.get("/sessions", headers=STUDENT_A).json()["total"] == 1


def test_history_filters_and_paginates_my_sessions(auth_client, fake_llm):
    maths = add_guideline()
    science = add_guideline(subject="Science", topic="Plants", subtopic="Roots")
    ids = [_create(auth_client, maths), _create(auth_client, maths, "clarify_doubts")]
    ids.append(_create(auth_client, science))
    page = auth_client.get("/sessions/history?page=1&page_size=2", headers=STUDENT_A).json()
    assert (page["total"], len(page["sessions"]), page["page_size"]) == (3, 2, 2)
    rest = auth_client.get("/sessions/history?page=2&page_size=2", headers=STUDENT_A).json()
    assert [s["session_id"] for s in page["sessions"] + rest["sessions"]] == ids[::-1]
    r = auth_client.get("/sessions/history?subject=Mathematics", headers=STUDENT_A)
    assert [s["session_id"] for s in r.json()["sessions"]] == ids[1::-1]
    one = auth_client.get(f"/sessions/{ids[2]}", headers=STUDENT_A).json()
    assert (one["topic"]["subject"], one["topic"]["topic_name"]) == ("Science", "Plants - Roots")


def test_anonymous_sessions_only_when_allowed(auth_client, fake_llm, monkeypatch):
    from config import reset_settings

    gid = add_guideline()
    body = session_body(gid, "clarify_doubts")
    assert auth_client.post("/sessions", json=body).status_code == 401
    monkeypatch.setenv("ALLOW_ANONYMOUS_SESSIONS", "true")
    reset_settings()
    r = auth_client.post("/sessions", json=body)
    assert r.status_code == 200
    sid = r.json()["session_id"]
    assert auth_client.post(f"/sessions/{sid}/step", json=reply("why?")).status_code == 200
    with session_scope() as db:
        assert db.get(TutorSession, sid).user_id is None
