"""GET /admin/files/{key} on local storage: a stored file is served, any key that names no
stored file is 404 `file_not_found`, an invalid key is 400 `invalid_storage_key`; never 500."""

from __future__ import annotations

import pytest

from tests.support.books import ADMIN, BOOK


@pytest.fixture
def book_id(auth_client, local_storage) -> str:
    response = auth_client.post("/admin/books", json=BOOK, headers=ADMIN)
    assert response.status_code == 201
    return response.json()["id"]


def test_a_stored_file_is_served(auth_client, book_id):
    response = auth_client.get(f"/admin/files/books/{book_id}/metadata.json", headers=ADMIN)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["id"] == book_id


@pytest.mark.parametrize(
    "suffix",
    [
        "metadata.json/x",  # below a file: NotADirectoryError
        "metadata.json/x/y.png",
        "a" * 256,  # a segment over 255 bytes: ENAMETOOLONG
        "/".join(["d" * 200] * 25),  # the whole path over PATH_MAX: ENAMETOOLONG
        "",  # the book's directory itself
        "pages/1.png",  # nothing stored there yet
    ],
    ids=["under-a-file", "deeper-under-a-file", "long-segment", "long-path", "dir", "missing"],
)
def test_a_key_that_names_no_stored_file_is_404(auth_client, book_id, suffix):
    key = f"books/{book_id}/{suffix}".rstrip("/")

    response = auth_client.get(f"/admin/files/{key}", headers=ADMIN)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "file_not_found"


@pytest.mark.parametrize(
    "key",
    [
        "books//metadata.json",  # an empty segment
        "books/a%20b/metadata.json",  # a space
        "books/%C3%BC",  # a non-ASCII letter
        "books/~",
        "books/x/%2E%2E/y",  # `..`, sent encoded so the client does not resolve it
    ],
)
def test_an_invalid_key_is_400(auth_client, book_id, key):
    response = auth_client.get(f"/admin/files/{key}", headers=ADMIN)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_storage_key"
