"""Books and page uploads through the API, on local storage and on moto S3 alike."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image
from sqlalchemy import text

from shared.jobs.dispatch import set_dispatcher
from shared.storage import get_blob_store
from tests.fakes.llm_server import Reply
from tests.support.book_jobs import HeldDispatcher
from tests.support.books import ADMIN, BOOK, image_bytes, post_book, stored_keys, wait_jobs_idle

BOOK_ID = "r_s_aggarwal_mathematics_5_2023"


def _upload(client, book_id, data, name="page.png"):
    """A single upload (its OCR is a job, waited for here)."""
    response = client.post(
        f"/admin/books/{book_id}/pages", files={"image": (name, data, "image/png")}, headers=ADMIN
    )
    wait_jobs_idle()
    return response


def test_create_list_and_show_books(auth_client, storage):
    first = auth_client.post("/admin/books", json=BOOK, headers=ADMIN)
    second = auth_client.post("/admin/books", json=BOOK, headers=ADMIN)
    other = auth_client.post("/admin/books", json={**BOOK, "grade": 6}, headers=ADMIN)

    assert (first.status_code, first.json()["id"]) == (201, BOOK_ID)
    assert second.json()["id"] == f"{BOOK_ID}_2"
    assert first.json()["s3_prefix"] == f"books/{BOOK_ID}/"
    assert stored_keys() == [
        f"books/{BOOK_ID}/metadata.json",
        f"books/{BOOK_ID}_2/metadata.json",
        "books/r_s_aggarwal_mathematics_6_2023/metadata.json",
    ]
    listing = auth_client.get("/admin/books?grade=5&limit=1", headers=ADMIN).json()
    assert (listing["total"], listing["limit"], len(listing["items"])) == (2, 1, 1)
    assert auth_client.get("/admin/books?subject=Science", headers=ADMIN).json()["total"] == 0
    assert other.json()["grade"] == 6
    detail = auth_client.get(f"/admin/books/{BOOK_ID}", headers=ADMIN).json()
    assert (detail["status"], detail["pages"], detail["active_job"]) == ("no_pages", [], None)


def test_create_book_rejects_bad_fields(auth_client, storage):
    response = auth_client.post("/admin/books", json={**BOOK, "grade": 13}, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert stored_keys() == []


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF", "WEBP"])
def test_each_accepted_type_is_converted_and_ocrd(auth_client, storage, fake_llm, fmt):
    book_id = post_book(auth_client)
    fake_llm.push(Reply("Chapter 1. Numbers"))

    # The name lies about the type: only the content counts.
    response = _upload(auth_client, book_id, image_bytes(fmt), name="scan.gif")

    # 202: the page as stored, queued for the OCR job that the route started.
    assert response.status_code == 202, response.text
    queued = response.json()
    assert (queued["number"], queued["stage"], queued["text"]) == (1, "queued", None)
    assert (queued["status"], queued["ocr_status"]) == ("pending_review", "pending")
    assert queued["original_filename"] == "scan.gif"
    job = auth_client.get(f"/admin/books/{book_id}/jobs/{queued['job_id']}", headers=ADMIN)
    assert (job.json()["job_type"], job.json()["status"]) == ("ocr_batch", "completed")
    page = auth_client.get(f"/admin/books/{book_id}/pages/1", headers=ADMIN).json()
    assert (page["number"], page["status"], page["text"]) == (
        1,
        "pending_review",
        "Chapter 1. Numbers\n",
    )
    ext = {"PNG": "png", "JPEG": "jpg", "TIFF": "tiff", "WEBP": "webp"}[fmt]
    page_id = page["id"]
    assert stored_keys() == [
        f"books/{book_id}/metadata.json",
        f"books/{book_id}/originals/{page_id}.{ext}",
        f"books/{book_id}/pages/{page_id}.png",
        f"books/{book_id}/pages/{page_id}.txt",
    ]
    stored = Image.open(io.BytesIO(get_blob_store().get(f"books/{book_id}/pages/{page_id}.png")))
    assert (stored.format, stored.size) == ("PNG", (40, 30))
    assert len(fake_llm.requests) == 1
    detail = auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()
    assert (detail["status"], detail["pages"]) == (
        "pending_review",
        [
            {
                "id": page_id,
                "etag": f'"{page_id}"',
                "number": 1,
                "stage": "pending_review",
                "ocr_error": None,
                # The contract's names and values (the frontend reads these).
                "page_num": 1,
                "status": "pending_review",
                "ocr_status": "completed",
            }
        ],
    )
    assert (page["page_num"], page["ocr_text"], page["ocr_status"]) == (
        1,
        "Chapter 1. Numbers\n",
        "completed",
    )


def _truncated_png() -> bytes:
    data = image_bytes("PNG", size=(200, 200), mode="RGB")
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("data", "status", "code", "message"),
    [
        (image_bytes("GIF"), 415, "unsupported_image_type",
         "File 'page.png' is a GIF image; accepted types are PNG, JPEG, TIFF or WebP."),
        (b"hello, not an image", 415, "unsupported_image_type",
         "File 'page.png' is not an image; accepted types are PNG, JPEG, TIFF or WebP."),
        (b"", 400, "empty_file", "File 'page.png' is empty."),
        (_truncated_png(), 400, "corrupt_image", None),
        (b"\x89PNG" + b"0" * 3000, 413, "file_too_large",
         "File 'page.png' is larger than the 2048 bytes limit."),
    ],
    ids=["gif", "text", "empty", "truncated", "oversize"],
)  # fmt: skip
def test_rejected_uploads_store_nothing(
    auth_client, storage, fake_llm, monkeypatch, data, status, code, message
):
    book_id = post_book(auth_client)
    if code == "file_too_large":
        monkeypatch.setenv("MAX_UPLOAD_BYTES", "2048")
        from config import reset_settings

        reset_settings()

    response = _upload(auth_client, book_id, data)

    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    if message:
        assert error["message"] == message
    else:
        assert error["message"].startswith("File 'page.png' is a corrupt or truncated image")
    assert stored_keys() == [f"books/{book_id}/metadata.json"]
    assert fake_llm.requests == []
    assert auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()["pages"] == []


def test_page_numbers_out_of_range(auth_client, storage, fake_llm):
    book_id = post_book(auth_client)
    _upload(auth_client, book_id, image_bytes())

    missing = auth_client.get(f"/admin/books/{book_id}/pages/3", headers=ADMIN)
    zero = auth_client.get(f"/admin/books/{book_id}/pages/0", headers=ADMIN)
    no_book = auth_client.get("/admin/books/nope/pages/1", headers=ADMIN)

    assert (missing.status_code, missing.json()["error"]) == (
        404,
        {
            "code": "page_not_found",
            "message": f"Page 3 does not exist; book {book_id} has 1 page(s).",
        },
    )
    assert zero.status_code == 422
    assert (no_book.status_code, no_book.json()["error"]["code"]) == (404, "book_not_found")


def test_delete_page_renumbers_and_keeps_text_with_image(auth_client, storage, fake_llm):
    book_id = post_book(auth_client)
    colors = {"one": (255, 0, 0), "two": (0, 255, 0), "three": (0, 0, 255)}
    ids = []
    for word, color in colors.items():
        fake_llm.push(Reply(f"page {word}"))
        uploaded = _upload(auth_client, book_id, image_bytes(color=color))
        assert uploaded.status_code == 202
        ids.append(uploaded.json()["id"])

    response = auth_client.delete(f"/admin/books/{book_id}/pages/2", headers=ADMIN)

    assert response.status_code == 204
    pages = [
        auth_client.get(f"/admin/books/{book_id}/pages/{n}", headers=ADMIN).json() for n in (1, 2)
    ]
    assert [(p["number"], p["id"], p["text"]) for p in pages] == [
        (1, ids[0], "page one\n"),
        (2, ids[2], "page three\n"),
    ]
    second = Image.open(io.BytesIO(get_blob_store().get(f"books/{book_id}/pages/{ids[2]}.png")))
    assert second.convert("RGB").getpixel((0, 0)) == colors["three"]
    assert stored_keys(f"books/{book_id}/pages/") == sorted(
        f"books/{book_id}/pages/{i}.{ext}" for i in (ids[0], ids[2]) for ext in ("png", "txt")
    )
    gone = auth_client.get(f"/admin/books/{book_id}/pages/3", headers=ADMIN)
    assert gone.status_code == 404


def test_bulk_upload_orders_by_file_name_and_ocrs_in_a_job(auth_client, storage, fake_llm):
    book_id = post_book(auth_client)
    names = {"p10.jpg": (0, 0, 255), "p2.png": (0, 255, 0), "p1.webp": (255, 0, 0)}
    formats = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}
    files = [
        ("images", (name, image_bytes(formats[name.split(".")[1]], color=c), "image/x-any"))
        for name, c in names.items()
    ]

    response = auth_client.post(f"/admin/books/{book_id}/pages/bulk", files=files, headers=ADMIN)

    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    wait_jobs_idle()
    job = auth_client.get(f"/admin/books/{book_id}/jobs/{job_id}", headers=ADMIN).json()
    assert (job["status"], job["total_items"], job["completed_items"], job["failed_items"]) == (
        "completed", 3, 3, 0,
    )  # fmt: skip
    assert (job["last_completed_item"], job["percent"], job["errors"]) == (3, 100.0, [])
    pages = [
        auth_client.get(f"/admin/books/{book_id}/pages/{n}", headers=ADMIN).json()
        for n in (1, 2, 3)
    ]
    assert [p["original_filename"] for p in pages] == ["p1.webp", "p2.png", "p10.jpg"]
    assert [p["status"] for p in pages] == ["pending_review"] * 3
    first_id = pages[0]["id"]
    first = Image.open(io.BytesIO(get_blob_store().get(f"books/{book_id}/pages/{first_id}.png")))
    assert first.convert("RGB").getpixel((0, 0)) == (255, 0, 0)
    assert stored_keys(f"books/{book_id}/originals/") == sorted(
        f"books/{book_id}/originals/{p['id']}.{ext}"
        for p, ext in zip(pages, ("webp", "png", "jpg"), strict=True)
    )
    assert len(fake_llm.requests) == 3


def test_bulk_rejects_a_bad_file_and_stores_nothing(auth_client, storage, fake_llm):
    book_id = post_book(auth_client)
    files = [
        ("images", ("a.png", image_bytes(), "image/png")),
        ("images", ("b.png", b"junk", "image/png")),
    ]

    response = auth_client.post(f"/admin/books/{book_id}/pages/bulk", files=files, headers=ADMIN)

    assert response.status_code == 415
    assert response.json()["error"]["message"] == (
        "File 'b.png' is not an image; accepted types are PNG, JPEG, TIFF or WebP."
    )
    assert stored_keys() == [f"books/{book_id}/metadata.json"]
    assert auth_client.get(f"/admin/books/{book_id}/jobs", headers=ADMIN).json() == []


def test_single_upload_and_page_changes_are_409_while_bulk_runs(
    auth_client, local_storage, fake_llm
):
    book_id = post_book(auth_client)
    assert _upload(auth_client, book_id, image_bytes()).status_code == 202
    set_dispatcher(HeldDispatcher())
    bulk = auth_client.post(
        f"/admin/books/{book_id}/pages/bulk",
        files=[("images", ("x.png", image_bytes(), "image/png"))],
        headers=ADMIN,
    )
    job_id = bulk.json()["job_id"]
    expected = {
        "code": "job_running",
        "message": f"Book {book_id} already has a pending ocr_batch job ({job_id}); "
        "wait for it to finish.",
    }

    for response in (
        _upload(auth_client, book_id, image_bytes()),
        auth_client.post(f"/admin/books/{book_id}/pages/1/retry-ocr", headers=ADMIN),
        auth_client.delete(f"/admin/books/{book_id}/pages/1", headers=ADMIN),
        auth_client.delete(f"/admin/books/{book_id}", headers=ADMIN),
    ):
        assert (response.status_code, response.json()["error"]) == (409, expected)
    detail = auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()
    assert detail["status"] == "processing"
    assert detail["active_job"]["id"] == job_id
    assert [p["stage"] for p in detail["pages"]] == ["pending_review", "queued"]
    assert [p["status"] for p in detail["pages"]] == ["pending_review"] * 2
    assert [p["ocr_status"] for p in detail["pages"]] == ["completed", "pending"]


def test_twenty_concurrent_job_requests_start_exactly_one(auth_client, local_storage, fake_llm):
    book_id = post_book(auth_client)
    held = HeldDispatcher()
    set_dispatcher(held)
    data = image_bytes()

    def start(_):
        return auth_client.post(
            f"/admin/books/{book_id}/pages/bulk",
            files=[("images", ("x.png", data, "image/png"))],
            headers=ADMIN,
        )

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(start, range(20)))

    codes = sorted(r.status_code for r in responses)
    assert codes == [202] + [409] * 19
    job_id = next(r.json()["job_id"] for r in responses if r.status_code == 202)
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"job_running"}
    assert all(job_id in r.json()["error"]["message"] for r in responses if r.status_code == 409)
    assert [m.job_id for m in held.messages] == [job_id]
    page_id = auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()["pages"][0]["id"]
    assert stored_keys(f"books/{book_id}/originals/") == [
        f"books/{book_id}/originals/{page_id}.png"
    ]


def test_approve_and_retry_ocr(auth_client, storage, fake_llm):
    book_id = post_book(auth_client)
    fake_llm.push(Reply("first try"), Reply("second try"))
    _upload(auth_client, book_id, image_bytes())

    retried = auth_client.post(f"/admin/books/{book_id}/pages/1/retry-ocr", headers=ADMIN)
    # 202: queued, still showing the previous text, until the job writes the new one.
    assert retried.status_code == 202, retried.text
    assert (retried.json()["stage"], retried.json()["text"]) == ("queued", "first try\n")
    wait_jobs_idle()
    job = auth_client.get(f"/admin/books/{book_id}/jobs/{retried.json()['job_id']}", headers=ADMIN)
    assert (job.json()["status"], job.json()["completed_items"]) == ("completed", 1)
    page = auth_client.get(f"/admin/books/{book_id}/pages/1", headers=ADMIN).json()
    assert (page["stage"], page["text"]) == ("pending_review", "second try\n")
    approved = auth_client.put(f"/admin/books/{book_id}/pages/1/approve", headers=ADMIN)
    again = auth_client.post(f"/admin/books/{book_id}/pages/1/retry-ocr", headers=ADMIN)

    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "page_approved")
    detail = auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).json()
    assert detail["status"] == "ready_for_extraction"


def test_page_image_url(auth_client, storage, fake_llm):
    book_id = post_book(auth_client)
    page_id = _upload(auth_client, book_id, image_bytes()).json()["id"]

    url = auth_client.get(f"/admin/books/{book_id}/pages/1", headers=ADMIN).json()["image_url"]

    key = f"books/{book_id}/pages/{page_id}.png"
    if storage == "local":
        assert url == f"/admin/files/{key}"
        image = auth_client.get(url, headers=ADMIN)
        assert (image.status_code, image.headers["content-type"]) == (200, "image/png")
        assert image.content == get_blob_store().get(key)
        assert auth_client.get(url).status_code == 401
        traversal = auth_client.get("/admin/files/books/..%2F..%2Fetc/passwd", headers=ADMIN)
        assert traversal.status_code in (400, 404)
    else:
        assert url.startswith(f"https://tutor-books-test.s3.amazonaws.com/{key}?")
        assert "Signature=" in url or "X-Amz-Signature=" in url


def test_delete_book_removes_every_object_and_row(auth_client, storage, fake_llm, db):
    book_id = post_book(auth_client)
    _upload(auth_client, book_id, image_bytes())
    auth_client.post(
        f"/admin/books/{book_id}/pages/bulk",
        files=[("images", ("x.png", image_bytes(), "image/png"))],
        headers=ADMIN,
    )
    wait_jobs_idle()
    other = auth_client.post("/admin/books", json={**BOOK, "grade": 6}, headers=ADMIN).json()["id"]
    get_blob_store().put(f"books/{book_id}/guidelines/index.json", b"{}", content_type="x/y")
    with db.begin() as conn:
        for gid, owner in (("g-deleted", book_id), ("g-kept", other)):
            conn.execute(
                text(
                    "INSERT INTO teaching_guidelines (id, book_id, country, board, grade, "
                    "subject, status, review_status) VALUES (:id, :b, 'India', 'CBSE', 5, "
                    "'Mathematics', 'pending_review', 'APPROVED')"
                ),
                {"id": gid, "b": owner},
            )
            conn.execute(
                text(
                    "INSERT INTO study_plans (id, guideline_id, plan_json) VALUES (:id, :g, '{}')"
                ),
                {"id": f"plan-{gid}", "g": gid},
            )
        conn.execute(
            text(
                "INSERT INTO book_guidelines (id, book_id, guideline_s3_key, status, "
                "review_status, version) VALUES ('bg-1', :b, 'k', 'pending_review', "
                "'TO_BE_REVIEWED', 1)"
            ),
            {"b": book_id},
        )

    response = auth_client.delete(f"/admin/books/{book_id}", headers=ADMIN)

    assert response.status_code == 204
    assert stored_keys() == [f"books/{other}/metadata.json"]
    with db.connect() as conn:
        counts = [
            conn.execute(text(sql), {"b": book_id}).scalar()
            for sql in (
                "SELECT count(*) FROM books WHERE id = :b",
                "SELECT count(*) FROM book_pages WHERE book_id = :b",
                "SELECT count(*) FROM book_jobs WHERE book_id = :b",
                "SELECT count(*) FROM book_guidelines WHERE book_id = :b",
                "SELECT count(*) FROM teaching_guidelines WHERE book_id = :b",
                "SELECT count(*) FROM study_plans WHERE guideline_id = 'g-deleted'",
                "SELECT count(*) FROM teaching_guidelines WHERE id = 'g-kept'",
                "SELECT count(*) FROM study_plans WHERE guideline_id = 'g-kept'",
            )
        ]
    assert counts == [0, 0, 0, 0, 0, 0, 1, 1]
    assert auth_client.get(f"/admin/books/{book_id}", headers=ADMIN).status_code == 404
