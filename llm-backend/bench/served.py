"""Tutor turns against the app as it runs in production: uvicorn processes, the fake model
server in a process of its own, and this process as the load generator.

    cd llm-backend && BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m bench.served [--delay 0.2] [--levels 1,8,32] [--code DIR ...]

Two measurements per code tree, with real token verification (AUTH_MODE=local, signed tokens):

* `cpu`: one uvicorn worker per tree (a Lambda-shaped process), a zero-delay model, blocks of
  60 sequential teach_me turns alternating between the trees (`--rounds`): the server's CPU
  (utime+stime from /proc) per turn, median block, SQL statements per turn (counted in the
  server, `bench/served_app.py`), the worker's peak RSS.
* `load`: one uvicorn process per core behind a round-robin client, the model answering every
  call after `--delay`: turn latency / delay, p50 and p99, at each level of concurrent
  sessions, and the same CPU, statement and memory figures.

`--code` (repeatable) names llm-backend directories to measure side by side, e.g. a checkout
of an older commit: each gets its own throwaway database migrated and seeded by its own code,
and the runs alternate so that both see the same machine load. Default: this checkout.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.harness import new_session_body, run, server_url

BENCH_DIR = Path(__file__).resolve().parent
HERE = BENCH_DIR.parent
TICK = os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _die_with_parent() -> None:
    """Runs in each child before it starts: the kernel sends it SIGTERM when this process
    dies, even by SIGKILL, so no server outlives an interrupted benchmark (Linux)."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class ModelServer:
    def __init__(self, delay: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.model_server", "--delay", str(delay)],
            cwd=HERE,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=_die_with_parent,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("READY "):
            raise RuntimeError(f"model server did not start: {line!r}")
        self.url = line.split()[1]

    def stop(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(10)


@dataclass
class Tree:
    """One llm-backend directory under test, with its own database and key."""

    code: Path
    env: dict
    guideline_id: str

    @classmethod
    def prepare(cls, code: Path, workdir: Path, index: int) -> Tree:
        from tests.support.pg import create_database

        db = create_database(server_url(), prefix="tutor_bench")
        env = {
            **os.environ,
            "DATABASE_URL": db,
            "OPENAI_API_KEY": "sk-bench",
            "AUTH_MODE": "local",
            "LOCAL_AUTH_KEY_FILE": str(workdir / f"key{index}.pem"),
            "LOG_LEVEL": "WARNING",
            "DB_POOL_SIZE": "10",
            "DB_MAX_OVERFLOW": "30",
            "PYTHONPATH": f"{code}{os.pathsep}{BENCH_DIR}",
        }
        setup = (
            "from db import run_migrations; run_migrations()\n"
            "from tutor.demo_curriculum import seed_demo; seed_demo()\n"
            "from sqlalchemy import select\n"
            "from database import session_scope\n"
            "from shared.models.entities import TeachingGuideline\n"
            "with session_scope() as db: print(db.scalars(select(TeachingGuideline.id)).first())"
        )
        out = subprocess.run(
            [sys.executable, "-c", setup], cwd=code, env=env, check=True, capture_output=True
        )
        return cls(code, env, out.stdout.decode().split()[-1])

    def tokens(self, subs: list[str]) -> dict[str, str]:
        mint = (
            "import sys; from shared.auth.local_issuer import get_local_issuer\n"
            "for s in sys.argv[1:]: print(get_local_issuer().mint(sub=s))"
        )
        out = subprocess.run(
            [sys.executable, "-c", mint, *subs],
            cwd=self.code,
            env=self.env,
            check=True,
            capture_output=True,
        )
        return dict(zip(subs, out.stdout.decode().split(), strict=True))

    def drop(self) -> None:
        from tests.support.pg import drop_database

        drop_database(server_url(), self.env["DATABASE_URL"])


class AppServers:
    """`count` single-process uvicorn servers of one tree, each on its own port."""

    def __init__(self, tree: Tree, model_url: str, count: int) -> None:
        env = {**tree.env, "OPENAI_BASE_URL": f"{model_url}/v1"}
        self.procs: list[subprocess.Popen] = []
        self.urls: list[str] = []
        for _ in range(count):
            port = _free_port()
            self.procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "served_app:app",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--log-level",
                        "warning",
                        "--no-access-log",
                    ],
                    cwd=tree.code,
                    env=env,
                    preexec_fn=_die_with_parent,
                )
            )
            self.urls.append(f"http://127.0.0.1:{port}")
        try:
            for url in self.urls:
                _wait_up(url)
        except BaseException:
            # An app that never came up must not outlive the benchmark (nothing else stops it).
            self.stop()
            raise

    def stats(self) -> tuple[float, int]:
        cpu = sum(cpu_seconds(p.pid) for p in self.procs)
        stmts = sum(httpx.get(f"{u}/_bench/stats").json()["statements"] for u in self.urls)
        return cpu, stmts

    def peak_rss(self) -> float:
        return max(peak_rss_mb(p.pid) for p in self.procs)

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(10)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(url: str) -> None:
    # Generous: on a loaded machine an app process's imports alone can take a minute.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/_bench/stats").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def _sessions(tree: Tree, urls: list[str], users: list[str]) -> list[tuple[httpx.Client, str]]:
    """One session per user, round-robin over the servers; each with its own client."""
    tokens = tree.tokens(users)
    out = []
    for i, user in enumerate(users):
        client = httpx.Client(
            base_url=urls[i % len(urls)],
            headers={"authorization": f"Bearer {tokens[user]}"},
            timeout=120,
        )
        r = client.post(
            "/sessions",
            json=new_session_body(user=user, guideline_id=tree.guideline_id),
        )
        r.raise_for_status()
        out.append((client, r.json()["session_id"]))
    return out


