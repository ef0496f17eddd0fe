"""Where a tutor turn's CPU goes, by taking it apart: the app's CPU per request for a route that
does nothing and for a turn, beside the cost of the pieces every turn is built from.

    cd llm-backend && BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m bench.turn_floor [--requests 600]

Measured side by side in one run, each as CPU time (not wall), medians of 5 blocks:

* server side (one uvicorn worker as `bench.served` runs it, zero-delay model in its own
  process; utime+stime of the worker from /proc): `GET /_bench/stats`, a route with no
  dependencies through the whole middleware stack (the framework's floor), and
  `POST /sessions/{id}/step`, a teach_me turn;
* in this process: one model call through the OpenAI SDK exactly as the provider posts it,
  and the same body through a plain httpx client (what the SDK adds); one threadpool hop as
  FastAPI makes for each sync dependency and route; one SELECT through a SQLAlchemy session.

The last column is each piece ÷ a turn, so the floor of the design is read off the table.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.harness import run, server_url

HERE = Path(__file__).resolve().parent.parent
BLOCKS = 5


def _median_cpu(action: Callable[[], object], n: int, clock: Callable[[], float]) -> float:
    """Milliseconds of `clock` per call of `action`, median of BLOCKS blocks of n calls."""
    per_block = []
    for _ in range(BLOCKS):
        start = clock()
        for _ in range(n):
            action()
        per_block.append((clock() - start) / n * 1000)
    return statistics.median(per_block)


def _turn_body() -> dict:
    """A body the size of a teach_me turn's: long instructions, a dozen messages, a schema."""
    messages = [
        {"role": "user" if i % 2 else "assistant", "content": f"message {i} " + "word " * 40}
        for i in range(12)
    ]
    schema = {
        "type": "object",
        "properties": {k: {"type": "string"} for k in ("verdict", "misconception", "message")},
        "required": ["verdict", "misconception", "message"],
        "additionalProperties": False,
    }
    return {
        "model": "gpt-bench",
        "instructions": "You are a patient tutor. " * 120,
        "input": messages,
        "text": {"format": {"type": "json_schema", "name": "TeachTurn", "schema": schema}},
    }


def _server_side(model_url: str, work: Path, n: int) -> tuple[float, float]:
    import httpx

    from bench.served import AppServers, Tree, _sessions, cpu_seconds

    tree = Tree.prepare(HERE, work, 0)
    servers = AppServers(tree, model_url, 1)
    try:
        pid = servers.procs[0].pid
        plain = httpx.Client(base_url=servers.urls[0])
        # Five turns per session, as bench.served measures them (a session's state grows turn
        # by turn, and with it a turn's prompt and state to write).
        sessions = _sessions(tree, servers.urls, [f"floor-{i}" for i in range(12 * BLOCKS + 1)])
        warm_client, warm_sid = sessions[-1]
        for i in range(5):
            plain.get("/_bench/stats")
            warm_client.post(f"/sessions/{warm_sid}/step", json={"student_reply": f"w{i}"})

        def server_ms(action: Callable[[], object], count: int) -> float:
            return _median_cpu(action, count, lambda: cpu_seconds(pid))

        floor = server_ms(lambda: plain.get("/_bench/stats").raise_for_status(), n)
        turns = iter(range(10**6))

        def turn() -> None:
            i = next(turns)
            client, sid = sessions[(i // 5) % (12 * BLOCKS)]
            r = client.post(f"/sessions/{sid}/step", json={"student_reply": f"answer {i}"})
            r.raise_for_status()

        return floor, server_ms(turn, 60)
    finally:
        servers.stop()
        tree.drop()


def _in_process(model_url: str, n: int) -> dict[str, float]:
    import anyio
    import httpx
    from openai import OpenAI
    from openai._base_client import make_request_options
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session
    from starlette.concurrency import run_in_threadpool

    from tests.support.pg import create_database, drop_database

    body = _turn_body()
    sdk = OpenAI(base_url=f"{model_url}/v1", api_key="sk-bench", max_retries=0)
    options = make_request_options(timeout=30, security={"bearer_auth": True})
    plain = httpx.Client(base_url=f"{model_url}/v1", headers={"authorization": "Bearer sk"})
    clock = time.process_time
    figures = {
        "model call through the OpenAI SDK": _median_cpu(
            lambda: sdk.post("/responses", cast_to=object, body=body, options=options), n, clock
        ),
        "the same call through plain httpx": _median_cpu(
            lambda: plain.post("/responses", json=body).json(), n, clock
        ),
    }

    async def hops() -> float:
        async def block() -> float:
            start = clock()
            for _ in range(n):
                await run_in_threadpool(lambda: None)
            return (clock() - start) / n * 1000

        await block()  # the worker threads start on first use
        return statistics.median([await block() for _ in range(BLOCKS)])

    figures["threadpool hop (each sync dependency and route)"] = anyio.run(hops)
    url = create_database(server_url(), prefix="tutor_bench")
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            figures["one SELECT through a SQLAlchemy session"] = _median_cpu(
                lambda: session.execute(select(1)).scalar(), n, clock
            )
    finally:
        engine.dispose()
        drop_database(server_url(), url)
    return figures


def main(argv: list[str] | None = None) -> int:
    from bench.served import ModelServer

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=600, help="calls per block")
    args = parser.parse_args(argv)
    server_url()  # fail early without a database
    model = ModelServer(0.0)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-floor-") as work:
            floor, turn = _server_side(model.url, Path(work), args.requests)
        pieces = _in_process(model.url, args.requests // 2)
    finally:
        model.stop()
    print(f"CPU ms, median of {BLOCKS} blocks; ÷ turn = the piece's share of one turn's CPU")
    print(f"{'':<52} {'ms':>7} {'÷ turn':>7}")
    rows = {
        "teach_me turn (server process)": turn,
        "route with no dependencies (server process)": floor,
        **pieces,
    }
    for name, ms in rows.items():
        print(f"{name:<52} {ms:>7.3f} {ms / turn:>7.2f}")
    return 0


if __name__ == "__main__":
    run(main)
