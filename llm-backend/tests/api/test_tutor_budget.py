"""Tutor model calls inside the request's budget: a flagged turn answers without waiting for
the tutor's draft, and the exam paper and turns answer 503 `llm_deadline` instead of outliving
the request. The fake model server holds calls on events; nothing here sleeps."""

from __future__ import annotations

import json
import threading

from sqlalchemy import func, select

from database import session_scope
from shared.models.entities import LLMCall
from shared.models.entities import Session as TutorSession
from tests.fakes.llm_server import Reply, request_schema_name
from tests.support.books import wait_for
from tests.support.tutor import STUDENT_A, add_guideline, reply, say, session_body, teach, unsafe


def _outcomes() -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(LLMCall.outcome).order_by(LLMCall.started_at)))


def _hold(fake_llm, schema: str, content: dict) -> tuple[threading.Event, threading.Event]:
    """Every request for `schema` waits for the returned gate; `arrived` is set when one is in."""
    gate, arrived = threading.Event(), threading.Event()

    def responder(path, body):
        if request_schema_name(path, body) == schema:
            return Reply(content, gate=gate, arrived=arrived)
        return None

    fake_llm.responder = responder
    return gate, arrived


def _teach_session(client, fake_llm) -> str:
    fake_llm.push(say("Welcome"))
    body = session_body(add_guideline(), "teach_me")
    created = client.post("/sessions", json=body, headers=STUDENT_A)
    assert created.status_code == 200, created.json()
    return created.json()["session_id"]


def test_a_flagged_turn_answers_while_the_draft_is_still_held(auth_client, fake_llm):
    sid = _teach_session(auth_client, fake_llm)
    draft = teach("right", "DRAFT THAT MUST NOT BE SHOWN").content
    gate, arrived = _hold(fake_llm, "TeachTurn", draft)
    fake_llm.push(unsafe("violence"))
    try:
        r = auth_client.post(
            f"/sessions/{sid}/step", json=reply("something unsafe"), headers=STUDENT_A
        )
        assert r.status_code == 200
        assert r.json()["next_turn"]["message"].startswith("I can't help with that here.")
        assert arrived.wait(10)  # the draft reached the provider and is still held there
        assert not gate.is_set()
        assert _outcomes() == ["ok", "ok"]  # the opening and the safety check; no draft yet
    finally:
        gate.set()

    # Released, the abandoned draft's call is recorded as such, and it made one attempt.
    assert wait_for(lambda: sorted(_outcomes()) == ["abandoned", "ok", "ok"])
    drafts = [q for q in fake_llm.requests if request_schema_name(q.path, q.body) == "TeachTurn"]
    assert len(drafts) == 1
    state = auth_client.get(f"/sessions/{sid}", headers=STUDENT_A).json()
    assert "DRAFT THAT MUST NOT BE SHOWN" not in json.dumps(state)


def test_the_exam_paper_answers_llm_deadline_within_the_budget(auth_client, fake_llm, small_budget):
    gate, _ = _hold(fake_llm, "ExamPaper", {"questions": []})
    try:
        body = session_body(add_guideline(), "exam")
        r = auth_client.post("/sessions", json=body, headers=STUDENT_A)
    finally:
        gate.set()

    assert (r.status_code, r.json()["error"]["code"]) == (503, "llm_deadline")
    assert _outcomes() == ["deadline"]
    assert len(fake_llm.requests) == 1
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(TutorSession)) == 0


def test_a_slow_turn_answers_llm_deadline_and_leaves_the_session_as_it_was(
    auth_client, fake_llm, small_budget
):
    sid = _teach_session(auth_client, fake_llm)
    with session_scope() as session:
        before = session.get(TutorSession, sid).state_json
    gate, _ = _hold(fake_llm, "TeachTurn", {})
    try:
        r = auth_client.post(f"/sessions/{sid}/step", json=reply("2/4"), headers=STUDENT_A)
    finally:
        gate.set()

    assert (r.status_code, r.json()["error"]["code"]) == (503, "llm_deadline")
    assert sorted(_outcomes()) == ["deadline", "ok", "ok"]  # opening, safety check, draft
    with session_scope() as session:
        assert session.get(TutorSession, sid).state_json == before
