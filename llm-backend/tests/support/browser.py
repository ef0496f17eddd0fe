"""Headless Chromium (the system's Debian package) driven by Playwright, for page tests."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def chromium_browser():
    """One Chromium per test module: a launch costs seconds, a context per test (browser_page)
    keeps the tests apart. Not per session: between calls Playwright's sync API leaves its event
    loop marked as running in this thread, so asyncio.run in a later module's test would fail."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium_browser):
    """A page in a fresh context (cookies, storage and cache of its own)."""
    context = chromium_browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def collect_errors(page) -> list[str]:
    """Console errors, uncaught exceptions and failed requests of `page`, as they happen (the
    list is filled in place; a test asserts it is empty at the end)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"exception: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.method} {r.url}"))
    return errors
