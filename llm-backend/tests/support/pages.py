"""Fixtures for the page tests: the app in local auth mode on a live uvicorn, and a browser
page signed in through the real sign-in screen."""

from __future__ import annotations

import pytest

from config import reset_settings
from shared.auth.verifier import reset_verifier
from tests.support.auth import build_test_app
from tests.support.live_server import LiveServer

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def local_auth(monkeypatch, tmp_path):
    """AUTH_MODE=local, as on a developer's machine, with a key of the test's own."""
    for name in ("AUTH_MODE", "COGNITO_USER_POOL_ID", "COGNITO_APP_CLIENT_ID", "COGNITO_DOMAIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.setenv("LOCAL_AUTH_KEY_FILE", str(tmp_path / "local_auth_key.pem"))
    reset_settings()
    reset_verifier()
    yield
    reset_verifier()


@pytest.fixture
def local_live_url(db, local_auth):
    server = LiveServer(build_test_app()).start()
    yield server.url
    server.stop()


def sign_in_locally(page, base_url: str, *, role: str, name: str, next_path: str) -> None:
    """Through the sign-in screen, as a person would: a name, then "Continue as <role>"."""
    page.goto(f"{base_url}/signin?next={next_path}")
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name=f"Continue as {role}").click()
    page.wait_for_url(f"{base_url}{next_path}")


def no_horizontal_scroll(page) -> bool:
    width = page.evaluate("document.documentElement.scrollWidth")
    return width <= page.viewport_size["width"]


def collect_problems(page) -> list[str]:
    """Like `collect_errors`, with the URL of each console error: Chromium logs every 4xx
    answer as a console error, so a test can tell an expected refusal (a bad upload's 415,
    a missing study plan's 404) from anything else, and assert the exact list."""
    problems: list[str] = []

    def console(message) -> None:
        if message.type == "error":
            url = (message.location or {}).get("url", "")
            problems.append(f"console: {message.text} @ {url.split('?')[0]}")

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(f"exception: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.method} {r.url}"))
    return problems
