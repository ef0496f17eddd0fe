"""Secrets Manager values, read on first use and cached per process (a Lambda container).

In AWS the database credentials and the LLM provider keys live in Secrets Manager and only
their ARNs reach the functions as settings, so no secret is ever in a plain environment
variable. Values are cached for `SECRETS_CACHE_SECONDS` (Powertools' provider cache), so a
warm container does not call Secrets Manager on every request but still sees a rotated value
within that time. Nothing here runs at import time. Values are never logged.

This module never imports `config` (config imports it, for the database URL): callers pass
their settings in.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from shared.errors import AppError, ServiceUnavailableError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    from config import Settings

# The keys of the LLM keys secret, and the setting that wins over each (local runs, tests).
PROVIDER_KEY_SETTINGS = {
    "openai": "openai_api_key",
    "anthropic": "anthropic_api_key",
    "google": "google_api_key",
}
DEFAULT_DB_PORT = 5432
DEFAULT_DB_NAME = "postgres"


class SecretUnavailableError(ServiceUnavailableError):
    """Secrets Manager did not answer or refused; a retry may succeed."""

    code = "secret_unavailable"


class SecretMalformedError(AppError):
    """The secret exists but is not the JSON the code expects: a deployment mistake."""

    code = "secret_malformed"


_provider: SecretsProvider | None = None
_provider_lock = threading.Lock()


def _secrets_provider(region: str) -> SecretsProvider:
    global _provider
    if _provider is None:
        with _provider_lock:
            if _provider is None:
                # Imported lazily: building the provider creates a boto3 client, and a
                # process without a secret (a cold start's import of config) never needs it.
                from aws_lambda_powertools.utilities.parameters import SecretsProvider
                from botocore.config import Config

                config = Config(
                    region_name=region,
                    connect_timeout=3,
                    read_timeout=5,
                    retries={"max_attempts": 3, "mode": "standard"},
                )
                _provider = SecretsProvider(boto_config=config)
    return _provider


def reset_secrets_cache() -> None:
    """Forget the client and every cached value (tests; a new region or endpoint)."""
    global _provider
    with _provider_lock:
        _provider = None


def get_secret_json(secret_id: str, *, settings: Settings) -> dict[str, Any]:
    """The secret's JSON object, cached for `secrets_cache_seconds`."""
    from aws_lambda_powertools.utilities.parameters.exceptions import (
        GetParameterError,
        TransformParameterError,
    )

    provider = _secrets_provider(settings.aws_region)
    try:
        value = provider.get(secret_id, transform="json", max_age=settings.secrets_cache_seconds)
    except TransformParameterError as exc:
        raise SecretMalformedError(f"secret {secret_id} is not a JSON object") from exc
    except GetParameterError as exc:
        raise SecretUnavailableError(f"secret {secret_id} could not be read") from exc
    if not isinstance(value, dict):
        raise SecretMalformedError(f"secret {secret_id} is not a JSON object")
    return value


def database_url_from_secret(settings: Settings) -> str:
    """A psycopg2 URL from the RDS-style secret; `DB_HOST` wins over the secret's host."""
    secret_id = settings.database_secret_arn
    if not secret_id:
        raise SecretMalformedError("DATABASE_SECRET_ARN is not set")
    secret = get_secret_json(secret_id, settings=settings)
    missing = [key for key in ("username", "password") if not secret.get(key)]
    host = settings.db_host or secret.get("host")
    if not host:
        missing.append("host (or the DB_HOST setting)")
    if missing:
        raise SecretMalformedError(f"secret {secret_id} lacks {', '.join(missing)}")
    # Imported here: config imports this module, and the Lambda handler imports config at
    # cold start, before anything needs SQLAlchemy.
    from sqlalchemy.engine import URL

    url = URL.create(
        "postgresql+psycopg2",
        username=str(secret["username"]),
        password=str(secret["password"]),
        host=host,
        port=int(secret.get("port") or DEFAULT_DB_PORT),
        database=str(secret.get("dbname") or DEFAULT_DB_NAME),
        query={"sslmode": settings.db_sslmode},
    )
    return url.render_as_string(hide_password=False)


def provider_api_key(name: str, *, settings: Settings) -> str | None:
    """The API key for an LLM provider (`openai`, `anthropic`, `google`): the `*_API_KEY`
    setting when set, else the key in the `LLM_API_KEYS_SECRET_ARN` secret, else None."""
    if name not in PROVIDER_KEY_SETTINGS:
        raise ValueError(
            f"unknown LLM provider {name!r}; expected one of {sorted(PROVIDER_KEY_SETTINGS)}"
        )
    direct = getattr(settings, PROVIDER_KEY_SETTINGS[name])
    if isinstance(direct, SecretStr) and direct.get_secret_value():
        return direct.get_secret_value()
    if not settings.llm_api_keys_secret_arn:
        return None
    value = get_secret_json(settings.llm_api_keys_secret_arn, settings=settings).get(name)
    if value is not None and not isinstance(value, str):
        raise SecretMalformedError(f"key {name!r} of the LLM keys secret is not a string")
    return value or None
