"""Deleting a page: `If-Match` makes a retried or concurrent delete remove that page only once,
and rows and files agree whatever fails half way (files are named by page id and never move)."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select, text

from book_ingestion.models.database import BookPage
from book_ingestion.schemas import BookCreate
from book_ingestion.services import book_service
from config import reset_settings
from database import session_scope
from shared.storage import StorageUnavailableError, get_blob_store
from tests.fakes.llm_server import Reply
from tests.support.books import ADMIN, BOOK, image_bytes, stored_keys, wait_jobs_idle
from tests.support.statement_barrier import barrier_before

BOOK_LOCK = r"FROM books\b.*\bFOR (NO KEY )?UPDATE"


def _legacy_book(count: int) -> str:
    """A book whose pages were stored before files were named by page id (`pages/{n}.png`):
    page k's text is `page k` and its image's red channel is 10·k."""
    book_id = book_service.create_book(data=BookCreate(**BOOK), created_by="admin-1").id
    store = get_blob_store()
    with session_scope() as session:
        for n in range(1, count + 1):
            image, txt = f"books/{book_id}/pages/{n}.png", f"books/{book_id}/pages/{n}.txt"
            store.put(image, image_bytes(color=(10 * n, 0, 0)), content_type="image/png")
            store.put(txt, f"page {n}".encode(), content_type="text/plain")
            session.add(
                BookPage(
                    book_id=book_id,
                    page_number=n,
                    status="pending_review",
                    image_s3_key=image,
                    text_s3_key=txt,
                )
            )
    return book_id


def _pages(book_id: str) -> list[tuple[int, str, int]]:
    """(number, text, image red/10) of every page, read through the rows' keys. Asserts that
    rows and files agree: numbers are 1..N, every key a row names is stored, and every stored
    page file is named by exactly one row."""
    with session_scope() as session:
        rows = [
            (p.page_number, p.image_s3_key, p.text_s3_key, p.original_s3_key)
            for p in session.scalars(
                select(BookPage).where(BookPage.book_id == book_id).order_by(BookPage.page_number)
            )
        ]
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    named = sorted(key for row in rows for key in row[1:] if key)
    held = stored_keys(f"books/{book_id}/pages/") + stored_keys(f"books/{book_id}/originals/")
    assert sorted(held) == sorted(named)
    store = get_blob_store()
    return [
        (
            number,
            store.get(txt).decode(),
            Image.open(io.BytesIO(store.get(image))).convert("RGB").getpixel((0, 0))[0] // 10,
        )
        for number, image, txt, _original in rows
    ]


def _etag(client, book_id: str, number: int) -> str:
    response = client.get(f"/admin/books/{book_id}/pages/{number}", headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == response.json()["etag"] == f'"{response.json()["id"]}"'
    return response.headers["ETag"]


def _delete(client, book_id: str, number: int, if_match: str | None = None):
    headers = ADMIN if if_match is None else {**ADMIN, "If-Match": if_match}
    return client.delete(f"/admin/books/{book_id}/pages/{number}", headers=headers)


def test_five_parallel_deletes_with_if_match_remove_that_page_once(auth_client, local_storage, db):
    book_id = _legacy_book(4)
    etag = _etag(auth_client, book_id, 2)

    # Every request has passed auth and reached the book's row lock before any takes it.
    with barrier_before(db, BOOK_LOCK, 5), ThreadPoolExecutor(5) as pool:
        responses = list(pool.map(lambda _: _delete(auth_client, book_id, 2, etag), range(5)))

    assert sorted(r.status_code for r in responses) == [204, 412, 412, 412, 412]
    refused = [r.json()["error"] for r in responses if r.status_code == 412]
    assert {e["code"] for e in refused} == {"precondition_failed"}
    assert refused[0]["message"] == (
        f"Page 2 of book {book_id} is no longer the page you loaded (it was deleted or the "
        "pages were renumbered); reload the book and try again."
    )
    assert _pages(book_id) == [(1, "page 1", 1), (2, "page 3", 3), (3, "page 4", 4)]


def test_a_retried_delete_removes_nothing_more(auth_client, storage):
    book_id = _legacy_book(3)
    detail = auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()
    etags = {p["number"]: p["etag"] for p in detail["pages"]}
    assert etags[2] == _etag(auth_client, book_id, 2)

    first = _delete(auth_client, book_id, 2, etags[2])
    retried = _delete(auth_client, book_id, 2, etags[2])
    moved_away = _delete(auth_client, book_id, 3, etags[3])  # page 3 is number 2 now

    assert (first.status_code, first.content) == (204, b"")
    assert (retried.status_code, retried.json()["error"]["code"]) == (412, "precondition_failed")
    assert (moved_away.status_code, moved_away.json()["error"]["code"]) == (404, "page_not_found")
    assert _pages(book_id) == [(1, "page 1", 1), (2, "page 3", 3)]
    assert _etag(auth_client, book_id, 2) == etags[3]  # the tag follows the page, not the number


def test_if_match_forms_and_the_unconditional_delete(auth_client, local_storage):
    book_id = _legacy_book(5)
    page_id = _etag(auth_client, book_id, 1).strip('"')

    weak = _delete(auth_client, book_id, 1, f'W/"{page_id}"')  # If-Match compares strongly
    other = _delete(auth_client, book_id, 1, '"not-this-page"')
    listed = _delete(auth_client, book_id, 1, f'"not-this-page", "{page_id}"')
    bare = _delete(auth_client, book_id, 1, _etag(auth_client, book_id, 1).strip('"'))
    star = _delete(auth_client, book_id, 1, "*")
    unconditional = _delete(auth_client, book_id, 1)

    assert [r.status_code for r in (weak, other)] == [412, 412]
    assert [r.status_code for r in (listed, bare, star, unconditional)] == [204] * 4
    assert _pages(book_id) == [(1, "page 5", 5)]


def test_pages_written_by_id_keep_their_files_when_renumbered(
    auth_client, local_storage, fake_llm, monkeypatch
):
    monkeypatch.setenv("OCR_CONCURRENCY", "1")  # pages are OCR'd in order, one reply each
    reset_settings()
    book_id = book_service.create_book(data=BookCreate(**BOOK), created_by="admin-1").id
    fake_llm.push(*[Reply(f"page {n}") for n in (1, 2, 3)])
    files = [
        ("images", (f"p{n}.png", image_bytes(color=(10 * n, 0, 0)), "image/png")) for n in (1, 2, 3)
    ]
    bulk = auth_client.post(f"/admin/books/{book_id}/pages/bulk", files=files, headers=ADMIN)
    assert bulk.status_code == 202, bulk.text
    wait_jobs_idle()
    before = {
        n: auth_client.get(f"/admin/books/{book_id}/pages/{n}", headers=ADMIN).json()
        for n in (1, 2, 3)
    }
    assert {b["image_url"] for b in before.values()} == {
        f"/admin/files/books/{book_id}/pages/{b['id']}.png" for b in before.values()
    }
    held = stored_keys(f"books/{book_id}/")

    assert _delete(auth_client, book_id, 1, before[1]["etag"]).status_code == 204

    after = [
        auth_client.get(f"/admin/books/{book_id}/pages/{n}", headers=ADMIN).json() for n in (1, 2)
    ]
    assert [(p["id"], p["image_url"], p["text"]) for p in after] == [
        (before[n]["id"], before[n]["image_url"], f"page {n}\n") for n in (2, 3)
    ]
    gone = {f"books/{book_id}/pages/{before[1]['id']}.{ext}" for ext in ("png", "txt")}
    gone.add(f"books/{book_id}/originals/{before[1]['id']}.png")
    assert stored_keys(f"books/{book_id}/") == sorted(set(held) - gone)
    assert [(n, t.strip(), red) for n, t, red in _pages(book_id)] == [
        (1, "page 2", 2),
        (2, "page 3", 3),
    ]


def test_a_delete_whose_commit_fails_leaves_rows_and_files_in_agreement(auth_client, storage, db):
    book_id = _legacy_book(3)
    with db.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION fail_page_commit() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'injected commit failure'; END $$"
            )
        )
        # Deferred: it fires at COMMIT, after every statement of the delete has succeeded.
        conn.execute(
            text(
                "CREATE CONSTRAINT TRIGGER fail_page_commit AFTER DELETE OR UPDATE ON book_pages "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_page_commit()"
            )
        )
    try:
        with TestClient(auth_client.app, raise_server_exceptions=False) as client:
            failed = _delete(client, book_id, 2)
    finally:
        with db.begin() as conn:
            conn.execute(text("DROP TRIGGER fail_page_commit ON book_pages"))
            conn.execute(text("DROP FUNCTION fail_page_commit()"))

    assert failed.status_code == 500
    assert _pages(book_id) == [(1, "page 1", 1), (2, "page 2", 2), (3, "page 3", 3)]
    assert _delete(auth_client, book_id, 2).status_code == 204
    assert _pages(book_id) == [(1, "page 1", 1), (2, "page 3", 3)]


def test_a_file_removal_failing_after_the_commit_still_deletes_the_page(auth_client, local_storage):
    book_id = _legacy_book(3)
    store = get_blob_store()

    def unavailable(key: str) -> None:
        raise StorageUnavailableError("Storage is not reachable.")

    etag = _etag(auth_client, book_id, 2)
    store.delete = unavailable  # this instance only; the class keeps its method
    try:
        response = _delete(auth_client, book_id, 2, etag)
    finally:
        del store.delete

    assert response.status_code == 204
    # The removed page's files are left behind, named by no row; the rest still agree.
    left = [f"books/{book_id}/pages/2.png", f"books/{book_id}/pages/2.txt"]
    assert set(left) <= set(stored_keys(f"books/{book_id}/pages/"))
    for key in left:
        store.delete(key)
    assert _pages(book_id) == [(1, "page 1", 1), (2, "page 3", 3)]


def test_an_old_page_renumbered_then_re_ocrd_keeps_its_files(auth_client, local_storage, fake_llm):
    book_id = _legacy_book(3)
    assert _delete(auth_client, book_id, 1).status_code == 204
    fake_llm.push(Reply("page 2 again"))

    retried = auth_client.post(f"/admin/books/{book_id}/pages/1/retry-ocr", headers=ADMIN)
    wait_jobs_idle()

    assert retried.status_code in (200, 202)  # inline OCR, or OCR as a job
    page = auth_client.get(f"/admin/books/{book_id}/pages/1", headers=ADMIN).json()
    assert (page["text"], page["image_url"]) == (
        "page 2 again\n",
        f"/admin/files/books/{book_id}/pages/2.png",  # its key from before the renumbering
    )
    assert [(n, t.strip(), red) for n, t, red in _pages(book_id)] == [
        (1, "page 2 again", 2),
        (2, "page 3", 3),
    ]
