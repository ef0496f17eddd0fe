"""Runs `ocr_batch` jobs: claim, heartbeat, OCR pages with bounded concurrency, checkpoint each
item with its output in one transaction, then complete (or, on Lambda, hand off to a
continuation message when time runs low).

Items are 1..total_items over `progress_detail.page_ids` (page ids, stable under renumbering).
`last_completed_item` is the high-water mark below which every item is done (finished or
failed), so a resumed job starts at `last_completed_item + 1`; pages already OCR'd beyond it
are skipped without a model call.
"""

from __future__ import annotations

import contextvars
import json
import logging
import threading
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from book_ingestion.models.database import Book, BookJob, BookPage
from book_ingestion.models.status import PageStage
from book_ingestion.services import images, job_lock_service, ocr_service, page_ocr
from config import get_settings
from database import run_transaction, session_scope
from shared.jobs.dispatch import dispatch
from shared.jobs.messages import JobMessage
from shared.jobs.registry import register
from shared.models.enums import JobType
from shared.storage import get_blob_store

logger = logging.getLogger(__name__)


class Heartbeat:
    """Refreshes the job's heartbeat every JOB_HEARTBEAT_SECONDS from a thread that lives only
    as long as the run; a heartbeat that updates 0 rows sets `lost` and the worker stops."""

    def __init__(self, *, job_id: str, lease: str, interval: float) -> None:
        self.job_id, self.lease, self.interval = job_id, lease, interval
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                alive = job_lock_service.heartbeat(job_id=self.job_id, lease=self.lease)
            except Exception:
                logger.exception("heartbeat failed", extra={"job_id": self.job_id})
                continue  # a database blip: the stale limit covers several missed beats
            if not alive:
                self.lost.set()
                return


@dataclass
class ItemResult:
    item: int
    page_id: str
    number: int | None = None
    png: bytes | None = None
    text: str | None = None
    error: str | None = None
    skipped: bool = False


def _ocr_item(item: int, page_id: str, book: dict, job_id: str) -> ItemResult:
    with session_scope() as session:
        page = session.get(BookPage, page_id)
        if page is None:
            return ItemResult(item, page_id, error="page was deleted")
        if page.status != PageStage.QUEUED:
            return ItemResult(item, page_id, number=page.page_number, skipped=True)
        # A retried page OCRs its original again; pages stored before originals were kept
        # have only their converted image.
        number, source = page.page_number, page.original_s3_key or page.image_s3_key
        if source is None:
            return ItemResult(item, page_id, number=number, error="the page has no image")
    try:
        png = images.to_png(get_blob_store().get(source))
        text = ocr_service.ocr_page(
            png=png, subject=book["subject"], grade=book["grade"], job_id=job_id
        )
    except Exception as exc:
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        return ItemResult(item, page_id, number=number, error=message)
    return ItemResult(item, page_id, number=number, png=png, text=text)


