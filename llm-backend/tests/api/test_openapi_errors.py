"""The OpenAPI document describes every answer: each operation lists the error statuses it can
give, all with the one error schema, so a contract checker can verify them (test_api_contract
runs one). Before, it declared only 2xx and FastAPI's `{"detail": [...]}` 422, which is not what
any client receives."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from main import create_app

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


@pytest.fixture(scope="module")
def document() -> dict:
    # Served, not built in-process: this is what a contract checker downloads.
    with TestClient(create_app()) as client:
        return client.get("/openapi.json").json()


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def _errors(operation: dict) -> set[int]:
    return {int(s) for s in operation["responses"] if int(s) >= 400}


def test_the_error_schema_is_the_body_the_handlers_send(document):
    schemas = document["components"]["schemas"]
    assert schemas["ErrorBody"]["required"] == ["error", "detail"]
    properties = schemas["ErrorBody"]["properties"]
    assert properties["error"] == {"$ref": "#/components/schemas/ErrorDetail"}
    # `detail` is what the frontend shows: a string, or the object of the exam conflict.
    assert properties["detail"]["anyOf"] == [
        {"type": "string"},
        {"$ref": "#/components/schemas/DetailObject"},
    ]
    assert schemas["DetailObject"]["required"] == ["message"]
    assert "existing_session_id" in schemas["DetailObject"]["properties"]
    assert properties["errors"]["items"] == {"$ref": "#/components/schemas/FieldError"}
    assert schemas["FieldError"]["required"] == ["loc", "msg", "type"]
    detail = schemas["ErrorDetail"]
    assert detail["required"] == ["code", "message"]
    assert {k: v["type"] for k, v in detail["properties"].items()} == {
        "code": "string",
        "message": "string",
    }
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas


def test_every_error_answer_of_every_operation_uses_the_error_schema(document):
    undocumented = []
    for name, operation in _operations(document):
        if 422 not in _errors(operation):
            undocumented.append(f"{name}: 422")
        for status in _errors(operation):
            content = operation["responses"][str(status)].get("content", {})
            if content.get("application/json", {}).get("schema") != ERROR_REF:
                undocumented.append(f"{name}: {status}")
    assert undocumented == []


# Public routes that still check a token when one is sent, and load no user: nothing to refuse
# a valid caller, so no 403.
TOKEN_CHECKED_ONLY = {"GET /curriculum"}


def test_errors_follow_from_what_the_operation_takes(document):
    missing = []
    for name, operation in _operations(document):
        expected = set()
        if operation.get("security"):
            expected |= {401, 403, 503}  # bad token / not allowed / keys or database down
            if name in TOKEN_CHECKED_ONLY:
                expected.discard(403)
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            expected.add(404)
        if "requestBody" in operation:
            expected.add(413)
        if not expected <= _errors(operation):
            missing.append((name, sorted(expected - _errors(operation))))
    assert missing == []


@pytest.mark.parametrize(
    ("name", "statuses"),
    [
        ("GET /health", {422}),
        ("GET /health/db", {422, 503}),
        ("GET /admin/books", {401, 403, 422, 503}),
        ("POST /admin/books", {401, 403, 413, 422, 503}),
        ("DELETE /admin/books/{book_id}", {401, 403, 404, 409, 422, 503}),
        (
            "POST /admin/books/{book_id}/pages",
            {400, 401, 403, 404, 409, 413, 415, 422, 503},
        ),
        (
            "POST /admin/books/{book_id}/pages/bulk",
            {400, 401, 403, 404, 409, 413, 415, 422, 503},
        ),
        (
            "POST /admin/books/{book_id}/generate-guidelines",
            {400, 401, 403, 404, 409, 413, 422, 503},
        ),
        ("POST /admin/books/{book_id}/jobs/{job_id}/resume", {401, 403, 404, 409, 422, 503}),
        ("POST /sessions", {401, 403, 404, 409, 413, 422, 503}),
        ("POST /sessions/{session_id}/step", {401, 403, 404, 409, 413, 422, 503}),
        ("GET /sessions/{session_id}", {401, 403, 404, 422, 503}),
        ("POST /sessions/{session_id}/end-exam", {400, 401, 403, 404, 409, 422, 503}),
        ("GET /admin/files/{key}", {400, 401, 403, 404, 422, 503}),
        ("GET /curriculum", {401, 422, 503}),
        ("GET /config/models", {422, 503}),  # reads no token: never a 401
        ("GET /sessions/{session_id}/agent-logs", {401, 403, 404, 422, 503}),
    ],
)
def test_declared_errors_of_some_operations(document, name, statuses):
    method, path = name.split(" ", 1)
    assert _errors(document["paths"][path][method.lower()]) == statuses
