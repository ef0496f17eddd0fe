"""The simulated student and the judge against the fake model server (real PostgreSQL for
`llm_config` and `llm_calls`): what each request carries, and what comes back."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from database import session_scope
from evaluation.agents import judge_agent, simulator_agent
from evaluation.agents.judge_agent import TopicContext
from evaluation.agents.simulator_agent import TurnDecision
from evaluation.models.persona import get_persona
from evaluation.models.transcript import Message
from shared.llm import LLMOutputError, config_store
from shared.models.entities import LLMCall, LLMConfig
from tests.fakes.llm_server import Reply
from tests.support.evaluation import judge_reply, judgment, system_text

AT = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
TRANSCRIPT = [
    Message(role="tutor", content="Hi! What is one half of 8?", turn=0, timestamp=AT),
    Message(role="student", content="4", turn=1, timestamp=AT),
    Message(role="tutor", content="Yes! And one quarter of 8?", turn=1, timestamp=AT),
]


def _calls() -> list[tuple[str, str | None, str | None, str]]:
    with session_scope() as s:
        rows = s.scalars(select(LLMCall).order_by(LLMCall.started_at))
        return [(c.component, c.job_id, c.session_id, c.outcome) for c in rows]


def _use(component: str, provider: str, model: str) -> None:
    with session_scope() as s:
        row = s.get(LLMConfig, component)
        row.provider, row.model_id = provider, model
    config_store.invalidate()


def test_decide_draws_from_the_persona_probability():
    ace, struggler = get_persona("ace"), get_persona("struggler")
    rng = random.Random(7)
    draws = [simulator_agent.decide(struggler, rng) for _ in range(4000)]
    correct = sum(d.correct for d in draws)
    assert 0.27 < correct / 4000 < 0.33  # P(correct) = 0.3
    assert all(d.mistake is None for d in draws if d.correct)
    wrong = {d.mistake for d in draws if not d.correct}
    assert wrong == set(struggler.common_mistakes)  # every mistake is drawn, nothing else
    # Same seed, same decisions; the draw is the generator's own (rng.random() < p).
    again = random.Random(7)
    assert [simulator_agent.decide(struggler, again) for _ in range(4000)] == draws
    rng, check = random.Random(3), random.Random(3)
    for _ in range(50):
        d = simulator_agent.decide(ace, rng)
        expected_correct = check.random() < 0.9
        assert d.correct is expected_correct
        if not expected_correct:
            assert d.mistake == check.choice(ace.common_mistakes)


def test_student_reply_request(db, fake_llm):
    persona = get_persona("confused_confident")
    fake_llm.push(Reply("  It's obviously 1/2.  "))
    decision = TurnDecision(correct=False, mistake=persona.common_mistakes[1])
    text = simulator_agent.student_reply(
        persona=persona, transcript=TRANSCRIPT, decision=decision, job_id="job-1", session_id="s-1"
    )
    assert text == "It's obviously 1/2."
    [request] = fake_llm.requests
    body = request.body
    assert request.path == "/v1/responses"  # the seeded eval_simulator: openai gpt-5.2
    system = system_text(body)
    assert "Dev, 10 years old, grade 5." in system
    assert "At most 35 words per reply." in system
    assert "- argues when corrected: about 30% of the time" in system
    assert f"- {persona.common_mistakes[0]}" in system
    # The tutor speaks as "user", the student as "assistant"; the directive rides on the last
    # tutor message.
    roles = [m["role"] for m in body["input"]]
    assert roles == ["user", "assistant", "user"]
    assert body["input"][1]["content"] == "4"
    last = body["input"][2]["content"][0]["text"]
    assert last.startswith("Yes! And one quarter of 8?\n\n[Instruction for this reply only: ")
    assert f"incorrectly by making this mistake: {persona.common_mistakes[1]}." in last
    assert body["temperature"] == 0.8
    assert _calls() == [("eval_simulator", "job-1", "s-1", "ok")]


def test_student_reply_without_a_decision_and_a_right_one(db, fake_llm):
    persona = get_persona("quiet_one")
    fake_llm.push(Reply("ok"), Reply("2"))
    simulator_agent.student_reply(persona=persona, transcript=TRANSCRIPT, decision=None)
    simulator_agent.student_reply(
        persona=persona, transcript=TRANSCRIPT, decision=TurnDecision(correct=True, mistake=None)
    )
    plain, right = (r.body["input"][-1]["content"][0]["text"] for r in fake_llm.requests)
    assert plain == "Yes! And one quarter of 8?"
    assert right.endswith("answer it correctly, in character.]")
    with pytest.raises(ValueError):  # the student only ever answers the tutor
        simulator_agent.student_reply(persona=persona, transcript=TRANSCRIPT[:2], decision=None)


@pytest.mark.parametrize(
    ("provider", "model", "path"),
    [("openai", "gpt-5.2", "/v1/responses"), ("anthropic", "claude-sonnet-4-6", "/v1/messages")],
)
def test_judge_request_and_answer(db, fake_llm, provider, model, path):
    _use("eval_evaluator", provider, model)
    fake_llm.push(judge_reply([7, 6, 8, 5, 7], problems=2, summary="Solid."))
    topic = TopicContext(name="Halves (Fractions)", grade=5, guideline_text="Teach halves.")
    result = judge_agent.judge(
        transcript=TRANSCRIPT, persona=get_persona("struggler"), topic=topic, job_id="job-9"
    )
    assert result.score_map() == {
        "responsiveness": 7,
        "explanation_quality": 6,
        "emotional_attunement": 8,
        "pacing": 5,
        "authenticity": 7,
    }
    assert (result.avg_score(), result.summary, len(result.problems)) == (6.6, "Solid.", 2)
    assert result.problems[0].root_cause == "wrong_pacing"
    [request] = fake_llm.requests
    assert request.path == path
    system = system_text(request.body)
    assert "THE STUDENT (a simulated persona): Priya (struggler), 10 years old, grade 5." in system
    assert "Answers correctly about 30% of the time" in system
    assert "needs multiple explanations about 60% of the time" in system
    assert "THE TOPIC: Halves (Fractions), grade 5.\n" in system
    assert "Teach halves." in system
    assert "9-10 reads the student closely" in system  # band anchors
    sent = json.dumps(request.body)
    assert "[Turn 0] TUTOR: Hi! What is one half of 8?" in sent
    assert "[Turn 1] STUDENT: 4" in sent
    assert "[Turn 1] TUTOR: Yes! And one quarter of 8?" in sent
    assert request.schema is not None
    assert set(request.schema["properties"]) == {
        "scores",
        "dimension_analysis",
        "problems",
        "summary",
    }
    assert _calls() == [("eval_evaluator", "job-9", None, "ok")]


def test_judge_without_persona_or_topic(db, fake_llm):
    fake_llm.push(judge_reply([5, 5, 5, 5, 5]))
    judge_agent.judge(transcript=TRANSCRIPT, persona=None, topic=None)
    system = system_text(fake_llm.requests[0].body)
    assert "THE STUDENT: a real student; no profile is known." in system
    assert "THE TOPIC" not in system


def test_a_judge_answer_that_breaks_the_schema_is_retried_then_raised(db, fake_llm):
    bad = judgment([7, 6, 8, 5, 11])  # 11 is out of range
    fake_llm.push(Reply(bad, for_schema="Judgment"), Reply(bad, for_schema="Judgment"))
    with pytest.raises(LLMOutputError):
        judge_agent.judge(transcript=TRANSCRIPT, persona=None, topic=None, job_id="j")
    assert len(fake_llm.requests) == 2
    assert _calls() == [("eval_evaluator", "j", None, "output_error")]
    # One bad answer then a good one is just a retry.
    fake_llm.push(Reply(bad, for_schema="Judgment"), judge_reply([3, 3, 3, 3, 4]))
    result = judge_agent.judge(transcript=TRANSCRIPT, persona=None, topic=None, job_id="k")
    assert result.avg_score() == 3.2
    assert _calls()[-1] == ("eval_evaluator", "k", None, "retried")
