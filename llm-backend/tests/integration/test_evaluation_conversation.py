"""Simulated conversations against the real tutor services (real PostgreSQL, the fake model
server scripting the tutor, a responder playing the student from each request)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from database import session_scope
from evaluation.agents import judge_agent
from evaluation.models.persona import get_persona
from evaluation.models.transcript import Message
from evaluation.services.conversation import simulate_conversation, topic_context
from shared.llm import LLMUnavailableError
from shared.models.entities import LLMCall
from shared.models.entities import Session as TutorSession
from shared.models.enums import SessionMode
from tests.support.evaluation import (
    directive_of,
    is_simulator,
    judge_reply,
    student_responder,
    system_text,
)
from tests.support.tutor import add_guideline, clarify, fail_tutor, say, teach

RIYA = get_persona("average_student")
MISTAKE = re.compile(r"incorrectly by making this mistake: (.+?)\. Commit")


def _answer(body: dict) -> str:
    """The student's words show which way it was told to answer."""
    found = directive_of(body)
    if found is None:
        return "hmm"
    if "correctly, in character" in found:
        return "right answer"
    return f"wrong: {MISTAKE.search(found).group(1)}"


def _script_tutor(fake_llm) -> None:
    fake_llm.push(
        say("Welcome! What is half of 4?"),
        teach("wrong", "Not quite. What is half of 6?", misconception="bigger is bigger"),
        teach("wrong", "Hint: split 10 in two. What do you get?"),
        teach("right", "Yes! Now, what is half of 2?"),
    )


def _lines(messages: list[Message]) -> list[tuple[str, str, int]]:
    return [(m.role, m.content, m.turn) for m in messages]


SEED_42 = [  # random.Random(42) against P(correct) = 0.6 and Riya's four mistakes
    {
        "turn": 1,
        "correct": False,
        "mistake": "thinks a bigger denominator means a bigger fraction",
        "applied": True,
    },
    {
        "turn": 2,
        "correct": False,
        "mistake": "adds the tops and the bottoms when adding fractions",
        "applied": True,
    },
    {"turn": 3, "correct": True, "mistake": None, "applied": True},
]


def test_a_conversation_in_teach_me(db, fake_llm):
    gid = add_guideline()
    fake_llm.responder = student_responder(_answer)
    _script_tutor(fake_llm)
    seen: list[int] = []
    conv = simulate_conversation(
        guideline_id=gid,
        persona=RIYA,
        mode=SessionMode.TEACH_ME,
        max_turns=3,
        seed=42,
        job_id="job-e",
        on_turn=lambda messages: seen.append(len(messages)),
    )
    assert _lines(conv.messages) == [
        ("tutor", "Welcome! What is half of 4?", 0),
        ("student", "wrong: thinks a bigger denominator means a bigger fraction", 1),
        ("tutor", "Not quite. What is half of 6?", 1),
        ("student", "wrong: adds the tops and the bottoms when adding fractions", 2),
        ("tutor", "Hint: split 10 in two. What do you get?", 2),
        ("student", "right answer", 3),
        ("tutor", "Yes! Now, what is half of 2?", 3),
    ]
    assert conv.decisions == SEED_42
    assert (conv.ended_reason, seen) == ("max_turns", [1, 3, 5, 7])
    stamps = [m.timestamp for m in conv.messages]
    assert stamps == sorted(stamps)

    # The tutor session is a real, anonymous one that received the student's words.
    with session_scope() as s:
        row = s.get(TutorSession, conv.session_id)
        assert (row.user_id, row.mode, row.guideline_id) == (None, "teach_me", gid)
        assert json.loads(row.student_json) == {"id": "eval-average_student", "grade": 5}
        state = json.loads(row.state_json)
        assert [(t["role"], t["text"]) for t in state["conversation"]][1:3] == [
            ("student", "wrong: thinks a bigger denominator means a bigger fraction"),
            ("tutor", "Not quite. What is half of 6?"),
        ]
        calls = s.scalars(select(LLMCall).where(LLMCall.component == "eval_simulator")).all()
        assert {(c.job_id, c.session_id) for c in calls} == {("job-e", conv.session_id)}
        assert len(calls) == 3

    # Each simulator request saw the transcript so far, and the turn's directive.
    simulated = [r.body for r in fake_llm.requests if is_simulator(r.path, r.body)]
    assert [len(b["input"]) for b in simulated] == [1, 3, 5]
    assert [directive_of(b) is not None for b in simulated] == [True, True, True]
    assert SEED_42[1]["mistake"] in directive_of(simulated[1])
    assert "Riya, 10 years old, grade 5." in system_text(simulated[0])


