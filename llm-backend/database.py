"""Connection management: one lazily built engine per process, sessions, transactions that
retry on deadlock or serialization failure, health check."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

from config import DATA_DIR, Settings, get_settings
from shared.api.responses import answers
from shared.db_errors import is_retryable, log_text
from shared.secrets import get_secret_json

logger = logging.getLogger(__name__)
T = TypeVar("T")


def safe_url(url: str) -> str:
    """The URL with its password masked, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


class DatabaseManager:
    """Owns the engine and session factory; nothing connects until first use."""

    _instance: DatabaseManager | None = None
    _instance_lock = threading.Lock()

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings
        self._engine: Engine | None = None
        self._session_factory: sessionmaker[Session] | None = None
        self._lock = threading.Lock()

    @classmethod
    def instance(cls) -> DatabaseManager:
        if cls._instance is None:
            with cls._instance_lock:
                if cls._instance is None:
                    cls._instance = cls()
        return cls._instance

    @property
    def settings(self) -> Settings:
        return self._settings or get_settings()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = self._build_engine()
        return self._engine

    @property
    def session_factory(self) -> sessionmaker[Session]:
        if self._session_factory is None:
            self._session_factory = sessionmaker(
                bind=self.engine, autoflush=False, expire_on_commit=False
            )
        return self._session_factory

    def _build_engine(self) -> Engine:
        settings = self.settings
        url = settings.effective_database_url
        echo = settings.log_level.upper() == "DEBUG"
        if url.startswith("sqlite"):
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                url,
                echo=echo,
                hide_parameters=True,
                poolclass=QueuePool,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                pool_timeout=settings.db_pool_timeout,
                pool_pre_ping=True,
                connect_args={"check_same_thread": False, "timeout": 30},
            )
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            connect_args: dict = {"connect_timeout": settings.db_connect_timeout}
            options = []
            if settings.db_lock_timeout_ms:
                options.append(f"-c lock_timeout={settings.db_lock_timeout_ms}")
            if settings.db_idle_session_timeout_ms:
                options.append(f"-c idle_session_timeout={settings.db_idle_session_timeout_ms}")
            if options:
                connect_args["options"] = " ".join(options)
            engine = create_engine(
                url,
                echo=echo,
                # Errors and logs show the SQL, never the values bound to it.
                hide_parameters=True,
                poolclass=QueuePool,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                pool_timeout=settings.db_pool_timeout,
                pool_pre_ping=True,
                connect_args=connect_args,
            )
            if not settings.database_url and settings.database_secret_arn:
                event.listen(
                    engine,
                    "do_connect",
                    _credentials_from_secret(settings.database_secret_arn, settings=settings),
                )
        logger.info("database engine created for %s", safe_url(url))
        return engine

    def session(self) -> Session:
        return self.session_factory()

    def health_check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception as exc:  # any failure means "not healthy"; the reason is logged
            logger.warning("database health check failed: %s", type(exc).__name__)
            return False

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        self._engine = None
        self._session_factory = None


def _credentials_from_secret(
    secret_id: str, *, settings: Settings
) -> Callable[[Dialect, ConnectionPoolEntry, list[Any], dict[str, Any]], None]:
    """A `do_connect` hook: every new connection logs in with the secret's current user and
    password (cached for SECRETS_CACHE_SECONDS), not the ones in the engine's URL, which were
    read when this process built the engine. So a warm container keeps connecting after the
    database secret is rotated."""

    def refresh(
        _dialect: Dialect, _record: ConnectionPoolEntry, _cargs: list[Any], cparams: dict[str, Any]
    ) -> None:
        secret = get_secret_json(secret_id, settings=settings)
        if secret.get("username") and secret.get("password"):
            cparams["user"] = str(secret["username"])
            cparams["password"] = str(secret["password"])

    return refresh


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def get_db_manager() -> DatabaseManager:
    return DatabaseManager.instance()


def reset_db_manager() -> None:
    """Dispose the engine and forget the singleton (tests, settings changes)."""
    with DatabaseManager._instance_lock:
        if DatabaseManager._instance is not None:
            DatabaseManager._instance.dispose()
        DatabaseManager._instance = None


@answers(503)
def get_db() -> Iterator[Session]:
    """FastAPI dependency: one session per request, always closed."""
    session = get_db_manager().session()
    try:
        yield session
    finally:
        session.close()


# A route parameter `db: DbSession` gets the request's session from get_db.
DbSession = Annotated[Session, Depends(get_db)]


@contextmanager
def session_scope() -> Iterator[Session]:
    """A transaction: commit on success, roll back on any exception, always close."""
    session = get_db_manager().session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def run_transaction(work: Callable[[Session], T], *, attempts: int | None = None) -> T:
    """`work(session)` in one transaction (`session_scope`). When PostgreSQL aborts it with a
    deadlock or serialization failure, the whole transaction was rolled back, so `work` runs
    again in a fresh one, up to DB_RETRY_ATTEMPTS runs in all; then the error propagates (503
    database_busy at the API). `work` may therefore run more than once: it does database
    work and idempotent writes only, never a model call or anything else it cannot repeat.
    Any other error propagates at once.

    Before a retry it waits a few random milliseconds: the transaction that won the deadlock
    has to wake up and take the lock it was waiting for, and a retry that starts at once can
    take that lock first and deadlock with it again."""
    attempts = attempts or get_settings().db_retry_attempts
    for attempt in range(1, attempts + 1):
        try:
            with session_scope() as session:
                return work(session)
        except Exception as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            logger.warning(
                "transaction retried (%d of %d): %s", attempt, attempts - 1, log_text(exc)
            )
            time.sleep(random.uniform(0.005, 0.02 * attempt))
    raise AssertionError("unreachable")


def health_check() -> bool:
    return get_db_manager().health_check()
