"""cProfile of teach_me turns in one process, the app's code path with real token checks.

    cd llm-backend && BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m bench.profile_turn [--turns 60] [--top 25] [--sort tottime]

A zero-delay fake model; after warm-up turns, profiles `--turns` sequential turns through a
TestClient and prints the top entries by own and by cumulative time. The app runs in other
threads (the TestClient's portal, the route threadpool, the concurrent model calls), so every
thread started after the profiler is installed gets a cProfile of its own and the figures are
their sum.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import marshal
import os
import pstats
import tempfile
import threading
import time
from typing import TYPE_CHECKING, cast

from bench.harness import bench_environment, run

if TYPE_CHECKING:
    from tests.fakes.llm_server import FakeLLMServer

_profilers: list[cProfile.Profile] = []
_timer: list = []  # the clock every thread's profiler uses (empty: cProfile's wall clock)


def _profile_thread(*_args: object) -> None:
    # Runs once in each new thread, as its first profile event: swap in a real profiler.
    profiler = cProfile.Profile(*_timer)
    _profilers.append(profiler)
    profiler.enable()


def _dump(profilers: list[cProfile.Profile], work: str) -> list[str]:
    """Each profiler's figures in a file pstats can read, taken without `disable()`: that
    would act on the calling thread, not on the profiler's own."""
    paths = []
    for i, profiler in enumerate(profilers):
        profiler.snapshot_stats()
        stats = profiler.stats
        if stats:
            paths.append(os.path.join(work, f"thread{i}.prof"))
            with open(paths[-1], "wb") as f:
                marshal.dump(stats, f)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime,cumulative")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="cpu: each thread's own CPU time, so waits and other processes' load count nothing",
    )
    parser.add_argument("--save", help="also write the summed profile here, for pstats")
    args = parser.parse_args(argv)
    if args.clock == "cpu":
        _timer.append(time.thread_time)
    threading.setprofile(_profile_thread)
    _profile_thread()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as work:
        env = {
            "AUTH_MODE": "local",
            "LOCAL_AUTH_KEY_FILE": os.path.join(work, "key.pem"),
            # The profiler slows every call several times over: a loaded machine's first
            # requests would otherwise run out of the request's model-call budget.
            "API_REQUEST_BUDGET_SECONDS": "600",
        }
        with bench_environment(**env) as fake:
            from bench.model_server import responder_for

            cast("FakeLLMServer", fake).responder = responder_for(0.0)
            return _run(args, work)


def _run(args: argparse.Namespace, work: str) -> int:
    import logging

    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from database import session_scope
    from main import create_app
    from shared.auth.local_issuer import get_local_issuer
    from shared.models.entities import TeachingGuideline
    from tutor.demo_curriculum import seed_demo

    logging.disable(logging.INFO)
    seed_demo()
    with session_scope() as db:
        guideline_id = db.scalars(select(TeachingGuideline.id)).first()
    token = get_local_issuer().mint(sub="profiler")
    client = TestClient(create_app(), headers={"authorization": f"Bearer {token}"})

    def new_session() -> str:
        goal = {"topic": "Fractions", "syllabus": "CBSE-G5", "learning_objectives": []}
        r = client.post(
            "/sessions",
            json={
                "student": {"id": "profiler", "grade": 5},
                "goal": {**goal, "guideline_id": guideline_id},
                "mode": "teach_me",
            },
        )
        r.raise_for_status()
        return r.json()["session_id"]

    def turns(n: int) -> None:
        sid = new_session()
        for i in range(n):
            if i and i % 5 == 0:
                sid = new_session()
            client.post(f"/sessions/{sid}/step", json={"student_reply": "x"}).raise_for_status()

    turns(5)  # warm-up
    sids = [new_session() for _ in range((args.turns + 4) // 5)]
    for profiler in list(_profilers):
        profiler.clear()
    for i in range(args.turns):
        sid = sids[i // 5]
        client.post(f"/sessions/{sid}/step", json={"student_reply": "x"}).raise_for_status()
    paths = _dump(list(_profilers), work)
    if args.save:
        pstats.Stats(*paths).dump_stats(args.save)
    for key in args.sort.split(","):
        out = io.StringIO()
        stats = pstats.Stats(*paths, stream=out)
        setattr(stats, "files", [])  # noqa: B010  # else one header line per thread
        stats.sort_stats(key).print_stats(args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    run(main)
