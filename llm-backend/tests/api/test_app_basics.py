"""The app's shell: health probes, error format, request ids, failing database."""

from __future__ import annotations

import socket
import threading

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from database import health_check
from main import create_app
from shared.errors import ConflictError
from tests.support.app_database import use_database
from tests.support.errors import error_json
from tests.support.pg import unreachable_database_url


@pytest.fixture
def silent_server():
    """A TCP server on loopback that accepts connections and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    accepted = []
    stop = threading.Event()

    def accept_forever():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(sock.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    sock.close()


def test_health_is_ok_without_a_database():
    with TestClient(create_app()) as client:
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(response.headers["x-request-id"]) == 32


def test_health_db_ok_against_real_postgres(client):
    response = client.get("/health/db", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response.headers["x-request-id"] == "abc-123"
    assert health_check() is True


def test_unsafe_client_request_id_is_replaced():
    with TestClient(create_app()) as client:
        response = client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert response.headers["x-request-id"] != "bad id\twith spaces"
    assert len(response.headers["x-request-id"]) == 32


def test_stopped_database_gives_503_not_a_hang(monkeypatch):
    use_database(unreachable_database_url())
    try:
        assert health_check() is False
        with TestClient(create_app()) as client:
            response = client.get("/health/db")
        assert response.status_code == 503
        assert response.json() == error_json(
            "database_unavailable", "The database is not reachable; try again shortly."
        )
    finally:
        use_database(None)


def test_unresponsive_database_times_out_into_503(monkeypatch, silent_server):
    monkeypatch.setenv("DB_CONNECT_TIMEOUT", "1")
    use_database(f"postgresql://postgres@127.0.0.1:{silent_server}/tutor")
    try:
        with TestClient(create_app()) as client:
            response = client.get("/health/db")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "database_unavailable"
    finally:
        use_database(None)


class Item(BaseModel):
    name: str
    count: int


def _app_with_test_routes():
    app = create_app()

    @app.post("/items")
    def create_item(item: Item) -> dict:
        return item.model_dump()

    @app.get("/boom")
    def boom() -> dict:
        raise RuntimeError("secret connection string postgres://user:hunter2@db")

    @app.get("/conflict")
    def conflict() -> dict:
        raise ConflictError("session changed since you read it", code="state_conflict")

    return app


def test_unknown_error_is_a_generic_500_that_leaks_nothing():
    with TestClient(_app_with_test_routes(), raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == error_json("internal_error", "An unexpected error occurred.")
    assert "hunter2" not in response.text
    assert response.headers["x-request-id"]


def test_app_errors_and_validation_use_the_error_shape():
    with TestClient(_app_with_test_routes()) as client:
        conflict = client.get("/conflict")
        invalid = client.post("/items", json={"name": "x", "count": "many"})
        wrong_method = client.delete("/health")
    assert conflict.status_code == 409
    assert conflict.json() == error_json("state_conflict", "session changed since you read it")
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "validation_error"
    assert invalid.json()["error"]["message"].startswith("count:")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_openapi_and_docs_are_served():
    with TestClient(create_app()) as client:
        spec = client.get("/openapi.json")
        docs = client.get("/docs")
    assert spec.status_code == 200
    assert "/health/db" in spec.json()["paths"]
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