def test_the_same_seed_and_answers_give_the_same_transcript(db, fake_llm):
    gid = add_guideline()
    fake_llm.responder = student_responder(_answer)
    runs = []
    for seed in (42, 42, 43):
        _script_tutor(fake_llm)
        runs.append(
            simulate_conversation(
                guideline_id=gid, persona=RIYA, mode=SessionMode.TEACH_ME, max_turns=3, seed=seed
            )
        )
    first, again, other = runs
    assert _lines(first.messages) == _lines(again.messages)
    assert first.decisions == again.decisions == SEED_42
    assert first.session_id != again.session_id  # a new tutor session each time
    # Seed 43 draws right, wrong, wrong.
    assert [d["correct"] for d in other.decisions] == [True, False, False]
    assert [m.content for m in other.messages if m.role == "student"] == [
        "right answer",
        "wrong: adds the tops and the bottoms when adding fractions",
        "wrong: forgets that the parts of a whole must be equal",
    ]


def test_no_directive_when_the_tutor_asks_nothing(db, fake_llm):
    gid = add_guideline()
    fake_llm.responder = student_responder(_answer)
    fake_llm.push(say("Welcome! Today we learn halves."), teach("none", "Let's begin: 1/2 of 4?"))
    conv = simulate_conversation(
        guideline_id=gid, persona=RIYA, mode=SessionMode.TEACH_ME, max_turns=2, seed=42
    )
    assert [m.content for m in conv.messages if m.role == "student"] == [
        "hmm",
        "wrong: adds the tops and the bottoms when adding fractions",
    ]
    # The first draw is still made (and recorded), so the seed's sequence does not shift.
    assert conv.decisions[0] == {**SEED_42[0], "applied": False}
    assert conv.decisions[1] == SEED_42[1]


def test_another_mode_stops_when_the_session_completes(db, fake_llm):
    gid = add_guideline()
    fake_llm.responder = student_responder(lambda body: "what is a numerator?")
    fake_llm.push(
        say("Ask me anything about fractions?"),
        clarify("The top number. Anything else?", ["numerator"]),
        clarify("Great, bye!", ["denominator"], done=True),
    )
    conv = simulate_conversation(
        guideline_id=gid, persona=RIYA, mode=SessionMode.CLARIFY_DOUBTS, max_turns=10, seed=1
    )
    assert conv.ended_reason == "session_complete"
    assert [m.turn for m in conv.messages] == [0, 1, 1, 2, 2]
    assert conv.messages[-1].content == "Great, bye!"
    with session_scope() as s:
        row = s.get(TutorSession, conv.session_id)
        assert (row.mode, json.loads(row.state_json)["is_complete"]) == ("clarify_doubts", True)


def test_a_tutor_failure_raises_after_the_partial_transcript_was_handed_over(db, fake_llm):
    gid = add_guideline()
    fake_llm.responder = student_responder(_answer)
    fake_llm.push(say("Welcome! What is half of 4?"), *fail_tutor("TeachTurn"))
    seen: list[list[Message]] = []
    with pytest.raises(LLMUnavailableError):
        simulate_conversation(
            guideline_id=gid,
            persona=RIYA,
            mode=SessionMode.TEACH_ME,
            max_turns=3,
            seed=42,
            on_turn=seen.append,
        )
    assert [_lines(m) for m in seen] == [[("tutor", "Welcome! What is half of 4?", 0)]]


def test_the_judge_gets_the_simulated_transcript_and_the_persona(db, fake_llm):
    gid = add_guideline()
    fake_llm.responder = student_responder(_answer)
    _script_tutor(fake_llm)
    conv = simulate_conversation(
        guideline_id=gid, persona=RIYA, mode=SessionMode.TEACH_ME, max_turns=2, seed=42
    )
    fake_llm.push(judge_reply([6, 7, 8, 5, 6], problems=1))
    topic = topic_context(guideline_id=gid)
    assert (topic.name, topic.grade) == ("Equivalent fractions (Fractions)", 5)
    result = judge_agent.judge(transcript=conv.messages, persona=RIYA, topic=topic, job_id="j")
    assert result.avg_score() == 6.4
    [request] = [r for r in fake_llm.requests if r.schema and "scores" in r.schema["properties"]]
    system, sent = system_text(request.body), json.dumps(request.body)
    assert "Riya (average_student), 10 years old, grade 5." in system
    assert "Answers correctly about 60% of the time" in system
    assert "THE TOPIC: Equivalent fractions (Fractions), grade 5." in system
    assert "How to teach Equivalent fractions." in system
    assert "[Turn 0] TUTOR: Welcome! What is half of 4?" in sent
    expected = "[Turn 1] STUDENT: wrong: thinks a bigger denominator means a bigger fraction"
    assert expected in sent
    assert "[Turn 2] TUTOR: Hint: split 10 in two. What do you get?" in sent
