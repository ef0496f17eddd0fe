"""The heartbeat thread of a running job."""

from __future__ import annotations

import logging
import threading

from shared.jobs import lifecycle

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
                alive = lifecycle.heartbeat(job_id=self.job_id, lease=self.lease)
            except Exception:
                logger.exception("heartbeat failed", extra={"job_id": self.job_id})
                continue  # a database blip: the stale limit covers several missed beats
            if not alive:
                self.lost.set()
                return
