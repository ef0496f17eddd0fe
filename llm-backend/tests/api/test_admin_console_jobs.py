"""The console's jobs panel in headless Chromium: progress seen mid-way and to the end
without a reload (a held OCR call keeps the job running), and a job that died (its worker
went quiet) shown failed with its message, then resumed from the page."""

from __future__ import annotations

import threading

from playwright.sync_api import expect
from sqlalchemy import text

from database import session_scope
from shared.jobs.dispatch import set_dispatcher
from shared.models.base import utcnow
from tests.fakes.llm_server import Reply
from tests.support.book_jobs import HeldDispatcher, new_book
from tests.support.books import image_bytes
from tests.support.pages import DESKTOP, collect_problems, sign_in_locally
from tests.support.settings import use_settings

JOB_WAIT = 60_000


def _upload(page, count: int) -> None:
    page.set_input_files(
        "#page-files",
        [
            {"name": f"p{n}.png", "mimeType": "image/png", "buffer": image_bytes(color=(n, 9, 9))}
            for n in range(1, count + 1)
        ],
    )
    page.get_by_role("button", name="Upload", exact=True).click()


def test_progress_is_polled_to_the_end_and_a_dead_job_resumes(
    local_live_url, local_storage, fake_llm, browser_page, monkeypatch
):
    page, base = browser_page, local_live_url
    problems = collect_problems(page)
    gate = threading.Event()
    fake_llm.push(Reply("PAGE-1 one."), Reply("PAGE-2 two."), Reply("PAGE-3 three.", gate=gate))
    use_settings(monkeypatch, OCR_CONCURRENCY=1)
    book_id = new_book()
    page.set_viewport_size(DESKTOP)
    sign_in_locally(page, base, role="admin", name="Job Watcher", next_path="/admin")
    page.goto(f"{base}/admin#/books/{book_id}")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    _upload(page, 3)
    job = page.locator("#job-list .job").first
    expect(job).to_have_attribute("data-status", "running", timeout=JOB_WAIT)
    numbers = job.locator(".job-numbers")
    expect(numbers).to_contain_text("67% · 2 of 3 done · now item 3 · ETA ", timeout=JOB_WAIT)
    assert job.locator("progress").evaluate("p => p.value") == 67
    gate.set()
    expect(job).to_have_attribute("data-status", "completed", timeout=JOB_WAIT)
    expect(numbers).to_have_text("100% · 3 of 3 done")
    expect(page.locator("#page-grid li[data-stage=pending_review]")).to_have_count(3)
    assert page.evaluate("window.sameDocument") is True

    # A retry whose worker dies: the job stays running with an old heartbeat until a read
    # finds it stale and fails it; the panel shows why and offers to resume.
    set_dispatcher(HeldDispatcher())
    page.locator("#page-grid li").first.locator("a").click()
    page.get_by_role("button", name="Retry OCR").click()
    expect(page.locator("#banner")).to_contain_text("OCR queued again")
    with session_scope() as session:
        session.execute(
            text(
                "UPDATE book_jobs SET status = 'running', started_at = :at, heartbeat_at = :at "
                "WHERE book_id = :book AND status = 'pending'"
            ),
            {"at": utcnow().replace(year=2020), "book": book_id},
        )
    use_settings(monkeypatch, JOB_STALE_SECONDS=1)
    set_dispatcher(None)  # the local executor runs the resumed job
    fake_llm.push(Reply("PAGE-1 again."))
    page.get_by_role("link", name="← Back to the book").click()
    failed = page.locator('#job-list .job[data-status="failed"]')
    expect(failed).to_have_count(1, timeout=JOB_WAIT)
    expect(failed.locator(".status.err")).to_contain_text("no heartbeat for more than 1 s")
    failed.get_by_role("button", name="Resume ocr_batch job").click()
    expect(page.locator("#banner")).to_have_text("Resumed the ocr_batch job.")
    newest = page.locator("#job-list .job").first
    expect(newest).to_have_attribute("data-status", "completed", timeout=JOB_WAIT)
    expect(newest.locator(".job-numbers")).to_have_text("100% · 1 of 1 done")
    assert problems == []
