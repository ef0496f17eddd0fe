"""Browsers can call the API: preflights are answered on every route, for the allowed origins
only, without a token and before the request guard; every answer, errors included, carries the
CORS headers. Before, there was no CORS at all: `OPTIONS /sessions` answered 405, so the
learnlikemagic frontend (always cross-origin, dev server on :3000 / :5173) could call nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from config import Settings, reset_settings
from main import create_app
from tests.support.tutor import STUDENT_A

DEV_ORIGINS = ["http://localhost:3000", "http://localhost:5173"]
OTHER_ORIGIN = "https://evil.example.com"
# What the frontend's api.ts sends on every call: a JSON Content-Type even on GET, a token.
REQUESTED_HEADERS = "authorization,content-type"


def _preflight(client: TestClient, method: str, path: str, origin: str, headers: str = ""):
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        request_headers["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=request_headers)


@pytest.fixture
def dev_settings(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.delenv("CORS_ALLOWED_ORIGINS", raising=False)
    reset_settings()


@pytest.mark.parametrize("origin", DEV_ORIGINS)
@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("POST", "/sessions", REQUESTED_HEADERS),
        ("GET", "/sessions/report-card", REQUESTED_HEADERS),
        ("PUT", "/profile", REQUESTED_HEADERS),
        ("POST", "/admin/books", "content-type"),
        ("PUT", "/api/admin/llm-config/tutor", REQUESTED_HEADERS),
        ("POST", "/admin/books/some_book/pages", ""),
        ("POST", "/admin/books/some_book/pages/bulk", "authorization"),
        ("DELETE", "/admin/books/some_book/pages/3", "authorization,if-match"),
        ("PATCH", "/admin/contents/c-1", REQUESTED_HEADERS),
    ],
)
def test_a_preflight_from_the_dev_frontend_is_allowed_without_a_token(
    auth_client, dev_settings, origin, method, path, headers
):
    response = _preflight(auth_client, method, path, origin, headers)

    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == origin
    assert method in response.headers["access-control-allow-methods"].split(", ")
    allowed = {h.lower() for h in response.headers["access-control-allow-headers"].split(", ")}
    assert {"authorization", "content-type", "if-match"} <= allowed
    assert response.headers["access-control-max-age"] == "600"
    # Tokens travel in Authorization, never in cookies: credentials are never allowed.
    assert "access-control-allow-credentials" not in response.headers
    assert "origin" in response.headers["vary"].lower()


def test_the_issue_done_when_preflight(client, dev_settings):
    response = _preflight(client, "POST", "/sessions", "http://localhost:5173", REQUESTED_HEADERS)

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert response.headers["access-control-allow-methods"] == (
        "GET, POST, PUT, PATCH, DELETE, OPTIONS"
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/sessions"), ("POST", "/admin/books"), ("POST", "/admin/books/b/pages/bulk")],
)
def test_a_preflight_from_another_origin_gets_no_allow_origin(
    auth_client, dev_settings, method, path
):
    response = _preflight(auth_client, method, path, OTHER_ORIGIN, REQUESTED_HEADERS)

    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    body = response.json()
    assert body["error"]["code"] == "cors_not_allowed"
    assert body["detail"] == body["error"]["message"]


def test_a_preflight_asking_for_an_unlisted_header_is_refused(client, dev_settings):
    response = _preflight(client, "POST", "/sessions", DEV_ORIGINS[0], "x-secret-header")

    assert response.status_code == 400
    assert "headers" in response.json()["error"]["message"]


def test_an_actual_request_from_another_origin_gets_no_allow_origin(client, dev_settings):
    response = client.get("/health", headers={"Origin": OTHER_ORIGIN})

    assert response.status_code == 200  # the browser, not the server, withholds it
    assert "access-control-allow-origin" not in response.headers


def test_a_preflight_is_answered_before_the_request_guard(client, dev_settings):
    # The guard refuses a NUL in the query string (422) and a declared body over the limit
    # (413); a preflight has neither a body nor a real query to check, and must still pass.
    response = client.options(
        "/admin/books?subject=Math%00s",
        headers={
            "Origin": DEV_ORIGINS[1],
            "Access-Control-Request-Method": "GET",
            "Content-Length": str(50 * 1024 * 1024),
        },
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == DEV_ORIGINS[1]


def _assert_cors(response, origin: str) -> None:
    assert response.headers["access-control-allow-origin"] == origin
    exposed = {h.strip() for h in response.headers["access-control-expose-headers"].split(",")}
    assert exposed == {"ETag", "Retry-After", "X-Request-ID"}
    assert response.headers["x-request-id"]


def test_error_answers_carry_the_cors_headers(auth_client, dev_settings):
    origin = DEV_ORIGINS[1]
    headers = {"Origin": origin}

    unauthenticated = auth_client.get("/profile", headers=headers)
    unknown = auth_client.get("/no/such/route", headers=headers)
    too_large = auth_client.post(
        "/admin/books",
        content=b"{" + b" " * (1024 * 1024 + 1) + b"}",
        headers={**headers, **STUDENT_A, "content-type": "application/json"},
    )
    bad_text = auth_client.get("/sessions?subject=%00", headers={**headers, **STUDENT_A})
    invalid = auth_client.put(
        "/profile", json={"grade": "twelfth"}, headers={**headers, **STUDENT_A}
    )

    assert unauthenticated.status_code == 401
    assert unknown.status_code == 404
    assert too_large.status_code == 413
    assert bad_text.status_code == 422
    assert invalid.status_code == 422
    for response in (unauthenticated, unknown, too_large, bad_text, invalid):
        _assert_cors(response, origin)


def test_the_last_resort_500_carries_the_cors_headers(dev_settings):
    app = create_app()

    @app.get("/boom")
    def boom() -> dict:
        raise RuntimeError("not for the client")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"Origin": DEV_ORIGINS[0]})

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    _assert_cors(response, DEV_ORIGINS[0])


def test_the_origins_come_from_the_setting(client, monkeypatch):
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", " https://tutor.example.com,https://a.example.com ")
    reset_settings()

    allowed = _preflight(client, "POST", "/sessions", "https://a.example.com")
    dev = _preflight(client, "POST", "/sessions", DEV_ORIGINS[1])

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://a.example.com"
    assert dev.status_code == 400
    assert "access-control-allow-origin" not in dev.headers


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_outside_development_no_origin_is_allowed_unless_configured(
    client, monkeypatch, environment
):
    monkeypatch.setenv("ENVIRONMENT", environment)
    monkeypatch.delenv("CORS_ALLOWED_ORIGINS", raising=False)
    reset_settings()

    response = _preflight(client, "GET", "/health", DEV_ORIGINS[0])

    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


def test_a_wildcard_is_explicit_and_never_with_credentials(client, monkeypatch):
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "*")
    reset_settings()

    preflight = _preflight(client, "POST", "/sessions", OTHER_ORIGIN, REQUESTED_HEADERS)
    actual = client.get("/health", headers={"Origin": OTHER_ORIGIN})

    assert preflight.headers["access-control-allow-origin"] == "*"
    assert actual.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in preflight.headers
    assert "access-control-allow-credentials" not in actual.headers


@pytest.mark.parametrize(
    "value",
    [
        "https://tutor.example.com/",  # a browser's Origin never ends with a slash
        "https://tutor.example.com/app",
        "tutor.example.com",
        "*,https://tutor.example.com",
        "https://*.example.com",
    ],
)
def test_a_value_no_browser_origin_can_match_is_refused_at_startup(value):
    with pytest.raises(ValidationError, match="cors_allowed_origins"):
        Settings(cors_allowed_origins=value)
