"""Helpers for evaluation tests: scripted judge answers, and a responder that plays the
simulated student from the request alone (so concurrent conversations get stable answers)."""

from __future__ import annotations

import re
from collections.abc import Callable

from evaluation.models.judgment import DIMENSIONS
from tests.fakes.llm_server import Reply, request_schema_name
from tests.support.guidelines import prompt_of

SIMULATOR_MARK = "You are role-playing a school student"
JUDGE_MARK = "You judge how well an AI"


def judgment(scores: list[int] | dict[str, int], *, problems: int = 0, summary: str = "ok") -> dict:
    """A valid Judgment body: five scores (a list in DIMENSIONS order, or a dict)."""
    by_dim = scores if isinstance(scores, dict) else dict(zip(DIMENSIONS, scores, strict=True))
    problem = {
        "title": "Moved on too fast",
        "turns": [1, 2],
        "description": "The tutor presented the next step before the student understood.",
        "quote": "Great, next!",
        "severity": "major",
        "root_cause": "wrong_pacing",
    }
    return {
        "scores": by_dim,
        "dimension_analysis": {d: f"{d} was {by_dim[d]}" for d in DIMENSIONS},
        "problems": [problem] * problems,
        "summary": summary,
    }


def judge_reply(scores: list[int] | dict[str, int], **kw) -> Reply:
    return Reply(judgment(scores, **kw), for_schema="Judgment")


def system_text(body: dict) -> str:
    """The system prompt of a request, whatever the wire format."""
    system = body.get("instructions") or body.get("system") or ""
    if isinstance(system, list):  # Anthropic blocks
        system = "\n".join(block.get("text", "") for block in system)
    for message in body.get("messages") or []:
        if message.get("role") == "system":
            system += str(message.get("content"))
    return system


def is_simulator(path: str, body: dict) -> bool:
    return request_schema_name(path, body) is None and SIMULATOR_MARK in system_text(body)


def student_turn(body: dict) -> int:
    """How many student messages the simulator was shown (the next one's turn is this + 1)."""
    items = body.get("input") or body.get("messages") or []
    return sum(1 for m in items if m.get("role") == "assistant")


def student_responder(answer: Callable[[dict], str | None]) -> Callable[[str, dict], Reply | None]:
    """A fake-server responder answering simulator requests with `answer(body)` and leaving
    every other request to the script."""

    def respond(path: str, body: dict) -> Reply | None:
        if not is_simulator(path, body):
            return None
        text = answer(body)
        return None if text is None else Reply(text, input_tokens=200, output_tokens=15)

    return respond


def directive_of(body: dict) -> str | None:
    """The correctness instruction appended to the last tutor message, if any."""
    found = re.findall(r"\[Instruction for this reply only: [^\]]*\]", prompt_of(body))
    return found[-1] if found else None
