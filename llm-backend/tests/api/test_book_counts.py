"""The Book object's counts, from which the learnlikemagic frontend derives a book's display
status (contract §2.6): `page_count`, `guideline_count`, `approved_guideline_count`,
`has_active_job`, on the list (also under `books`), the detail and the create answer; the list
reads them with a fixed number of statements, whatever the number of books."""

from __future__ import annotations

from book_ingestion.models.database import BookGuideline, BookPage
from database import session_scope
from shared.jobs.models import BookJob
from tests.support.books import ADMIN, BOOK
from tests.support.guidelines import synced_guideline
from tests.support.statements import recorded_statements

ZERO = {
    "page_count": 0,
    "guideline_count": 0,
    "approved_guideline_count": 0,
    "has_active_job": False,
}


def _create(client, **fields) -> dict:
    response = client.post("/admin/books", json={**BOOK, **fields}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


def _counts(book: dict) -> dict:
    return {key: book[key] for key in ZERO}


def _fill(book_id: str, *, pages: int, guidelines: list[str], job: str | None) -> None:
    with session_scope() as session:
        for n in range(1, pages + 1):
            session.add(BookPage(book_id=book_id, page_number=n, status="approved"))
        for n, review in enumerate(guidelines):
            session.add(synced_guideline(book_id, n, review_status=review))
        if job is not None:
            session.add(
                BookJob(
                    id=f"job-{book_id}",
                    book_id=book_id,
                    job_type="extraction",
                    status=job,
                    completed_items=0,
                    failed_items=0,
                )
            )


def test_counts_on_create_list_and_detail(auth_client, storage):
    created = _create(auth_client)
    assert _counts(created) == ZERO
    busy = _create(auth_client, edition_year=2024)["id"]
    _fill(created["id"], pages=3, guidelines=["APPROVED", "TO_BE_REVIEWED"], job="completed")
    _fill(busy, pages=1, guidelines=[], job="pending")

    listed = auth_client.get("/admin/books", headers=ADMIN).json()
    detail = auth_client.get(f"/admin/books/{created['id']}", headers=ADMIN).json()

    assert listed["books"] == listed["items"]
    by_id = {book["id"]: _counts(book) for book in listed["books"]}
    assert by_id == {
        created["id"]: {
            "page_count": 3,
            "guideline_count": 2,
            "approved_guideline_count": 1,
            "has_active_job": False,
        },
        busy: {**ZERO, "page_count": 1, "has_active_job": True},
    }
    assert _counts(detail) == by_id[created["id"]]
    assert len(detail["pages"]) == 3


def test_the_derived_status_agrees_with_the_approved_count(auth_client, storage):
    """`status` is `approved` exactly when `approved_guideline_count` is not 0: both read the
    book's APPROVED teaching_guidelines, whatever its book_guidelines sync records say."""
    approved = _create(auth_client)["id"]
    to_review = _create(auth_client, edition_year=2024)["id"]
    _fill(approved, pages=2, guidelines=["APPROVED"], job="completed")
    _fill(to_review, pages=2, guidelines=["TO_BE_REVIEWED"], job="completed")
    with session_scope() as session:
        for book_id, review in ((approved, "TO_BE_REVIEWED"), (to_review, "APPROVED")):
            # A sync record that says the opposite of the book's teaching guideline.
            session.add(BookGuideline(book_id=book_id, guideline_s3_key="k", review_status=review))

    details = [
        auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()
        for book_id in (approved, to_review)
    ]

    assert [(d["status"], d["approved_guideline_count"]) for d in details] == [
        ("approved", 1),
        ("ready_for_extraction", 0),
    ]


def test_the_list_costs_the_same_statements_for_one_book_or_many(auth_client, storage):
    _fill(_create(auth_client)["id"], pages=2, guidelines=["APPROVED"], job="running")
    with recorded_statements() as one:
        assert auth_client.get("/admin/books", headers=ADMIN).status_code == 200
    for year in range(2010, 2016):
        _fill(_create(auth_client, edition_year=year)["id"], pages=1, guidelines=[], job=None)

    with recorded_statements() as seven:
        listed = auth_client.get("/admin/books", headers=ADMIN).json()

    assert listed["total"] == 7
    assert len(seven) == len(one)
