"""The sign-in screen in headless Chromium: local mode's "continue as admin / student", and
Cognito's managed login with PKCE (the pool's pages are stood in for by request routing, so
the test stays offline)."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from config import reset_settings
from tests.support.auth import CLIENT_ID, KEY, build_test_app, claims, sign
from tests.support.axe import serious_violations
from tests.support.browser import collect_errors
from tests.support.live_server import LiveServer
from tests.support.pages import PHONE, no_horizontal_scroll, sign_in_locally

DOMAIN = "https://tutor-test.auth.eu-west-1.amazoncognito.com"


def test_local_sign_in_as_admin_opens_the_admin_page(local_live_url, browser_page):
    page = browser_page
    errors = collect_errors(page)
    page.goto(f"{local_live_url}/signin")
    expect(page.get_by_role("button", name="Continue as admin")).to_be_visible()
    assert serious_violations(page) == []

    sign_in_locally(
        page, local_live_url, role="admin", name="Asha Rao", next_path="/admin/llm-config"
    )
    expect(page.locator("#banner")).to_have_text("Loaded 8 components.")
    stored = page.evaluate("sessionStorage.getItem('tutorToken')")
    payload = json.loads(base64.urlsafe_b64decode(stored.split(".")[1] + "=="))
    assert (payload["name"], payload["cognito:groups"]) == ("Asha Rao", ["admin"])
    assert errors == []


def test_local_sign_in_as_student_on_a_phone(local_live_url, browser_page):
    page = browser_page
    errors = collect_errors(page)
    page.set_viewport_size(PHONE)
    page.goto(f"{local_live_url}/signin")
    expect(page.get_by_label("Your name")).to_be_visible()
    assert no_horizontal_scroll(page)
    page.get_by_role("button", name="Continue as student").click()  # no name yet
    expect(page.locator("#signin-message")).to_have_text("Enter a name first.")
    sign_in_locally(page, local_live_url, role="student", name="Ravi", next_path="/signin")
    expect(page.locator("#signed-in-as")).to_have_text("Signed in as Ravi.")
    assert errors == []


@pytest.fixture
def cognito_live_url(db, cognito_env, monkeypatch):
    monkeypatch.setenv("COGNITO_DOMAIN", DOMAIN)
    reset_settings()
    server = LiveServer(build_test_app()).start()
    yield server.url
    server.stop()


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_cognito_sign_in_uses_pkce_and_the_callback_trades_the_code(cognito_live_url, browser_page):
    page = browser_page
    errors = collect_errors(page)
    authorize: list[str] = []
    token_bodies: list[dict] = []
    id_token = sign(claims(sub="cog-admin", groups=["admin"], name="Cognito Admin"), KEY)

    def managed_login(route):
        url = route.request.url
        if "/oauth2/authorize" in url:
            authorize.append(url)
            route.fulfill(status=200, content_type="text/html", body="<title>login</title>")
        elif url == DOMAIN + "/oauth2/token":
            token_bodies.append(parse_qs(route.request.post_data))
            route.fulfill(
                status=200,
                content_type="application/json",
                headers={"Access-Control-Allow-Origin": cognito_live_url},
                body=json.dumps({"id_token": id_token, "access_token": "a", "expires_in": 3600}),
            )
        else:
            route.fulfill(status=404, body="")

    page.route(DOMAIN + "/**", managed_login)
    page.goto(f"{cognito_live_url}/signin?next=/admin/llm-config")
    expect(page.locator("#local-form")).to_be_hidden()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(DOMAIN + "/oauth2/authorize**")

    query = parse_qs(urlsplit(authorize[0]).query)
    # Session storage belongs to the site's origin (and this tab): read it back there.
    page.go_back()
    page.wait_for_url(f"{cognito_live_url}/signin?next=/admin/llm-config")
    # The page has read its settings (leaving earlier would cut that request off).
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    saved = json.loads(page.evaluate("sessionStorage.getItem('tutorPkce')"))
    assert {k: v[0] for k, v in query.items()} == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": f"{cognito_live_url}/signin/callback",
        "scope": "openid email profile",
        "state": saved["state"],
        "code_challenge": _challenge(saved["verifier"]),
        "code_challenge_method": "S256",
    }
    assert len(saved["verifier"]) >= 43 and saved["next"] == "/admin/llm-config"

    # Cognito sends the browser back with the code and the state it was given.
    page.goto(f"{cognito_live_url}/signin/callback?code=the-code&state={saved['state']}")
    page.wait_for_url(f"{cognito_live_url}/admin/llm-config")
    expect(page.locator("#banner")).to_have_text("Loaded 8 components.")
    assert token_bodies == [
        {
            "grant_type": ["authorization_code"],
            "client_id": [CLIENT_ID],
            "code": ["the-code"],
            "redirect_uri": [f"{cognito_live_url}/signin/callback"],
            "code_verifier": [saved["verifier"]],
        }
    ]
    assert page.evaluate("sessionStorage.getItem('tutorToken')") == id_token
    assert errors == []


def test_a_callback_with_a_foreign_state_signs_nobody_in(cognito_live_url, browser_page):
    page = browser_page
    page.goto(f"{cognito_live_url}/signin")
    saved = {"verifier": "v", "state": "mine", "next": "/"}
    page.evaluate("s => sessionStorage.setItem('tutorPkce', s)", json.dumps(saved))
    page.goto(f"{cognito_live_url}/signin/callback?code=stolen&state=someone-elses")
    expect(page.locator("#signin-message")).to_contain_text("not the one this browser started")
    expect(page.get_by_role("link", name="Sign in again")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('tutorToken')") is None
    assert serious_violations(page) == []
