"""The one item loop: items `first_item..total` of a claimed job, `concurrency` at a time, each
checkpointed with its output in one transaction under the lease (items that finish together
share one).

- `last_completed_item` is the high-water mark below which every item is done (finished or
  failed): items may finish out of order when more than one runs at once.
- When the loop starts an item with nothing else in flight, it first records it as
  `current_item` (a lease-checked write, so a swept job starts nothing); each checkpoint then
  records the lowest item still in flight.
- Independent items (concurrency > 1) are checkpointed by a saver thread, one transaction at a
  time and in order, while the loop keeps refilling the slots as they free up: a checkpoint
  that made the loop wait left up to `concurrency` slots empty for its duration (the queueing
  behind the fall-off at 16). Items that finish while a checkpoint runs go in the next one
  together, and so do items finishing within HOLD_SECONDS of each other (`_holding`). A
  sequential job's next item starts only after the previous one is saved, since it builds on
  it.
- A checkpoint writes its items' `BatchedWrite`s one call per class (e.g. every page of an
  OCR checkpoint in one UPDATE), so its transaction does not grow by round trips per item.
- The run's `llm_calls` rows are written in the checkpoints' transactions
  (`shared.llm.recorder.batched`), not one transaction per call on the item's slot; rows a
  checkpoint could not write, and any left when the run ends, are saved on their own.
- One time-left rule: an invocation starts an item only while it has more than
  JOB_TIME_MARGIN_SECONDS left, and always starts at least one, so every invocation makes
  progress. Outside Lambda there is no limit.
"""

from __future__ import annotations

import contextvars
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from functools import partial
from typing import Any, Protocol

from sqlalchemy.orm import Session

from config import get_settings
from database import run_transaction
from shared.jobs import lifecycle
from shared.jobs.heartbeat import Heartbeat
from shared.jobs.items import BatchedWrite, ItemOutcome, JobContext, LeaseLostError, Outcome
from shared.llm import recorder
from shared.llm.deadline import lambda_remaining_seconds

# How long finished independent items may wait for others to share their checkpoint.
HOLD_SECONDS = 0.05


class ItemProcessor(Protocol):
    def process(self, ctx: JobContext[Any], item: int) -> ItemOutcome: ...


def has_time(lambda_context: Any) -> bool:
    """The time-left rule (see the module)."""
    left = lambda_remaining_seconds(lambda_context)
    return left is None or left > get_settings().job_time_margin_seconds


