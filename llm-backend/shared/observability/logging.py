"""Structured JSON logging (Powertools) with the current request id on every line."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools import Logger

SERVICE_NAME = "tutor-backend"
QUIET_LIBRARIES = (
    "sqlalchemy",
    "botocore",
    "boto3",
    "s3transfer",
    "urllib3",
    "httpx",
    "httpcore",
    "openai",
    "anthropic",
)

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def _install_request_id_factory() -> None:
    """Every LogRecord, from any logger or handler, carries the current request id; the JSON
    formatter emits it as a key."""
    base_factory = logging.getLogRecordFactory()
    if getattr(base_factory, "adds_request_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base_factory(*args, **kwargs)
        record.request_id = request_id_var.get()
        return record

    # A marker on the function object (functions take attributes; their type has none).
    factory.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


_logger: Logger | None = None


def get_logger() -> Logger:
    """The service logger, configured once per process; stdlib loggers share its JSON format."""
    global _logger
    if _logger is None:
        from config import get_settings

        level = get_settings().log_level.upper()
        _install_request_id_factory()
        _logger = Logger(service=SERVICE_NAME, level=level)
        logging.getLogger(SERVICE_NAME).propagate = False  # it has its own handler
        # Every other logger (ours, mangum, uvicorn) reaches the root logger, which writes the
        # same JSON; libraries that would log each SQL statement or HTTP call stay quiet.
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(_logger.registered_formatter)
        root = logging.getLogger()
        root.handlers = [handler]
        root.setLevel(level)
        for name in QUIET_LIBRARIES:
            logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    return _logger
