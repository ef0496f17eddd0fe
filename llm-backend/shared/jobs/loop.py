"""The one item loop: items `first_item..total` of a claimed job, `concurrency` at a time, each
checkpointed with its output in one transaction under the lease (items that finish together
share one).

- `last_completed_item` is the high-water mark below which every item is done (finished or
  failed): items may finish out of order when more than one runs at once.
- When the loop starts an item with nothing else in flight, it first records it as
  `current_item` (a lease-checked write, so a swept job starts nothing); each checkpoint then
  records the lowest item still in flight.
- Independent items (concurrency > 1) refill the freed slots before the serial checkpoints, so
  the model calls stay `concurrency` deep; a sequential job's next item starts only after the
  previous one is saved, since it builds on it.
- One time-left rule: an invocation starts an item only while it has more than
  JOB_TIME_MARGIN_SECONDS left, and always starts at least one, so every invocation makes
  progress. Outside Lambda there is no limit.
"""

from __future__ import annotations

import contextvars
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from functools import partial
from typing import Any, Protocol

from sqlalchemy.orm import Session

from config import get_settings
from database import run_transaction
from shared.jobs import lifecycle
from shared.jobs.heartbeat import Heartbeat
from shared.jobs.items import ItemOutcome, JobContext, LeaseLostError, Outcome
from shared.llm.deadline import lambda_remaining_seconds


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

    @property
    def lost(self) -> bool:
        return self.heartbeat.lost.is_set()

    def run(self) -> Outcome:
        prefix = f"job-{self.ctx.job_type}"
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix=prefix) as pool:
            try:
                return self._drive(pool)
            finally:
                for future in self.inflight:
                    future.cancel()

    def _drive(self, pool: ThreadPoolExecutor) -> Outcome:
        while self.todo or self.inflight:
            if self.lost:
                return Outcome.LOST
            self._refill(pool)
            if not self.inflight:
                return Outcome.LOST if self.lost else Outcome.OUT_OF_TIME
            finished, _ = wait(self.inflight, timeout=1.0, return_when=FIRST_COMPLETED)
            results = sorted((self.inflight.pop(future), future) for future in finished)
            if self.concurrency > 1:
                self._refill(pool)
            self._save_all(results)
        return Outcome.LOST if self.lost else Outcome.DONE

    def _may_start(self) -> bool:
        return not self.lost and (not self.started or has_time(self.lambda_context))

    def _refill(self, pool: ThreadPoolExecutor) -> None:
        while self.todo and len(self.inflight) < self.concurrency and self._may_start():
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

    def _save_all(self, results: list[tuple[int, Future[ItemOutcome]]]) -> None:
        """The items that finished together, checkpointed in one transaction: the driver
        saves serially while the slots wait for refills, so one transaction per item made
        the checkpoints, not the model, the limit at high concurrency. An item whose worker
        lost the lease ends the batch there (the items before it are still saved)."""
        finished: list[tuple[int, ItemOutcome]] = []
        lease_lost = False
        for item, future in results:
            try:
                finished.append((item, future.result()))
            except LeaseLostError:
                lease_lost = True
                break
        if finished and not self.lost and not self._checkpoint(finished):
            self.heartbeat.lost.set()
        if lease_lost:
            self.heartbeat.lost.set()

    def _checkpoint(self, finished: list[tuple[int, ItemOutcome]]) -> bool:
        """The items' outputs and the job's progress in one transaction, under the lease (the
        job row stays locked while the outputs are written)."""
        for item, outcome in finished:
            self.done.add(item)
            self.ctx.record(item, outcome)
        while self.watermark + 1 in self.done:
            self.watermark += 1
        progress = {
            "completed_items": self.ctx.completed,
            "failed_items": self.ctx.failed,
            "last_completed_item": self.watermark,
            "current_item": min(self.inflight.values(), default=None),
            "progress_detail": self.ctx.detail,
        }
        outcomes = [outcome for _, outcome in finished]
        return run_transaction(partial(self._save, progress, outcomes))

    def _save(
        self, progress: dict[str, Any], outcomes: list[ItemOutcome], session: Session
    ) -> bool:
        """One attempt of the checkpoint's transaction; run again after a deadlock, so it
        writes only rows and objects whose keys and bytes are fixed by the outcomes. False,
        with nothing written, when the lease is gone."""
        ctx = self.ctx
        if not lifecycle.checkpoint(session, job_id=ctx.job_id, lease=ctx.lease, **progress):
            return False
        for outcome in outcomes:
            if outcome.commit is not None:
                outcome.commit(session)
        return True