def _turns(sessions: list[tuple[httpx.Client, str]], turns: int) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def one(item: tuple[httpx.Client, str]) -> None:
        client, sid = item
        for i in range(turns):
            started = time.perf_counter()
            r = client.post(f"/sessions/{sid}/step", json={"student_reply": f"answer {i}"})
            elapsed = time.perf_counter() - started
            r.raise_for_status()
            with lock:
                latencies.append(elapsed)

    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        list(pool.map(one, sessions))
    return latencies


def measure_cpu(trees: list[Tree], labels: list[str], rounds: int) -> None:
    """Every tree's server up at once, blocks of 60 sequential turns alternating between them
    `rounds` times: the median block per tree (and the spread) under the same load."""
    model = ModelServer(0.0)
    servers = [AppServers(tree, model.url, 1) for tree in trees]
    figures: dict[str, list[tuple[float, float]]] = {label: [] for label in labels}
    try:
        for tree, srv, label in zip(trees, servers, labels, strict=True):
            # First-request imports and caches are not a turn's cost.
            _turns(_sessions(tree, srv.urls, [f"warm-cpu-{label}"]), 3)
        for r in range(rounds):
            for tree, srv, label in zip(trees, servers, labels, strict=True):
                sessions = _sessions(tree, srv.urls, [f"cpu-{label}-{r}-{i}" for i in range(12)])
                cpu0, st0 = srv.stats()
                n = 0
                for item in sessions:
                    n += len(_turns([item], 5))
                cpu1, st1 = srv.stats()
                figures[label].append(((cpu1 - cpu0) / n * 1000, (st1 - st0 - 1) / n))
        for srv, label in zip(servers, labels, strict=True):
            cpu = sorted(f[0] for f in figures[label])
            stmts = statistics.median(f[1] for f in figures[label])
            print(
                f"{label:>10} {'cpu':>5} {1:>8} {60 * rounds:>6} {'':>6} {'':>6} "
                f"{statistics.median(cpu):>8.1f} {stmts:>7.1f} {srv.peak_rss():>7.0f}"
                f"   (blocks of 60: {' '.join(f'{c:.1f}' for c in cpu)} ms)",
                flush=True,
            )
    finally:
        for srv in servers:
            srv.stop()
        model.stop()


def measure_load(tree: Tree, label: str, args, level: int, run_id: str) -> None:
    model = ModelServer(args.delay)
    servers = AppServers(tree, model.url, args.processes)
    try:
        _turns(_sessions(tree, servers.urls, [f"warm-{run_id}-{i}" for i in range(2)]), 2)
        sessions = _sessions(tree, servers.urls, [f"s-{run_id}-{i}" for i in range(level)])
        cpu0, st0 = servers.stats()
        latencies = _turns(sessions, args.turns)
        cpu1, st1 = servers.stats()
        n = len(latencies)
        ratios = [x / args.delay for x in latencies]
        print(
            f"{label:>10} {'load':>5} {level:>8} {n:>6} {statistics.median(ratios):>6.2f} "
            f"{_percentile(ratios, 99):>6.2f} {(cpu1 - cpu0) / n * 1000:>8.1f} "
            f"{(st1 - st0 - len(servers.urls)) / n:>7.1f} {servers.peak_rss():>7.0f}",
            flush=True,
        )
    finally:
        servers.stop()
        model.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=0.2, help="model delay in seconds")
    parser.add_argument("--turns", type=int, default=5, help="turns per session under load")
    parser.add_argument("--levels", default="1,8,32", help="concurrent sessions under load")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--code", action="append", type=Path, help="llm-backend dirs to compare")
    parser.add_argument("--rounds", type=int, default=5, help="blocks of 60 turns per tree")
    parser.add_argument("--skip", default="", help="'cpu' or 'load' to leave one out")
    args = parser.parse_args(argv)
    codes = [c.resolve() for c in (args.code or [HERE])]
    server_url()  # fail early without a database
    with tempfile.TemporaryDirectory(prefix="bench-served-") as work:
        trees = [Tree.prepare(c, Path(work), i) for i, c in enumerate(codes)]
        labels = [c.parent.name if c.name == "llm-backend" else c.name for c in codes]
        load = os.getloadavg()
        print(
            f"model delay {args.delay * 1000:.0f} ms; {args.processes} app processes under "
            f"load; {os.cpu_count()} cores; load average {load[0]:.2f} at start"
        )
        print(
            f"{'tree':>10} {'run':>5} {'sessions':>8} {'turns':>6} {'p50':>6} {'p99':>6} "
            f"{'cpu ms':>8} {'stmts':>7} {'rss MB':>7}"
        )
        try:
            if args.skip != "cpu":
                measure_cpu(trees, labels, args.rounds)
            if args.skip != "load":
                for level in [int(x) for x in args.levels.split(",")]:
                    for tree, label in zip(trees, labels, strict=True):
                        measure_load(tree, label, args, level, f"{label}-{level}")
        finally:
            for tree in trees:
                tree.drop()
        load = os.getloadavg()
        print(f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} at the end")
    return 0


if __name__ == "__main__":
    run(main)
