"""Secrets Manager (moto): the database URL and LLM provider keys are read at run time,
cached per process, and never required at import time."""

from __future__ import annotations

import json

import boto3
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from config import Settings
from shared import secrets
from shared.secrets import (
    SecretMalformedError,
    SecretUnavailableError,
    database_url_from_secret,
    get_secret_json,
    provider_api_key,
)
from tests.support.aws import REGION, mocked_aws

DB_SECRET = {
    "username": "tutor_admin",
    "password": "p@ss:w/rd with spaces",
    "engine": "postgres",
    "host": "tutor.cluster-abc.us-east-1.rds.amazonaws.com",
    "port": 5432,
    "dbname": "tutor",
    "dbClusterIdentifier": "tutor",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    # The session's test database (or a developer's keys) may be in the environment; these
    # tests configure their own.
    for name in (
        "DATABASE_URL",
        "DATABASE_SECRET_ARN",
        "DB_HOST",
        "LLM_API_KEYS_SECRET_ARN",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "GOOGLE_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def aws(monkeypatch):
    with mocked_aws(monkeypatch):
        yield boto3.client("secretsmanager", region_name=REGION)


def _settings(**values) -> Settings:
    return Settings(_env_file=None, **values)


def _create(client, name: str, value) -> str:
    body = value if isinstance(value, str) else json.dumps(value)
    return client.create_secret(Name=name, SecretString=body)["ARN"]


def test_settings_with_a_secret_arn_do_no_io_until_the_url_is_needed(monkeypatch):
    # Outside moto and without credentials: any AWS call here would fail.
    secrets.reset_secrets_cache()
    settings = _settings(database_secret_arn="arn:aws:secretsmanager:us-east-1:1:secret:db")

    assert settings.database_secret_arn.endswith(":secret:db")
    assert secrets._provider is None


def test_database_url_comes_from_the_secret_with_db_host_overriding_its_host(aws):
    arn = _create(aws, "tutor/db", DB_SECRET)
    proxy = "tutor-proxy.proxy-abc.us-east-1.rds.amazonaws.com"

    url = make_url(_settings(database_secret_arn=arn, db_host=proxy).effective_database_url)

    assert url.drivername == "postgresql+psycopg2"
    assert (url.username, url.password) == ("tutor_admin", "p@ss:w/rd with spaces")
    assert (url.host, url.port, url.database) == (proxy, 5432, "tutor")
    assert dict(url.query) == {"sslmode": "require"}


def test_secret_host_port_and_dbname_are_used_without_overrides(aws):
    arn = _create(aws, "tutor/db", {**DB_SECRET, "port": "6543", "dbname": None})

    url = make_url(
        database_url_from_secret(_settings(database_secret_arn=arn, db_sslmode="disable"))
    )

    assert (url.host, url.port, url.database) == (DB_SECRET["host"], 6543, "postgres")
    assert dict(url.query) == {"sslmode": "disable"}


def test_database_url_setting_wins_over_the_secret(aws):
    settings = _settings(
        database_url="postgresql://app@db.internal/tutor",
        database_secret_arn="arn:aws:secretsmanager:us-east-1:1:secret:never-read",
    )

    assert settings.effective_database_url == "postgresql+psycopg2://app@db.internal/tutor"


def test_secret_is_cached_for_the_configured_time(aws):
    arn = _create(aws, "tutor/db", DB_SECRET)
    settings = _settings(database_secret_arn=arn, secrets_cache_seconds=300)
    first = get_secret_json(arn, settings=settings)

    aws.put_secret_value(SecretId=arn, SecretString=json.dumps({**DB_SECRET, "password": "new"}))

    assert first["password"] == DB_SECRET["password"]
    assert get_secret_json(arn, settings=settings)["password"] == DB_SECRET["password"]
    secrets.reset_secrets_cache()  # what a new Lambda container starts with
    assert get_secret_json(arn, settings=settings)["password"] == "new"


def test_zero_cache_seconds_reads_the_secret_every_time(aws):
    arn = _create(aws, "tutor/db", DB_SECRET)
    settings = _settings(database_secret_arn=arn, secrets_cache_seconds=0)
    get_secret_json(arn, settings=settings)

    aws.put_secret_value(SecretId=arn, SecretString=json.dumps({**DB_SECRET, "password": "new"}))

    assert get_secret_json(arn, settings=settings)["password"] == "new"


def test_missing_secret_is_a_503_that_names_it_without_values(aws):
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:tutor/absent-AbCdEf"

    with pytest.raises(SecretUnavailableError) as caught:
        _ = _settings(database_secret_arn=arn).effective_database_url

    assert caught.value.status_code == 503
    assert caught.value.code == "secret_unavailable"
    assert caught.value.message == f"secret {arn} could not be read"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json", "secret {arn} is not a JSON object"),
        ('["a list"]', "secret {arn} is not a JSON object"),
        ({"username": "u"}, "secret {arn} lacks password, host (or the DB_HOST setting)"),
    ],
)
def test_malformed_database_secret_says_what_is_missing(aws, value, message):
    arn = _create(aws, "tutor/db", value)

    with pytest.raises(SecretMalformedError) as caught:
        database_url_from_secret(_settings(database_secret_arn=arn))

    assert caught.value.message == message.format(arn=arn)
    assert caught.value.status_code == 500
    assert "p@ss" not in caught.value.message


def test_provider_key_prefers_the_setting_then_the_secret(aws):
    arn = _create(aws, "tutor/llm", {"openai": "sk-from-secret", "anthropic": "", "google": "g"})
    settings = _settings(llm_api_keys_secret_arn=arn, google_api_key=SecretStr("g-from-env"))

    assert provider_api_key("openai", settings=settings) == "sk-from-secret"
    assert provider_api_key("google", settings=settings) == "g-from-env"
    assert provider_api_key("anthropic", settings=settings) is None


def test_provider_key_without_setting_or_secret_is_none_and_makes_no_call():
    secrets.reset_secrets_cache()

    assert provider_api_key("openai", settings=_settings()) is None
    assert secrets._provider is None


def test_unknown_provider_and_non_string_key_are_errors(aws):
    arn = _create(aws, "tutor/llm", {"openai": 42})
    settings = _settings(llm_api_keys_secret_arn=arn)

    with pytest.raises(ValueError, match="unknown LLM provider 'mistral'"):
        provider_api_key("mistral", settings=settings)
    with pytest.raises(SecretMalformedError, match="key 'openai' of the LLM keys secret"):
        provider_api_key("openai", settings=settings)
