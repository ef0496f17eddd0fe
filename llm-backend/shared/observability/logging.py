"""Structured JSON logging (Powertools) with the current request id on every line."""

from __future__ import annotations

import logging
from contextvars import ContextVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

SERVICE_NAME = "tutor-backend"

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def _install_request_id_factory() -> None:
    """Every LogRecord, from any logger or handler, carries the current request id; the JSON
    formatter emits it as a key."""
    base_factory = logging.getLogRecordFactory()
    if getattr(base_factory, "adds_request_id", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = base_factory(*args, **kwargs)
        record.request_id = request_id_var.get()
        return record

    factory.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


_logger: Logger | None = None


def get_logger() -> Logger:
    """The service logger, configured once per process; stdlib loggers share its JSON format."""
    global _logger
    if _logger is None:
        from config import get_settings

        _install_request_id_factory()
        _logger = Logger(service=SERVICE_NAME, level=get_settings().log_level.upper())
        copy_config_to_registered_loggers(source_logger=_logger)
    return _logger
