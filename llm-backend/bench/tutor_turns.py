"""Tutor turn latency against the fake model server, at 1, 8 and 32 concurrent sessions.

    cd llm-backend && BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m bench.tutor_turns [--delay 0.2] [--turns 5]

Each model call (the tutor's and the safety check's) takes exactly `--delay` seconds, so a
turn that runs them concurrently costs ~1x the delay and a sequential one ~2x. Prints, side
by side, turn latency / model delay (p50, p99) and the database statements per turn. Uses a
throwaway database on the given PostgreSQL server (dropped afterwards); auth is replaced by a
header naming the user, so the user lookup still runs but no token is verified.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from fastapi import Request
from sqlalchemy import event

from bench.harness import bench_environment, new_session_body, run
from shared.auth.identity import VerifiedIdentity


def bench_identity(request: Request) -> VerifiedIdentity:
    """Stands in for token verification (module level: FastAPI resolves the annotation)."""
    return VerifiedIdentity(sub=request.headers["x-bench-user"], token_use="id")


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=0.2, help="model delay in seconds")
    parser.add_argument("--turns", type=int, default=5, help="turns per session")
    parser.add_argument("--levels", default="1,8,32", help="concurrent sessions to measure")
    args = parser.parse_args(argv)
    from tests.fakes.llm_server import Reply

    with bench_environment() as fake:
        return _run(args, fake, Reply)


def _run(args, fake, Reply) -> int:
    import logging

    from fastapi.testclient import TestClient

    from database import get_db_manager
    from main import create_app
    from shared.auth.dependencies import get_optional_identity
    from tutor.demo_curriculum import seed_demo

    logging.disable(logging.INFO)
    seed_demo()
    from sqlalchemy import select

    from database import session_scope
    from shared.models.entities import TeachingGuideline

    with session_scope() as db:
        guideline_id = db.scalars(select(TeachingGuideline.id)).first()

    app = create_app()

    app.dependency_overrides[get_optional_identity] = bench_identity
    statements = {"n": 0}
    lock = threading.Lock()

    def count(*_args, **_kw) -> None:
        with lock:
            statements["n"] += 1

    event.listen(get_db_manager().engine, "before_cursor_execute", count)
    turn = {"verdict": "none", "misconception": "", "message": "ok", "skip_ahead": False}
    safe = {"flagged": False, "category": "none"}
    print(f"model delay {args.delay * 1000:.0f} ms, {args.turns} turns per session")
    print(f"{'sessions':>8} {'turns':>6} {'p50 ratio':>10} {'p99 ratio':>10} {'stmts/turn':>11}")
    with TestClient(app) as client:
        for level in [int(x) for x in args.levels.split(",")]:
            users = [f"bench-{level}-{i}" for i in range(level)]
            sessions = []
            for user in users:
                r = client.post(
                    "/sessions",
                    json=new_session_body(user=user, guideline_id=guideline_id),
                    headers={"x-bench-user": user},
                )
                assert r.status_code == 200, r.text
                sessions.append((user, r.json()["session_id"]))
            for _ in range(level * args.turns):
                fake.push(
                    Reply(turn, delay=args.delay, for_schema="TeachTurn"),
                    Reply(safe, delay=args.delay, for_schema="SafetyCheck"),
                )
            latencies: list[float] = []
            statements["n"] = 0

            def run_session(item, latencies=latencies):
                user, sid = item
                for i in range(args.turns):
                    started = time.perf_counter()
                    r = client.post(
                        f"/sessions/{sid}/step",
                        json={"student_reply": f"answer {i}"},
                        headers={"x-bench-user": user},
                    )
                    elapsed = time.perf_counter() - started
                    assert r.status_code == 200, r.text
                    with lock:
                        latencies.append(elapsed)

            with ThreadPoolExecutor(max_workers=level) as pool:
                list(pool.map(run_session, sessions))
            ratios = [x / args.delay for x in latencies]
            print(
                f"{level:>8} {len(latencies):>6} {statistics.median(ratios):>10.2f} "
                f"{_percentile(ratios, 99):>10.2f} {statements['n'] / len(latencies):>11.1f}"
            )
    return 0


if __name__ == "__main__":
    run(main)
