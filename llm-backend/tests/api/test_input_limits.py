"""Sizes and numbers at the edge: a body above MAX_JSON_BODY_BYTES is a 413 before anything
parses it, and every integer that reaches SQL has bounds, so a huge offset is a 422 instead of
PostgreSQL's "bigint out of range" (a 500)."""

from __future__ import annotations

import asyncio
import json

import pytest

from book_ingestion.services import book_service
from main import create_app
from tests.support.books import ADMIN, BOOK, post_book
from tests.support.errors import error_json

MB = 1024 * 1024
TOO_LARGE = error_json(
    "payload_too_large", "The request body is larger than 1 MB; send a smaller body."
)
HUGE = "9223372036854775808"  # 2**63: one past PostgreSQL's bigint


@pytest.fixture
def create_book_calls(monkeypatch) -> list:
    """Records every call that reaches the create-book service (and still creates the book)."""
    calls = []
    real = book_service.create_book

    def recording(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(book_service, "create_book", recording)
    return calls


def _padded_book(size: int) -> bytes:
    """A valid book body of exactly `size` bytes (the padding is JSON whitespace)."""
    body = json.dumps(BOOK).encode()
    return body[:-1] + b" " * (size - len(body)) + b"}"


def test_a_body_at_the_limit_is_parsed_and_one_byte_more_is_not(
    auth_client, storage, create_book_calls
):
    response = auth_client.post(
        "/admin/books",
        content=_padded_book(MB + 1),
        headers={**ADMIN, "content-type": "application/json"},
    )
    assert (response.status_code, response.json()) == (413, TOO_LARGE)
    assert create_book_calls == []

    response = auth_client.post(
        "/admin/books",
        content=_padded_book(MB),
        headers={**ADMIN, "content-type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert len(create_book_calls) == 1


def test_the_limit_is_a_setting(auth_client, storage, monkeypatch, create_book_calls):
    from config import reset_settings

    monkeypatch.setenv("MAX_JSON_BODY_BYTES", "4096")
    reset_settings()
    response = auth_client.post(
        "/admin/books",
        content=_padded_book(4097),
        headers={**ADMIN, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["message"] == (
        "The request body is larger than 4096 bytes; send a smaller body."
    )
    assert create_book_calls == []


def test_a_multipart_body_sent_to_a_json_route_has_the_same_cap(auth_client, create_book_calls):
    boundary = "b0und"
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="x"\r\n\r\n'.encode()
    body += b"0" * MB + f"\r\n--{boundary}--\r\n".encode()
    response = auth_client.post(
        "/admin/books",
        content=body,
        headers={**ADMIN, "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert (response.status_code, response.json()) == (413, TOO_LARGE)
    assert create_book_calls == []


def test_a_chunked_body_is_cut_off_as_soon_as_it_passes_the_limit(create_book_calls):
    """No Content-Length and a body that never ends: the guard must stop reading by itself.
    Driven through the real app at the ASGI level to count what it pulled from the client."""
    chunk = 64 * 1024
    pulled = 0

    async def receive():
        nonlocal pulled
        pulled += 1
        if pulled > 1000:  # 64 MB: the guard did not stop; fail instead of hanging
            raise AssertionError("the guard kept reading past the limit")
        return {"type": "http.request", "body": b" " * chunk, "more_body": True}

    sent = []

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/admin/books",
        "raw_path": b"/admin/books",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"transfer-encoding", b"chunked"),
            *[(k.lower().encode(), v.encode()) for k, v in ADMIN.items()],
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(create_app()(scope, receive, send))

    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 413
    assert json.loads(b"".join(m.get("body", b"") for m in sent[1:])) == TOO_LARGE
    assert pulled == MB // chunk + 1  # the chunk that crossed the limit, and not one more
    assert create_book_calls == []


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/admin/books", ADMIN),
        ("/admin/guidelines/review", ADMIN),
        ("/admin/contents", ADMIN),
    ],
)
@pytest.mark.parametrize("offset", [HUGE, "1000001", "-1"])
def test_an_offset_out_of_bounds_is_a_422(auth_client, path, headers, offset):
    response = auth_client.get(f"{path}?offset={offset}", headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["message"].startswith("query.offset: ")


def test_the_largest_offset_is_still_answered(auth_client):
    response = auth_client.get("/admin/books?offset=1000000", headers=ADMIN)
    assert response.status_code == 200
    assert response.json() == {
        "items": [],
        "books": [],
        "total": 0,
        "limit": 100,
        "offset": 1000000,
    }


def test_page_numbers_grades_and_years_have_bounds(auth_client, storage):
    book_id = post_book(auth_client)
    for url in (
        f"/admin/books/{book_id}/pages/{HUGE}",
        f"/admin/books/{book_id}/pages/10001",
        f"/admin/books?grade={HUGE}",
        f"/admin/guidelines/review?grade={HUGE}",
    ):
        response = auth_client.get(url, headers=ADMIN)
        assert response.status_code == 422, (url, response.text)
    cases = [
        (f"/admin/books/{book_id}/generate-guidelines", {"start_page": 1, "end_page": int(HUGE)}),
        ("/admin/books", {**BOOK, "edition_year": int(HUGE)}),
        ("/admin/books", {**BOOK, "grade": int(HUGE)}),
    ]
    for url, body in cases:
        response = auth_client.post(url, json=body, headers=ADMIN)
        assert response.status_code == 422, (url, response.text)
    assert auth_client.get("/admin/books", headers=ADMIN).json()["total"] == 1
