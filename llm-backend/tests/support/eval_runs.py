"""Evaluation runs driven from a test: one fake-server responder that plays the tutor, the
simulated student and the judge from each request alone (so concurrent conversations and a
worker in another process get the same answers), with per-persona judge scores in call order."""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import select

from database import session_scope
from evaluation.models.tables import EvalConversation, EvalJudgment, EvalRun
from tests.fakes.llm_server import Fail, Reply, request_schema_name
from tests.support.evaluation import JUDGE_MARK, is_simulator, judgment, student_turn, system_text
from tests.support.tutor import say, teach

OPENING = "Welcome! What is half of 4?"
TUTOR_REPLY = "Not quite. What is half of 6?"
REAL_STUDENT = "real"  # the judge's persona key for a session with no persona
_PERSONA = re.compile(r"THE STUDENT \(a simulated persona\): [^(]+\((\w+)\)")


def judged_persona(body: dict) -> str:
    found = _PERSONA.search(system_text(body))
    return found.group(1) if found else REAL_STUDENT


def is_judge(path: str, body: dict) -> bool:
    return request_schema_name(path, body) == "Judgment" and JUDGE_MARK in system_text(body)


class EvalScript:
    """The responder (`fake_llm.responder = script`). `scores[persona]` lists the judge's
    answers for that persona in call order (five ints each, or a dict body that breaks the
    schema); past the list the last one repeats. The first `fail_openings` tutor openings fail
    (500); `on_opening` / `on_tutor_turn`, when set, run as each opening / tutor turn arrives
    (a test's barrier or gate)."""

    def __init__(
        self,
        scores: dict[str, list[list[int] | dict]],
        *,
        delay: float = 0.0,
        fail_openings: int = 0,
    ) -> None:
        self.scores = scores
        self.delay = delay
        self.fail_openings = fail_openings
        self.judged: dict[str, int] = defaultdict(int)
        self.counts: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()
        self.on_opening: Callable[[], None] | None = None
        self.on_tutor_turn: Callable[[int], None] | None = None  # gets the turn's number

    def __call__(self, path: str, body: dict) -> Reply | Fail | None:
        name = request_schema_name(path, body)
        if is_judge(path, body):
            persona = judged_persona(body)
            with self.lock:
                index = self.judged[persona]
                self.judged[persona] += 1
                self.counts["judge"] += 1
            answers = self.scores[persona]
            answer = answers[min(index, len(answers) - 1)]
            content = answer if isinstance(answer, dict) else judgment(answer)
            return Reply(content, input_tokens=3000, output_tokens=900)
        if is_simulator(path, body):
            self._count("simulator")
            return Reply(f"my answer {student_turn(body) + 1}", input_tokens=200, output_tokens=9)
        if name == "TutorMessage":
            with self.lock:
                self.counts["opening"] += 1
                failing = self.counts["opening"] <= self.fail_openings
            if failing:
                return Fail(500, message="the tutor's model is down")
            if self.on_opening is not None:
                self.on_opening()
            return _slow(say(OPENING), self.delay)
        if name == "TeachTurn":
            with self.lock:
                self.counts["tutor_turn"] += 1
                number = self.counts["tutor_turn"]
            if self.on_tutor_turn is not None:
                self.on_tutor_turn(number)
            return _slow(teach("wrong", TUTOR_REPLY, misconception="bigger is bigger"), self.delay)
        return None  # the safety check and anything else: the script / a minimal answer

    def _count(self, key: str) -> None:
        with self.lock:
            self.counts[key] += 1


def _slow(reply: Reply, delay: float) -> Reply:
    reply.delay = delay
    return reply


def broken_judgment() -> dict:
    """A judge answer that breaks the schema (a score above 10)."""
    body = judgment([5, 5, 5, 5, 5])
    body["scores"]["pacing"] = 11
    return body


def conversations(run_id: str) -> list[EvalConversation]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(EvalConversation)
                .where(EvalConversation.run_id == run_id)
                .order_by(EvalConversation.item)
            )
        )


def judgments(run_id: str) -> dict[int, list[EvalJudgment]]:
    """Each conversation's judgments by its item, in attempt order."""
    with session_scope() as session:
        rows = session.execute(
            select(EvalConversation.item, EvalJudgment)
            .join(EvalConversation, EvalJudgment.conversation_id == EvalConversation.id)
            .where(EvalConversation.run_id == run_id)
            .order_by(EvalConversation.item, EvalJudgment.attempt)
        ).all()
    found: dict[int, list[EvalJudgment]] = defaultdict(list)
    for item, row in rows:
        found[item].append(row)
    return dict(found)


def load_run(run_id: str) -> EvalRun:
    with session_scope() as session:
        return session.get(EvalRun, run_id)
