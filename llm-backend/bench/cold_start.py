"""Cold start: what a fresh Lambda process pays before it can serve, side by side with a bare
FastAPI + Mangum process.

    cd llm-backend && .venv/bin/python -m bench.cold_start [--runs 15] [--code DIR ...]

Each run is a new interpreter; runs of every variant alternate, so all see the same machine
load. Prints the median wall time of: `import fastapi, mangum` (bare); `import lambda_handler`
(handler); the handler plus building the app for the first API request (`_adapter()`,
handler+app) next to a bare `Mangum(FastAPI())`; and their ratios. Then the slowest imports
of `lambda_handler` (python -X importtime, cumulative) for the first `--code` tree.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
VARIANTS = {
    "bare": "import fastapi, mangum",
    "handler": "import lambda_handler",
    "bare+app": "import fastapi, mangum; mangum.Mangum(fastapi.FastAPI(), lifespan='off')",
    "handler+app": "import lambda_handler; lambda_handler._adapter()",
}


def _once(code: Path, source: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(code), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", source], cwd=code, env=env, check=True)
    return time.perf_counter() - started


def _slowest_imports(code: Path, top: int) -> list[tuple[int, str]]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import lambda_handler"],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    rows = []
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:top]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--code", action="append", type=Path, help="llm-backend dirs")
    parser.add_argument("--top", type=int, default=15, help="slowest imports to list")
    args = parser.parse_args(argv)
    codes = [c.resolve() for c in (args.code or [HERE])]
    times: dict[tuple[Path, str], list[float]] = {(c, v): [] for c in codes for v in VARIANTS}
    for code in codes:  # warm the file cache and bytecode once
        for source in VARIANTS.values():
            _once(code, source)
    for _ in range(args.runs):
        for code in codes:
            for name, source in VARIANTS.items():
                times[(code, name)].append(_once(code, source))
    print(f"{args.runs} runs each, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(
        f"{'tree':>12} {'bare':>7} {'handler':>8} {'ratio':>6} {'bare+app':>9} "
        f"{'handler+app':>12} {'ratio':>6}"
    )
    for code in codes:
        m = {v: statistics.median(times[(code, v)]) for v in VARIANTS}
        label = code.parent.name if code.name == "llm-backend" else code.name
        print(
            f"{label:>12} {m['bare']:>7.3f} {m['handler']:>8.3f} {m['handler'] / m['bare']:>6.2f} "
            f"{m['bare+app']:>9.3f} {m['handler+app']:>12.3f} "
            f"{m['handler+app'] / m['bare+app']:>6.2f}"
        )
    print(f"\nslowest imports of lambda_handler ({codes[0]}), cumulative µs:")
    for micros, name in _slowest_imports(codes[0], args.top):
        print(f"{micros:>10} {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
