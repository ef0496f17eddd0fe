"""The learner page at `/` in a real headless Chromium against a live server (local sign-in),
real PostgreSQL and the fake model server scripting the tutor: a lesson paused, offered again,
resumed and ended; an exam to its results; the report card and history. Every view is checked
at the test's width (1280 and 390 px): no sideways scroll, no serious or critical axe
violations, no console errors or failed requests."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from database import session_scope
from shared.api.admin_pages import STATIC
from shared.llm import config_store
from shared.models.entities import LLMConfig
from shared.models.entities import Session as TutorSession
from tests.support.axe import serious_violations
from tests.support.browser import collect_errors
from tests.support.pages import DESKTOP, PHONE, no_horizontal_scroll, sign_in_locally
from tests.support.tutor import add_guideline, clarify, mark, paper, say, teach

SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "screenshots" / "learner.png"
WIDTHS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])


@pytest.fixture(autouse=True)
def _patient_expectations():
    # A step is a model round trip through the fake server and two database transactions; on
    # a loaded machine that can pass Playwright's default 5 s, which is not what is tested.
    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def learner_url(fake_llm, local_live_url):
    add_guideline(subtopic="Equivalent fractions")
    add_guideline(subtopic="Adding fractions")
    return local_live_url


def test_root_is_the_learner_pages_shell(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == (STATIC / "learner.html").read_text(encoding="utf-8")
    assert response.headers["cache-control"] == "no-cache"
    assert '<script type="module" src="/admin/assets/learner/app.js"></script>' in response.text
    modules = sorted((STATIC / "assets" / "learner").glob("*.js"))
    assert [m.name for m in modules] == [
        "app.js",
        "browse.js",
        "chat.js",
        "exam.js",
        "history.js",
        "profile.js",
        "report.js",
        "results.js",
        "subtopic.js",
        "ui.js",
    ]
    for module in modules:
        served = client.get(f"/admin/assets/learner/{module.name}")
        assert served.status_code == 200
        # Server text only ever goes in as text (client.js's `el`), never as HTML.
        assert "innerHTML" not in served.text and "insertAdjacentHTML" not in served.text


def _check(page, errors) -> None:
    """The view on screen fits the width, passes axe, and nothing failed so far."""
    assert no_horizontal_scroll(page), page.evaluate("document.documentElement.scrollWidth")
    assert serious_violations(page) == []
    assert errors == []


def _sign_in(page, url, viewport) -> list[str]:
    page.set_viewport_size(viewport)
    errors = collect_errors(page)
    sign_in_locally(page, url, role="student", name="Meera", next_path="/")
    # A new student has no grade yet: the page asks for it before the curriculum.
    expect(page.get_by_role("heading", name="Before you start")).to_be_visible()
    _check(page, errors)
    page.get_by_label("What the tutor calls you").fill("Meera")
    page.get_by_label("Grade").select_option("5")
    page.get_by_label("Board").select_option("CBSE")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Pick a subject")).to_be_visible()
    expect(page.locator("#who-name")).to_have_text("Meera")
    return errors


def _open_subtopic(page, errors, name: str) -> None:
    page.get_by_role("button", name="Mathematics").click()
    expect(page.get_by_role("heading", name="Pick a topic")).to_be_visible()
    page.get_by_role("button", name="Fractions").click()
    expect(page.get_by_role("heading", name="Pick a subtopic")).to_be_visible()
    _check(page, errors)
    page.get_by_role("button", name=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def _bubbles(page):
    return page.locator(".chat li")


def _send(page, text: str, answer: str) -> None:
    page.get_by_label("Your answer").fill(text)
    page.get_by_label("Your answer").press("Enter")  # Enter sends, as in any chat
    expect(_bubbles(page).last).to_have_text("Tutor" + answer)


@WIDTHS
def test_lesson_paused_offered_again_resumed_and_ended(
    learner_url, fake_llm, browser_page, viewport
):
    page = browser_page
    errors = _sign_in(page, learner_url, viewport)
    _check(page, errors)
    expect(page.locator("#offline-note")).to_be_hidden()  # the tutor is a real provider here
    _open_subtopic(page, errors, "Equivalent fractions")
    _check(page, errors)

    # Markdown from the tutor shows as plain text (the page never inserts HTML).
    fake_llm.push(say("Hi **Meera**! What is a `fraction`?"))
    page.get_by_role("button", name="Start a lesson").click()
    expect(_bubbles(page)).to_have_text(["TutorHi Meera! What is a fraction?"])
    expect(page.locator("#step")).to_have_text("Step 1 of 4")
    expect(page.locator("#mastery-label")).to_have_text("Mastery 0%")

    # The plan: explain, check (equal parts), explain, practice (equivalence). An explain step
    # passes on "right" (mastery 0.8), a check does not pass on "wrong" (0.3).
    fake_llm.push(
        teach("right", "Yes: one of equal parts. Which fraction is shaded?"),
        teach("wrong", "Not quite: count the equal parts first.", misconception="counts pieces"),
        teach("right", "Right, 1/4! Now: is 1/2 the same as 2/4?"),
    )
    _send(page, "one of equal parts", "Yes: one of equal parts. Which fraction is shaded?")
    expect(page.locator("#step")).to_have_text("Step 2 of 4")
    _send(page, "3 pieces", "Not quite: count the equal parts first.")
    expect(page.locator("#step")).to_have_text("Step 2 of 4")
    expect(page.locator("#mastery-label")).to_have_text("Mastery 30%")
    _send(page, "1/4", "Right, 1/4! Now: is 1/2 the same as 2/4?")
    expect(page.locator("#step")).to_have_text("Step 3 of 4")
    expect(page.locator("#mastery-label")).to_have_text("Mastery 80%")
    expect(page.locator("#mastery")).to_have_attribute("value", "80")
    expect(_bubbles(page)).to_have_count(7)
    _check(page, errors)
    if viewport == DESKTOP:
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.get_by_role("button", name="Pause lesson").click()
    expect(page.get_by_role("status").filter(has_text="so far")).to_have_text(
        "You've covered 100% so far. Resume any time to pick up where you left off."
    )
    expect(page.get_by_label("Your answer")).to_have_count(0)
    _check(page, errors)

    # Starting a lesson again offers the paused one first.
    page.get_by_role("button", name="Back to the subtopic").click()
    expect(page.locator("#offer")).to_contain_text("You paused a lesson here with 100% covered")
    _check(page, errors)
    page.get_by_role("button", name="Start a lesson").click()
    resume = page.get_by_role("button", name="Resume paused lesson")
    expect(resume).to_be_focused()
    expect(page.get_by_role("button", name="Start a new lesson")).to_be_visible()
    page.keyboard.press("Enter")
    expect(_bubbles(page)).to_have_count(7)
    expect(_bubbles(page).nth(1)).to_have_text("Youone of equal parts")
    expect(page.locator("#step")).to_have_text("Step 3 of 4")
    expect(page.locator("#mastery-label")).to_have_text("Mastery 80%")
    with session_scope() as db:
        [row] = db.scalars(select(TutorSession)).all()
        assert (row.mode, row.is_paused) == ("teach_me", False)
    # The URL names the lesson, so a reload keeps it open where it was.
    assert page.url == f"{learner_url}/#chat/{row.id}"
    page.reload()
    expect(_bubbles(page)).to_have_count(7)
    expect(page.locator("#step")).to_have_text("Step 3 of 4")

    page.get_by_role("button", name="End lesson").click()
    summary = page.locator(".summary")
    expect(summary.get_by_role("heading", name="Lesson ended")).to_be_focused()
    expect(summary.locator("dd")).to_have_text(["2", "100%", "80%"])
    expect(summary).to_contain_text("counts pieces")
    _check(page, errors)

    # The subtopic's badge now shows the lesson's coverage.
    page.get_by_role("button", name="Back to the subtopic").click()
    page.get_by_role("button", name="Fractions").click()
    badge = page.locator('.choices button:has-text("Equivalent fractions") .badge')
    expect(badge).to_have_text("Studied · 100%")
    expect(page.locator('.choices button:has-text("Adding fractions") .badge')).to_have_text("New")
    _check(page, errors)


@WIDTHS
def test_exam_to_its_results_then_report_card_and_history(
    learner_url, fake_llm, browser_page, viewport
):
    page = browser_page
    errors = _sign_in(page, learner_url, viewport)
    _open_subtopic(page, errors, "Equivalent fractions")

    fake_llm.push(paper(3))
    page.get_by_role("button", name="Take an exam").click()
    expect(page.locator("#exam-progress")).to_have_text("Question 1 of 3")
    expect(page.locator("#question")).to_have_text("Q1?")
    _check(page, errors)
    fake_llm.push(mark(1.0), mark(0.5), mark(0.0))
    for k, answer in enumerate(["A1", "half of A2", "no idea"], start=1):
        expect(page.locator("#exam-progress")).to_have_text(f"Question {k} of 3")
        page.get_by_label("Your answer").fill(answer)
        page.get_by_role("button", name="Submit answer").click()
        if k < 3:
            expect(page.locator("#question")).to_have_text(f"Q{k + 1}?")

    expect(page.get_by_role("heading", name="Exam results: Equivalent fractions")).to_be_focused()
    expect(page.locator("#exam-score")).to_have_text("1.5/3 (50%)")
    rows = page.locator(".results li")
    expect(rows).to_have_count(3)
    expect(rows.locator("dd.mark-correct")).to_have_text(["1/1 (correct)"])
    expect(rows.locator("dd.mark-partial")).to_have_text(["0.5/1 (partial)"])
    expect(rows.locator("dd.mark-incorrect")).to_have_text(["0/1 (incorrect)"])
    expect(rows.nth(1).locator("dd")).to_have_text(
        ["half of A2", "A2", "0.5/1 (partial)", "marked 0.5"]
    )
    _check(page, errors)

    # A second exam, ended early after one answer: the rest score 0.
    page.get_by_role("button", name="Back to the subtopic").click()
    expect(page.get_by_role("heading", name="Past exams")).to_be_visible()
    expect(page.locator(".cards").last).to_contain_text("1.5/3")
    fake_llm.push(paper(3), mark(1.0))
    page.get_by_role("button", name="Take an exam").click()
    page.get_by_label("Your answer").fill("A1")
    page.get_by_role("button", name="Submit answer").click()
    expect(page.locator("#exam-progress")).to_have_text("Question 2 of 3")
    # Left and found again: the subtopic offers the exam in progress instead of a new one.
    page.get_by_role("link", name="Learn").click()
    _open_subtopic(page, errors, "Equivalent fractions")
    expect(page.locator("#offer")).to_have_text(
        "You have an exam in progress: 1 of 3 answered.Continue exam"
    )
    expect(page.get_by_role("button", name="Take an exam")).to_be_disabled()
    _check(page, errors)
    page.get_by_role("button", name="Continue exam").click()
    expect(page.locator("#exam-progress")).to_have_text("Question 2 of 3")
    expect(page.locator("#question")).to_have_text("Q2?")
    page.get_by_role("button", name="End exam now").click()
    expect(page.get_by_role("button", name="Yes, end the exam")).to_be_focused()
    _check(page, errors)
    page.keyboard.press("Enter")
    expect(page.locator("#exam-score")).to_have_text("1/3 (33%)")
    expect(page.locator(".results li dd.mark-incorrect")).to_have_count(2)

    # The report card counts the latest exam's questions marked >= 0.8.
    page.get_by_role("link", name="Report card").click()
    expect(page.get_by_role("heading", name="Report card")).to_be_visible()
    expect(page.locator("#report-totals")).to_have_text("2 sessions · 1 topic studied")
    card = page.locator('li[data-subtopic="equivalent-fractions"]')
    expect(card.locator(".meta span").nth(0)).to_have_text("Coverage 0%")
    expect(card.locator(".meta span").nth(1)).to_have_text("Latest exam 1/3 correct")
    _check(page, errors)

    page.get_by_role("link", name="History").click()
    entries = page.locator('ul[aria-label="Sessions"] > li')
    expect(entries).to_have_count(2)
    expect(entries.nth(0).locator("h3")).to_have_text("Fractions - Equivalent fractions")
    expect(entries.nth(0)).to_contain_text("1/3 correct")
    expect(entries.nth(1)).to_contain_text("1/3 correct")  # one mark of 1.0 in each
    _check(page, errors)
    entries.nth(1).get_by_role("button", name="See results").click()
    expect(page.locator("#exam-score")).to_have_text("1.5/3 (50%)")
    page.go_back()  # the browser's back button returns to the previous top-level view
    _check(page, errors)


def test_doubts_session_to_its_end(learner_url, fake_llm, browser_page):
    page = browser_page
    errors = _sign_in(page, learner_url, PHONE)
    _open_subtopic(page, errors, "Adding fractions")
    fake_llm.push(say("Hi Meera! What would you like to ask?"))
    page.get_by_role("button", name="Ask doubts").click()
    expect(page.locator("#concepts")).to_have_text("No concepts discussed yet")
    expect(page.get_by_role("button", name="Pause lesson")).to_have_count(0)  # lessons only
    fake_llm.push(clarify("Add the tops, keep the bottom.", ["adding like fractions"]))
    page.get_by_label("Your question").fill("how do I add 1/5 and 2/5?")
    page.get_by_role("button", name="Send").click()
    expect(_bubbles(page).last).to_have_text("TutorAdd the tops, keep the bottom.")
    expect(page.locator("#concepts")).to_have_text("Discussed: adding like fractions")
    _check(page, errors)
    page.get_by_role("button", name="End session").click()
    summary = page.locator(".summary")
    expect(summary.get_by_role("heading", name="Session ended")).to_be_focused()
    expect(summary.locator("li")).to_have_text(["adding like fractions"])
    with session_scope() as db:
        [row] = db.scalars(select(TutorSession)).all()
        assert row.mode == "clarify_doubts"
    _check(page, errors)


def test_the_bundled_offline_model_is_announced_as_a_demo(learner_url, browser_page):
    with session_scope() as db:
        row = db.get(LLMConfig, "tutor")
        row.provider, row.model_id = "local", "smollm2-135m"
    config_store.invalidate()
    page = browser_page
    errors = _sign_in(page, learner_url, DESKTOP)
    note = page.get_by_role("note")
    expect(note).to_have_text(
        "Demo mode: the tutor runs on the small offline model bundled with the app "
        "(smollm2-135m). Its answers are a demo of the plumbing, not teaching."
    )
    _check(page, errors)


def test_signed_out_visitors_are_sent_to_the_sign_in_screen(local_live_url, browser_page):
    page = browser_page
    page.goto(local_live_url + "/#report")
    page.wait_for_url(local_live_url + "/signin?next=" + "%2F%23report")
    page.get_by_label("Your name").fill("Ravi")
    page.get_by_role("button", name="Continue as student").click()
    page.wait_for_url(local_live_url + "/#report")
    expect(page.get_by_role("heading", name="Before you start")).to_be_visible()


def test_an_expired_sign_in_says_so_and_links_to_the_sign_in_screen(local_live_url, browser_page):
    page = browser_page
    errors = collect_errors(page)
    # Settled first: leaving while the screen still fetches /config/auth aborts that request,
    # which the error collector rightly reports.
    page.goto(local_live_url + "/signin", wait_until="networkidle")
    # Only the claims matter here: the client checks `exp` before any call and sends nothing.
    header = base64.urlsafe_b64encode(b'{"alg":"RS256"}').decode().rstrip("=")
    payload = base64.urlsafe_b64encode(json.dumps({"sub": "x", "exp": 1}).encode())
    token = f"{header}.{payload.decode().rstrip('=')}.sig"
    page.evaluate("t => sessionStorage.setItem('tutorToken', t)", token)
    page.goto(local_live_url + "/")
    notice = page.get_by_role("alert")
    expect(notice).to_have_text("Your sign-in expired, sign in again. Sign in again")
    expect(page.locator("#banner")).to_have_text(
        "Could not load your profile: Your sign-in expired, sign in again."
    )
    expect(notice.get_by_role("link", name="Sign in again")).to_have_attribute(
        "href", "/signin?next=%2F"
    )
    assert page.evaluate("sessionStorage.getItem('tutorToken')") is None
    assert errors == []
