"""A tutor turn reads once: the caller's user row, the session, its guideline and examples in one
SELECT (tutor/services/turn_read.py), then writes in one transaction. Nothing is cached, so the
turn's guard (tutor/api/turn_access.py) answers exactly as OwnedSession does, and every turn
sees the user, the session and the guideline as they are now."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from config import reset_settings
from database import session_scope
from shared.models.entities import Content, TeachingGuideline, User
from shared.models.entities import Session as TutorSession
from tests.support import sessions as stored
from tests.support.auth import KEY, bearer, claims, sign
from tests.support.statements import matching, recorded_statements
from tests.support.tutor import STUDENT_A, add_guideline, reply, say, session_body, teach
from tutor.services import contents_service, curriculum_service
from tutor.services.turn_read import read_turn


def _teach_me(client, fake_llm, gid: str) -> str:
    fake_llm.push(say("Hi! What is one half?"))
    r = client.post("/sessions", json=session_body(gid, "teach_me"), headers=STUDENT_A)
    assert r.status_code == 200, r.json()
    return r.json()["session_id"]


def _turn(client, fake_llm, sid: str, headers: dict = STUDENT_A) -> str:
    """One turn; the tutor prompt the model was sent (its system messages)."""
    fake_llm.push(teach("partial", "Nearly!"))
    before = len(fake_llm.requests)
    r = client.post(f"/sessions/{sid}/step", json=reply("one of two"), headers=headers)
    assert r.status_code == 200, r.json()
    return "\n".join(json.dumps(q.body) for q in fake_llm.requests[before:])


def _add_examples(grade: int, *pairs: tuple[str, str]) -> None:
    with session_scope() as db:
        db.add_all(Content(topic=topic, grade=grade, text=text) for topic, text in pairs)


def _set_last_login(sub: str, when: datetime) -> None:
    with session_scope() as db:
        db.execute(update(User).where(User.cognito_sub == sub).values(last_login_at=when))


def _last_login(sub: str) -> datetime | None:
    with session_scope() as db:
        return db.scalar(select(User.last_login_at).where(User.cognito_sub == sub))


def test_a_teach_me_turn_is_one_read_and_one_write_transaction(auth_client, fake_llm):
    gid = add_guideline()
    _add_examples(5, ("Fractions", "Fold a paper in half."), ("Other", "Not this one."))
    sid = _teach_me(auth_client, fake_llm, gid)
    with recorded_statements() as seen:
        sent = _turn(auth_client, fake_llm, sid)
    assert len(seen) <= 4, seen
    assert [s.split()[0] for s in seen] == ["SELECT", "UPDATE", "INSERT", "INSERT"]
    assert matching(seen[1:], r"^UPDATE sessions .* state_version")
    assert matching(seen[2:], r"^INSERT INTO events") and matching(seen[3:], r"^INSERT INTO llm")
    # What the one read brought reached the model: the guideline and its example, no other.
    assert "How to teach Equivalent fractions." in sent
    assert "Fold a paper in half." in sent and "Not this one." not in sent


def test_the_turn_keeps_the_last_login_rule(auth_client, fake_llm):
    """A stale `last_login_at` is refreshed by a turn (one conditional UPDATE more); a recent
    one costs nothing, as on every other route."""
    sid = _teach_me(auth_client, fake_llm, add_guideline())
    stale = datetime(2026, 1, 1, tzinfo=UTC)
    _set_last_login("student-a", stale)
    with recorded_statements() as seen:
        _turn(auth_client, fake_llm, sid)
    assert len(matching(seen, r"^UPDATE users SET last_login_at")) == 1
    refreshed = _last_login("student-a")
    assert refreshed is not None and refreshed > stale
    with recorded_statements() as seen:
        _turn(auth_client, fake_llm, sid)
    assert matching(seen, r"^UPDATE users") == [] and len(seen) == 4
    assert _last_login("student-a") == refreshed


def test_every_turn_sees_the_guideline_and_the_user_as_they_are_now(auth_client, fake_llm):
    gid = add_guideline()
    sid = _teach_me(auth_client, fake_llm, gid)
    assert "How to teach Equivalent fractions." in _turn(auth_client, fake_llm, sid)

    with session_scope() as db:
        db.get(TeachingGuideline, gid).guideline = "Teach halves by sharing a pizza."
    _add_examples(5, ("fractions", "Cut a cake into four."))
    sent = _turn(auth_client, fake_llm, sid)
    assert "Teach halves by sharing a pizza." in sent and "Cut a cake into four." in sent
    assert "How to teach Equivalent fractions." not in sent

    with session_scope() as db:  # a deleted guideline: the turn goes on without its text
        db.delete(db.get(TeachingGuideline, gid))
    sent = _turn(auth_client, fake_llm, sid)
    assert "(no guideline text)" in sent and "Cut a cake into four." not in sent

    with session_scope() as db:  # a disabled account is refused on its very next turn
        db.scalars(select(User).where(User.cognito_sub == "student-a")).one().is_active = False
    calls = len(fake_llm.requests)
    r = auth_client.post(f"/sessions/{sid}/step", json=reply("hello"), headers=STUDENT_A)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "account_disabled")
    assert len(fake_llm.requests) == calls


def test_a_row_whose_guideline_column_disagrees_with_its_state_reads_the_states(
    auth_client, fake_llm
):
    """The turn's read joins on `sessions.guideline_id`; the tutor teaches the state's
    guideline, read on its own when the column names another (or none)."""
    gid, other = add_guideline(), add_guideline(subtopic="Decimals")
    sid = _teach_me(auth_client, fake_llm, gid)
    for column in (other, None):
        with session_scope() as db:
            db.get(TutorSession, sid).guideline_id = column
        with recorded_statements() as seen:
            sent = _turn(auth_client, fake_llm, sid)
        assert "How to teach Equivalent fractions." in sent
        assert "How to teach Decimals." not in sent
        assert len(matching(seen, r"^SELECT teaching_guidelines")) == 1


@pytest.mark.parametrize(
    ("title", "topic", "key"),
    [
        ("Fractions", "Fractions", "fractions"),
        ("", "Old name", "key"),
        (None, None, "key"),
        (None, "", None),  # no name at all: "General", as curriculum_service.topic_of says
        ("Title", "", ""),
    ],
)
def test_the_read_brings_the_examples_examples_for_gives(db, title, topic, key):
    names = ["Fractions", "fractions", "Old name", "key", "General", "Title", "", "Other"]
    _add_examples(5, *[(name, f"{name} {i}") for name in names for i in range(3)])
    _add_examples(6, ("Fractions", "grade six"), ("key", "grade six"), ("General", "grade six"))
    with session_scope() as db_session:
        g = TeachingGuideline(
            country="India", board="CBSE", grade=5, subject="Mathematics", topic=topic
        )
        g.topic_title, g.topic_key = title, key
        db_session.add(g)
        db_session.flush()
        row = TutorSession(subject="Mathematics", guideline_id=g.id)
        db_session.add(row)
        db_session.flush()
        topics = [curriculum_service.topic_of(g), g.topic, g.topic_key]
        expected = contents_service.examples_for(session=db_session, topics=topics, grade=5)
        got = read_turn(session=db_session, session_id=row.id, sub=None)
    assert expected and got.guideline.examples == expected
    assert len(expected) <= contents_service.MAX_EXAMPLES
    assert (got.guideline.guideline_id, got.guideline.guideline.id) == (g.id, g.id)
    assert got.user is None and got.row.id == row.id


@pytest.fixture
def paused_sessions(auth_client) -> dict[str, str]:
    """A paused teach_me session of `owner`'s, a paused anonymous one, and a disabled user
    `banned` with a session of their own: a turn that passes the guard answers 409 paused,
    without calling the model or writing."""
    gid = add_guideline()
    ids = {
        "owner's": stored.teach_me(gid, owner="owner", paused=True),
        "anonymous": stored.teach_me(gid, owner=None, paused=True),
        "banned's": stored.teach_me(gid, owner="banned", paused=True),
        "missing": "no-such-session",
    }
    with session_scope() as db:
        db.scalars(select(User).where(User.cognito_sub == "banned")).one().is_active = False
    return ids


FIRST_SIGHT = itertools.count()


def _headers(caller: str) -> dict:
    if caller == "nobody":
        return {}
    if caller == "newcomer":  # a subject never seen: the guard creates its user row
        return bearer(sign(claims(sub=f"newcomer-{next(FIRST_SIGHT)}"), KEY))
    return bearer(sign(claims(sub=caller), KEY))


@pytest.mark.parametrize("anonymous_allowed", [False, True])
def test_the_turn_guard_answers_as_owned_session_does(
    auth_client, fake_llm, paused_sessions, monkeypatch, anonymous_allowed
):
    monkeypatch.setenv("ALLOW_ANONYMOUS_SESSIONS", str(anonymous_allowed).lower())
    reset_settings()
    with session_scope() as db:
        versions = dict(db.execute(select(TutorSession.id, TutorSession.state_version)).all())
    users = {"owner", "other", "newcomer", "banned", "nobody"}
    for caller, (name, sid) in itertools.product(sorted(users), paused_sessions.items()):
        probe = auth_client.get(f"/test/sessions/{sid}", headers=_headers(caller))
        turn = auth_client.post(f"/sessions/{sid}/step", json=reply("hi"), headers=_headers(caller))
        case = (caller, name, anonymous_allowed, probe.json(), turn.json())
        if probe.status_code == 200:
            assert (turn.status_code, turn.json()["error"]["code"]) == (409, "session_paused"), case
        else:
            assert (turn.status_code, turn.json()) == (probe.status_code, probe.json()), case
    assert fake_llm.requests == []
    with session_scope() as db:
        after = dict(db.execute(select(TutorSession.id, TutorSession.state_version)).all())
        newcomers = db.scalars(select(User).where(User.cognito_sub.like("newcomer-%"))).all()
    assert after == versions
    assert len(newcomers) == 2 * len(paused_sessions)  # one per request, probe and turn alike


def test_a_disabled_account_is_403_even_for_a_missing_session(auth_client, paused_sessions):
    r = auth_client.post(
        "/sessions/no-such-session/step", json=reply("hi"), headers=_headers("banned")
    )
    assert (r.status_code, r.json()["error"]["code"]) == (403, "account_disabled")


def test_a_stale_last_login_of_a_disabled_account_is_still_refreshed_as_before(
    auth_client, paused_sessions
):
    """get_or_create_user refreshes the login before the guard looks at `is_active` (the
    general path's order); the turn's guard keeps that order."""
    _set_last_login("banned", datetime(2026, 1, 1, tzinfo=UTC))
    sid = paused_sessions["banned's"]
    r = auth_client.post(f"/sessions/{sid}/step", json=reply("hi"), headers=_headers("banned"))
    assert r.status_code == 403
    refreshed = _last_login("banned")
    assert refreshed is not None and refreshed > datetime(2026, 1, 1, tzinfo=UTC)