class ItemLoop:
    def __init__(
        self,
        handler: ItemProcessor,
        ctx: JobContext[Any],
        heartbeat: Heartbeat,
        lambda_context: Any,
        *,
        concurrency: int,
    ) -> None:
        self.handler, self.ctx, self.heartbeat = handler, ctx, heartbeat
        self.lambda_context, self.concurrency = lambda_context, max(1, concurrency)
        self.todo = deque(range(ctx.first_item, ctx.total + 1))
        self.inflight: dict[Future[ItemOutcome], int] = {}
        self.done: set[int] = set()
        self.watermark = ctx.first_item - 1
        self.started = False
        # Finished items not yet handed to the saver, and the checkpoint it is writing.
        self.pending: list[tuple[int, Future[ItemOutcome]]] = []
        self.saving: Future[None] | None = None
        self.calls: recorder.CallBatch | None = None
        self.pending_since = 0.0  # when the oldest item in `pending` finished

    @property
    def lost(self) -> bool:
        return self.heartbeat.lost.is_set()

    def run(self) -> Outcome:
        prefix = f"job-{self.ctx.job_type}"
        with (
            recorder.batched() as self.calls,
            ThreadPoolExecutor(1, thread_name_prefix=f"{prefix}-save") as saver,
            ThreadPoolExecutor(self.concurrency, thread_name_prefix=prefix) as pool,
        ):
            try:
                return self._drive(pool, saver)
            finally:
                for future in self.inflight:
                    future.cancel()

    def _drive(self, pool: ThreadPoolExecutor, saver: ThreadPoolExecutor) -> Outcome:
        while self.todo or self.inflight or self.pending or self.saving:
            if self.lost:
                return Outcome.LOST
            self._refill(pool)
            if not self.inflight and not self.pending and self.saving is None:
                return Outcome.LOST if self.lost else Outcome.OUT_OF_TIME
            waiting: list[Future[Any]] = [*self.inflight]
            if self.saving is not None:
                waiting.append(self.saving)
            finished, _ = wait(waiting, timeout=self._timeout(), return_when=FIRST_COMPLETED)
            for future in finished:
                if future is self.saving:
                    self._saved()
                else:
                    if not self.pending:
                        self.pending_since = time.monotonic()
                    self.pending.append((self.inflight.pop(future), future))
            if self.concurrency > 1:
                self._refill(pool)
            self._hand_over(saver)
        return Outcome.LOST if self.lost else Outcome.DONE

    def _hand_over(self, saver: ThreadPoolExecutor) -> None:
        """Gives the finished items to the saver when it is free (one checkpoint at a time, so
        they commit in order) and the batch is not being held; a sequential job waits for its
        item to be saved."""
        if not self.pending or self.saving is not None or self._holding():
            return
        batch, self.pending = sorted(self.pending, key=lambda done: done[0]), []
        current = min(self.inflight.values(), default=None)
        run = contextvars.copy_context().run
        self.saving = saver.submit(run, self._save_all, batch, current)
        if self.concurrency == 1:
            self._saved()

    def _holding(self) -> bool:
        """Independent items that finish within HOLD_SECONDS of each other share a checkpoint
        (up to half the slots' worth): a checkpoint costs about the same for one item as for
        eight, and handing each item over as the saver came free made ~100 transactions of 200
        pages, a third of the interpreter's time taken from the model threads. Never while
        nothing else is in flight (the last items, a sequential job), nor with the lease gone."""
        if self.concurrency == 1 or not self.inflight or self.lost:
            return False
        if len(self.pending) >= max(1, self.concurrency // 2):
            return False
        return time.monotonic() - self.pending_since < HOLD_SECONDS

    def _timeout(self) -> float:
        """How long the loop may wait for an item or the saver: a held batch is handed over
        when its time is up even if nothing else finishes."""
        if self.pending and self.saving is None and self._holding():
            return max(0.0, HOLD_SECONDS - (time.monotonic() - self.pending_since))
        return 1.0

    def _saved(self) -> None:
        """The checkpoint has ended; one that raised ends the run with its error."""
        saving, self.saving = self.saving, None
        if saving is not None:
            saving.result()

    def _may_start(self) -> bool:
        return not self.lost and (not self.started or has_time(self.lambda_context))

    def _refill(self, pool: ThreadPoolExecutor) -> None:
        while self.todo and len(self.inflight) < self.concurrency and self._may_start():
            if not self.inflight and self.saving is not None:
                self._saved()  # so the announcement below is the job's latest write
                if self.lost:
                    return
            item = self.todo.popleft()
            if not self.inflight and not self._announce(item):
                self.heartbeat.lost.set()
                return
            # In a copy of this context: the item's model calls keep the invocation's
            # deadline (shared.llm.deadline), which pool threads do not inherit.
            run = contextvars.copy_context().run
            self.inflight[pool.submit(run, self.handler.process, self.ctx, item)] = item
            self.started = True

    def _announce(self, item: int) -> bool:
        ctx = self.ctx
        return run_transaction(
            lambda session: lifecycle.checkpoint(
                session, job_id=ctx.job_id, lease=ctx.lease, current_item=item
            )
        )

    def _save_all(
        self, results: list[tuple[int, Future[ItemOutcome]]], current: int | None
    ) -> None:
        """The items that finished together, checkpointed in one transaction (one per item
        made the checkpoints, not the model, the limit at high concurrency); `current` is the
        lowest item in flight when they were handed over. An item whose worker lost the lease
        ends the batch there (the items before it are still saved)."""
        finished: list[tuple[int, ItemOutcome]] = []
        lease_lost = False
        for item, future in results:
            try:
                finished.append((item, future.result()))
            except LeaseLostError:
                lease_lost = True
                break
        if finished and not self.lost and not self._checkpoint(finished, current):
            self.heartbeat.lost.set()
        if lease_lost:
            self.heartbeat.lost.set()

    def _checkpoint(self, finished: list[tuple[int, ItemOutcome]], current: int | None) -> bool:
        """The items' outputs, the job's progress and the run's call records so far in one
        transaction, under the lease (the job row stays locked while the outputs are
        written)."""
        for item, outcome in finished:
            self.done.add(item)
            self.ctx.record(item, outcome)
        while self.watermark + 1 in self.done:
            self.watermark += 1
        progress = {
            "completed_items": self.ctx.completed,
            "failed_items": self.ctx.failed,
            "last_completed_item": self.watermark,
            "current_item": current,
            "progress_detail": self.ctx.detail,
        }
        outcomes = [outcome for _, outcome in finished]
        calls = self.calls.take() if self.calls is not None else []
        saved = False
        try:
            saved = run_transaction(partial(self._save, progress, outcomes, calls))
        finally:
            if not saved:
                recorder.save_all(calls)
        return saved

    def _save(
        self,
        progress: dict[str, Any],
        outcomes: list[ItemOutcome],
        calls: list[recorder.CallRecord],
        session: Session,
    ) -> bool:
        """One attempt of the checkpoint's transaction; run again after a deadlock, so it
        writes only rows and objects whose keys and bytes are fixed by the outcomes. False,
        with nothing written, when the lease is gone."""
        ctx = self.ctx
        if not lifecycle.checkpoint(session, job_id=ctx.job_id, lease=ctx.lease, **progress):
            return False
        batches: dict[type[BatchedWrite], list[BatchedWrite]] = {}
        for outcome in outcomes:
            if outcome.commit is not None:
                outcome.commit(session)
            if outcome.write is not None:
                batches.setdefault(type(outcome.write), []).append(outcome.write)
        for kind, writes in batches.items():  # in item order within each kind
            kind.write_all(session, writes)
        recorder.add(session, calls)
        return True
