"""Whole evaluation runs against the fake model server: a responder that plays the tutor, the
simulated student and the judge from each request alone, so the run's conversations can go
concurrently; the judge scores each persona's conversations from a list, in turn."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from tests.fakes.llm_server import Reply, request_schema_name
from tests.support.evaluation import is_simulator, judgment, system_text
from tests.support.tutor import say, teach

PERSONA_IN_JUDGE = re.compile(r"THE STUDENT \(a simulated persona\): [^(]+\(([a-z_]+)\)")
# Token counts per call, per part: what a priced run adds up (see test_evaluation_cli).
TUTOR_TOKENS = (900, 60)
STUDENT_TOKENS = (400, 20)
JUDGE_TOKENS = (3000, 700)


def evaluation_responder(
    judge_scores: dict[str, list[int]], *, real_session_score: int = 5
) -> Callable[[str, dict], Reply | None]:
    """Tutor: a welcome with a question, then "partial" teaching turns that ask again (the
    session never completes early). Student: a short answer. Judge: all five dimensions at
    the persona's next score from `judge_scores` (a real session gets `real_session_score`).
    Any other request falls through to the server's schema-based default."""
    lock = threading.Lock()
    remaining = {persona: list(scores) for persona, scores in judge_scores.items()}

    def judge_score(body: dict) -> int:
        found = PERSONA_IN_JUDGE.search(system_text(body))
        if found is None:
            return real_session_score
        with lock:
            return remaining[found.group(1)].pop(0)

    def respond(path: str, body: dict) -> Reply | None:
        schema = request_schema_name(path, body)
        if schema == "Judgment":
            score = judge_score(body)
            tokens_in, tokens_out = JUDGE_TOKENS
            return Reply(
                judgment([score] * 5, problems=1, summary=f"scored {score}"),
                input_tokens=tokens_in,
                output_tokens=tokens_out,
            )
        if schema == "TutorMessage":
            reply = say("Hello! What is half of 4?")
        elif schema == "TeachTurn":
            reply = teach("partial", "Close. What is half of 6?")
        elif schema is None and is_simulator(path, body):
            reply = Reply("I think it is 3.")
            reply.input_tokens, reply.output_tokens = STUDENT_TOKENS
            return reply
        else:
            return None
        reply.for_schema = None
        reply.input_tokens, reply.output_tokens = TUTOR_TOKENS
        return reply

    return respond
