"""moto for AWS calls: fake credentials, one region, and a fresh secrets cache."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from moto import mock_aws

from config import reset_settings
from shared.secrets import reset_secrets_cache

REGION = "us-east-1"


@contextmanager
def mocked_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every boto3 call inside goes to moto; no real credentials or network are used."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    # Clients built before moto started would bypass it: start with none.
    reset_secrets_cache()
    with mock_aws():
        yield
    reset_secrets_cache()
    reset_settings()
