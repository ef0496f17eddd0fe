"""Database errors classified by SQLSTATE (psycopg2's `pgcode` and `diag`).

- retryable: deadlock (40P01) and serialization failure (40001). PostgreSQL rolled the whole
  transaction back, so running the same unit of work again is safe (`run_transaction`).
- busy: those two once the retries are used up, a lock wait past `lock_timeout` (55P03) and
  a cancelled statement (57014, e.g. `statement_timeout`) → 503 `database_busy` + Retry-After.
- unavailable: no answer at all (refused or lost connection, class 08, shutdown 57P01-57P03,
  too many connections 53300, an exhausted pool) → 503 `database_unavailable`.
- anything else (constraint violations, bad SQL) is a bug → 500.

`describe` gives what a log line may carry: the SQLSTATE, the constraint, the table (from the
error's diagnostics, or the statement's first table), never a parameter value or a DETAIL
line (a unique violation's DETAIL quotes the key's value).
"""

from __future__ import annotations

import re

from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from shared.errors import DatabaseBusyError, DatabaseUnavailableError, ServiceUnavailableError

DEADLOCK = "40P01"
SERIALIZATION_FAILURE = "40001"
LOCK_NOT_AVAILABLE = "55P03"
QUERY_CANCELED = "57014"
RETRYABLE = frozenset({DEADLOCK, SERIALIZATION_FAILURE})
BUSY = RETRYABLE | {LOCK_NOT_AVAILABLE, QUERY_CANCELED}
UNAVAILABLE = frozenset({"57P01", "57P02", "57P03", "53300"})
_TABLE = re.compile(r"\b(?:UPDATE|INTO|FROM)\s+\"?([A-Za-z_][\w.]*)", re.IGNORECASE)


def sqlstate(exc: BaseException) -> str | None:
    return getattr(getattr(exc, "orig", None), "pgcode", None)


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) and sqlstate(exc) in RETRYABLE


def describe(exc: BaseException) -> dict[str, str | None]:
    diag = getattr(getattr(exc, "orig", None), "diag", None)
    table = getattr(diag, "table_name", None)
    if table is None:
        match = _TABLE.search(getattr(exc, "statement", None) or "")
        table = match.group(1) if match else None
    return {
        "sqlstate": sqlstate(exc),
        "constraint": getattr(diag, "constraint_name", None),
        "table": table,
        "error": type(getattr(exc, "orig", None) or exc).__name__,
    }


def log_text(exc: BaseException) -> str:
    info = describe(exc)
    return " ".join(f"{key}={value}" for key, value in info.items() if value is not None)


def classify(exc: BaseException) -> ServiceUnavailableError | None:
    """The 503 error for a busy or unreachable database, or None for a bug (500)."""
    if isinstance(exc, PoolTimeoutError):
        return DatabaseUnavailableError("The database is not reachable; try again shortly.")
    if not isinstance(exc, DBAPIError):
        return None
    code = sqlstate(exc)
    if code in BUSY:
        return DatabaseBusyError()
    unreachable = (
        exc.connection_invalidated
        or isinstance(exc, InterfaceError)
        or code in UNAVAILABLE
        or (code is not None and code.startswith("08"))
        # psycopg2 sets no SQLSTATE when the server never answered (refused, reset, timeout).
        or (code is None and type(exc.orig).__name__ == "OperationalError")
    )
    if unreachable:
        return DatabaseUnavailableError("The database is not reachable; try again shortly.")
    return None
