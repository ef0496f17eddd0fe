"""The admin LLM-config page in a real headless Chromium against a live server."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from database import session_scope
from shared.models.base import utcnow
from shared.models.entities import LLMCall, LLMConfig
from tests.support.auth import KEY, build_test_app, claims, sign
from tests.support.browser import collect_errors
from tests.support.live_server import LiveServer

ADMIN_TOKEN = sign(claims(sub="admin-page", groups=["admin"], email="page@example.com"), KEY)
STUDENT_TOKEN = sign(claims(sub="student-page"), KEY)


@pytest.fixture
def live_url(db, cognito_env):
    server = LiveServer(build_test_app()).start()
    yield server.url
    server.stop()


def _enter_token(page, token: str) -> None:
    page.fill("#token", token)
    page.click("#use-token")


def test_admin_changes_a_model_and_sees_it_after_reload(live_url, browser_page, tmp_path):
    page = browser_page
    page.goto(f"{live_url}/admin/llm-config")
    expect(page.locator("#banner")).to_have_text("Paste an admin token to load the configuration.")

    _enter_token(page, ADMIN_TOKEN)
    expect(page.locator("#banner")).to_have_text("Loaded 8 components.")
    row = page.locator('tr[data-component="tutor"]')
    expect(row.locator("select[name=provider]")).to_have_value("openai")
    expect(row.locator("input[name=model_id]")).to_have_value("gpt-5.2")

    row.locator("select[name=provider]").select_option("anthropic")
    row.locator("input[name=model_id]").fill("claude-haiku-4-5")
    row.locator("button.save").click()
    expect(row.locator(".status")).to_have_text("Saved: anthropic / claude-haiku-4-5")
    page.screenshot(path=str(tmp_path / "llm-config.png"), full_page=True)

    page.reload()  # the token survives in session storage
    row = page.locator('tr[data-component="tutor"]')
    expect(row.locator("select[name=provider]")).to_have_value("anthropic")
    expect(row.locator("input[name=model_id]")).to_have_value("claude-haiku-4-5")
    expect(row).to_contain_text("by page@example.com")
    with session_scope() as session:
        stored = session.get(LLMConfig, "tutor")
        assert (stored.provider, stored.model_id) == ("anthropic", "claude-haiku-4-5")


def test_invalid_model_shows_the_error_inline(live_url, browser_page):
    page = browser_page
    page.goto(f"{live_url}/admin/llm-config")
    _enter_token(page, ADMIN_TOKEN)
    row = page.locator('tr[data-component="study_plan_generator"]')
    row.locator("input[name=model_id]").fill("   ")
    row.locator("button.save").click()

    expect(row.locator(".status")).to_contain_text("model_id:")
    expect(row.locator(".status")).to_have_class("status err")
    with session_scope() as session:
        assert session.get(LLMConfig, "study_plan_generator").model_id == "gpt-5.2"


def test_bad_and_non_admin_tokens_show_an_error(live_url, browser_page):
    page = browser_page
    page.goto(f"{live_url}/admin/llm-config")

    _enter_token(page, "not-a-token")
    expect(page.locator("#banner")).to_contain_text("The token was refused")
    expect(page.locator("#config-table tbody tr")).to_have_count(0)

    _enter_token(page, STUDENT_TOKEN)
    expect(page.locator("#banner")).to_contain_text("This token is not an admin's")
    expect(page.locator("#config-table tbody tr")).to_have_count(0)


def test_page_fits_a_phone_screen(live_url, browser_page):
    with session_scope() as session:
        session.add(
            LLMCall(
                component="book_ingestion",
                provider="openai",
                model="gpt-5.2",
                started_at=utcnow(),
                latency_ms=123456,
                input_tokens=1234567,
                output_tokens=765432,
                attempts=1,
                outcome="ok",
            )
        )
    page = browser_page
    errors = collect_errors(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_url}/admin/llm-config")
    _enter_token(page, ADMIN_TOKEN)
    expect(page.locator("#banner")).to_have_text("Loaded 8 components.")

    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 390  # no sideways scrolling of the page itself
    save = page.locator('tr[data-component="tutor"] button.save')
    # Every call total is on screen, not hidden in a table that scrolls sideways.
    totals = page.locator("#totals-table tbody td")
    expect(totals).to_have_text(
        ["book_ingestion", "1", "0.0%", "123456", "123456", "1234567 / 765432"]
    )
    for box in [save.bounding_box()] + [totals.nth(i).bounding_box() for i in range(6)]:
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert errors == []