class Run:
    def __init__(self, job: BookJob, book: Book, lease: str, context: Any) -> None:
        self.job_id, self.lease, self.context = job.id, lease, context
        self.book = {"id": book.id, "subject": book.subject, "grade": book.grade}
        self.detail = json.loads(job.progress_detail or "{}")
        self.page_ids: list[str] = self.detail.get("page_ids", [])
        self.completed, self.failed = job.completed_items, job.failed_items
        self.watermark = job.last_completed_item or 0
        self.done: set[int] = set(range(1, self.watermark + 1))
        settings = get_settings()
        self.margin_ms = settings.job_time_margin_seconds * 1000
        self.concurrency = settings.ocr_concurrency

    def has_time(self) -> bool:
        if self.context is None:
            return True
        return self.context.get_remaining_time_in_millis() > self.margin_ms

    def checkpoint(self, result: ItemResult, inflight: set[int]) -> bool:
        """The item's output, its page row and the job's progress in one transaction, under
        the lease (the job row stays locked while the output is written)."""
        self.done.add(result.item)
        while self.watermark + 1 in self.done:
            self.watermark += 1
        if result.error:
            self.failed += 1
            errors = self.detail.setdefault("errors", [])
            errors.append({"item": result.item, "page": result.number, "error": result.error})
        else:
            self.completed += 1
        progress = {
            "completed_items": self.completed,
            "failed_items": self.failed,
            "last_completed_item": self.watermark,
            "current_item": min(inflight) if inflight else None,
            "progress_detail": json.dumps(self.detail),
        }
        return run_transaction(lambda session: self._save(session, result, progress))

    def _save(self, session, result: ItemResult, progress: dict) -> bool:
        """One attempt of the checkpoint's transaction; run again after a deadlock, so it
        writes only rows and objects whose keys and bytes are fixed by `result`."""
        if not job_lock_service.checkpoint(
            session, job_id=self.job_id, lease=self.lease, **progress
        ):
            return False
        page = session.get(BookPage, result.page_id)
        if page is None or result.skipped:
            return True
        if result.error:
            page_ocr.store_error(page, error=result.error)
        else:
            page_ocr.store_text(page, png=result.png, text=result.text)
        return True

    def process(self, heartbeat: Heartbeat) -> str:
        """'done', 'out_of_time' or 'lost'."""
        todo = deque(range(self.watermark + 1, len(self.page_ids) + 1))
        todo = deque(i for i in todo if i not in self.done)
        inflight: dict[Future, int] = {}
        outcome = "done"
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="ocr") as pool:
            started_any = False

            def refill() -> None:
                nonlocal started_any
                while (
                    todo
                    and len(inflight) < self.concurrency
                    and (self.has_time() or not started_any)
                    and not heartbeat.lost.is_set()
                ):
                    item = todo.popleft()
                    args = (item, self.page_ids[item - 1], self.book, self.job_id)
                    # In a copy of this context: the item's model calls keep the invocation's
                    # deadline (shared.llm.deadline), which threads do not inherit.
                    run = contextvars.copy_context().run
                    inflight[pool.submit(run, _ocr_item, *args)] = item
                    started_any = True

            while todo or inflight:
                if heartbeat.lost.is_set():
                    outcome = "lost"
                    break
                refill()
                if not inflight:
                    outcome = "out_of_time"
                    break
                finished, _ = wait(inflight, timeout=1.0, return_when=FIRST_COMPLETED)
                results = [(inflight.pop(future), future.result()) for future in finished]
                # Refill the freed slots before the (serial) checkpoints, so the model calls
                # stay `concurrency` deep while this thread writes outputs and progress.
                refill()
                for _item, result in sorted(results, key=lambda r: r[0]):
                    if heartbeat.lost.is_set():
                        break
                    if not self.checkpoint(result, set(inflight.values())):
                        heartbeat.lost.set()
                if heartbeat.lost.is_set():
                    outcome = "lost"
                    break
            for future in inflight:
                future.cancel()
        return outcome


def run_ocr_batch(job_id: str, context: Any = None) -> None:
    lease = job_lock_service.claim_for_current_message(job_id)
    if lease is None:
        return
    with session_scope() as session:
        job = session.get(BookJob, job_id)
        book = session.get(Book, job.book_id)
        run = Run(job, book, lease, context)
    try:
        with Heartbeat(
            job_id=job_id, lease=lease, interval=get_settings().job_heartbeat_seconds
        ) as hb:
            outcome = run.process(hb)
    except Exception as exc:
        logger.exception("ocr_batch crashed", extra={"job_id": job_id})
        job_lock_service.fail(
            job_id=job_id, lease=lease, message=f"Job crashed: {type(exc).__name__}"
        )
        return
    if outcome == "done":
        job_lock_service.complete(job_id=job_id, lease=lease)
    elif outcome == "out_of_time":
        token = job_lock_service.release_for_continuation(job_id=job_id, lease=lease)
        if token is not None:
            dispatch(JobMessage(job_id=job_id, job_type=JobType.OCR_BATCH, handoff=token))
    else:
        logger.warning("job lease lost; stopped without further writes", extra={"job_id": job_id})


register(JobType.OCR_BATCH, run_ocr_batch)
