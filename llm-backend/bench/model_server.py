"""The fake model server in a process of its own, every answer after a fixed delay.

    .venv/bin/python -m bench.model_server --delay 0.2 [--port 0]

Prints `READY <url>` once listening. A tutor turn's structured calls get valid answers (a
teach_me turn that judges the reply and moves on, a safety check that flags nothing); any
other call gets the schema's minimal instance or plain text. Runs until stdin closes or it is
killed, so the benchmark that started it owns its lifetime.
"""

from __future__ import annotations

import argparse
import sys

from tests.fakes.llm_server import FakeLLMServer, Reply, request_schema_name

TEACH_TURN = {"verdict": "none", "misconception": "", "message": "ok", "skip_ahead": False}
SAFE = {"flagged": False, "category": "none"}


def responder_for(delay: float):
    fixed = {"TeachTurn": TEACH_TURN, "SafetyCheck": SAFE}

    def respond(path: str, body: dict) -> Reply:
        return Reply(fixed.get(request_schema_name(path, body) or ""), delay=delay)

    return respond


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=0.2, help="seconds before each answer")
    args = parser.parse_args(argv)
    fake = FakeLLMServer()
    fake.responder = responder_for(args.delay)
    fake.requests = _Discard()  # a long run must not keep every request
    fake.start()
    print(f"READY {fake.url}", flush=True)
    sys.stdin.read()  # EOF: the parent is gone or done
    fake.stop()
    return 0


class _Discard(list):
    def append(self, _item: object) -> None:
        pass


if __name__ == "__main__":
    sys.exit(main())
