"""Application settings, read from the environment and an optional `.env` file."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

BACKEND_DIR = Path(__file__).resolve().parent
DATA_DIR = BACKEND_DIR / "data"


class Environment(StrEnum):
    development = "development"
    staging = "staging"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=BACKEND_DIR / ".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    environment: Environment = Environment.development
    log_level: str = "INFO"

    # Database. Unset means the embedded SQLite default under data/.
    database_url: str | None = None
    db_pool_size: int = Field(5, ge=1)
    db_max_overflow: int = Field(10, ge=0)
    db_pool_timeout: int = Field(30, ge=1)
    db_connect_timeout: int = Field(5, ge=1)
    # How long `db.py --migrate` waits for another migrator's advisory lock, and how long a
    # DDL statement may queue behind other transactions' locks before giving up.
    migration_lock_wait_seconds: int = Field(300, ge=1)
    migration_statement_lock_timeout_ms: int = Field(10_000, ge=100)
    migration_batch_size: int = Field(1000, ge=1)

    # AWS
    aws_region: str = "us-east-1"
    s3_bucket: str | None = None
    sqs_queue_url: str | None = None

    # Cognito
    cognito_region: str | None = None
    cognito_user_pool_id: str | None = None
    cognito_app_client_id: str | None = None
    cognito_jwks_url: str | None = None

    # LLM providers
    openai_api_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = None
    google_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    anthropic_base_url: str | None = None

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite:///{DATA_DIR / 'tutor.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")


def normalize_database_url(url: str) -> str:
    """Plain `postgresql://` (or `postgres://`) URLs use psycopg2, the driver the project ships;
    SQLAlchemy's own default driver for them differs between versions."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings so the next call re-reads the environment (tests)."""
    get_settings.cache_clear()
