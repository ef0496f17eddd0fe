"""Every error body carries `detail`, what the learnlikemagic frontend shows (`body.detail`; the
admin pages throw `new Error(body.detail)`): the message as a string, or for an error raised
with `detail_fields` the object `{message, ...}` (the exam conflict's `existing_session_id`).
A 422 also lists every invalid field under `errors`. Before, bodies were only
`{"error": {code, message}}`: the frontend showed "HTTP 409" or "[object Object]"."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from main import create_app
from shared.errors import ConflictError, ValidationFailedError, field_error
from tests.support.app_database import use_database
from tests.support.errors import error_json
from tests.support.pg import unreachable_database_url
from tests.support.tutor import STUDENT_A


class Item(BaseModel):
    name: str
    count: int


def _app():
    app = create_app()

    @app.post("/items")
    def create_item(item: Item) -> dict:
        return item.model_dump()

    @app.post("/exam")
    def exam() -> dict:
        raise ConflictError(
            "An incomplete exam already exists for this topic",
            code="exam_in_progress",
            detail_fields={"existing_session_id": "2b1f0c9e-0000-4000-8000-000000000001"},
        )

    @app.get("/whole-request")
    def whole_request() -> dict:
        raise ValidationFailedError("Choose either a subject or a topic, not both.")

    return app


@pytest.fixture
def app_client():
    with TestClient(_app()) as client:
        yield client


def test_an_app_error_with_detail_fields_has_the_documented_object(app_client):
    response = app_client.post("/exam")

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "exam_in_progress",
            "message": "An incomplete exam already exists for this topic",
        },
        "detail": {
            "message": "An incomplete exam already exists for this topic",
            "existing_session_id": "2b1f0c9e-0000-4000-8000-000000000001",
        },
    }


def test_detail_fields_cannot_replace_the_message():
    with pytest.raises(ValueError, match="message"):
        ConflictError("shown", detail_fields={"message": "something else"})


def test_a_validation_error_lists_every_field_and_echoes_no_input(app_client):
    response = app_client.post("/items", json={"count": "many", "secret": "hunter2"})

    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert body["detail"] == body["error"]["message"]
    assert isinstance(body["detail"], str)
    assert sorted(body["errors"], key=lambda e: e["loc"]) == [
        {
            "loc": ["body", "count"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "type": "int_parsing",
        },
        {"loc": ["body", "name"], "msg": "Field required", "type": "missing"},
    ]
    assert "many" not in response.text and "hunter2" not in response.text


def test_a_422_about_the_whole_request_still_has_a_field_list(app_client):
    response = app_client.get("/whole-request")

    message = "Choose either a subject or a topic, not both."
    assert response.status_code == 422
    assert response.json() == error_json(
        "validation_error", message, errors=[field_error([], message, "validation_error")]
    )


def test_each_edge_error_has_its_message_as_detail(app_client):
    unknown = app_client.get("/no/such/route")
    wrong_method = app_client.delete("/health")
    too_large = app_client.post(
        "/items", content=b"[" + b"0," * (600 * 1024) + b"0]", headers={"content-type": "x/y"}
    )

    assert unknown.status_code == 404
    assert unknown.json() == error_json("not_found", "Not Found")
    assert wrong_method.status_code == 405
    assert wrong_method.json() == error_json("method_not_allowed", "Method Not Allowed")
    assert too_large.status_code == 413
    assert too_large.json() == error_json(
        "payload_too_large", "The request body is larger than 1 MB; send a smaller body."
    )


def test_authentication_errors_have_their_reason_as_detail(auth_client):
    missing = auth_client.get("/profile")
    bad = auth_client.get("/profile", headers={"Authorization": "Bearer not-a-jwt"})

    for response in (missing, bad):
        assert response.status_code == 401
        body = response.json()
        assert body["detail"] == body["error"]["message"]
        assert body["detail"]


def test_a_session_route_error_has_detail(auth_client):
    response = auth_client.get("/sessions/no-such-session", headers=STUDENT_A)

    assert response.status_code == 404
    assert response.json() == error_json("session_not_found", "Session not found.")


def test_database_unavailable_has_detail():
    use_database(unreachable_database_url())
    try:
        with TestClient(create_app()) as client:
            response = client.get("/health/db")
    finally:
        use_database(None)

    assert response.status_code == 503
    assert response.json() == error_json(
        "database_unavailable", "The database is not reachable; try again shortly."
    )
