"""Which finished items share a checkpoint: independent items finishing close together are
held for one (up to half the slots' worth), the last ones are never held, and a held batch
is dropped, not written, once the lease is gone. Items finish when the test releases them
(events, no sleeps); HOLD_SECONDS is made long so only those rules decide."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from shared.jobs import loop as loop_module
from shared.jobs.items import ItemOutcome, JobContext, Outcome
from shared.jobs.loop import ItemLoop

WAIT = 30  # seconds a test waits for the loop before failing


class Released:
    """An item handler whose item n returns when `release(n)` is called."""

    def __init__(self, total: int) -> None:
        self.gates = {n: threading.Event() for n in range(1, total + 1)}

    def process(self, ctx, item: int) -> ItemOutcome:
        assert self.gates[item].wait(WAIT)
        return ItemOutcome()

    def release(self, *items: int) -> None:
        for item in items:
            self.gates[item].set()


class RecordingLoop(ItemLoop):
    """The loop with its two database writes replaced by records of what they were given."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.checkpoints: list[list[int]] = []
        self.saved = threading.Condition()

    def _announce(self, item: int) -> bool:
        return True

    def _checkpoint(self, finished, current) -> bool:
        with self.saved:
            self.checkpoints.append([item for item, _ in finished])
            self.saved.notify_all()
        return True

    def wait_for_checkpoints(self, count: int) -> list[list[int]]:
        with self.saved:
            assert self.saved.wait_for(lambda: len(self.checkpoints) >= count, WAIT)
            return list(self.checkpoints)


def _run(total: int, concurrency: int):
    handler = Released(total)
    ctx = JobContext(
        job_id="job-1", book_id=None, job_type="test", detail=None, total=total, first_item=1
    )
    heartbeat = SimpleNamespace(lost=threading.Event())
    loop = RecordingLoop(handler, ctx, heartbeat, None, concurrency=concurrency)
    outcome: list[Outcome] = []
    runner = threading.Thread(target=lambda: outcome.append(loop.run()))
    runner.start()
    return handler, loop, heartbeat, runner, outcome


@pytest.fixture(autouse=True)
def long_hold(monkeypatch):
    monkeypatch.setattr(loop_module, "HOLD_SECONDS", 3600.0)


def test_items_finishing_together_share_a_checkpoint_and_the_last_are_not_held():
    handler, loop, _, runner, outcome = _run(total=4, concurrency=4)

    handler.release(1)  # held: one item is less than half the slots, others are in flight
    handler.release(2)  # half the slots: handed over with item 1
    assert loop.wait_for_checkpoints(1) == [[1, 2]]
    handler.release(3)  # held again, until item 4 ends and nothing is left in flight
    handler.release(4)
    runner.join(WAIT)

    assert outcome == [Outcome.DONE]
    assert loop.checkpoints == [[1, 2], [3, 4]]


def test_a_sequential_job_checkpoints_every_item_on_its_own():
    handler, loop, _, runner, outcome = _run(total=3, concurrency=1)
    handler.release(1, 2, 3)
    runner.join(WAIT)

    assert outcome == [Outcome.DONE]
    assert loop.checkpoints == [[1], [2], [3]]


def test_a_held_batch_is_not_written_once_the_lease_is_lost():
    handler, loop, heartbeat, runner, outcome = _run(total=4, concurrency=4)

    handler.release(1)  # held
    heartbeat.lost.set()
    handler.release(2, 3, 4)  # the loop wakes, finds the lease gone, and stops
    runner.join(WAIT)

    assert outcome == [Outcome.LOST]
    assert loop.checkpoints == []
