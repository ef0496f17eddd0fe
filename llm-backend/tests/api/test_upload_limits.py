"""The upload routes' body cap: an oversize request is refused while it streams in, by its
declared Content-Length or by the running count of a chunked body, and nothing is stored."""

from __future__ import annotations

import pytest

from tests.support.books import ADMIN, image_bytes, post_book, stored_keys


def _multipart(name: str, size: int, field: str = "image") -> tuple[bytes, str]:
    boundary = "bound4ry"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    return head + b"\x89PNG" + b"0" * size + f"\r\n--{boundary}--\r\n".encode(), boundary


@pytest.mark.parametrize("route", ["pages", "pages/bulk"])
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_an_oversize_body_is_refused_while_it_streams_in(
    auth_client, storage, fake_llm, monkeypatch, route, declared
):
    from book_ingestion.api import upload_limit
    from config import reset_settings

    book_id = post_book(auth_client)
    monkeypatch.setenv("MAX_UPLOAD_BYTES", str(1024 * 1024))
    monkeypatch.setenv("MAX_BULK_FILES", "2")
    reset_settings()
    field = "images" if route.endswith("bulk") else "image"
    limit = upload_limit.body_limit(f"/{route}")
    body, boundary = _multipart("huge.png", limit + 10, field)

    def chunked():  # no Content-Length: only the running count can stop it
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = auth_client.post(
        f"/admin/books/{book_id}/{route}",
        content=body if declared else chunked(),
        headers={**ADMIN, "content-type": f"multipart/form-data; boundary={boundary}"},
    )

    assert response.status_code == 413, response.text
    mb = limit // (1024 * 1024)
    assert response.json()["error"] == {
        "code": "request_too_large",
        "message": f"The upload is larger than {mb} MB; each image may be at most 1 MB.",
    }
    assert stored_keys() == [f"books/{book_id}/metadata.json"]
    assert fake_llm.requests == []
    assert auth_client.get(f"/admin/books/{book_id}/jobs", headers=ADMIN).json() == []


def test_too_many_files_are_refused_before_any_file_is_read(
    auth_client, storage, fake_llm, monkeypatch
):
    from config import reset_settings

    book_id = post_book(auth_client)
    monkeypatch.setenv("MAX_BULK_FILES", "2")
    reset_settings()
    # The third file is no image: the count is checked first, so it is never opened.
    files = [
        ("images", ("a.png", image_bytes(), "image/png")),
        ("images", ("b.png", image_bytes(color=(9, 9, 9)), "image/png")),
        ("images", ("c.png", b"junk", "image/png")),
    ]

    response = auth_client.post(f"/admin/books/{book_id}/pages/bulk", files=files, headers=ADMIN)

    assert response.status_code == 400, response.text
    assert response.json()["error"] == {
        "code": "too_many_files",
        "message": "3 files sent; at most 2 per bulk upload.",
    }
    assert stored_keys() == [f"books/{book_id}/metadata.json"]
    assert auth_client.get(f"/admin/books/{book_id}/jobs", headers=ADMIN).json() == []
