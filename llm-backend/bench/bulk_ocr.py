"""Bulk OCR of N pages (default 200) through an `ocr_batch` job, the model in another process.

    cd llm-backend && BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m bench.bulk_ocr [--pages 200] [--delay 0.1] [--levels 4,8,16] \
        [--rounds 2] [--code DIR ...]

Every model call takes exactly `--delay` seconds (bench.model_server, its own process, so its
request handling does not share the app's interpreter), so with OCR_CONCURRENCY=c the ideal
wall time is pages x delay / c. Each run is a fresh process of the llm-backend tree under test
(`--code`, repeatable: the trees alternate run by run, so a busy machine slows each alike) with
its own throwaway database; the harness (this file, the model server) is always this tree's.

Per tree and level it prints the median over `--rounds` of: the wall from the bulk upload's call
to the job's completion and wall / ideal (1.0 = only model time); the upload's own seconds
(checking and storing 200 originals and their rows, before the job starts; the user waits for
it, so it is in the wall); and the job's share, (wall - upload) / ideal. A run first builds the
model client and imports the job handlers (once per process: the SDK's import and every
domain's job modules, cold-start costs that bench.cold_start measures), so the figures are a
warm worker's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
HERE = BENCH_DIR.parent


def main(argv: list[str] | None = None) -> int:
    from bench.served import ModelServer

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.1, help="model delay in seconds")
    parser.add_argument("--levels", default="4,8,16", help="OCR_CONCURRENCY values to measure")
    parser.add_argument("--rounds", type=int, default=1, help="runs per tree and level")
    parser.add_argument("--code", action="append", type=Path, help="llm-backend dirs")
    args = parser.parse_args(argv)
    codes = [c.resolve() for c in (args.code or [HERE])]
    levels = [int(x) for x in args.levels.split(",")]
    model = ModelServer(args.delay)
    runs: dict[tuple[Path, int], list[dict]] = {(c, lv): [] for c in codes for lv in levels}
    try:
        for _ in range(args.rounds):
            for level in levels:
                for code in codes:
                    runs[(code, level)].append(_measure(code, model.url, level, args))
    finally:
        model.stop()
    print(f"bulk OCR of {args.pages} pages, model delay {args.delay:.3f} s, {args.rounds} round(s)")
    print(
        f"{'tree':>12} {'concurrency':>11} {'wall s':>8} {'ideal s':>8} {'wall/ideal':>10} "
        f"{'upload s':>9} {'job/ideal':>10} {'cpu s':>6}"
    )
    for level in levels:
        ideal = args.pages * args.delay / level
        for code in codes:
            label = code.parent.name if code.name == "llm-backend" else code.name
            got = runs[(code, level)]
            wall = statistics.median(r["wall"] for r in got)
            upload = statistics.median(r["upload"] for r in got)
            job = statistics.median((r["wall"] - r["upload"]) / ideal for r in got)
            cpu = statistics.median(r["cpu"] for r in got)
            print(
                f"{label[:12]:>12} {level:>11} {wall:>8.2f} {ideal:>8.2f} {wall / ideal:>10.2f} "
                f"{upload:>9.2f} {job:>10.2f} {cpu:>6.2f}"
            )
    return 0


def _measure(code: Path, model_url: str, level: int, args) -> dict:
    """One run in a fresh process of `code` (this file's `child`), on a database of its own."""
    from bench.harness import server_url
    from tests.support.pg import create_database, drop_database

    db = create_database(server_url(), prefix="tutor_bench")
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as storage:
        env = {
            **os.environ,
            "PYTHONPATH": str(code),
            "DATABASE_URL": db,
            "OPENAI_BASE_URL": f"{model_url}/v1",
            "OPENAI_API_KEY": "sk-bench",
            "DB_POOL_SIZE": "10",
            "DB_MAX_OVERFLOW": "30",
            "LOG_LEVEL": "WARNING",
            "STORAGE_BACKEND": "local",
            "LOCAL_STORAGE_DIR": storage,
            "JOB_DISPATCH": "local",
            "OCR_CONCURRENCY": str(level),
        }
        command = [sys.executable, __file__, "--child", str(args.pages), str(level)]
        try:
            out = subprocess.run(command, cwd=code, env=env, check=True, capture_output=True)
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"run in {code} failed:\n{exc.stderr.decode()}") from exc
        finally:
            drop_database(server_url(), db)
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def child(pages: int, level: int) -> int:
    """One measured run, in the tree on PYTHONPATH: imports only what every tree has."""
    import io
    import logging
    import resource
    import time

    from book_ingestion.schemas import BookCreate
    from book_ingestion.services import book_service, page_service
    from database import session_scope
    from db import run_migrations
    from shared.jobs.dispatch import LocalDispatcher, set_dispatcher
    from shared.jobs.models import BookJob
    from shared.jobs.registry import load_job_handlers
    from shared.llm import config_store
    from shared.llm.providers.registry import get_provider
    from tests.support.books import BOOK, image_bytes

    logging.disable(logging.INFO)
    run_migrations()
    get_provider(config_store.resolve("book_ingestion").provider)  # cold-start costs: see above
    load_job_handlers()
    try:  # as lambda_handler.worker_handler does once its handlers are loaded
        from shared.heap import freeze_startup_objects

        freeze_startup_objects()
    except ImportError:  # a tree from before shared.heap
        pass
    dispatcher = LocalDispatcher()  # in-process, so the run can wait for the job
    set_dispatcher(dispatcher)
    page = image_bytes(size=(600, 800))
    book_id = book_service.create_book(
        data=BookCreate(**{**BOOK, "edition_year": 2000 + level}), created_by="bench"
    ).id
    files = [(f"page-{n:03d}.png", io.BytesIO(page)) for n in range(1, pages + 1)]
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    job_id = page_service.bulk_upload(book_id=book_id, files=files).job_id
    uploaded = time.perf_counter() - started
    dispatcher.wait_idle(timeout=3600)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    with session_scope() as session:
        job = session.get(BookJob, job_id)
        status, completed = (job.status, job.completed_items) if job else ("deleted", 0)
    if status != "completed" or completed != pages:
        print(f"job {job_id} ended {status} with {completed} pages", file=sys.stderr)
        return 1
    used = after.ru_utime - cpu.ru_utime + after.ru_stime - cpu.ru_stime
    print(json.dumps({"wall": wall, "upload": uploaded, "cpu": used}))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.exit(child(int(sys.argv[2]), int(sys.argv[3])))
    from bench.harness import run

    run(main)
