"""Bulk OCR of N pages (default 200) through an `ocr_batch` job against the fake model server.

    cd llm-backend && BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m bench.bulk_ocr [--pages 200] [--delay 0.1] [--levels 4,8,16]

Every model call takes exactly `--delay` seconds, so with OCR_CONCURRENCY=c the ideal wall time
is pages x delay / c. For each level it prints the wall time from the bulk upload's 202 to the
job's completion and the ratio wall / ideal (1.0 = only model time; the rest is image
conversion, storage writes and the checkpoint transactions), then how much of the wall the
upload request itself took (storing 200 originals and their rows, before the job starts) and
the job's own share, (wall - upload) / ideal. Uses a throwaway database
on the given PostgreSQL server (dropped afterwards) and a temporary local storage directory.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time

from bench.harness import bench_environment, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.1, help="model delay in seconds")
    parser.add_argument("--levels", default="4,8,16", help="OCR_CONCURRENCY values to measure")
    args = parser.parse_args(argv)
    storage = tempfile.TemporaryDirectory(prefix="bench-storage-")
    env = {"STORAGE_BACKEND": "local", "LOCAL_STORAGE_DIR": storage.name, "JOB_DISPATCH": "local"}
    try:
        with bench_environment(**env) as fake:
            return _run(args, fake)
    finally:
        storage.cleanup()


def _run(args, fake) -> int:
    import logging

    from book_ingestion.schemas import BookCreate
    from book_ingestion.services import book_service, page_service
    from config import reset_settings
    from database import session_scope
    from shared.jobs.dispatch import LocalDispatcher, set_dispatcher
    from shared.jobs.models import BookJob
    from shared.storage import reset_blob_store
    from tests.fakes.llm_server import Reply
    from tests.support.books import BOOK, image_bytes

    logging.disable(logging.INFO)
    page = image_bytes(size=(600, 800))
    print(f"bulk OCR of {args.pages} pages, model delay {args.delay:.3f} s")
    print(
        f"{'concurrency':>11} {'wall s':>8} {'ideal s':>8} {'wall/ideal':>10} {'upload s':>9} "
        f"{'job/ideal':>10}"
    )
    for level in [int(x) for x in args.levels.split(",")]:
        os.environ["OCR_CONCURRENCY"] = str(level)
        reset_settings()
        reset_blob_store()
        dispatcher = LocalDispatcher()  # in-process, so the run can wait for the job
        set_dispatcher(dispatcher)
        fake.reset()
        fake.push(*[Reply(f"text of page {n}", delay=args.delay) for n in range(args.pages)])
        book_id = book_service.create_book(
            data=BookCreate(**{**BOOK, "edition_year": 2000 + level}), created_by="bench"
        ).id
        started = time.perf_counter()
        files = [(f"page-{n:03d}.png", io.BytesIO(page)) for n in range(1, args.pages + 1)]
        job_id = page_service.bulk_upload(book_id=book_id, files=files).job_id
        uploaded = time.perf_counter() - started
        dispatcher.wait_idle(timeout=3600)
        wall = time.perf_counter() - started
        with session_scope() as session:
            job = session.get(BookJob, job_id)
            status, completed = (job.status, job.completed_items) if job else ("deleted", 0)
        if status != "completed" or completed != args.pages:
            print(f"job {job_id} ended {status} with {completed} pages", file=sys.stderr)
            return 1
        ideal = args.pages * args.delay / level
        print(
            f"{level:>11} {wall:>8.2f} {ideal:>8.2f} {wall / ideal:>10.2f} {uploaded:>9.2f} "
            f"{(wall - uploaded) / ideal:>10.2f}"
        )
    return 0


if __name__ == "__main__":
    run(main)
