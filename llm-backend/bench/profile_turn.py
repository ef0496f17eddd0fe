"""cProfile of teach_me turns, the app's code path with real token checks.

    cd llm-backend && BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m bench.profile_turn [--served] [--turns 60] [--top 25] \
        [--sort tottime,cumulative] [--clock cpu] [--save FILE]

A zero-delay fake model; after warm-up turns, profiles `--turns` sequential turns and prints
the profiled time by package (the app's own packages by top-level directory), then the top
entries by each `--sort` key. Every thread is profiled (the route threadpool, the concurrent
model calls) and the figures are their sum.

- Default: the app in this process behind a TestClient, the fake model server in a thread, so
  their code is in the profile too (quick to iterate on).
- `--served`: the app as `bench.served` runs it, one uvicorn worker with the model server and
  the client in other processes; only the worker is profiled. The figures to quote.
"""

from __future__ import annotations

import argparse
import io
import os
import pstats
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, cast

from bench import thread_profile
from bench.harness import bench_environment, run

if TYPE_CHECKING:
    from tests.fakes.llm_server import FakeLLMServer

HERE = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--served", action="store_true", help="profile a uvicorn worker")
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
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as work:
        path = args.save or os.path.join(work, "turns.prof")
        if args.served:
            _served(args, path, Path(work))
        else:
            _in_process(args, path, work)
        _report(path, args)
    return 0


def _in_process(args: argparse.Namespace, path: str, work: str) -> None:
    thread_profile.install(args.clock)
    env = {
        "AUTH_MODE": "local",
        "LOCAL_AUTH_KEY_FILE": os.path.join(work, "key.pem"),
        # The profiler slows every call several times over: a loaded machine's first
        # requests would otherwise run out of the request's model-call budget.
        "API_REQUEST_BUDGET_SECONDS": "600",
    }
    with bench_environment(**env) as fake:
        import logging

        from fastapi.testclient import TestClient

        from bench.harness import new_session_body
        from bench.model_server import responder_for
        from main import create_app
        from shared.auth.local_issuer import get_local_issuer

        cast("FakeLLMServer", fake).responder = responder_for(0.0)
        logging.disable(logging.INFO)
        guideline_id = _seed()
        token = get_local_issuer().mint(sub="profiler")
        client = TestClient(create_app(), headers={"authorization": f"Bearer {token}"})

        def new_session() -> str:
            body = new_session_body(user="profiler", guideline_id=guideline_id)
            r = client.post("/sessions", json=body)
            r.raise_for_status()
            return r.json()["session_id"]

        sids = [new_session() for _ in range(args.turns // 5 + 1)]
        for i in range(5):  # warm-up: first-request imports and caches are not a turn's cost
            client.post(f"/sessions/{sids[-1]}/step", json=_reply(i)).raise_for_status()
        thread_profile.reset()
        for n in range(args.turns):
            client.post(f"/sessions/{sids[n // 5]}/step", json=_reply(n)).raise_for_status()
        thread_profile.dump(path)


def _served(args: argparse.Namespace, path: str, work: Path) -> None:
    import httpx

    from bench.served import AppServers, ModelServer, Tree, _sessions

    tree = Tree.prepare(HERE, work, 0)
    model = ModelServer(0.0)
    tree.env.update(BENCH_PROFILE=args.clock, API_REQUEST_BUDGET_SECONDS="600")
    servers = AppServers(tree, model.url, 1)
    try:
        url = servers.urls[0]
        users = [f"profile-{i}" for i in range(args.turns // 5 + 1)]
        sessions = _sessions(tree, servers.urls, users)
        client, sid = sessions[-1]
        for i in range(5):  # warm-up: first-request imports and caches are not a turn's cost
            client.post(f"/sessions/{sid}/step", json=_reply(i)).raise_for_status()
        httpx.post(f"{url}/_bench/profile/reset").raise_for_status()
        for n in range(args.turns):
            client, sid = sessions[n // 5]
            client.post(f"/sessions/{sid}/step", json=_reply(n)).raise_for_status()
        httpx.post(f"{url}/_bench/profile/dump", params={"path": path}).raise_for_status()
    finally:
        servers.stop()
        model.stop()
        tree.drop()


def _seed() -> str:
    from sqlalchemy import select

    from database import session_scope
    from shared.models.entities import TeachingGuideline
    from tutor.demo_curriculum import seed_demo

    seed_demo()
    with session_scope() as db:
        guideline_id = db.scalars(select(TeachingGuideline.id)).first()
    assert guideline_id is not None
    return guideline_id


def _reply(i: int) -> dict:
    return {"student_reply": f"answer {i}"}


def _report(path: str, args: argparse.Namespace) -> None:
    stats = pstats.Stats(path)
    by_package: Counter[str] = Counter()
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_package[_package(filename, name)] += tottime
    total = sum(by_package.values())
    print(f"profiled {total:.3f} s over {args.turns} turns ({args.clock} clock); by package:")
    for package, seconds in by_package.most_common(20):
        print(f"  {seconds:7.3f} s {100 * seconds / total:5.1f} %  {package}")
    for key in args.sort.split(","):
        out = io.StringIO()
        listing = pstats.Stats(path, stream=out)
        setattr(listing, "files", [])  # noqa: B010  # else one header line per thread
        listing.sort_stats(key).print_stats(args.top)
        print(out.getvalue())


def _package(filename: str, name: str) -> str:
    """Where a profiled function lives: an installed package, the app's top-level directory
    ("app: tutor"), the standard library's module, or a builtin."""
    found = re.search(r"site-packages/([^/]+)", filename)
    if found:
        return found.group(1).removesuffix(".py")
    if filename == "~":  # "<built-in method builtins.len>", "<method 'get' of 'dict' objects>"
        found = re.match(r"<method '(\w+)' of '([\w.]+)' objects>", name)
        return "builtin: " + (f"{found[2]}.{found[1]}" if found else name.strip("<>").split()[-1])
    own = Path(filename)
    if own.is_relative_to(HERE):
        return "app: " + own.relative_to(HERE).parts[0].removesuffix(".py")
    return "stdlib: " + own.stem


if __name__ == "__main__":
    run(main)
