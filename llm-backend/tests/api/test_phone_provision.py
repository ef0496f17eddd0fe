"""POST /auth/phone/provision against moto's Cognito: creates the phone user the OTP sign-in
needs, idempotently; validates E.164; rate limited per client IP and per phone number with a
counter that holds under concurrency; Cognito trouble and a server without Cognito are 503s."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from database import session_scope
from shared.auth.cognito_admin import reset_cognito_client
from shared.auth.identity import placeholder_email
from shared.models.rate_limit import RateLimitCounter
from tests.support.auth import build_test_app
from tests.support.aws import REGION
from tests.support.cognito import Pool, configure, moto_cognito_pool, unreachable_endpoint
from tests.support.statement_barrier import barrier_before

PHONE = "+919876543210"
URL = "/auth/phone/provision"


@pytest.fixture
def pool(monkeypatch) -> Iterator[Pool]:
    with moto_cognito_pool(monkeypatch) as created:
        yield created


@pytest.fixture
def api(db) -> Iterator[TestClient]:
    with TestClient(build_test_app()) as client:
        yield client


def counters() -> list[tuple[str, int]]:
    with session_scope() as session:
        rows = session.execute(select(RateLimitCounter.bucket, RateLimitCounter.hits))
        return sorted((bucket, hits) for bucket, hits in rows)


def test_creates_a_phone_user_that_can_sign_in(pool, api):
    response = api.post(URL, json={"phone": PHONE})

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    user = pool.user(PHONE)
    assert user["UserStatus"] == "CONFIRMED"  # a permanent password was set
    assert pool.attributes(PHONE) | {"sub": "-"} == {
        "sub": "-",
        "phone_number": PHONE,
        "phone_number_verified": "true",
        "email": placeholder_email(PHONE),
        "name": PHONE,
    }


def test_a_repeat_changes_nothing(pool, api):
    api.post(URL, json={"phone": PHONE})
    first = pool.user(PHONE)

    again = api.post(URL, json={"phone": PHONE})

    assert again.status_code == 200
    assert again.json() == {"status": "ok"}
    assert pool.usernames() == [PHONE]
    assert pool.user(PHONE) == first


def test_an_existing_user_is_left_as_it_is(pool, api):
    pool.idp.admin_create_user(
        UserPoolId=pool.pool_id,
        Username=PHONE,
        UserAttributes=[{"Name": "email", "Value": "real@example.com"}],
        MessageAction="SUPPRESS",
    )
    before = pool.user(PHONE)

    assert api.post(URL, json={"phone": PHONE}).status_code == 200
    assert pool.user(PHONE) == before  # not ours: its status and attributes are untouched


def test_a_half_provisioned_user_gets_its_password(pool, api):
    # An earlier call created the user and died before setting the password.
    pool.idp.admin_create_user(
        UserPoolId=pool.pool_id,
        Username=PHONE,
        UserAttributes=[{"Name": "email", "Value": placeholder_email(PHONE)}],
        MessageAction="SUPPRESS",
    )
    assert pool.user(PHONE)["UserStatus"] == "FORCE_CHANGE_PASSWORD"

    assert api.post(URL, json={"phone": PHONE}).status_code == 200
    assert pool.user(PHONE)["UserStatus"] == "CONFIRMED"


@pytest.mark.parametrize(
    "body",
    [
        {"phone": "9876543210"},
        {"phone": "+0123456789"},
        {"phone": "+91 98765 43210"},
        {"phone": "+91-9876543210"},
        {"phone": "+12345"},
        {"phone": "+1234567890123456"},
        {"phone": "+91987654321a"},
        {"phone": " +919876543210"},
        {"phone": ""},
        {"phone": 919876543210},
        {"phone": None},
        {},
        {"phone": PHONE, "email": "x@example.com"},
    ],
)
def test_anything_but_an_e164_number_is_422(pool, api, body):
    response = api.post(URL, json=body)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    field = "email" if "email" in body else "phone"
    assert error["message"].startswith(f"{field}:"), error["message"]
    assert pool.usernames() == []
    assert counters() == []  # refused before anything is counted


def test_the_message_says_what_e164_is(pool, api):
    message = api.post(URL, json={"phone": "98765 43210"}).json()["error"]["message"]
    assert message.startswith("phone: Value error, must be an E.164 phone number")
    assert "+919876543210" in message


def test_over_the_per_phone_limit_is_429_with_retry_after(pool, api, monkeypatch):
    configure(monkeypatch, PHONE_PROVISION_PER_PHONE="3", PHONE_PROVISION_WINDOW_SECONDS="600")
    statuses = [api.post(URL, json={"phone": PHONE}).status_code for _ in range(3)]
    refused = api.post(URL, json={"phone": PHONE})
    other_phone = api.post(URL, json={"phone": "+14155550123"})

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json()["error"] == {
        "code": "too_many_requests",
        "message": "Too many sign-in attempts for this phone number; wait and try again.",
    }
    assert 1 <= int(refused.headers["Retry-After"]) <= 600
    assert other_phone.status_code == 200
    # Buckets hold hashes: no phone number (nor IP) is stored in the table.
    assert not any("98765" in bucket or "testclient" in bucket for bucket, _ in counters())


def test_over_the_per_ip_limit_is_429_whatever_the_phone(pool, api, monkeypatch):
    configure(monkeypatch, PHONE_PROVISION_PER_IP="4")
    phones = [f"+9198765432{i:02d}" for i in range(5)]
    responses = [api.post(URL, json={"phone": phone}) for phone in phones]

    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert responses[-1].json()["error"]["message"].startswith("Too many sign-in attempts from")
    assert pool.usernames() == sorted(phones[:4])  # the refused one never reached Cognito


def test_concurrent_requests_are_each_counted_once(pool, api, db, monkeypatch):
    """12 requests from one client reach the counter's upsert together (held at that statement
    until all have arrived): exactly the limit gets through. A read-then-write counter would
    let them all read the same count and pass."""
    configure(monkeypatch, PHONE_PROVISION_PER_IP="6", PHONE_PROVISION_PER_PHONE="100")
    assert api.post(URL, json={"phone": PHONE}).status_code == 200  # 1 of 6 used
    parties = 12
    statuses: list[int] = []
    start = threading.Barrier(parties)

    def request() -> None:
        start.wait()
        statuses.append(api.post(URL, json={"phone": PHONE}).status_code)

    with barrier_before(db, r"INSERT INTO rate_limit_counters", parties):
        threads = [threading.Thread(target=request) for _ in range(parties)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(statuses) == [200] * 5 + [429] * 7
    ip_hits = [hits for bucket, hits in counters() if bucket.startswith("phone_provision:ip:")]
    assert ip_hits == [1 + parties]


def test_cognito_unreachable_is_503_naming_cognito(api, monkeypatch):
    configure(
        monkeypatch,
        AUTH_MODE="cognito",
        COGNITO_USER_POOL_ID=f"{REGION}_Pool1",
        COGNITO_ENDPOINT_URL=unreachable_endpoint(),
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )

    response = api.post(URL, json={"phone": PHONE})

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "cognito_unavailable"
    assert response.headers["Retry-After"] == "5"
    reset_cognito_client()


def test_cognito_refusing_is_503_naming_cognito(pool, api, monkeypatch):
    configure(monkeypatch, COGNITO_USER_POOL_ID=f"{REGION}_NoSuchPool")

    response = api.post(URL, json={"phone": PHONE})

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "cognito_error"
    assert "ResourceNotFoundException" in error["message"]


def test_without_cognito_it_says_so(api, monkeypatch):
    configure(monkeypatch, AUTH_MODE="local")
    monkeypatch.delenv("COGNITO_USER_POOL_ID", raising=False)

    response = api.post(URL, json={"phone": PHONE})

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "cognito_not_configured"
    assert "AUTH_MODE=local" in error["message"]
    assert counters() == []
