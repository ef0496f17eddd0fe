"""The fake model behind the evaluation page tests: the student always answers the same way, the
tutor takes the fake server's default answers, and the judge gives each persona's conversations
scores taken in turn from a list the test sets (the order inside a persona does not change
its mean or interval, so concurrent conversations keep the numbers exact)."""

from __future__ import annotations

import re
import threading
from collections import defaultdict, deque

from tests.fakes.llm_server import Reply, request_schema_name
from tests.support.evaluation import is_simulator, judgment, system_text

PERSONA = re.compile(r"THE STUDENT \(a simulated persona\): .*? \((\w+)\)")


class ScriptedJudge:
    """A fake-server responder: the simulator says one line, the judge scores by persona."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scores: dict[str, deque[list[int] | None]] = defaultdict(deque)
        # Set when a test wants the first judge call held (a run caught mid-way); cleared by it.
        self.hold: threading.Event | None = None
        self.held = threading.Event()

    def script(self, persona: str, *conversations: list[int] | None) -> None:
        """Each conversation's five scores in DIMENSIONS order; None answers out of range, and a
        judge call that gets it twice (the entry point's one retry) fails its conversation."""
        with self._lock:
            self._scores[persona].extend(conversations)

    def __call__(self, path: str, body: dict) -> Reply | None:
        if is_simulator(path, body):
            return Reply("Is it one half?", input_tokens=200, output_tokens=15)
        if request_schema_name(path, body) != "Judgment":
            return None  # the tutor: the server's default answer for its schema
        found = PERSONA.search(system_text(body))
        assert found, "the judge was not told the persona"
        with self._lock:
            scores = self._scores[found.group(1)].popleft()
            gate, self.hold = self.hold, None
        if scores is None:
            return Reply(judgment([11] * 5), for_schema="Judgment")
        if gate is not None:
            self.held.set()
        return Reply(
            judgment(scores, problems=1, summary=f"Scored {scores}."),
            gate=gate,
            input_tokens=1500,
            output_tokens=300,
        )
