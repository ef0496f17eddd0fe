"""Starting a job: `dispatch(JobMessage)` hands it to the process's dispatcher.

- `sqs` (AWS): the message goes on SQS_QUEUE_URL; `lambda_handler.worker_handler` runs it.
- `local` (local server, tests): a daemon thread in this process runs the registered handler
  with no Lambda context. A job cut off by a restart is found stale and failed like any other.

Chosen by JOB_DISPATCH (unset: `sqs` when SQS_QUEUE_URL is set, else `local`).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol

from config import get_settings
from shared.errors import ConfigurationError, ServiceUnavailableError
from shared.jobs.messages import JobMessage, current_message
from shared.jobs.registry import get_handler

logger = logging.getLogger(__name__)


class Dispatcher(Protocol):
    def dispatch(self, message: JobMessage) -> None: ...


class LocalDispatcher:
    """One daemon thread per job (a book has at most one active job, so this is bounded by
    the number of books being processed). Daemon threads let the server stop at once; a job
    cut off that way is swept as stale and can be resumed."""

    def __init__(self) -> None:
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def dispatch(self, message: JobMessage) -> None:
        thread = threading.Thread(
            target=self._run, args=(message,), name=f"job-{message.job_id}", daemon=True
        )
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def _run(self, message: JobMessage) -> None:
        try:
            with current_message(message):
                get_handler(message.job_type)(message.job_id, None)
        except Exception:
            logger.exception("local job failed", extra={"job_id": message.job_id})
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Waits for every running job, including ones they dispatch meanwhile (tests)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                running = list(self._threads)
            if not running:
                return True
            for thread in running:
                thread.join(max(0.0, deadline - time.monotonic()))
            if time.monotonic() >= deadline:
                with self._lock:
                    return not self._threads


class SqsDispatcher:
    def __init__(self, *, queue_url: str, region: str) -> None:
        self.queue_url = queue_url
        self.region = region
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sqs", region_name=self.region)
        return self._client

    def dispatch(self, message: JobMessage) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.send_message(QueueUrl=self.queue_url, MessageBody=message.to_body())
        except (BotoCoreError, ClientError) as exc:
            raise ServiceUnavailableError(
                "The job queue is not answering; try again.", code="queue_unavailable"
            ) from exc


_dispatcher: Dispatcher | None = None
_lock = threading.Lock()


def _build() -> Dispatcher:
    settings = get_settings()
    if settings.effective_job_dispatch == "sqs":
        if not settings.sqs_queue_url:
            raise ConfigurationError("JOB_DISPATCH=sqs needs SQS_QUEUE_URL.")
        return SqsDispatcher(queue_url=settings.sqs_queue_url, region=settings.aws_region)
    return LocalDispatcher()


def get_dispatcher() -> Dispatcher:
    global _dispatcher
    if _dispatcher is None:
        with _lock:
            if _dispatcher is None:
                _dispatcher = _build()
    return _dispatcher


def set_dispatcher(dispatcher: Dispatcher | None) -> None:
    """Replaces the process's dispatcher (tests); None means build from settings again."""
    global _dispatcher
    with _lock:
        _dispatcher = dispatcher


def reset_dispatcher() -> None:
    set_dispatcher(None)


def dispatch(message: JobMessage) -> None:
    get_dispatcher().dispatch(message)
