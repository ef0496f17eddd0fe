"""Text the database cannot store (NUL, unpaired surrogates) is a 422 naming the field, wherever
it comes in: JSON fields and lists, query filters, path ids, form fields, file names. Before the
request guard the driver refused it: a 500, with nothing saying which field was wrong."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from database import session_scope
from shared.jobs.models import BookJob
from shared.models.entities import Content
from tests.support.books import ADMIN, BOOK, image_bytes, post_book, stored_keys
from tests.support.errors import error_json
from tests.support.tutor import STUDENT_A, add_guideline

NUL = "\u0000"
SURROGATE = "\ud800"
BAD = pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
REASON = {
    NUL: "must not contain a NUL character (U+0000)",
    SURROGATE: "must not contain an unpaired surrogate (U+D800-U+DFFF)",
}


def _refused(response, field: str, bad: str = NUL) -> None:
    assert response.status_code == 422, response.text
    # `errors` names the field too: the part of the request, then the path within it.
    errors = [{"loc": field.split(".", 1), "msg": REASON[bad], "type": "invalid_text"}]
    assert response.json() == error_json(
        "validation_error", f"{field}: {REASON[bad]}", errors=errors
    )


def _raw_json(value, headers: dict) -> dict:
    # json.dumps escapes both as \u0000 / \ud800, exactly what a client puts on the wire.
    return {
        "content": json.dumps(value).encode("ascii"),
        "headers": {**headers, "content-type": "application/json"},
    }


def _count(model) -> int:
    with session_scope() as db:
        return db.scalar(select(func.count()).select_from(model))


def _multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    """A hand-made body: httpx would percent-escape a NUL in a file name before sending it."""
    boundary = "guard-b0undary"
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            body += b"Content-Type: image/png\r\n"
        body += b"\r\n" + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), boundary


@BAD
def test_a_json_field(auth_client, storage, bad):
    response = auth_client.post(
        "/admin/books", **_raw_json({**BOOK, "title": f"Maths{bad}"}, ADMIN)
    )
    _refused(response, "body.title", bad)
    assert auth_client.get("/admin/books", headers=ADMIN).json()["total"] == 0


@BAD
def test_a_json_list_item(auth_client, bad):
    gid = add_guideline()
    response = auth_client.post(
        "/admin/guidelines/bulk-generate-study-plans",
        **_raw_json({"guideline_ids": [gid, f"x{bad}"]}, ADMIN),
    )
    _refused(response, "body.guideline_ids[1]", bad)
    assert _count(BookJob) == 0


def test_a_json_key_and_a_nested_value(auth_client):
    response = auth_client.post("/admin/contents", **_raw_json({"topic": "t", f"g{NUL}": 1}, ADMIN))
    _refused(response, "body.g\\x00")
    response = auth_client.put(
        "/api/admin/llm-config/tutor",
        **_raw_json({"provider": "openai", "model_id": ["deep", {"er": SURROGATE}]}, ADMIN),
    )
    _refused(response, "body.model_id[1].er", SURROGATE)


def test_a_utf16_json_body_is_checked_too(auth_client):
    body = json.dumps({"topic": f"a{NUL}", "grade": 5, "text": "x"}).encode("utf-16")
    response = auth_client.post(
        "/admin/contents",
        content=body,
        headers={**ADMIN, "content-type": "application/json"},
    )
    _refused(response, "body.topic")
    assert _count(Content) == 0


@pytest.mark.parametrize(
    ("url", "headers", "field"),
    [
        ("/admin/books?subject=Math%00s", ADMIN, "query.subject"),
        ("/admin/contents?topic=%00", ADMIN, "query.topic"),
        (
            "/curriculum?country=India&board=CBSE&grade=5&subject=Maths%00",
            STUDENT_A,
            "query.subject",
        ),
        ("/sessions?subject=%00&mode=teach_me", STUDENT_A, "query.subject"),
        ("/sessions/resumable?guideline_id=g%00", STUDENT_A, "query.guideline_id"),
    ],
)
def test_a_query_filter(auth_client, url, headers, field):
    _refused(auth_client.get(url, headers=headers), field)


@pytest.mark.parametrize(
    ("method", "url", "headers", "field"),
    [
        ("GET", "/admin/books/book%00", ADMIN, "path.book_id"),
        ("DELETE", "/admin/books/book%00", ADMIN, "path.book_id"),
        ("GET", "/admin/books/b%00/jobs/j", ADMIN, "path.book_id"),
        ("GET", "/admin/books/b/jobs/j%00", ADMIN, "path.job_id"),
        ("GET", "/admin/guidelines/g%00", ADMIN, "path.guideline_id"),
        ("DELETE", "/admin/contents/c%00", ADMIN, "path.content_id"),
        ("PUT", "/api/admin/llm-config/tutor%00", ADMIN, "path.component_key"),
        ("GET", "/admin/files/books/b%00/metadata.json", ADMIN, "path.key"),
        ("GET", "/sessions/s%00", STUDENT_A, "path.session_id"),
        ("POST", "/sessions/s%00/pause", STUDENT_A, "path.session_id"),
    ],
)
def test_a_path_id(auth_client, local_storage, method, url, headers, field):
    # Checked before the body and before any dependency: the PUT's missing body does not matter.
    _refused(auth_client.request(method, url, headers=headers), field)


def test_a_form_field(auth_client, storage):
    book_id = post_book(auth_client)
    parts = [("note", None, b"hello\x00"), ("image", "page.png", image_bytes())]
    body, boundary = _multipart(parts)
    response = auth_client.post(
        f"/admin/books/{book_id}/pages",
        content=body,
        headers={**ADMIN, "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    _refused(response, "form.note[0]")
    assert stored_keys() == [f"books/{book_id}/metadata.json"]


@pytest.mark.parametrize(
    ("route", "field", "names", "expected"),
    [
        ("pages", "image", ["pa\x00ge.png"], "form.image[0].filename"),
        ("pages/bulk", "images", ["one.png", "tw\x00o.png"], "form.images[1].filename"),
    ],
)
def test_an_uploaded_file_name(auth_client, storage, fake_llm, route, field, names, expected):
    book_id = post_book(auth_client)
    body, boundary = _multipart([(field, name, image_bytes()) for name in names])
    response = auth_client.post(
        f"/admin/books/{book_id}/{route}",
        content=body,
        headers={**ADMIN, "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    _refused(response, expected)
    assert stored_keys() == [f"books/{book_id}/metadata.json"]
    assert _count(BookJob) == 0
    assert fake_llm.requests == []


def test_clean_text_in_every_place_still_goes_through(auth_client, storage, fake_llm):
    """The guard refuses only what it must: accents, emoji (a surrogate *pair* on the wire) and
    escaped backslashes that merely look like an escape are ordinary text."""
    title = 'Ganit \u0917\u0923\u093f\u0924 \U0001f4d0 "\\u0000"'
    response = auth_client.post("/admin/books", **_raw_json({**BOOK, "title": title}, ADMIN))
    assert response.status_code == 201, response.text
    book_id = response.json()["id"]
    assert auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()["title"] == title
    listed = auth_client.get("/admin/books?subject=Mathematics&board=CBSE", headers=ADMIN)
    assert [b["id"] for b in listed.json()["items"]] == [book_id]


def test_a_json_body_that_is_not_unicode_text(auth_client):
    """FastAPI answered these bytes with a 400 "There was an error parsing the body", a status
    the routes do not declare; they are a malformed body like any other: a 422."""
    response = auth_client.post(
        "/admin/contents",
        content=b"\xff\x1f\xd2$\xa7",
        headers={**ADMIN, "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": "body: is not JSON text (UTF-8, UTF-16 or UTF-32)",
    }
    assert _count(Content) == 0
