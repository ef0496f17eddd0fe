"""Admin content edits and deletes under concurrency: each is one statement, so a duplicate
delete is a 404 and an edit of a row deleted meanwhile is a 404, never a second 204 or a 500."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.support.books import ADMIN
from tests.support.statement_barrier import barrier_before, hold_before

BODY = {"topic": "Fractions", "grade": 5, "text": "Pizza slices: 4/8 = 1/2"}
NOT_FOUND = {"code": "content_not_found", "message": "Content not found."}


def _content(client) -> str:
    response = client.post("/admin/contents", json=BODY, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_two_parallel_content_deletes_answer_204_then_404(auth_client, db):
    content_id = _content(auth_client)

    def delete(_):
        return auth_client.delete(f"/admin/contents/{content_id}", headers=ADMIN)

    # Both requests have read what they need and reach their DELETE at the same time.
    with barrier_before(db, r"^\s*DELETE FROM contents\b", 2), ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(delete, range(2)))

    assert sorted(r.status_code for r in responses) == [204, 404]
    missing = next(r for r in responses if r.status_code == 404)
    assert missing.json()["error"] == NOT_FOUND
    assert auth_client.get(f"/admin/contents/{content_id}", headers=ADMIN).status_code == 404


def test_an_edit_of_a_row_deleted_meanwhile_is_a_404(auth_client, db):
    content_id = _content(auth_client)
    url = f"/admin/contents/{content_id}"

    # The edit has read whatever it reads before writing; the delete completes in between.
    with hold_before(db, r"^\s*UPDATE contents\b") as held, ThreadPoolExecutor(1) as pool:
        edit = pool.submit(auth_client.patch, url, json={"skill": "halves"}, headers=ADMIN)
        assert held.arrived.wait(30)
        deleted = auth_client.delete(url, headers=ADMIN)
        held.release()
        edited = edit.result(30)

    assert deleted.status_code == 204
    assert (edited.status_code, edited.json()["error"]) == (404, NOT_FOUND)
    assert auth_client.get(url, headers=ADMIN).status_code == 404


def test_an_edit_returns_the_stored_row(auth_client):
    content_id = _content(auth_client)
    url = f"/admin/contents/{content_id}"

    edited = auth_client.patch(url, json={"skill": "halves", "grade": 6}, headers=ADMIN)
    unchanged = auth_client.patch(url, json={}, headers=ADMIN)
    missing = auth_client.patch("/admin/contents/nope", json={"skill": "x"}, headers=ADMIN)

    stored = {**BODY, "id": content_id, "grade": 6, "skill": "halves", "tags": None}
    assert (edited.status_code, edited.json()) == (200, stored)
    assert (unchanged.status_code, unchanged.json()) == (200, stored)
    assert auth_client.get(url, headers=ADMIN).json() == stored
    assert (missing.status_code, missing.json()["error"]) == (404, NOT_FOUND)
