"""Book ids never run out: repeated slugs, names in any script and parallel creates all get a
URL-safe id the storage keys accept (real PostgreSQL, local storage)."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import create_engine, event, text

from book_ingestion.schemas import BookCreate
from book_ingestion.services import book_service, keys
from shared.storage import check_key, get_blob_store
from tests.support.books import ADMIN, BOOK

SLUG = "r_s_aggarwal_mathematics_5_2023"
URL_SAFE = re.compile(r"[a-z0-9_-]+")


def _assert_usable(client, book_id: str) -> None:
    assert URL_SAFE.fullmatch(book_id), book_id
    assert check_key(keys.metadata_key(book_id)) == f"books/{book_id}/metadata.json"
    assert get_blob_store().exists(keys.metadata_key(book_id))
    assert client.get(f"/admin/books/{book_id}", headers=ADMIN).status_code == 200
    served = client.get(f"/admin/files/books/{book_id}/metadata.json", headers=ADMIN)
    assert served.status_code == 200 and served.json()["id"] == book_id


def test_sixty_books_with_identical_fields_are_all_created(auth_client, local_storage):
    responses = [auth_client.post("/admin/books", json=BOOK, headers=ADMIN) for _ in range(60)]

    assert [r.status_code for r in responses] == [201] * 60
    ids = [r.json()["id"] for r in responses]
    assert ids == [SLUG] + [f"{SLUG}_{n}" for n in range(2, 61)]
    listing = auth_client.get("/admin/books?limit=100", headers=ADMIN).json()
    assert listing["total"] == 60
    _assert_usable(auth_client, ids[-1])


def test_a_deleted_numbered_book_does_not_lend_its_id_to_the_next(auth_client, local_storage):
    ids = [auth_client.post("/admin/books", json=BOOK, headers=ADMIN).json()["id"] for _ in "abc"]
    assert auth_client.delete(f"/admin/books/{ids[1]}", headers=ADMIN).status_code == 204

    response = auth_client.post("/admin/books", json=BOOK, headers=ADMIN)

    assert response.status_code == 201
    assert response.json()["id"] == f"{SLUG}_4"


@pytest.mark.parametrize(
    ("author", "subject", "expected"),
    [
        ("राम शर्मा", "गणित", "ram_srma_gnit_5_2023"),  # Devanagari
        ("王小明", "数学", "wangxiaoming_shuxue_5_2023"),  # Chinese
        ("محمد علي", "الرياضيات", "mhmd_ly_lrydyt_5_2023"),  # Arabic
        ("Дмитрий", "Математика", "dmitriy_matematika_5_2023"),  # Cyrillic
    ],
)
def test_names_in_any_script_give_a_readable_id(
    auth_client, local_storage, author, subject, expected
):
    body = {**BOOK, "author": author, "subject": subject, "title": subject}

    first = auth_client.post("/admin/books", json=body, headers=ADMIN)
    second = auth_client.post("/admin/books", json=body, headers=ADMIN)

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == expected
    assert second.json()["id"] == f"{expected}_2"
    assert first.json()["author"] == author  # the name itself is stored as given
    _assert_usable(auth_client, second.json()["id"])


def test_names_with_nothing_to_romanize_get_a_random_id(auth_client, local_storage):
    # Private-use characters have no romanization; the id falls back to a random token.
    body = {**BOOK, "author": "\ue000\ue001", "subject": "\ue002", "edition_year": None}

    responses = [auth_client.post("/admin/books", json=body, headers=ADMIN) for _ in range(3)]

    assert [r.status_code for r in responses] == [201] * 3
    ids = [r.json()["id"] for r in responses]
    assert len(set(ids)) == 3
    for book_id in ids:
        assert re.fullmatch(r"book_[a-z][a-z0-9]{5}_5", book_id), book_id
        _assert_usable(auth_client, book_id)


def test_an_id_taken_between_the_read_and_the_insert_moves_on_to_the_next(
    db, app_database_url, local_storage
):
    """The race made deterministic: another writer commits the chosen id just before our
    INSERT; the primary key refuses ours and the retry takes the next number."""
    other = create_engine(app_database_url)
    raced = []

    def take_the_id_first(_conn, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO books") and not raced:
            raced.append(True)
            with other.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO books (id, title, country, board, grade, subject, "
                        "s3_prefix) VALUES (:id, 't', 'India', 'CBSE', 5, 'Maths', 'x/')"
                    ),
                    {"id": SLUG},
                )

    event.listen(db, "before_cursor_execute", take_the_id_first)
    try:
        book = book_service.create_book(data=BookCreate(**BOOK), created_by="admin-1")
    finally:
        event.remove(db, "before_cursor_execute", take_the_id_first)
        other.dispose()

    assert raced == [True]
    assert book.id == f"{SLUG}_2"
    assert get_blob_store().exists(keys.metadata_key(book.id))
    assert not get_blob_store().exists(keys.metadata_key(SLUG))


def test_parallel_creates_of_one_slug_all_succeed_with_distinct_ids(auth_client, local_storage):
    creators = 12
    barrier = threading.Barrier(creators)
    responses = []

    def create() -> None:
        barrier.wait()
        responses.append(auth_client.post("/admin/books", json=BOOK, headers=ADMIN))

    threads = [threading.Thread(target=create) for _ in range(creators)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status_code for r in responses] == [201] * creators
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == creators
    for book_id in ids:
        _assert_usable(auth_client, book_id)
    listing = auth_client.get("/admin/books?limit=100", headers=ADMIN).json()
    assert sorted(b["id"] for b in listing["items"]) == sorted(ids)
