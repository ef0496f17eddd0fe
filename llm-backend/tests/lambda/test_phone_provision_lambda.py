"""POST /auth/phone/provision through the Lambda handler: the per-IP limit counts the API
Gateway event's `requestContext.http.sourceIp` (Mangum's client address), never the
client-written X-Forwarded-For."""

from __future__ import annotations

import copy
import json

import pytest

import lambda_handler
from tests.support.cognito import configure, moto_cognito_pool
from tests.support.lambda_context import FakeLambdaContext, load_event


@pytest.fixture
def pool(db, monkeypatch):
    with moto_cognito_pool(monkeypatch) as created:
        configure(monkeypatch, PHONE_PROVISION_PER_IP="1", PHONE_PROVISION_PER_PHONE="100")
        yield created


def _event(source_ip: str, phone: str, forwarded_for: str) -> dict:
    event = copy.deepcopy(load_event("http_api_post_phone_provision.json"))
    event["requestContext"]["http"]["sourceIp"] = source_ip
    event["headers"]["x-forwarded-for"] = forwarded_for
    event["body"] = json.dumps({"phone": phone})
    return event


def _call(event: dict) -> tuple[int, dict]:
    response = lambda_handler.handler(event, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"])


def test_the_limit_follows_the_source_ip(pool):
    first = _call(_event("203.0.113.7", "+919876543210", "203.0.113.7"))
    # Same source, another phone, a forged X-Forwarded-For: still that source's second request.
    forged = _call(_event("203.0.113.7", "+919876543211", "198.51.100.9"))
    # Another source that claims to be the first one is counted as itself.
    other = _call(_event("198.51.100.9", "+919876543212", "203.0.113.7"))

    assert first == (200, {"status": "ok"})
    assert forged[0] == 429 and forged[1]["error"]["code"] == "too_many_requests"
    assert other == (200, {"status": "ok"})
    assert pool.usernames() == ["+919876543210", "+919876543212"]
