"""A moto Cognito user pool the app is configured for (POST /auth/phone/provision tests)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
import pytest

from config import reset_settings
from shared.auth.cognito_admin import reset_cognito_client
from tests.support.aws import REGION, mocked_aws


@dataclass
class Pool:
    idp: object
    pool_id: str

    def user(self, username: str) -> dict:
        user = self.idp.admin_get_user(UserPoolId=self.pool_id, Username=username)
        user.pop("ResponseMetadata")  # differs per call
        return user

    def attributes(self, username: str) -> dict[str, str]:
        return {a["Name"]: a["Value"] for a in self.user(username)["UserAttributes"]}

    def usernames(self) -> list[str]:
        users = self.idp.list_users(UserPoolId=self.pool_id)["Users"]
        return sorted(u["Username"] for u in users)


def configure(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    """Set settings and forget the cached Cognito client, so the next request uses them."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    reset_cognito_client()


@contextmanager
def moto_cognito_pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pool]:
    with mocked_aws(monkeypatch):
        idp = boto3.client("cognito-idp", region_name=REGION)
        pool_id = idp.create_user_pool(PoolName="students")["UserPool"]["Id"]
        configure(
            monkeypatch,
            AUTH_MODE="cognito",
            COGNITO_REGION=REGION,
            COGNITO_USER_POOL_ID=pool_id,
            COGNITO_APP_CLIENT_ID="web-client",
        )
        yield Pool(idp, pool_id)
    reset_cognito_client()


def unreachable_endpoint() -> str:
    """A local URL nothing listens on: every connection is refused at once (Cognito down,
    and no test ever reaches AWS)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"
