"""The admin console (/admin) in headless Chromium against a live server, real PostgreSQL and
the fake model server: an admin signs in locally and takes a book from page images to a study
plan, watching each job finish without reloading; every view passes axe and fits 1280 and
390 px; destructive actions ask first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from book_ingestion.models.database import Book, BookPage
from database import session_scope
from shared.jobs.dispatch import LocalDispatcher, set_dispatcher
from shared.models.entities import TeachingGuideline
from tests.fakes.llm_server import Reply
from tests.support.admin_model import AdminBookModel
from tests.support.auth import KEY, claims, sign
from tests.support.axe import serious_violations
from tests.support.guidelines import make_book, synced_guideline
from tests.support.pages import (
    DESKTOP,
    PHONE,
    collect_problems,
    no_horizontal_scroll,
    sign_in_locally,
)
from tests.support.settings import use_settings

JOB_WAIT = 60_000  # ms: jobs share two cores with the browser, the server and the fake model
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


class TextbookModel(AdminBookModel):
    """AdminBookModel whose OCR reads like the textbook page it was shown (the page marker the
    fake extraction needs stays in front)."""

    def __call__(self, path: str, body: dict):
        reply = super().__call__(path, body)
        if (
            isinstance(reply, Reply)
            and isinstance(reply.content, str)
            and "fractions text" in reply.content
        ):
            marker = reply.content.split(" ", 1)[0]
            reply = Reply(f"{marker}\nChapter 1 · Fractions\n\n{OCR_BODY}")
        return reply


OCR_BODY = (
    "A fraction names a part of a whole.\nWhen a pizza is cut into 4 equal parts,\n"
    "each part is one fourth: 1/4.\n\nThe number below the line (the denominator)\n"
    "says how many equal parts there are.\nThe number above it (the numerator)\n"
    "says how many parts we take."
)


@pytest.fixture
def console(local_live_url, local_storage, fake_llm, browser_page, monkeypatch):
    # Pages are OCR'd in order, so page n reads "PAGE-n": the screenshot stays the same run
    # after run.
    use_settings(monkeypatch, OCR_CONCURRENCY=1)
    fake_llm.responder = TextbookModel()
    page = browser_page
    errors = collect_problems(page)
    yield page, local_live_url, errors


def _check_view(page, width: int) -> None:
    assert no_horizontal_scroll(page), f"horizontal scroll at {width} px on {page.url}"
    assert serious_violations(page) == [], page.url


def _png(name: str, n: int) -> dict:
    return {"name": name, "mimeType": "image/png", "buffer": _textbook_page(n)}


def _textbook_page(n: int) -> bytes:
    """A page that looks like a scanned textbook page (for the README's screenshot)."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (600, 800), (252, 250, 244))
    draw = ImageDraw.Draw(image)
    title, body = ImageFont.load_default(size=34), ImageFont.load_default(size=20)
    draw.text((50, 50), f"Chapter 1 · Fractions ({n})", font=title, fill=(30, 30, 60))
    lines = [
        "A fraction names a part of a whole.",
        "When a pizza is cut into 4 equal parts,",
        "each part is one fourth: 1/4.",
        "",
        "The number below the line (the denominator)",
        "says how many equal parts there are.",
        "The number above it (the numerator)",
        "says how many parts we take.",
    ]
    for i, line in enumerate(lines):
        draw.text((50, 130 + 34 * i), line, font=body, fill=(40, 40, 40))
    for k in range(4):  # a pizza in four parts
        draw.pieslice(
            (180, 460, 420, 700),
            90 * k,
            90 * (k + 1),
            outline=(120, 60, 20),
            width=4,
            fill=(250, 200, 90) if k == 0 else (255, 236, 180),
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _job(page, job_type: str):
    return page.locator("#job-list .job").filter(has_text=job_type).first


def test_admin_takes_a_book_from_images_to_a_study_plan(console):
    page, base, errors = console
    page.set_viewport_size(DESKTOP)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in_locally(page, base, role="admin", name="Asha Admin", next_path="/admin")
    expect(page.locator("#who")).to_have_text("Asha Admin")
    expect(page.locator("#book-count")).to_have_text("0 books")
    _check_view(page, 1280)

    # Create a book.
    new_book = page.get_by_role("form", name="New book")
    new_book.get_by_label("Title").fill("Maths Magic")
    new_book.get_by_label("Subject").fill("Mathematics")
    new_book.get_by_label("Grade").fill("3")
    new_book.get_by_role("button", name="Create book").click()
    expect(page.locator("#book-title")).to_have_text("Maths Magic")
    assert page.url.endswith("#/books/mathematics_3")

    # Upload three pages and a file that is not an image: its error stays beside it.
    page.set_input_files(
        "#page-files",
        [
            _png("p1.png", 1),
            _png("p2.png", 2),
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not an image"},
            _png("p3.png", 3),
        ],
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    bad = page.locator('#upload-list li[data-file="notes.txt"]')
    expect(bad.locator(".status")).to_have_text(
        "File 'notes.txt' is not an image; accepted types are PNG, JPEG, TIFF or WebP."
    )
    expect(bad.locator(".status")).to_have_class("status err")
    for n, name in enumerate(["p1.png", "p2.png", "p3.png"], start=1):
        row = page.locator(f'#upload-list li[data-file="{name}"]')
        expect(row.locator(".status")).to_have_text(f"Stored as page {n}; OCR queued.")
        assert row.locator("progress").evaluate("p => p.value") == 1
    ocr = _job(page, "ocr_batch")
    expect(ocr).to_have_attribute("data-status", "completed", timeout=JOB_WAIT)
    expect(ocr.locator(".job-numbers")).to_have_text("100% · 3 of 3 done")
    tiles = page.locator("#page-grid li")
    expect(tiles).to_have_count(3)
    expect(tiles.first).to_have_attribute("data-stage", "pending_review")
    expect(page.locator("#page-grid img")).to_have_count(3)
    _check_view(page, 1280)

    # Review: the image beside its OCR text; approve each page.
    tiles.first.locator("a").click()
    expect(page.locator("#page-title")).to_have_text("Page 1")
    expect(page.locator("#ocr-text")).to_contain_text("Chapter 1 · Fractions\n\nA fraction names")
    page.wait_for_function("document.querySelector('.review img').naturalWidth > 0")
    assert page.locator(".review img").evaluate("img => img.naturalWidth") == 600
    _check_view(page, 1280)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "book-review.png"))
    for n in (1, 2, 3):
        expect(page.locator("#page-title")).to_have_text(f"Page {n}")
        page.get_by_role("button", name="Approve").click()
        expect(page.locator("#banner")).to_have_text("Approved.")
        expect(page.locator("#approve-page")).to_have_text("Approved")
        if n < 3:
            page.get_by_role("link", name="Next page").click()
    page.get_by_role("link", name="← Back to the book").click()
    expect(page.locator("#page-grid li[data-stage=approved]")).to_have_count(3)

    # Extract pages 1-3 and watch the job finish; then finalize and sync.
    page.get_by_label("To page").fill("3")
    page.get_by_role("button", name="Extract guidelines").click()
    extraction = _job(page, "extraction")
    expect(extraction).to_have_attribute("data-status", "completed", timeout=JOB_WAIT)
    expect(extraction.locator(".job-numbers")).to_contain_text("100%")
    # How many subtopics the fake model's answers make depends on which page it OCR'd first;
    # the console shows what the API holds.
    subtopics = page.evaluate(
        """fetch('/admin/books/mathematics_3/guidelines', {headers: {Authorization: 'Bearer '
             + sessionStorage.getItem('tutorToken')}}).then(r => r.json())
             .then(b => b.guidelines.map(g => g.subtopic_title))"""
    )
    assert subtopics and set(subtopics) <= {"What is a fraction", "Equivalent fractions"}
    expect(page.locator("#book-guidelines .card")).to_have_count(len(subtopics))
    page.get_by_role("button", name="Finalize").click()
    expect(_job(page, "finalization")).to_have_attribute(
        "data-status", "completed", timeout=JOB_WAIT
    )
    expect(page.locator("#book-guidelines .badge").first).to_have_text("final")
    page.get_by_role("button", name="Sync to review").click()
    expect(_job(page, "sync")).to_have_attribute("data-status", "completed", timeout=JOB_WAIT)

    # Guideline review: approve one, then open its study plan and generate it.
    page.get_by_role("link", name="Guidelines", exact=True).click()
    cards = page.locator("#guideline-list .card")
    expect(cards).to_have_count(len(subtopics))
    expect(page.locator("#review-counts")).to_contain_text(f"To review {len(subtopics)}")
    _check_view(page, 1280)
    guideline_id = cards.first.get_attribute("data-guideline")
    first = page.locator(f'#guideline-list .card[data-guideline="{guideline_id}"]')
    first.get_by_role("button", name=re.compile("^Read")).click()
    expect(first.locator(".guideline-text")).to_be_visible()
    first.get_by_role("button", name=re.compile("^Approve")).click()
    expect(page.locator("#review-counts")).to_contain_text("Approved 1")
    expect(first.locator(".badge")).to_have_text("approved")
    first.get_by_role("link", name=re.compile("^Study plan")).click()
    expect(page.locator("#study-plan")).to_have_text("No study plan yet.")
    page.get_by_role("button", name="Generate study plan").click()
    expect(page.locator("#study-plan ol li")).to_have_count(3, timeout=JOB_WAIT)
    expect(page.locator("#study-plan ol li").first).to_contain_text("Equal parts")
    expect(page.locator("#generate-plan")).to_have_text("Regenerate study plan")
    _check_view(page, 1280)
    with session_scope() as session:
        approved = session.query(TeachingGuideline).filter_by(review_status="APPROVED").all()
        assert [g.id for g in approved] == [guideline_id]
    # The server's two refusals the flow meets on purpose, and nothing else.
    assert errors == [
        "console: Failed to load resource: the server responded with a status of 415 "
        f"(Unsupported Media Type) @ {base}/admin/books/mathematics_3/pages/bulk",
        "console: Failed to load resource: the server responded with a status of 404 "
        f"(Not Found) @ {base}/admin/guidelines/{guideline_id}/study-plan",
    ]


class InlineDispatcher:
    """Runs each job to its end inside the request that starts it."""

    def dispatch(self, message) -> None:
        jobs = LocalDispatcher()
        jobs.dispatch(message)
        assert jobs.wait_idle(60)


def test_a_job_that_ends_before_the_first_poll_still_updates_the_book(console):
    """A quick job (or a slow network) can end before the jobs panel first polls; the book
    view still shows what the job did."""
    page, base, errors = console
    book_id = make_book(pages=3)
    set_dispatcher(InlineDispatcher())
    sign_in_locally(page, base, role="admin", name="Asha Admin", next_path="/admin")
    page.goto(f"{base}/admin#/books/{book_id}")
    expect(page.locator("#book-guidelines")).to_contain_text("0 subtopics")
    page.get_by_label("To page").fill("3")
    page.get_by_role("button", name="Extract guidelines").click()
    expect(_job(page, "extraction")).to_have_attribute("data-status", "completed")
    expect(page.locator("#book-guidelines .card")).to_have_count(1)
    page.get_by_role("button", name="Finalize").click()
    expect(_job(page, "finalization")).to_have_attribute("data-status", "completed")
    expect(page.locator("#book-guidelines .badge")).to_have_text(["final"])
    assert errors == []


def test_every_view_fits_a_phone_and_passes_axe(console):
    page, base, errors = console
    book_id = make_book(pages=2)
    with session_scope() as session:
        row = synced_guideline(book_id, 1)
        session.add(row)
        session.flush()
        guideline_id = row.id
    page.set_viewport_size(PHONE)
    sign_in_locally(page, base, role="admin", name="Phone Admin", next_path="/admin")
    views = {
        "#/books": "#book-list .card",
        f"#/books/{book_id}": "#page-grid li",
        f"#/books/{book_id}/pages/1": "#ocr-text",
        "#/guidelines": "#guideline-list .card",
        f"#/guidelines/{guideline_id}": "#study-plan",
    }
    for hash_, ready in views.items():
        page.goto(f"{base}/admin{hash_}")
        expect(page.locator(ready).first).to_be_visible()
        _check_view(page, 390)
    for path in ("/admin/llm-config", "/admin/evaluation"):
        page.goto(base + path)
        expect(page.get_by_role("navigation", name="Console")).to_be_visible()
        expect(page.locator("#banner")).not_to_be_empty()
        _check_view(page, 390)
    assert errors == [
        "console: Failed to load resource: the server responded with a status of 404 "
        f"(Not Found) @ {base}/admin/guidelines/{guideline_id}/study-plan",
    ]


def test_destructive_actions_ask_first(console):
    page, base, errors = console
    book_id = make_book(pages=2)
    page.set_viewport_size(DESKTOP)
    sign_in_locally(page, base, role="admin", name="Careful Admin", next_path="/admin")
    answers = iter([False, True, False, True])
    questions: list[str] = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.accept() if next(answers) else dialog.dismiss()

    page.on("dialog", answer)
    # A page: a dismissed confirmation sends nothing; an accepted one deletes it.
    page.goto(f"{base}/admin#/books/{book_id}/pages/1")
    expect(page.locator("#ocr-text")).to_have_text("PAGE-1 body text.")
    page.get_by_role("button", name="Delete page").click()
    expect(page.locator("#page-title")).to_have_text("Page 1")
    page.get_by_role("button", name="Delete page").click()
    expect(page.locator("#page-grid li")).to_have_count(1)
    expect(page.locator("#page-grid li")).to_have_attribute("data-page", "1")
    with session_scope() as session:
        texts = [p.page_number for p in session.query(BookPage).filter_by(book_id=book_id)]
        assert texts == [1]  # page 2 moved up

    page.goto(f"{base}/admin#/books")
    card = page.locator(f'#book-list li[data-book="{book_id}"]')
    card.get_by_role("button", name=re.compile("^Delete")).click()
    expect(card).to_be_visible()  # dismissed: nothing sent
    card.get_by_role("button", name=re.compile("^Delete")).click()
    expect(card).to_have_count(0)
    book_question = (
        'Delete "Mathematics Grade 5" with its 1 page and guidelines? This cannot be undone.'
    )
    assert questions == [
        "Delete page 1? The pages after it move up one number.",
        "Delete page 1? The pages after it move up one number.",
        book_question,
        book_question,
    ]
    expect(page.locator("#book-count")).to_have_text("0 books")
    with session_scope() as session:
        assert session.get(Book, book_id) is None
    assert errors == []


def test_a_student_or_a_refused_token_gets_the_sign_in_gate(console):
    page, base, errors = console
    sign_in_locally(page, base, role="student", name="Ravi", next_path="/admin")
    expect(page.locator("#gate-message")).to_have_text(
        "Signed in as Ravi, who is not an admin. Sign in as an admin."
    )
    expect(page.locator("#view")).to_be_empty()

    # An admin-looking token that no key of this server signed: the API refuses it (401), the
    # token is forgotten and the gate says so.
    forged = sign(claims(sub="mallory", groups=["admin"], name="Mallory"), KEY)
    page.evaluate("t => sessionStorage.setItem('tutorToken', t)", forged)
    page.goto(f"{base}/admin#/books")
    expect(page.locator("#gate-message")).to_contain_text("Your sign-in expired or was refused")
    expect(page.get_by_role("link", name="Sign in")).to_have_attribute(
        "href", "/signin?next=%2Fadmin%23%2Fbooks"
    )
    assert page.evaluate("sessionStorage.getItem('tutorToken')") is None
    page.goto(f"{base}/admin")
    expect(page.locator("#gate-message")).to_have_text("The console needs an admin's sign-in.")
    assert errors == [
        "console: Failed to load resource: the server responded with a status of 401 "
        f"(Unauthorized) @ {base}/admin/books",
    ]
